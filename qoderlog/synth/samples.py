"""The committed samples: definitions read from ``data/samples.yaml``, built into files and a README.

Takes nothing but the data file and gives ``sample_logs/``: each sample is
one host, the scenarios placed at fixed times, and the files (framing,
encoding, noise, time window, the prefix of a paste) they are written to,
with a README row per file. The same data always gives byte-identical files.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .datafiles import fields, load
from .encodings import NEWLINES, Encoding, epoch, minidump, zip_bytes
from .framings import Channel, Entry, Framing, PasteStyle, frame, paste
from .hosts import Host, Sidecar, make_host, uuid
from .noise import Noise, interleave
from .scenarios import SCENARIOS, TIMINGS, Step, render_scenario, steps_from

_UTF8 = Encoding()


@dataclass(frozen=True, slots=True, kw_only=True)
class _Log:
    """One file of a sample: its time window, which Qoder channels and noise it holds, and its bytes."""

    path: str
    start: datetime
    end: datetime
    framing: Framing = "vscode"
    exthost_framing: Framing | None = None
    channels: tuple[Channel, ...] = ("main",)
    noise: Mapping[str, int] = field(default_factory=lambda: {"main": 1})
    noise_lines: int = 400
    encoding: Encoding = _UTF8
    logger: str = "main"
    utc_offset_h: float = 8.0
    lone_cr: tuple[datetime, datetime] | None = None
    elide_after: int | None = None
    paste: PasteStyle | None = None


@dataclass(frozen=True, slots=True)
class _Placement:
    """A scenario at a time: absolute, or a ``timedelta`` after the previous placement is over."""

    scenario: str | tuple[Step, ...]
    at: datetime | timedelta
    timings: Mapping[str, float] = field(default_factory=dict)
    drift: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class _Sample:
    """A sample: one host, its scenarios, the files they are written to, and what the README says."""

    name: str
    host: Host
    framing: str
    about: str
    timings: str
    logs: tuple[_Log, ...]
    placements: tuple[_Placement, ...] = ()
    pids: tuple[int, ...] = ()
    ports: tuple[int, ...] = ()
    pipes: tuple[str, ...] = ()
    archive: str | None = None
    dump_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Built:
    path: str
    encoding: str
    lines: int | None
    size: int


# --------------------------------------------------------------------------- reading the data file

_SAMPLE_KEYS = frozenset({"placements", "pids", "ports", "pipes", "archive", "dump_at"})
_HOST_KEYS = frozenset({"key", "user", "remote", "arch", "version"})
_PLACEMENT_KEYS = frozenset({"scenario", "steps", "at", "after_previous", "timings", "drift"})
_LOG_KEYS = frozenset(
    {"framing", "exthost_framing", "channels", "noise", "noise_lines", "encoding", "logger", "utc_offset_h"}
    | {"lone_cr", "elide_after", "paste"}
)
_ENCODING_KEYS = frozenset({"codec", "bom", "newline", "gzip"})


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _host(item: Mapping[str, Any], name: str) -> Host:
    fields(item, where=f"samples.yaml: {name}.host", required=frozenset({"platform"}), optional=_HOST_KEYS)
    options = {key: item[key] for key in ("user", "remote", "arch", "version") if key in item}
    return make_host(item["platform"], rng=random.Random(f"host:{item.get('key', name)}"), **options)


def _placement(item: Mapping[str, Any], where: str) -> _Placement:
    fields(item, where=where, required=frozenset(), optional=_PLACEMENT_KEYS)
    if ("scenario" in item) == ("steps" in item) or ("at" in item) == ("after_previous" in item):
        raise ValueError(f"{where}: give one of scenario/steps and one of at/after_previous")
    scenario = item["scenario"] if "scenario" in item else steps_from(item["steps"], where=f"{where}.steps")
    at = _at(item["at"]) if "at" in item else timedelta(seconds=item["after_previous"])
    return _Placement(scenario, at, dict(item.get("timings", {})), item.get("drift", False))


def _encoding(item: Mapping[str, Any], where: str) -> Encoding:
    fields(item, where=where, required=frozenset(), optional=_ENCODING_KEYS)
    options = dict(item)
    if "newline" in options:
        options["newline"] = NEWLINES[options["newline"]]
    return Encoding(**options)


def _log(item: Mapping[str, Any], where: str) -> _Log:
    fields(item, where=where, required=frozenset({"path", "start", "end"}), optional=_LOG_KEYS)
    options: dict[str, Any] = {key: value for key, value in item.items() if key not in {"start", "end"}}
    if "channels" in options:
        options["channels"] = tuple(options["channels"])
    if "encoding" in options:
        options["encoding"] = _encoding(options["encoding"], f"{where}.encoding")
    if "lone_cr" in options:
        first, last = options["lone_cr"]
        options["lone_cr"] = (_at(first), _at(last))
    return _Log(start=_at(item["start"]), end=_at(item["end"]), **options)


def _sample(item: Mapping[str, Any]) -> _Sample:
    name = item.get("name", "?")
    where = f"samples.yaml: {name}"
    fields(
        item,
        where=where,
        required=frozenset({"name", "host", "framing", "about", "timings", "logs"}),
        optional=_SAMPLE_KEYS,
    )
    return _Sample(
        name=name,
        host=_host(item["host"], name),
        framing=item["framing"],
        about=item["about"],
        timings=item["timings"],
        logs=tuple(_log(log, f"{where}.logs[{i}]") for i, log in enumerate(item["logs"])),
        placements=tuple(
            _placement(placement, f"{where}.placements[{i}]") for i, placement in enumerate(item.get("placements", ()))
        ),
        pids=tuple(item.get("pids", ())),
        ports=tuple(item.get("ports", ())),
        pipes=tuple(item.get("pipes", ())),
        archive=item.get("archive"),
        dump_at=_at(item["dump_at"]) if "dump_at" in item else None,
    )


SAMPLES: tuple[_Sample, ...] = tuple(_sample(item) for item in load("samples")["samples"])


# --------------------------------------------------------------------------- building the files


def _log_lines(log: _Log, entries: Sequence[Entry], host: Host) -> tuple[list[str], range | None]:
    rng = random.Random(f"noise:{log.path}")
    mine = [entry for entry in entries if entry.channel in log.channels and log.start <= entry.at < log.end]
    noise = Noise(host, rng, log.noise)
    merged = interleave(mine, noise, start=log.start, end=log.end, noise_lines=log.noise_lines, rng=rng)
    lines: list[str] = []
    cr_from = cr_to = None
    for entry in merged:
        if log.lone_cr is not None:
            if cr_from is None and entry.at >= log.lone_cr[0]:
                cr_from = len(lines)
            if cr_to is None and entry.at >= log.lone_cr[1]:
                cr_to = len(lines)
        framing = log.exthost_framing if entry.channel == "exthost" and log.exthost_framing else log.framing
        lines.extend(frame(entry, framing, utc_offset_h=log.utc_offset_h, logger=log.logger))
    if log.elide_after is not None:
        lines.insert(log.elide_after, "...")
    if log.paste is not None:
        lines = paste(lines, log.paste)
    return lines, (range(cr_from, len(lines) if cr_to is None else cr_to) if cr_from is not None else None)


def _sample_entries(sample: _Sample) -> list[Entry]:
    rng = random.Random(f"sample:{sample.name}")
    sidecar = Sidecar(sample.host, rng, pids=sample.pids, ports=sample.ports, pipes=sample.pipes)
    entries: list[Entry] = []
    last_end: datetime | None = None
    for placement in sample.placements:
        if isinstance(placement.at, timedelta):
            if last_end is None:
                raise ValueError(f"{sample.name}: the first placement needs an absolute time")
            start = last_end + placement.at
        else:
            start = placement.at
        rendering = render_scenario(
            placement.scenario,
            host=sample.host,
            start=start,
            rng=rng,
            sidecar=sidecar,
            timings=placement.timings,
            drift=placement.drift,
        )
        entries.extend(rendering.entries)
        last_end = rendering.end
    entries.sort(key=lambda entry: entry.at)
    return entries


def _build(sample: _Sample) -> tuple[dict[str, bytes], list[_Built]]:
    """A sample's files (path → bytes, relative to the samples folder) and one README row per file."""
    entries = _sample_entries(sample)
    files: dict[str, bytes] = {}
    listing: list[_Built] = []
    members: list[tuple[str, bytes, datetime]] = []
    for log in sample.logs:
        lines, lone_cr = _log_lines(log, entries, sample.host)
        data = log.encoding.encode(lines, lone_cr)
        label = log.encoding.label(lone_cr)
        if log.encoding.gzip:
            data = gzip.compress(data, compresslevel=9, mtime=epoch(log.end, log.utc_offset_h))
        if sample.archive is None:
            files[log.path] = data
            listing.append(_Built(log.path, label, len(lines), len(data)))
        else:
            members.append((log.path, data, log.end))
            listing.append(_Built(f"{sample.archive}!{log.path}", label, len(lines), len(data)))
    if sample.archive is not None:
        if sample.dump_at is not None:
            rng = random.Random(f"dump:{sample.name}")
            dump = minidump(rng, epoch(sample.dump_at, 8.0))
            name = f"Crashpad/completed/{uuid(rng)}.dmp"
            members.append((name, dump, sample.dump_at))
            listing.append(_Built(f"{sample.archive}!{name}", "binary minidump (MDMP)", None, len(dump)))
        files[sample.archive] = zip_bytes(members)
        listing.append(_Built(sample.archive, "zip (deflate)", None, len(files[sample.archive])))
    return files, listing


