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
the accounting and what the hook learns are those of one pass.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from .errors import InputError
from .limits import DEFAULT_LIMITS, Limits
from .model import Event, InputReport, LimitHit, LineKind, Record
from .patterns import PatternSet, Timeouts, load_patterns
from .read.chunks import Chunk, ChunkPlan, plan_chunks
from .read.framing import Done, frame_lines
from .read.scan import scan_range, scan_records
from .read.sources import Discovery, Source, SourceState, iter_sources, note_cut_lines

KINDS: tuple[str, ...] = tuple(kind.value for kind in LineKind)

ESCAPE_WARNING = "the member's name escapes the archive (../ or absolute): read under its label, never extracted"

MAX_REMEMBERED_MISSES = 65_536
"""Distinct messages per source remembered as matching no pattern (each is then not tried again)."""

Unknown = Callable[[Record, tuple[str, ...]], None]
"""Called with every yielded record (and its continuation lines) that no pattern recognised."""

PARALLEL_BYTES = 16 << 20
"""A plain file this big or bigger is read in chunks on a process pool (when ``jobs`` is more than one). Measured
on two cores (medians of 3, README's Speed): at 11 MiB the pool about breaks even (its start and the wait for the
first chunk eat the gain); at 22 MiB ``analyze`` takes ~0.75 of one pass's time and ``parse --stats`` ~0.85."""
CHUNK_BYTES = 8 << 20
"""At most this many bytes per chunk: big enough that a chunk's start and results cost little against its
reading, small enough that the first events come soon and the workers finish together."""
CHUNKS_PER_WORKER = 4
"""A smaller file is cut into at least this many chunks per worker (of at least ``MIN_CHUNK_BYTES``), so that no
worker waits long for the last one."""
MIN_CHUNK_BYTES = 1 << 20
CHUNKS_AHEAD = 2
"""Chunks given to the pool per worker beyond the one being taken in: bounds the results held at once."""


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
                {"source": d.source, "time": d.time.isoformat() if d.time else None, "size": d.size}
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


@dataclass(slots=True)
class _Matched:
    """How many of a source's records became events, and how many no pattern recognised."""

    events: int = 0
    unrecognised: int = 0


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
    matched = _Matched()
    try:
        plan = _plan(source, library, limits, jobs) if fast else None
        if plan is not None:
            job = _Job(
                path=plan.path,
                name=source.name,
                library=library,
                limits=limits,
                keep_levels=keep_levels,
                keep_literals=keep_literals,
                digester=_digester(unknown),
            )
            parts = _Parts(counts=counts, span=span, framing_hits=framing_hits, pasted=pasted, matched=matched)
            try:
                yield from _chunked_events(source, plan, job, parts, unknown, jobs)
            except _NotFramed:  # the first chunk still read pastes at its end: read in one pass after all
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
                records = scan_records(source, library, keep_literals=keep_literals, **reading)
            else:
                records = frame_lines(
                    source.lines(), source=source.name, is_candidate=library.gate_with(keep_literals), **reading
                )
            yield from _matched(records, library, timeouts, unknown, matched)
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


def _matched(
    records: Iterable[Done], library: PatternSet, timeouts: Timeouts, unknown: Unknown | None, matched: _Matched
) -> Iterator[Event]:
    """The events of a source's records, in order; the others go to ``unknown``; both are counted in ``matched``."""
    match = library.match
    # Whether a record is recognised depends on its message alone while no pattern runs under a time bound
    # (user patterns do): then a message no pattern matched is not tried again. Most such records are the
    # warnings kept for mining, repeated many times; a message that matched is always matched again.
    misses: set[str] | None = None if _timed(library) else set()
    for record, detail in records:
        if misses is not None and record.message in misses:
            event = None
        else:
            event = match(record, detail, timeouts)
            if event is None and misses is not None and len(misses) < MAX_REMEMBERED_MISSES:
                misses.add(record.message)
        if event is None:
            matched.unrecognised += 1
            if unknown is not None:
                unknown(record, detail)
        else:
            matched.events += 1
            yield event


def _timed(library: PatternSet) -> bool:
    """Whether a pattern runs under a time bound (whose give-ups per source depend on the order of its lines)."""
    return any(p.timeout is not None for p in library.patterns)


# --------------------------------------------------------------------------- one big file on a process pool


