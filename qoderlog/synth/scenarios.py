"""Scenarios: named lists of steps read from ``data/scenarios.yaml``, rendered into timed entries.

Takes a scenario (a name in ``SCENARIOS`` or a sequence of ``Step`` values),
a ``Host`` and a start time, and gives a ``Rendering``: framing-neutral
``Entry`` values in time order. The steps' wordings are the catalog's,
exactly, except where a step's ``drift`` text shows the wording drift the
catalog allows.

In the data file a step is a mapping with a ``kind`` (``go``, ``ext``,
``ipc``, ``app``, ``main``: who writes the line, which fixes the component,
channel and category it defaults to), a ``delay`` and a ``text``; a
``{use: BLOCK}`` item splices in a named block of steps, optionally with the
first step's ``delay``/``after`` replaced and the block repeated ``times``.
A step may be written in a framing of its own (``framing``, with the
``origin`` and ``thread`` a Chromium or glog header prints) or ``raw``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from .datafiles import fields, load
from .framings import FRAMINGS, Channel, Entry, Framing
from .hosts import Host, Sidecar


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One line of a scenario.

    ``delay`` is seconds after the previous step, or after the step labelled
    ``after``; a string names a timing (``ready_s`` …) so that a sample can
    fix it and a fleet can vary it. ``text`` is a ``str.format`` template over
    ``Sidecar.values()``; an empty text is a pause that only moves time on.
    ``only`` keeps a step to ``"windows"`` or ``"unix"`` hosts; ``spawn``
    starts a new sidecar before the line; ``drift`` is the same line in a
    later Qoder's wording; ``json_text`` and ``fields`` are what the JSON
    framing shows instead of the text. ``framing`` writes the line in a
    framing of its own (``origin``, ``thread``: what a Chromium or glog header
    names; ``thread`` is a template too); ``raw`` writes it with no header.
    """

    delay: float | str
    level: str
    text: str
    component: str | None = None
    channel: Channel = "main"
    category: str = "process_management"
    after: str | None = None
    label: str | None = None
    spawn: bool = False
    only: Literal["windows", "unix"] | None = None
    drift: str | None = None
    json_text: str | None = None
    fields: tuple[tuple[str, str | int], ...] = ()
    detail: tuple[str, ...] = ()
    framing: Framing | None = None
    origin: str = ""
    thread: str = ""
    raw: bool = False


Timing = tuple[float, float, float]
"""A timing's exact default and the low/high bounds a fleet may draw from."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A named list of steps, its timing defaults, and what it shows."""

    steps: tuple[Step, ...]
    about: str
    timings: Mapping[str, Timing] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rendering:
    """A rendered scenario: its entries in time order and when it is over (pauses included)."""

    entries: tuple[Entry, ...]
    end: datetime


_DATA = load("scenarios")
_KINDS: Mapping[str, Mapping[str, Any]] = _DATA["kinds"]
_STEP_KEYS = frozenset(
    {"level", "text", "component", "channel", "category", "after", "label", "spawn", "only", "drift", "json_text"}
    | {"fields", "detail", "framing", "origin", "thread", "raw"}
)
_USE_KEYS = frozenset({"delay", "after", "times"})


def _step(item: Mapping[str, Any], where: str) -> Step:
    fields(item, where=where, required=frozenset({"kind", "delay"}), optional=_STEP_KEYS)
    if item["kind"] not in _KINDS:
        raise ValueError(f"{where}: unknown kind {item['kind']!r}; use one of {', '.join(_KINDS)}")
    framing = item.get("framing", _KINDS[item["kind"]].get("framing"))
    if framing is not None and framing not in FRAMINGS:
        raise ValueError(f"{where}: unknown framing {framing!r}; use one of {', '.join(FRAMINGS)}")
    values: dict[str, Any] = {"level": "info", "text": "", **_KINDS[item["kind"]]}
    values.update((key, value) for key, value in item.items() if key != "kind")
    values["fields"] = tuple(values.get("fields", {}).items())
    values["detail"] = tuple(values.get("detail", ()))
    return Step(**values)


