"""The pipeline end to end: inputs → sources → framing → patterns → events, with the accounting.

``iter_events`` is the one streaming entry point that the CLI, the notebook
API and the batch runner share. ``Accounting`` records, per input, how every
physical line was counted, so that ``by_kind`` always sums to ``lines_read``,
and every bound of ``Limits`` an input met (``limits``), with its value.

One big plain file (``PARALLEL_BYTES`` or more, see ``read.chunks``) is read
in chunks on a process pool when ``jobs`` allows: each worker scans and
matches its byte range, and the chunks' events, line counts and unknown
records (as a ``Digest`` where the ``unknown`` hook offers one, as the
records themselves otherwise) are taken in file order, so that the events,
the accounting and what the hook learns are those of one pass. ``matching``
turns records into events for both reads; ``chunked`` is the pool, loaded
only when a file is big enough for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ..limits import DEFAULT_LIMITS, Limits
from ..model import Event, InputReport, LimitHit, LineKind, Record
from ..patterns import PatternSet, Timeouts, load_patterns
from ..read.framing import frame_lines
from ..read.scan import scan_records
from ..read.sources import Discovery, Source, iter_sources
from .matching import KINDS, MAX_REMEMBERED_MISSES, Matched, Unknown, match_records, repeats_of

PARALLEL_BYTES = 16 << 20
"""A plain file this big or bigger is read in chunks on a process pool (when ``jobs`` is more than one). Measured
on two cores (medians of 3, README's Speed): at 11 MiB the pool about breaks even (its start and the wait for the
first chunk eat the gain); at 22 MiB ``analyze`` takes ~0.75 of one pass's time and ``parse --stats`` ~0.85.
The pool's own module (``events.chunked``) and its stack are loaded only for such a file."""

__all__ = [
    "KINDS",
    "MAX_REMEMBERED_MISSES",
    "PARALLEL_BYTES",
    "Accounting",
    "Progress",
    "Replaying",
    "Unknown",
    "available_cpus",
    "iter_events",
]


ESCAPE_WARNING = "the member's name escapes the archive (../ or absolute): read under its label, never extracted"


class Replaying(Protocol):
    """An ``unknown`` hook that can learn a chunk's unknown records from a summary made in a worker process.

    ``digester()`` gives a picklable factory of empty summaries (each is
    called like the hook, with every unknown record of one chunk);
    ``replay(summary)`` takes one in, in file order, and returns ``False``
    (having taken nothing) when it cannot stand for its records: then that
    chunk and the rest of the file are read in this process, in one pass,
    with the hook itself.
    ``mining.miner.Miner`` is one.
    """

    def __call__(self, record: Record, detail: tuple[str, ...] = ()) -> None: ...

    def digester(self) -> Callable[[], Unknown]: ...

    def replay(self, digest: Any) -> bool: ...


Progress = Callable[[str, int | None], AbstractContextManager[Callable[[int], object] | None]]
"""Given a source's name and size in bytes (``None`` when unknown), a context around its reading whose value is
told the bytes read so far after each read (the CLI's progress bar); ``None`` as the value means not to tell."""


@dataclass(slots=True)
class Accounting:
    """How every input and every physical line of a run was handled. Filled while events stream."""

    inputs: list[InputReport] = field(default_factory=list)
    discovery: Discovery = field(default_factory=Discovery)

    @property
    def lines_read(self) -> int:
        """Physical lines read across all inputs."""
        return sum(report.lines for report in self.inputs)

    def by_kind(self) -> dict[str, int]:
        """Lines per kind across all inputs; the values sum to ``lines_read``."""
        totals = dict.fromkeys(KINDS, 0)
        for report in self.inputs:
            for kind, count in report.by_kind.items():
                totals[kind] += count
        return totals

    def problems(self) -> list[InputReport]:
        """Inputs that were skipped or could not be read to the end (not those ignored for their names)."""
        return [report for report in self.inputs if report.status not in ("ok", "ignored")]

    def ignored(self) -> list[InputReport]:
        """Files and archive members not opened because their names are not a log's, with the reason."""
        return [report for report in self.inputs if report.status == "ignored"]

    def limit_hits(self) -> list[LimitHit]:
        """Every bound an input met, in reading order."""
        return [hit for report in self.inputs for hit in report.limits]

    def to_dict(self) -> dict[str, Any]:
        """The machine-readable accounting (``parse --stats --format json``, ``analyze``'s ``stats``)."""
        return {
            "lines_read": self.lines_read,
            "by_kind": self.by_kind(),
            "cut_lines": sum(report.cut_lines for report in self.inputs),
            "replacements": sum(report.replacements for report in self.inputs),
            "limits": [hit.to_dict() for hit in self.limit_hits()],
            "inputs": [report.to_dict() for report in self.inputs],
            "ignored_files": [label for label, _ in self.discovery.ignored],
            "minidumps": [
                {
                    "source": d.source,
                    "time": d.time.isoformat() if d.time else None,
                    "size": d.size,
                    "kind": d.kind,
                    "process": d.process,
                    "reason": d.reason,
                }
                for d in self.discovery.minidumps
            ],
        }