def _plan(source: Source, library: PatternSet, limits: Limits, jobs: int) -> ChunkPlan | None:
    """Where to cut ``source`` for a pool of ``jobs`` processes; ``None`` to read it in one pass.

    Only a plain file of ``PARALLEL_BYTES`` or more whose bytes its input's
    budget covers whole; not with a pattern under a time bound; only where
    processes can be forked (not on Windows) and by a process that may
    start others (not a daemonic worker).
    """
    size = source.size
    if jobs < 2 or source.path is None or size is None or size < PARALLEL_BYTES or _timed(library):
        return None
    if "fork" not in multiprocessing.get_all_start_methods():
        return None  # workers get the compiled patterns by fork: they do not pickle (Aho-Corasick automata)
    if multiprocessing.current_process().daemon:
        return None  # a daemonic process (a multiprocessing.Pool or Dask worker) may not start processes
    budget = source.budget
    if size > limits.max_bytes or (budget is not None and budget.allowed - budget.used < size):
        return None
    try:
        return plan_chunks(
            source.path,
            chunk_bytes=min(CHUNK_BYTES, max(size // (jobs * CHUNKS_PER_WORKER), MIN_CHUNK_BYTES)),
            max_line=source.max_line,
            max_json_depth=limits.max_json_depth,
        )
    except OSError:
        return None  # the one pass meets it too, and reports it


@dataclass(frozen=True, slots=True, kw_only=True)
class _Job:
    """What every worker reading one file's chunks knows, given once when the pool starts."""

    path: str
    name: str
    library: PatternSet
    limits: Limits
    keep_levels: frozenset[str]
    keep_literals: tuple[str, ...]
    digester: Callable[[], Unknown] | None


@dataclass(slots=True, kw_only=True)
class _Parts:
    """The one source's accounting that the chunks are added to, in file order."""

    counts: dict[str, int]
    span: dict[str, datetime | None]
    framing_hits: dict[str, int]
    pasted: dict[str, int]
    matched: _Matched


@dataclass(frozen=True, slots=True, kw_only=True)
class _ChunkRead:
    """What reading one chunk gave: its events, how its lines were counted, and its unknown records' digest."""

    events: list[Event]
    matched: _Matched
    counts: dict[str, int]
    first: datetime | None
    last: datetime | None
    ended: dict[str, bool]
    state: SourceState
    too_deep: int
    pasted: int
    digest: Any


class _NotFramed(Exception):
    """The first chunk ended still reading pastes: the later ones did not start as one pass stands there."""


class _Shipped:
    """The unknown records of one chunk themselves, for an ``unknown`` hook that cannot replay a digest."""

    def __init__(self) -> None:
        self.records: list[Done] = []

    def __call__(self, record: Record, detail: tuple[str, ...] = ()) -> None:
        self.records.append((record, detail))


def _digester(unknown: Unknown | None) -> Callable[[], Unknown] | None:
    if unknown is None:
        return None
    digester = getattr(unknown, "digester", None)
    return digester() if digester is not None and hasattr(unknown, "replay") else _Shipped


_JOB: _Job | None = None
"""The job of this worker process (set by ``_start_worker``)."""


def _start_worker(job: _Job) -> None:
    global _JOB
    _JOB = job


def _read_chunk(chunk: Chunk) -> _ChunkRead:
    """A worker's task: read one chunk of the pool's file."""
    job = _JOB
    assert job is not None, "a chunk is read in a worker started by _start_worker"
    return _read(job, chunk, job.digester() if job.digester is not None else None)


def _read(job: _Job, chunk: Chunk, unknown: Unknown | None) -> _ChunkRead:
    """Scan and match the bytes of ``chunk`` as one pass over the whole file would; unknown records to ``unknown``."""
    done: list[_ChunkRead] = []
    events = list(_reading(job, chunk, unknown, done))
    return dataclasses.replace(done[0], events=events)


def _reading(job: _Job, chunk: Chunk, unknown: Unknown | None, done: list[_ChunkRead]) -> Iterator[Event]:
    """The events of ``chunk`` as they are read; at the end, how it was read (without the events) goes to ``done``."""
    library, limits = job.library, job.limits
    timeouts = Timeouts(seconds=limits.regex_timeout_s, limit=limits.max_regex_timeouts)
    counts: dict[str, int] = dict.fromkeys(KINDS, 0)
    span: dict[str, datetime | None] = {}
    hits: dict[str, int] = {}
    pasted: dict[str, int] = {}
    ended: dict[str, bool] = {}
    state = SourceState()
    matched = _Matched()
    records = scan_range(
        job.path,
        chunk.start,
        chunk.end,
        lines_before=chunk.lines_before,
        framed=chunk.index > 0,
        source=job.name,
        library=library,
        state=state,
        max_line=limits.max_line,
        counts=counts,
        span=span,
        keep_levels=job.keep_levels,
        keep_literals=job.keep_literals,
        recognises=lambda record: library.recognises(record, timeouts),
        max_json_depth=limits.max_json_depth,
        limit_hits=hits,
        pasted=pasted,
        ended=ended,
    )
    yield from _matched(records, library, timeouts, unknown, matched)
    done.append(
        _ChunkRead(
            events=[],
            matched=matched,
            counts=counts,
            first=span.get("first"),
            last=span.get("last"),
            ended=ended,
            state=state,
            too_deep=hits.get("max_json_depth", 0),
            pasted=pasted.get("lines", 0),
            digest=unknown,
        )
    )


def _chunked_events(
    source: Source, plan: ChunkPlan, job: _Job, parts: _Parts, unknown: Unknown | None, jobs: int
) -> Iterator[Event]:
    """The events of ``source`` read in ``plan``'s chunks by ``jobs`` processes, taken in file order.

    Raises ``_NotFramed``, having changed nothing, when the first chunk's
    reader still read pastes at its end.
    """
    chunks = plan.chunks()
    workers = jobs
    # Forked workers inherit the compiled patterns (and the job) as they are: nothing is pickled or loaded again.
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(job,))
    pending: deque[tuple[Chunk, Future[_ChunkRead]]] = deque()
    state = source.state
    try:
        for chunk in chunks:
            pending.append((chunk, pool.submit(_read_chunk, chunk)))
            if len(pending) >= workers * (1 + CHUNKS_AHEAD):
                break
        while pending:
            chunk, future = pending.popleft()
            read = _result(future, source, chunk)
            following = next(chunks, None)
            if following is not None:
                pending.append((following, pool.submit(_read_chunk, following)))
            if chunk.index == 0:
                if read.ended.get("reads_pastes", True):
                    raise _NotFramed
                _start_state(source, plan)
            if read.digest is not None and unknown is not None and not _replay(unknown, read.digest):
                # The digest cannot stand for its records (the miner judged a message otherwise, or its caches are
                # full, so that it judges record by record): this chunk and the rest are read here, in one pass.
                pool.shutdown(wait=False, cancel_futures=True)
                pending.clear()
                rest = Chunk(index=chunk.index, start=chunk.start, end=None, lines_before=chunk.lines_before)
                done: list[_ChunkRead] = []
                yield from _reading(job, rest, unknown, done)
                _add(parts, state, done[0])
                if source.progress is not None:
                    source.progress(source.size or 0)
                break
            _add(parts, state, read)
            if source.progress is not None:
                source.progress(chunk.end if chunk.end is not None else source.size or 0)
            yield from read.events
            if state.status != "ok":
                break  # a read error ends the source where it ended the chunk, as in one pass
    finally:
        chunks.close()
        pool.shutdown(wait=True, cancel_futures=True)
        if state.encoding is not None:
            note_cut_lines(source)


def _result(future: Future[_ChunkRead], source: Source, chunk: Chunk) -> _ChunkRead:
    """A chunk's reading, or an ``InputError`` saying which chunk failed and how."""
    where = f"bytes {chunk.start}-{chunk.end if chunk.end is not None else 'end'}"
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise InputError(
            f"a process reading {where} of this file in chunks stopped ({exc})",
            path=source.name,
            hint="read it in one process: --jobs 1 (jobs=1)",
        ) from exc
    except Exception as exc:
        raise InputError(
            f"reading {where} of this file in a worker process failed: {type(exc).__name__}: {exc}",
            path=source.name,
            hint="read it in one process: --jobs 1 (jobs=1)",
        ) from exc


def _start_state(source: Source, plan: ChunkPlan) -> None:
    """What opening the file sets in one pass: its size and encoding, and its bytes against the input's budget."""
    state = source.state
    state.size = source.size
    state.encoding = plan.encoding
    size = source.size or 0
    if source.budget is not None:
        source.budget.used += size
    if source.packed is not None:
        source.packed.given += size


def _replay(unknown: Unknown, digest: Any) -> bool:
    if isinstance(digest, _Shipped):
        for record, detail in digest.records:
            unknown(record, detail)
        return True
    return bool(unknown.replay(digest))  # type: ignore[attr-defined]


def _add(parts: _Parts, state: SourceState, read: _ChunkRead) -> None:
    """Add one chunk's accounting to the source's, the chunk after the ones added before it."""
    for kind, count in read.counts.items():
        parts.counts[kind] += count
    parts.matched.events += read.matched.events
    parts.matched.unrecognised += read.matched.unrecognised
    span = parts.span
    if read.ended.get("first") and "first" not in span:
        span["first"] = read.first  # the first dated header of the file is the first chunk's that has one
    if read.ended.get("last"):
        span["last"] = read.last
    if read.too_deep:
        parts.framing_hits["max_json_depth"] = parts.framing_hits.get("max_json_depth", 0) + read.too_deep
    if read.pasted:
        parts.pasted["lines"] = parts.pasted.get("lines", 0) + read.pasted
    chunk = read.state
    state.lines = chunk.lines
    state.replacements += chunk.replacements
    state.cut_lines += chunk.cut_lines
    state.longest_line = max(state.longest_line, chunk.longest_line)
    if chunk.status != "ok":
        state.status, state.reason = chunk.status, chunk.reason


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
