"""One big plain file read in chunks on a process pool, the result that of one pass (``qoderlog.events``).

``plan`` decides whether a big source (``events.PARALLEL_BYTES`` or more)
is read so (a plain file on disk, where processes can be forked) and where it is cut
(``read.chunks``); ``chunked_events`` gives its events in file order, adding
each chunk's line counts to the source's and handing the ``unknown`` hook
each chunk's digest (or records) in turn.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import InputError
from ..limits import Limits
from ..model import Event, Record
from ..patterns import PatternSet, Timeouts
from ..read.chunks import Chunk, ChunkPlan, plan_chunks
from ..read.framing import Done
from ..read.scan import scan_range
from ..read.sources import Source, SourceState, note_cut_lines
from .matching import KINDS, Matched, Unknown, match_records, repeats_of, timed

CHUNK_BYTES = 8 << 20
"""At most this many bytes per chunk: big enough that a chunk's start and results cost little against its
reading, small enough that the first events come soon and the workers finish together."""
CHUNKS_PER_WORKER = 4
"""A smaller file is cut into at least this many chunks per worker (of at least ``MIN_CHUNK_BYTES``), so that no
worker waits long for the last one."""
MIN_CHUNK_BYTES = 1 << 20
CHUNKS_AHEAD = 2
"""Chunks given to the pool per worker beyond the one being taken in: bounds the results held at once."""


def plan(source: Source, library: PatternSet, limits: Limits, jobs: int) -> ChunkPlan | None:
    """Where to cut ``source`` for a pool of ``jobs`` processes; ``None`` to read it in one pass.

    Asked only of a file of ``events.PARALLEL_BYTES`` or more: only a plain
    file whose bytes its input's budget covers whole; not with a pattern under a time bound; only where
    processes can be forked (not on Windows) and by a process that may
    start others (not a daemonic worker).
    """
    size = source.size
    if jobs < 2 or source.path is None or size is None or timed(library):
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
class Job:
    """What every worker reading one file's chunks knows, given once when the pool starts."""

    path: str
    name: str
    library: PatternSet
    limits: Limits
    keep_levels: frozenset[str]
    keep_literals: tuple[str, ...]
    digester: Callable[[], Unknown] | None


@dataclass(slots=True, kw_only=True)
class Parts:
    """The one source's accounting that the chunks are added to, in file order."""

    counts: dict[str, int]
    span: dict[str, datetime | None]
    framing_hits: dict[str, int]
    pasted: dict[str, int]
    matched: Matched


@dataclass(frozen=True, slots=True, kw_only=True)
class _ChunkRead:
    """What reading one chunk gave: its events, how its lines were counted, and its unknown records' digest."""

    events: list[Event]
    matched: Matched
    counts: dict[str, int]
    first: datetime | None
    last: datetime | None
    ended: dict[str, bool]
    state: SourceState
    too_deep: int
    pasted: int
    digest: Any


class NotFramed(Exception):
    """The first chunk ended still reading pastes: the later ones did not start as one pass stands there."""


class _Shipped:
    """The unknown records of one chunk themselves, for an ``unknown`` hook that cannot replay a digest."""

    def __init__(self) -> None:
        self.records: list[Done] = []

    def __call__(self, record: Record, detail: tuple[str, ...] = ()) -> None:
        self.records.append((record, detail))


def digester_of(unknown: Unknown | None) -> Callable[[], Unknown] | None:
    if unknown is None:
        return None
    digester = getattr(unknown, "digester", None)
    return digester() if digester is not None and hasattr(unknown, "replay") else _Shipped


_JOB: Job | None = None
"""The job of this worker process (set by ``_start_worker``)."""


def _start_worker(job: Job) -> None:
    global _JOB
    _JOB = job


def _read_chunk(chunk: Chunk) -> _ChunkRead:
    """A worker's task: read one chunk of the pool's file."""
    job = _JOB
    assert job is not None, "a chunk is read in a worker started by _start_worker"
    return _read(job, chunk, job.digester() if job.digester is not None else None)


def _read(job: Job, chunk: Chunk, unknown: Unknown | None) -> _ChunkRead:
    """Scan and match the bytes of ``chunk`` as one pass over the whole file would; unknown records to ``unknown``."""
    done: list[_ChunkRead] = []
    events = list(_reading(job, chunk, unknown, done))
    return dataclasses.replace(done[0], events=events)


def _reading(job: Job, chunk: Chunk, unknown: Unknown | None, done: list[_ChunkRead]) -> Iterator[Event]:
    """The events of ``chunk`` as they are read; at the end, how it was read (without the events) goes to ``done``."""
    library, limits = job.library, job.limits
    timeouts = Timeouts(seconds=limits.regex_timeout_s, limit=limits.max_regex_timeouts)
    counts: dict[str, int] = dict.fromkeys(KINDS, 0)
    span: dict[str, datetime | None] = {}
    hits: dict[str, int] = {}
    pasted: dict[str, int] = {}
    ended: dict[str, bool] = {}
    state = SourceState()
    matched = Matched()
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
        repeats=repeats_of(unknown),
    )
    yield from match_records(records, library, timeouts, unknown, matched)
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


def chunked_events(
    source: Source, plan: ChunkPlan, job: Job, parts: Parts, unknown: Unknown | None, jobs: int
) -> Iterator[Event]:
    """The events of ``source`` read in ``plan``'s chunks by ``jobs`` processes, taken in file order.

    Raises ``NotFramed``, having changed nothing, when the first chunk's
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
            pending.append((chunk, _submit(pool, chunk, source)))
            if len(pending) >= workers * (1 + CHUNKS_AHEAD):
                break
        while pending:
            chunk, future = pending.popleft()
            read = _result(future, source, chunk)
            following = next(chunks, None)
            if following is not None:
                pending.append((following, _submit(pool, following, source)))
            if chunk.index == 0:
                if read.ended.get("reads_pastes", True):
                    raise NotFramed
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


def _submit(pool: ProcessPoolExecutor, chunk: Chunk, source: Source) -> Future[_ChunkRead]:
    """Give ``chunk`` to the pool; a pool already broken by a dead worker is the same clear ``InputError``."""
    try:
        return pool.submit(_read_chunk, chunk)
    except BrokenProcessPool as exc:
        raise _failed(exc, source, chunk) from exc


def _result(future: Future[_ChunkRead], source: Source, chunk: Chunk) -> _ChunkRead:
    """A chunk's reading, or an ``InputError`` saying which chunk failed and how."""
    try:
        return future.result()
    except Exception as exc:
        raise _failed(exc, source, chunk) from exc


def _failed(exc: Exception, source: Source, chunk: Chunk) -> InputError:
    """The ``InputError`` for a chunk whose worker raised, or whose pool a dead worker broke."""
    where = f"bytes {chunk.start}-{chunk.end if chunk.end is not None else 'end'}"
    said = (
        f"a process reading {where} of this file in chunks stopped ({exc})"
        if isinstance(exc, BrokenProcessPool)
        else f"reading {where} of this file in a worker process failed: {type(exc).__name__}: {exc}"
    )
    return InputError(said, path=source.name, hint="read it in one process: --jobs 1 (jobs=1)")


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


def _add(parts: Parts, state: SourceState, read: _ChunkRead) -> None:
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