def steps_from(items: Sequence[Mapping[str, Any]], *, where: str) -> tuple[Step, ...]:
    """The steps of a data-file list of step and ``use`` items (``where`` names it in errors)."""
    steps: list[Step] = []
    for index, item in enumerate(items):
        place = f"{where}[{index}]"
        if "use" not in item:
            steps.append(_step(item, place))
            continue
        fields(item, where=place, required=frozenset({"use"}), optional=_USE_KEYS)
        if item["use"] not in _DATA["blocks"]:
            raise ValueError(f"{place}: unknown block {item['use']!r}")
        block = _block(item["use"])
        changes = {key: item[key] for key in ("delay", "after") if key in item}
        if changes:
            block = (replace(block[0], **changes), *block[1:])
        steps.extend(block * item.get("times", 1))
    return tuple(steps)


def _block(name: str) -> tuple[Step, ...]:
    return steps_from(_DATA["blocks"][name], where=f"scenarios.yaml: blocks.{name}")


def _timing(bounds: Sequence[float]) -> Timing:
    exact, low, high = (float(value) for value in bounds)
    return exact, low, high


TIMINGS: dict[str, Timing] = {name: _timing(bounds) for name, bounds in _DATA["timings"].items()}

SCENARIOS: dict[str, Scenario] = {
    name: Scenario(
        steps=steps_from(spec["steps"], where=f"scenarios.yaml: scenarios.{name}"),
        about=spec["about"],
        timings={key: _timing(bounds) for key, bounds in spec.get("timings", {}).items()},
    )
    for name, spec in _DATA["scenarios"].items()
}


def _scenario_steps(scenario: str | Sequence[Step]) -> tuple[tuple[Step, ...], Mapping[str, Timing]]:
    if isinstance(scenario, str):
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; use one of {', '.join(SCENARIOS)}")
        found = SCENARIOS[scenario]
        return found.steps, found.timings
    return tuple(scenario), {}


def render_scenario(
    scenario: str | Sequence[Step],
    *,
    host: Host,
    start: datetime,
    rng: random.Random,
    sidecar: Sidecar | None = None,
    timings: Mapping[str, float] | None = None,
    vary: bool = False,
    drift: bool = False,
) -> Rendering:
    """The entries of ``scenario`` (a name in ``SCENARIOS`` or a sequence of steps) from ``start`` on.

    Timings are the scenario's exact defaults, or drawn between its bounds
    when ``vary``; ``timings`` fixes some by name. ``drift`` uses the later
    wording where a step has one. Pass one ``sidecar`` to several calls to
    keep the process identity across them.
    """
    steps, own = _scenario_steps(scenario)
    bounds = {**TIMINGS, **own}
    chosen = {name: (rng.uniform(low, high) if vary else exact) for name, (exact, low, high) in bounds.items()}
    chosen.update(timings or {})
    sidecar = sidecar or Sidecar(host, rng)
    family = "windows" if host.windows else "unix"
    marks: dict[str, datetime] = {}
    previous = end = start
    entries: list[Entry] = []
    for step in steps:
        if step.only is not None and step.only != family:
            continue
        delay = chosen[step.delay] if isinstance(step.delay, str) else step.delay
        at = (marks[step.after] if step.after else previous) + timedelta(seconds=delay)
        previous, end = at, max(end, at)
        if step.label:
            marks[step.label] = at
        if step.spawn:
            sidecar.spawn()
        if not step.text:
            continue
        values = sidecar.values()
        text = step.drift if drift and step.drift else step.text
        entries.append(
            Entry(
                at=at,
                level=step.level,
                message=text.format_map(values),
                component=step.component,
                channel=step.channel,
                category=step.category,
                detail=tuple(line.format_map(values) for line in step.detail),
                fields=tuple((k, v.format_map(values) if isinstance(v, str) else v) for k, v in step.fields),
                json_message=step.json_text,
                raw=step.raw,
                framing=step.framing,
                origin=step.origin,
                thread=step.thread.format_map(values),
            )
        )
    entries.sort(key=lambda entry: entry.at)
    return Rendering(entries=tuple(entries), end=end)