def iter_events(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    patterns: PatternSet | None = None,
    pattern_dirs: Iterable[str | os.PathLike[str]] = (),
    accounting: Accounting | None = None,
    max_line: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
    unknown: Unknown | None = None,
    keep_levels: Iterable[str] = (),
    keep_literals: Iterable[str] = (),
    fast: bool = True,
    progress: Progress | None = None,
    jobs: int | None = None,
) -> Iterator[Event]:
    """Stream the events of every input under ``paths`` in reading order.

    ``paths`` are files, folders, archives or ``"-"`` (stdin). Pass an
    ``Accounting`` to learn how each input and line was handled; unreadable
    inputs are recorded there, never raised. ``PatternError`` is raised
    before reading when a pattern folder is invalid. ``limits`` bounds
    every input (``max_line``, when given, overrides ``limits.max_line``).
    ``fast=False`` reads line by line (``frame_lines``), the reference the
    fast block scanner is tested against; both give the same events and
    accounting.

    For template mining (``mining.miner.Miner``): ``unknown`` is called with
    every record that was built but that no pattern recognised;
    ``keep_levels`` also builds header records at those levels that fail
    the literal gate (see ``framing.frame_lines``); ``keep_literals`` widens
    the gate by these literals, so that lines naming a Qoder component are
    built too. None of this changes how a line is counted.

    ``progress`` (see ``Progress``) is opened around the reading of each
    source and told the bytes read; it changes nothing else.

    ``jobs`` is how many processes may read one big plain file in chunks
    (``PARALLEL_BYTES``); ``None`` means the CPUs this process may use, ``1``
    one pass always. Either way the events, the accounting and what
    ``unknown`` is told are the same (an ``unknown`` hook that is not
    ``Replaying`` is sent each chunk's records); ``fast=False`` never uses
    a pool.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    library = patterns if patterns is not None else load_patterns(pattern_dirs)
    tally = accounting if accounting is not None else Accounting()
    discovery = tally.discovery
    reported = (0, 0)
    literals = tuple(keep_literals)
    levels = frozenset(keep_levels)
    workers = available_cpus() if jobs is None else jobs
    for source in iter_sources(paths, discovery, max_line=max_line, limits=limits):
        reported = _report_failures(tally, reported)
        with progress(source.name, source.size) if progress is not None else nullcontext() as advance:
            source.progress = advance
            yield from _source_events(
                source,
                library,
                tally,
                limits=limits,
                unknown=unknown,
                keep_levels=levels,
                keep_literals=literals,
                fast=fast,
                jobs=workers,
            )
    _report_failures(tally, reported)


def available_cpus() -> int:
    """The CPUs this process may run on (``jobs=None``)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _report_failures(tally: Accounting, reported: tuple[int, int]) -> tuple[int, int]:
    """Inputs for the failures and ignored files found since ``reported`` (counts so far of each)."""
    discovery = tally.discovery
    failures, ignored = discovery.failures, discovery.ignored
    for path, reason in failures[reported[0] :]:
        hits = tuple(hit for hit in discovery.limits if hit.input == path and hit.describe() in reason)
        tally.inputs.append(_unread(path, "error", reason, hits))
    for label, reason in ignored[reported[1] :]:
        tally.inputs.append(_unread(label, "ignored", reason, ()))
    return len(failures), len(ignored)


