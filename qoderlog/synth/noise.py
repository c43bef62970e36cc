"""Noise: realistic VS Code / extension lines that are not Qoder lifecycle lines, and their timing.

Takes a ``Host``, a random generator and a mix of flavours, and gives noise
records (as ``Entry`` values, or as bare level/message/detail triples for the
streaming corpus); ``interleave`` spreads them between a scenario's entries.
The templates, their weights and every word they are filled with are in
``data/noise.yaml``; only the values built from several draws are code.
"""

from __future__ import annotations

import heapq
import json
import random
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from .datafiles import fields, load
from .framings import FRAMINGS, Channel, Entry, Framing
from .hosts import Host, draw_pid, hex_digits, uuid


@dataclass(frozen=True, slots=True)
class _Template:
    level: str | None
    text: str
    names: tuple[str, ...]
    detail: tuple[str, ...]
    extra: Literal["stack", "payload"] | None
    fields: tuple[tuple[str, str], ...]
    category: str
    raw: bool
    framing: Framing | None
    origin: str
    thread: str


_TEMPLATE_KEYS = frozenset(
    {"level", "text", "detail", "extra", "fields", "category", "raw", "framing", "origin", "thread"}
)
_TIMED = frozenset({"chromium", "go_time"})
"""Placeholders filled from the record's own time: a raw Chromium header's ids and time, Go's log.Printf stamp."""


def _template(item: Mapping[str, Any], where: str) -> tuple[int, _Template]:
    fields(item, where=where, required=frozenset({"weight"}), optional=_TEMPLATE_KEYS)
    text, detail = item.get("text", ""), tuple(item.get("detail", ()))
    pairs = tuple(item.get("fields", {}).items())
    parts = [text, *detail, *(value for _, value in pairs), item.get("thread", "")]
    if item.get("framing") is not None and item["framing"] not in FRAMINGS:
        raise ValueError(f"{where}: unknown framing {item['framing']!r}; use one of {', '.join(FRAMINGS)}")
    names = tuple(sorted({name for part in parts for _, name, _, _ in string.Formatter().parse(part) if name}))
    template = _Template(
        item.get("level"),
        text,
        names,
        detail,
        item.get("extra"),
        pairs,
        item.get("category", ""),
        item.get("raw", False),
        item.get("framing"),
        item.get("origin", ""),
        item.get("thread", ""),
    )
    return item["weight"], template


_DATA = load("noise")
_FLAVOURS: dict[str, tuple[Channel, tuple[tuple[int, _Template], ...]]] = {
    flavour: (
        spec["channel"],
        tuple(_template(item, f"noise.yaml: {flavour}[{i}]") for i, item in enumerate(spec["templates"])),
    )
    for flavour, spec in _DATA["flavours"].items()
}
NOISE_FLAVOURS: tuple[str, ...] = tuple(_FLAVOURS)
LOUD_LEVELS = frozenset({"warning", "error", "critical"})
"""The levels ``Noise.record``'s ``loud_share`` is the share of."""
_WORDS: Mapping[str, Any] = _DATA["words"]


def _fillers(host: Host, rng: random.Random) -> dict[str, Callable[[], str]]:
    """Zero-argument value makers for every placeholder the noise templates use."""
    sep, projects = host.sep, host.values["projects"]
    extensions, files = _DATA["choices"]["ext"], _WORDS["files"]

    def workspace_file() -> str:
        return sep.join((projects, rng.choice(_WORDS["projects"]), *rng.choice(files).split("/")))

    def ext_dir() -> str:
        return f"{host.home}{sep}.qoder{sep}extensions{sep}{rng.choice(extensions)}-{semver()}"

    def semver() -> str:
        return f"{rng.randint(0, 3)}.{rng.randint(0, 40)}.{rng.randint(0, 20)}"

    def key_event() -> str:
        code, key_code, key = rng.choice(_WORDS["keys"])
        mods = rng.choice(_WORDS["modifiers"])
        return f"modifiers: [{mods}], code: {code}, keyCode: {key_code}, key: {key}"

    def number(low: int, high: int) -> Callable[[], str]:
        return lambda: str(rng.randint(low, high))

    def choice(values: list[str]) -> Callable[[], str]:
        return lambda: rng.choice(values)

    return {
        "pid": lambda: str(draw_pid(host, rng)),
        "tid": lambda: str(draw_pid(host, rng)),  # thread ids come from the same pool as process ids
        **{name: number(low, high) for name, (low, high) in _DATA["numbers"].items()},
        **{name: choice(values) for name, values in _DATA["choices"].items()},
        "semver": semver,
        "key_event": key_event,
        "hash": lambda: hex_digits(rng, 32),
        "short": lambda: hex_digits(rng, 8),
        "uuid": lambda: uuid(rng),
        "dir": lambda: sep.join((projects, rng.choice(_WORDS["projects"]))),
        "file": workspace_file,
        "name": lambda: rng.choice(files).rsplit("/", 1)[-1],
        "ext_dir": ext_dir,
        "sep": lambda: sep,
    }


