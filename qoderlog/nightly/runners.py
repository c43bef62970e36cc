"""The nightly run: an inbox → its new uploads analysed (a local process pool or Dask) → warehouse parts."""

from __future__ import annotations

import hashlib
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..limits import Limits

if TYPE_CHECKING:
    pass
from .inbox import describe_upload, find_uploads
from .schema import rows_table
from .warehouse import BatchSummary, Upload, UploadResult, Warehouse
from .worker import analyse_upload, analyse_uploads

Progress = Callable[[BatchSummary], None]


class _Reporter:
    """Progress: a tqdm bar on a terminal, a plain line every few seconds otherwise."""

    def __init__(self, total: int, *, stream: Any = None, every_s: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.bar = None
        self.total = total
        self.every_s = every_s
        self.last = time.monotonic()
        self.started = self.last
        if self.stream.isatty():
            from tqdm import tqdm  # tqdm only on a terminal

            self.bar = tqdm(total=total, unit="upload", file=self.stream, dynamic_ncols=True)

    def advance(self, summary: BatchSummary, count: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(count)
            return
        now = time.monotonic()
        if now - self.last >= self.every_s:
            self.last = now
            elapsed = now - self.started
            done = summary.analysed + summary.skipped
            rate = summary.analysed / elapsed if elapsed > 0 else 0.0
            left = (self.total - done) / rate if rate > 0 else float("nan")
            print(
                f"batch: {done}/{self.total} uploads ({summary.failed} failed, {summary.quarantined} quarantined), "
                f"{rate:.1f}/s, ETA {left:.0f} s",
                file=self.stream,
                flush=True,
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_batch(
    inbox: str | os.PathLike[str],
    warehouse: str | os.PathLike[str],
    *,
    workers: int | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    since: date | None = None,
    run_date: date | None = None,
    limits: Limits | None = None,
    keep_events: bool = False,
    commit_every: int = 100,
    progress_stream: Any = None,
    ledger: str | os.PathLike[str] | None = None,
) -> BatchSummary:
    """Analyse every new upload of ``inbox`` into ``warehouse``; resumable, exactly once per upload.

    ``inbox`` and ``warehouse`` are local paths or fsspec URLs; ``ledger`` is the local SQLite ledger
    (``storage.default_ledger`` by default)."""
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}", hint=f"engines: {', '.join(ENGINES)}")
    limits = limits or Limits()
    day = (run_date or date.today()).isoformat()
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    started = time.monotonic()
    store = Warehouse(warehouse, create=True, ledger=ledger)
    try:
        store.start_run(run_id, day, str(inbox), engine)
        summary = BatchSummary(run_id=run_id, run_date=day)
        known = store.done_ids()
        tasks: list[Upload] = []
        early: list[UploadResult] = []
        for path, meta in find_uploads(inbox, since=since):
            summary.found += 1
            described = describe_upload(path, meta)
            if isinstance(described, str):
                early.append(_unreadable(path, described))
                continue
            if described.upload_id in known:
                summary.skipped += 1
                continue
            known.add(described.upload_id)
            tasks.append(described)
        reporter = _Reporter(len(tasks) + len(early), stream=progress_stream)
        pending: list[UploadResult] = []

        def collect(result: UploadResult) -> None:
            pending.append(result)
            setattr(summary, result.status, getattr(summary, result.status) + 1)
            reporter.advance(summary)
            if len(pending) >= commit_every:
                store.commit(pending, run_id=run_id, run_date=day, keep_events=keep_events)
                pending.clear()

        def prepare() -> None:
            # What the first commit needs and the workers do not (~0.7 s of imports and file listing), done while
            # they start on their first uploads.
            store.reconcile()
            _warm_writer()
            for result in early:
                collect(result)

        ENGINES[engine](tasks, limits, keep_events, collect, prepare, workers or os.cpu_count() or 1, scheduler)
        if pending:
            store.commit(pending, run_id=run_id, run_date=day, keep_events=keep_events)
        reporter.close()
        summary.seconds = round(time.monotonic() - started, 3)
        store.finish_run(summary)
        return summary
    finally:
        store.close()


def _warm_writer() -> None:
    """Load and exercise what committing a part needs, so the first commit does not wait for it."""
    rows_table("sessions", [])
    rows_table("uploads", [{"analysed_at": datetime.now(UTC).isoformat()}])


def _unreadable(path: str, reason: str) -> UploadResult:
    upload = Upload(upload_id="path:" + hashlib.sha256(str(path).encode()).hexdigest(), path=str(path), size=0, mtime=0)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return UploadResult(upload=upload, status="quarantined", reason=reason, analysed_at=now, duration_s=0.0)


CHUNK_UPLOADS = 8
"""Uploads per task handed to a worker: one message each way per few uploads instead of per upload."""
CHUNK_BYTES = 1 << 20
"""A task's uploads stop at this many bytes: a big upload goes alone, so that the last tasks of a night are short
and no worker is left with a long queue of its own while the others are done."""
IN_FLIGHT_PER_WORKER = 16
"""Tasks per worker queued or running: enough that workers keep going while the main process imports the part
writer (~0.6 s of CPU, once) or writes a part."""
MAX_WAITING = 1024
"""Analysed uploads held for an earlier one still running (results are committed in inbox order): a slow upload
(up to ``Limits.timeout_s``) holds back the commits, not the other workers, until this many wait; memory stays
flat (a result is a few rows, more with ``--keep-events``)."""

Engine = Callable[
    [list[Upload], Limits, bool, Callable[[UploadResult], None], Callable[[], None], int, "str | None"], None
]
"""``engine(tasks, limits, keep_events, collect, prepare, workers, scheduler)``: analyse ``tasks``, handing each
result to ``collect`` in the order of ``tasks``; ``prepare`` is called once, when the first tasks are handed out
and before the first result is collected."""


def _chunks(tasks: list[Upload]) -> Iterator[list[Upload]]:
    """``tasks`` in order, cut into runs of at most ``CHUNK_UPLOADS`` uploads and about ``CHUNK_BYTES``."""
    chunk: list[Upload] = []
    size = 0
    for task in tasks:
        if chunk and (len(chunk) >= CHUNK_UPLOADS or size + task.size > CHUNK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(task)
        size += task.size
    if chunk:
        yield chunk


def _windowed(
    tasks: list[Upload],
    window: int,
    submit: Callable[[list[Upload]], Any],
    first_done: Callable[[list[Any]], Any],
    collect: Callable[[UploadResult], None],
    prepare: Callable[[], None],
) -> None:
    """Analyse ``tasks`` in chunks (``_chunks``), at most ``window`` of them queued or running and ``MAX_WAITING``
    results held for an earlier chunk (memory stays flat), collecting every result in the order of ``tasks``.

    In order, so that what is committed — which uploads go in which part, the rows' order, the fleet template ids
    assigned part by part — is the same whatever the number of workers and whichever finished first.
    ``submit`` starts one chunk and returns its future (of the chunk's results); ``first_done`` waits for at least
    one of the futures and returns ``(done, not_done)`` — the shape of both ``concurrent.futures.wait`` and
    ``distributed.wait``.
    """
    numbered = enumerate(_chunks(tasks))
    running: dict[Any, tuple[int, list[Upload]]] = {}
    finished: dict[int, list[UploadResult]] = {}
    waiting = 0

    def refill() -> None:
        while len(running) < window and waiting < MAX_WAITING:
            item = next(numbered, None)
            if item is None:
                return
            running[submit(item[1])] = item

    refill()
    # In this thread: a thread importing while a pool forks can deadlock the children.
    prepare()
    following = 0
    while running:
        done, _ = first_done(list(running))
        for future in done:
            index, chunk = running.pop(future)
            finished[index] = _outcome(future, chunk)
            waiting += len(chunk)
        while following in finished:
            results = finished.pop(following)
            waiting -= len(results)
            for result in results:
                collect(result)
            following += 1
        refill()


def _local_engine(
    tasks: list[Upload],
    limits: Limits,
    keep_events: bool,
    collect: Callable[[UploadResult], None],
    prepare: Callable[[], None],
    workers: int,
    scheduler: str | None,
) -> None:
    """A process pool on this machine (no pool at all for one worker)."""
    if not tasks or workers <= 1:
        prepare()
        for task in tasks:
            collect(analyse_upload(task, limits, keep_events))
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        _windowed(
            tasks,
            workers * IN_FLIGHT_PER_WORKER,
            lambda chunk: pool.submit(analyse_uploads, chunk, limits, keep_events),
            lambda futures: wait(futures, return_when=FIRST_COMPLETED),
            collect,
            prepare,
        )


def _dask_engine(
    tasks: list[Upload],
    limits: Limits,
    keep_events: bool,
    collect: Callable[[UploadResult], None],
    prepare: Callable[[], None],
    workers: int,
    scheduler: str | None,
) -> None:
    """The same work on a Dask cluster: ``scheduler`` address, or a LocalCluster of ``workers`` processes."""
    if not tasks:
        prepare()
        return
    from dask.distributed import Client, LocalCluster  # dask is optional (the .[dask] extra), only for --engine dask
    from dask.distributed import wait as dask_wait  # dask is optional (the .[dask] extra), only for --engine dask

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        _windowed(
            tasks,
            max(workers, 1) * IN_FLIGHT_PER_WORKER,
            lambda chunk: client.submit(analyse_uploads, chunk, limits, keep_events, pure=False),
            lambda futures: dask_wait(futures, return_when="FIRST_COMPLETED"),
            collect,
            prepare,
        )
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


ENGINES: dict[str, Engine] = {"local": _local_engine, "dask": _dask_engine}


def _outcome(future: Future[list[UploadResult]], chunk: list[Upload]) -> list[UploadResult]:
    try:
        return future.result()
    except Exception as exc:
        return [_crashed(task, exc) for task in chunk]


def _crashed(task: Upload, exc: BaseException) -> UploadResult:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return UploadResult(
        upload=task,
        status="failed",
        reason=f"worker crashed: {type(exc).__name__}: {exc}",
        analysed_at=now,
        duration_s=0.0,
    )