def _unread(source: str, status: str, reason: str, hits: tuple[LimitHit, ...]) -> InputReport:
    return InputReport(
        source=source,
        container=None,
        encoding=None,
        size=None,
        lines=0,
        by_kind=dict.fromkeys(KINDS, 0),
        replacements=0,
        cut_lines=0,
        status=status,
        reason=reason,
        limits=hits,
    )


def _source_events(
    source: Source,
    library: PatternSet,
    tally: Accounting,
    *,
    limits: Limits,
    unknown: Unknown | None,
    keep_levels: frozenset[str],
    keep_literals: tuple[str, ...],
    fast: bool,
    jobs: int = 1,
) -> Iterator[Event]:
    counts: dict[str, int] = dict.fromkeys(KINDS, 0)
    span: dict[str, datetime | None] = {}
    framing_hits: dict[str, int] = {}
    pasted: dict[str, int] = {}
    timeouts = Timeouts(seconds=limits.regex_timeout_s, limit=limits.max_regex_timeouts)
    matched = Matched()
    try:
        plan = None
        if fast and jobs > 1 and source.path is not None and (source.size or 0) >= PARALLEL_BYTES:
            from . import chunked  # startup: the pool and its stack (multiprocessing, ~15 ms) only for a big file

            plan = chunked.plan(source, library, limits, jobs)
        if plan is not None:
            job = chunked.Job(
                path=plan.path,
                name=source.name,
                library=library,
                limits=limits,
                keep_levels=keep_levels,
                keep_literals=keep_literals,
                digester=chunked.digester_of(unknown),
            )
            parts = chunked.Parts(counts=counts, span=span, framing_hits=framing_hits, pasted=pasted, matched=matched)
            try:
                yield from chunked.chunked_events(source, plan, job, parts, unknown, jobs)
            except chunked.NotFramed:  # the first chunk still read pastes at its end: read in one pass after all
                plan = None
        if plan is None:
            reading = {
                "recognises": lambda record: library.recognises(record, timeouts),
                "counts": counts,
                "span": span,
                "keep_levels": keep_levels,
                "max_json_depth": limits.max_json_depth,
                "limit_hits": framing_hits,
                "pasted": pasted,
            }
            if fast:
                records = scan_records(
                    source, library, keep_literals=keep_literals, repeats=repeats_of(unknown), **reading
                )
            else:
                records = frame_lines(
                    source.lines(), source=source.name, is_candidate=library.gate_with(keep_literals), **reading
                )
            yield from match_records(records, library, timeouts, unknown, matched)
    finally:
        state = source.state
        counts[LineKind.EVENT] += matched.events
        counts[LineKind.UNRECOGNISED] += matched.unrecognised
        if state.status == "skipped":
            counts[LineKind.SKIPPED] += state.lines
        tally.inputs.append(
            InputReport(
                source=source.name,
                container=source.container,
                encoding=state.encoding,
                size=state.size,
                lines=state.lines,
                by_kind=counts,
                replacements=state.replacements,
                cut_lines=state.cut_lines,
                status=state.status,
                reason=state.reason,
                first_time=span.get("first"),
                last_time=span.get("last"),
                limits=(*state.limits, *_framing_hits(source.name, framing_hits, timeouts, limits)),
                prefix_stripped=pasted.get("lines", 0),
                warning=ESCAPE_WARNING if source.name in tally.discovery.escapes else None,
            )
        )


def _framing_hits(name: str, framing: dict[str, int], timeouts: Timeouts, limits: Limits) -> list[LimitHit]:
    """The bounds met past the reader: JSON lines nested too deep, user regexes out of time."""
    hits = []
    deep = framing.get("max_json_depth", 0)
    if deep:
        hits.append(
            LimitHit(
                input=name,
                limit="max_json_depth",
                allowed=limits.max_json_depth,
                value=None,
                count=deep,
                detail=f"{deep} JSON line(s) nested deeper were not parsed as JSON; still counted",
            )
        )
    for pattern_id, count in timeouts.counts.items():
        gave_up = "; not tried again on this input" if count >= timeouts.limit else ""
        hits.append(
            LimitHit(
                input=name,
                limit="regex_timeout_s",
                allowed=timeouts.seconds,
                value=None,
                count=count,
                detail=f"pattern {pattern_id} ran out of time {count} time(s){gave_up}",
            )
        )
    return hits