class Noise:
    """Realistic VS Code / extension lines that are not Qoder lifecycle lines.

    ``mix`` weighs the flavours of ``NOISE_FLAVOURS`` (``main``,
    ``exthost``, ``renderer``, ``shared``, ``agent``, ``zh``, ``service``
    for JSON, ``chromium`` for console captures, ``chromium_lines`` for
    Chromium's own lines in their framing, ``gopls`` for a Go language
    server's output channel). Some records carry continuation lines: stack
    traces, a pretty-printed JSON payload after ``ToolInvoke :
    run_in_terminal``, a second line of a Node warning, Go's key=value lines.
    """

    def __init__(self, host: Host, rng: random.Random, mix: Mapping[str, int]) -> None:
        unknown = set(mix) - set(_FLAVOURS)
        if unknown:
            raise ValueError(f"unknown noise flavours {sorted(unknown)}; use {', '.join(NOISE_FLAVOURS)}")
        self._rng = rng
        self._fill = _fillers(host, rng)
        self._pool = [
            (template, _FLAVOURS[flavour][0] == "exthost")
            for flavour, weight in mix.items()
            for count, template in _FLAVOURS[flavour][1]
            for _ in range(count * weight)
        ]
        self._loud: list[tuple[_Template, bool]] = []
        self._quiet: list[tuple[_Template, bool]] = []

    def _values(self, template: _Template, at: datetime | None) -> dict[str, str]:
        values = {name: self._fill[name]() for name in template.names if name not in _TIMED}
        when = at or datetime(2000, 1, 1)
        if "chromium" in template.names:
            values["chromium"] = f"{self._fill['pid']()}:{when:%m%d/%H%M%S}.{when.microsecond:06d}"
        if "go_time" in template.names:
            values["go_time"] = f"{when:%Y/%m/%d %H:%M:%S}"
        return values

    def _detail(self, template: _Template, values: Mapping[str, str]) -> tuple[str, ...]:
        rng = self._rng
        if template.extra == "stack":
            frames = [
                rng.choice(_WORDS["head_frames"]),
                *(rng.choice(_WORDS["frames"]) for _ in range(rng.randint(1, 3))),
            ]
            filled = (f.format_map({n: self._fill[n]() for n in _WORDS["frame_values"]}) for f in frames)
            return (*filled, _WORDS["last_frame"])
        if template.extra == "payload":
            payload = {
                "command": rng.choice(_WORDS["commands_run"]),
                "explanation": rng.choice(_WORDS["explanations"]),
                "isBackground": rng.random() < 0.2,
            }
            return tuple(json.dumps(payload, ensure_ascii=False, indent=2).splitlines())
        return tuple(line.format_map(values) for line in template.detail)

    def record(self, loud_share: float | None = None) -> tuple[str | None, str, tuple[str, ...]]:
        """``(level, message, continuation lines)`` of one noise record; ``level`` is ``None`` for a blank line.

        With ``loud_share``, that share of the records is drawn from the warning, error and critical templates
        and the rest from the others (instead of drawing from the whole mix).
        """
        pool = self._pool
        if loud_share is not None:
            loud = self._loud or [entry for entry in pool if entry[0].level in LOUD_LEVELS]
            self._loud = loud
            quiet = self._quiet or [entry for entry in pool if entry[0].level not in LOUD_LEVELS]
            self._quiet = quiet
            pool = loud if self._rng.random() < loud_share else quiet
        template, _ = self._rng.choice(pool)
        values = self._values(template, None)
        return template.level, template.text.format_map(values), self._detail(template, values)

    def entry(self, at: datetime) -> Entry:
        """One noise record at ``at`` as an ``Entry`` (its channel from its flavour)."""
        template, exthost = self._rng.choice(self._pool)
        if template.level is None and not template.raw:
            return Entry(at=at, level="info", message=None)
        values = self._values(template, at)
        return Entry(
            at=at,
            level=template.level or "info",
            message=template.text.format_map(values),
            channel="exthost" if exthost else "main",
            category=template.category,
            detail=self._detail(template, values),
            fields=tuple((k, _number(v.format_map(values))) for k, v in template.fields),
            raw=template.raw,
            framing=template.framing,
            origin=template.origin,
            thread=template.thread.format_map(values),
        )


def _number(text: str) -> str | int:
    return int(text) if text.isdigit() else text


def gap(rng: random.Random) -> float:
    """Seconds between two noise records: bursts of milliseconds, pauses of seconds, rare long quiet spells."""
    draw = rng.random()
    if draw < 0.55:
        return rng.uniform(0.0005, 0.03)
    if draw < 0.9:
        return rng.uniform(0.03, 1.5)
    if draw < 0.99:
        return rng.uniform(1.5, 12.0)
    return rng.uniform(12.0, 90.0)


def _noise_times(rng: random.Random, start: datetime, end: datetime, count: int) -> list[datetime]:
    """``count`` realistic noise times strictly between ``start`` and ``end``."""
    gaps = [gap(rng) for _ in range(count + 1)]
    scale = (end - start).total_seconds() / sum(gaps)
    times, elapsed = [], 0.0
    for step in gaps[:-1]:
        elapsed += step * scale
        times.append(start + timedelta(seconds=elapsed))
    return times


def interleave(
    entries: Iterable[Entry],
    noise: Noise,
    *,
    start: datetime,
    end: datetime,
    noise_lines: int,
    rng: random.Random,
) -> list[Entry]:
    """``entries`` (in time order) merged with ``noise_lines`` noise records spread from ``start`` to ``end``.

    At equal times the given entries come first.
    """
    background = [noise.entry(at) for at in _noise_times(rng, start, end, noise_lines)]
    return list(heapq.merge(entries, background, key=lambda entry: entry.at))