# --------------------------------------------------------------------------- the README

_README_HEAD = """\
# Sample logs

Generated by `qoderlog synth samples sample_logs` (package `qoderlog/synth/`, seeded and deterministic;
the samples are defined in `qoderlog/synth/data/samples.yaml`): do not edit these files by hand, change the
data or the generator and regenerate.
`tests/test_synth.py` checks that the files here equal a fresh regeneration, that each file's bytes
have the encoding stated below, and the key timings.

Every line shape of `shared/qoder-log-catalog.md` §3 to §7 (observed lines and *variants*) appears in at
least one sample. Qoder timings are exact; noise lines are spaced milliseconds to seconds apart.
Times in the VS Code and spdlog framings are local (the users are at UTC+8); `Z` times are UTC.

## Samples
"""


def _platform_label(host: Host) -> str:
    name = {"windows": "Windows", "macos": "macOS", "linux": "Linux"}[host.platform]
    return f"{name} (remote server)" if host.remote else name


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _readme(rows: Sequence[tuple[_Sample, list[_Built]]]) -> str:
    lines = [
        _README_HEAD,
        "| sample | files | framing | encoding | platform | what happens | key timings |",
        "|---|---|---|---|---|---|---|",
    ]
    for sample, built in rows:
        files = "<br>".join(f"`{item.path}`" for item in built if item.lines is not None)
        encodings = "; ".join(dict.fromkeys(item.encoding for item in built if item.lines is not None))
        if sample.archive:
            encodings = f"zip of: {encodings}"
        cells = (
            sample.name,
            files,
            sample.framing,
            encodings,
            _platform_label(sample.host),
            sample.about,
            sample.timings,
        )
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    lines += [
        "",
        "## Scenarios",
        "",
        "The building blocks behind the samples (`qoderlog.synth.SCENARIOS`, rendered by `render_scenario`,",
        "framed by `frame`, or as a whole log with noise by `scenario_lines`). Timings: the exact default,",
        "then the range drawn from with `vary=True`.",
        "",
        "| scenario | what it shows | timings |",
        "|---|---|---|",
    ]
    for name, scenario in SCENARIOS.items():
        used = sorted({step.delay for step in scenario.steps if isinstance(step.delay, str)})
        bounds = {**TIMINGS, **scenario.timings}
        timing = "; ".join(f"`{key}` {bounds[key][0]:g} ({bounds[key][1]:g} to {bounds[key][2]:g})" for key in used)
        lines.append(f"| `{name}` | {_cell(scenario.about)} | {timing or '—'} |")
    lines += ["", "## Files", "", "| file | encoding | lines | bytes |", "|---|---|---|---|"]
    for _, built in rows:
        for item in built:
            count = "—" if item.lines is None else str(item.lines)
            lines.append(f"| `{item.path}` | {item.encoding} | {count} | {item.size} |")
    return "\n".join(lines) + "\n"


def write_samples(out_dir: Path) -> list[Path]:
    """Regenerate every sample (and its ``README.md``) under ``out_dir``; the paths written, README last."""
    out_dir = Path(out_dir)
    written: list[Path] = []
    rows: list[tuple[_Sample, list[_Built]]] = []
    for sample in SAMPLES:
        files, built = _build(sample)
        for relative, data in files.items():
            target = out_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written.append(target)
        rows.append((sample, built))
    readme = out_dir / "README.md"
    readme.write_text(_readme(rows), encoding="utf-8", newline="\n")
    written.append(readme)
    return written
