"""The nightly batch: an inbox of uploads → a warehouse of Parquet datasets and a SQLite ledger.

Each file, folder or archive directly under the inbox (or each path of a
manifest CSV) is one *upload*, identified by the SHA-256 of its content, so
a re-upload is analysed once. Uploads are analysed in parallel — a local
process pool by default, or a Dask cluster — and their rows are committed
in parts with an exactly-once protocol, so a run killed at any moment and
started again finishes the rest with nothing twice and nothing missing:

1. write the part files under hidden temporary names and fsync them;
2. in one SQLite transaction, record the part and mark its uploads done;
3. rename the temporary files to their final names.

On start, ``Warehouse.reconcile`` finishes step 3 for committed parts and
deletes temporary files of parts that never committed. Readers only ever see
final names (pyarrow and pandas ignore dot-files), so every row they read is
committed exactly once.

Warehouse layout::

    WAREHOUSE/ledger.sqlite
    WAREHOUSE/{uploads,sessions,findings,templates[,events]}/run_date=YYYY-MM-DD/part-<run>-<n>.parquet

``templates`` holds each upload's unknown templates (``templates.Miner``)
under a fleet-wide ``template_id`` from the warehouse's own Drain3 miner
(``templates.TemplateRegistry``), whose state is saved in the ledger in the
same transaction as the part that used it (step 2): a template keeps its id
from night to night, and a killed run never leaves ids for rows that were
not committed.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import sqlite3
import stat
import sys
import tarfile
import threading
import time
import traceback
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..limits import Limits
from ..read.sources import ARCHIVE_ERRORS

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from ..mining.miner import TemplateRegistry

DATASETS = ("uploads", "sessions", "findings", "templates", "events")
STATUSES = ("done", "failed", "quarantined")
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class Upload:
    """One upload to analyse: its content id, where it is, how big, when it arrived."""

    upload_id: str
    path: str
    size: int
    mtime: float


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadResult:
    """What analysing one upload gave: its status and reason, and the rows for the warehouse."""

    upload: Upload
    status: str
    reason: str | None
    analysed_at: str
    duration_s: float
    summary: Mapping[str, Any] = field(default_factory=dict)
    sessions: tuple[Mapping[str, Any], ...] = ()
    findings: tuple[Mapping[str, Any], ...] = ()
    events: tuple[Mapping[str, Any], ...] = ()
    templates: tuple[Mapping[str, Any], ...] = ()


@dataclass(slots=True, kw_only=True)
class BatchSummary:
    """The end of a run: counts, time and throughput."""

    run_id: str
    run_date: str
    found: int = 0
    done: int = 0
    failed: int = 0
    quarantined: int = 0
    skipped: int = 0
    seconds: float = 0.0

    @property
    def analysed(self) -> int:
        """Uploads analysed in this run, whatever their outcome."""
        return self.done + self.failed + self.quarantined

    def line(self) -> str:
        """One line for the log: what happened, how long, how fast."""
        rate = self.analysed / self.seconds if self.seconds > 0 else 0.0
        return (
            f"batch {self.run_date}: {self.found} uploads found, {self.done} done, {self.skipped} skipped "
            f"(already analysed), {self.failed} failed, {self.quarantined} quarantined in {self.seconds:.1f} s "
            f"({rate:.1f} uploads/s)"
        )


# --- finding the uploads -------------------------------------------------------------------


def content_id(path: Path) -> str:
    """SHA-256 of a file's bytes, or of a folder's sorted (relative path, file hash) pairs."""
    digest = hashlib.sha256()
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink()):
            digest.update(str(child.relative_to(path)).encode("utf-8", "surrogateescape") + b"\0")
            digest.update(content_id(child).encode() + b"\n")
        return digest.hexdigest()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def find_uploads(inbox: Path, *, since: date | None = None) -> Iterator[Path]:
    """The upload paths of an inbox folder (its direct children) or of a manifest CSV (column ``path``)."""
    if inbox.is_file() and inbox.suffix.lower() == ".csv":
        with open(inbox, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or "path" not in reader.fieldnames:
                raise UsageError("a manifest CSV needs a 'path' column", path=str(inbox))
            candidates = [(inbox.parent / row["path"]) for row in reader if row.get("path")]
    elif inbox.is_dir():
        candidates = sorted(p for p in inbox.iterdir() if not p.name.startswith("."))
    else:
        raise UsageError("the inbox must be a folder or a manifest .csv", path=str(inbox))
    for path in candidates:
        if since is not None:
            try:
                if datetime.fromtimestamp(path.lstat().st_mtime).date() < since:
                    continue
            except OSError:
                pass
        yield path


def describe_upload(path: Path) -> Upload | str:
    """The ``Upload`` for a path, or the reason it cannot be one (missing, unreadable, a link)."""
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            return "the upload is a symbolic link"
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
            return "the upload is not a regular file or folder"
        return Upload(upload_id=content_id(path), path=str(path), size=info.st_size, mtime=info.st_mtime)
    except OSError as exc:
        return f"cannot read the upload: {exc.strerror or exc}"


# --- limits ----------------------------------------------------------------------------------


def archive_violation(path: Path, limits: Limits) -> str | None:
    """Why an upload must be quarantined before it is read (archive limits, links, escaping paths), or ``None``."""
    try:
        if path.is_dir():
            return _folder_violation(path, limits)
        size = path.stat().st_size
        if size == 0:
            return "empty upload (0 bytes)"
        name = path.name.lower()
        if name.endswith(".zip") or (not name.endswith((".tar", ".tar.gz", ".tgz")) and zipfile.is_zipfile(path)):
            return _zip_violation(path, size, limits) if zipfile.is_zipfile(path) else "corrupt zip archive"
        if name.endswith((".tar", ".tar.gz", ".tgz")):
            return _tar_violation(path, size, limits)
    except ARCHIVE_ERRORS as exc:
        return f"unreadable archive: {exc}"
    return None


def _unsafe_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts


def _zip_violation(path: Path, size: int, limits: Limits) -> str | None:
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            return f"max_members: too many archive members: {len(members)} > limit {limits.max_members}"
        total = 0
        for member in members:
            if _unsafe_name(member.filename):
                return f"archive member escapes the archive: {member.filename!r}"
            if stat.S_ISLNK(member.external_attr >> 16):
                return f"archive member is a symbolic link: {member.filename!r}"
            total += member.file_size
            if member.compress_size and member.file_size / member.compress_size > limits.max_ratio:
                ratio = member.file_size / member.compress_size
                return (
                    f"max_ratio: compression ratio {ratio:.0f}:1 of {member.filename!r} > limit {limits.max_ratio:g}:1"
                )
        if total > limits.max_bytes:
            return f"max_bytes: decompressed size {total} bytes > limit {limits.max_bytes}"
    return None


def _tar_violation(path: Path, size: int, limits: Limits) -> str | None:
    total = 0
    with tarfile.open(path, mode="r:*") as archive:
        for count, member in enumerate(archive, 1):
            if count > limits.max_members:
                return f"max_members: too many archive members: more than {limits.max_members}"
            if _unsafe_name(member.name):
                return f"archive member escapes the archive: {member.name!r}"
            if member.issym() or member.islnk():
                return f"archive member is a link: {member.name!r} -> {member.linkname!r}"
            if member.isdev() or member.isfifo():
                return f"archive member is a device or FIFO: {member.name!r}"
            total += member.size
            if total > limits.max_bytes:
                return f"max_bytes: decompressed size over {total} bytes > limit {limits.max_bytes}"
    if size and total / size > limits.max_ratio:
        return f"max_ratio: compression ratio {total / size:.0f}:1 > limit {limits.max_ratio:g}:1"
    return None


def _folder_violation(path: Path, limits: Limits) -> str | None:
    total = 0
    for count, child in enumerate(path.rglob("*"), 1):
        if count > limits.max_members:
            return f"max_members: too many files: more than {limits.max_members}"
        if child.is_symlink():
            return f"the upload contains a symbolic link: {child.relative_to(path)}"
        if child.is_file():
            total += child.stat().st_size
    if total > limits.max_bytes:
        return f"max_bytes: size {total} bytes > limit {limits.max_bytes}"
    return None


class UploadTimeout(Exception):
    """The per-upload wall-clock limit was reached."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ``UploadTimeout`` after ``seconds`` (only in a process's main thread; elsewhere no limit)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise UploadTimeout(f"timeout_s: timed out after {seconds:g} s (limit {seconds:g} s)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- analysing one upload (runs in a worker) ---------------------------------------------------


def analyse_upload(upload: Upload, limits: Limits, keep_events: bool = False) -> UploadResult:
    """Analyse one upload; never raises — a broken, hostile or slow upload becomes a status and a reason."""
    started = time.perf_counter()
    analysed_at = datetime.now(UTC).isoformat(timespec="seconds")

    def result(status: str, reason: str | None, **rows: Any) -> UploadResult:
        return UploadResult(
            upload=upload,
            status=status,
            reason=reason,
            analysed_at=analysed_at,
            duration_s=round(time.perf_counter() - started, 3),
            **rows,
        )

    violation = archive_violation(Path(upload.path), limits)
    if violation is not None:
        return result("quarantined", violation)
    try:
        with time_limit(limits.timeout_s):
            from ..analysis import analyze

            analysis = analyze([upload.path], limits=limits)
            document = analysis.to_dict()
            events = tuple(_event_row(e) for e in analysis.event_list) if keep_events else ()
    except UploadTimeout as exc:
        return result("failed", str(exc))
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        at = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
        return result("failed", f"analyser error: {type(exc).__name__}: {exc}{at}")
    stats = document["stats"]
    readable = [i for i in stats["inputs"] if i["status"] == "ok" and i["lines"] > 0]
    # Bounds met by an upload that was still analysed are kept in the ledger's reason, naming input and value.
    hits = "; ".join(f"{Path(hit['input']).name}: {_hit_text(hit)}" for hit in stats["limits"]) or None
    summary = {
        "lines_read": stats["lines_read"],
        "inputs": len(stats["inputs"]),
        "sessions": len(document["sessions"]),
        "findings": len(document["findings"]),
        "worst_severity": document["worst_severity"],
        "platforms": ",".join(document["environment"]["platforms"]),
        "binary_versions": ",".join(document["environment"]["binary_versions"]),
        "error_records": document["records"]["errors"],
        "qoder_records": document["records"]["qoder_related"],
        "unknown_qoder_records": document["records"]["qoder_unknown"],
        "coverage": document["coverage"],
    }
    if not readable:
        reasons = [f"{Path(i['source']).name}: {i['reason']}" for i in stats["inputs"] if i["reason"]]
        if not stats["inputs"]:
            reasons.append("no log files found in the upload")
        elif not reasons:
            reasons.append("no lines to read (empty log files)")
        return result("quarantined", "; ".join(reasons + ([hits] if hits else [])), summary=summary)
    return result(
        "done",
        f"limits hit: {hits}" if hits else None,
        summary=summary,
        sessions=tuple(document["sessions"]),
        findings=tuple(document["findings"]),
        events=events,
        templates=tuple(document["unknown_templates"]),
    )


def _hit_text(hit: Mapping[str, Any]) -> str:
    from ..model import LimitHit

    return LimitHit(**hit).describe()


def _event_row(event: Any) -> dict[str, Any]:
    row = event.to_dict()
    row["fields"] = json.dumps(row["fields"], ensure_ascii=False, default=str)
    row["detail"] = "\n".join(row["detail"])
    return row


# --- the warehouse ---------------------------------------------------------------------------

_LEDGER = """
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY,
    source_path TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    run_id TEXT NOT NULL,
    run_date TEXT NOT NULL,
    analysed_at TEXT NOT NULL,
    duration_s REAL NOT NULL,
    part TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS parts (
    name TEXT PRIMARY KEY,
    run_date TEXT NOT NULL,
    datasets TEXT NOT NULL,
    uploads INTEGER NOT NULL,
    committed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    run_date TEXT NOT NULL,
    inbox TEXT NOT NULL,
    engine TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    found INTEGER, done INTEGER, skipped INTEGER, failed INTEGER, quarantined INTEGER, seconds REAL
);
CREATE TABLE IF NOT EXISTS template_state (
    name TEXT PRIMARY KEY,
    state BLOB NOT NULL,
    updated_at TEXT NOT NULL
);
"""
_REGISTRY = "drain3"


class Warehouse:
    """A warehouse folder: Parquet datasets partitioned by run date and the SQLite ledger."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = False) -> None:
        self.path = Path(path)
        ledger = self.path / "ledger.sqlite"
        if not create and not ledger.exists():
            raise UsageError("not a qoderlog warehouse (no ledger.sqlite)", path=str(self.path))
        self.path.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(ledger, timeout=60, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_LEDGER)
        self._registry: TemplateRegistry | None = None

    @property
    def registry(self) -> TemplateRegistry:
        """The fleet's template ids, as last committed (loaded on first use)."""
        if self._registry is None:
            from ..mining.miner import TemplateRegistry

            row = self.db.execute("SELECT state FROM template_state WHERE name = ?", (_REGISTRY,)).fetchone()
            self._registry = TemplateRegistry(bytes(row[0]) if row else None)
        return self._registry

    def close(self) -> None:
        """Close the ledger."""
        self.db.close()

    def reconcile(self) -> int:
        """Finish renames of committed parts and delete files of parts that never committed; returns fixes."""
        committed = {row[0]: row[1] for row in self.db.execute("SELECT name, datasets FROM parts")}
        fixes = 0
        for dataset in DATASETS:
            folder = self.path / dataset
            if not folder.exists():
                continue
            for temp in folder.rglob(".part-*.parquet.tmp"):
                name = temp.name[1:].removesuffix(".parquet.tmp")
                if name in committed:
                    os.replace(temp, temp.with_name(f"{name}.parquet"))
                else:
                    temp.unlink()
                fixes += 1
        return fixes

    def done_ids(self) -> set[str]:
        """Upload ids already in the warehouse (done, failed or quarantined)."""
        return {row[0] for row in self.db.execute("SELECT upload_id FROM uploads")}

    def commit(self, results: list[UploadResult], *, run_id: str, run_date: str, keep_events: bool) -> str:
        """Write one part for ``results`` and record it, exactly once (see the module docstring)."""
        from .schema import rows_table

        name = f"part-{run_id}-{uuid.uuid4().hex[:8]}"
        tables = {
            "uploads": rows_table("uploads", [_upload_row(r, run_date) for r in results]),
            "sessions": rows_table("sessions", _child_rows(results, "sessions", run_date)),
            "findings": rows_table("findings", _child_rows(results, "findings", run_date)),
            "templates": rows_table("templates", self._template_rows(results)),
        }
        if keep_events:
            tables["events"] = rows_table("events", _child_rows(results, "events", run_date))
        temps = []
        for dataset, table in tables.items():
            folder = self.path / dataset / f"run_date={run_date}"
            folder.mkdir(parents=True, exist_ok=True)
            temp = folder / f".{name}.parquet.tmp"
            _write_parquet(table, temp)
            temps.append(temp)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        state = self.registry.state()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(
                "INSERT INTO parts VALUES (?, ?, ?, ?, ?)", (name, run_date, ",".join(tables), len(results), now)
            )
            self.db.execute("INSERT OR REPLACE INTO template_state VALUES (?, ?, ?)", (_REGISTRY, state, now))
            self.db.executemany(
                "INSERT OR REPLACE INTO uploads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.upload.upload_id,
                        r.upload.path,
                        r.status,
                        r.reason,
                        run_id,
                        run_date,
                        r.analysed_at,
                        r.duration_s,
                        name,
                    )
                    for r in results
                ],
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        for temp in temps:
            os.replace(temp, temp.with_name(f"{name}.parquet"))
        return name

    def _template_rows(self, results: list[UploadResult]) -> list[dict[str, Any]]:
        """Each upload's unknown templates with their fleet-wide ids (assigned here, in the main process)."""
        rows = []
        for result in results:
            for item in result.templates:
                example = item.get("example") or {}
                rows.append(
                    {
                        "upload_id": result.upload.upload_id,
                        "template_id": self.registry.assign(item["template"]),
                        "bundle_template_id": item["template_id"],
                        "template": item["template"],
                        "count": item["count"],
                        "level": item["level"],
                        "component": item["component"],
                        "qoder_related": item["qoder_related"],
                        "example_source": example.get("source"),
                        "example_line": example.get("line"),
                        "example_text": example.get("text"),
                    }
                )
        return rows

    def start_run(self, run_id: str, run_date: str, inbox: str, engine: str) -> None:
        """Record that a run started."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self.db.execute(
            "INSERT INTO runs (run_id, run_date, inbox, engine, started_at) VALUES (?, ?, ?, ?, ?)",
            (run_id, run_date, inbox, engine, now),
        )

    def finish_run(self, summary: BatchSummary) -> None:
        """Record how a run ended."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self.db.execute(
            "UPDATE runs SET finished_at=?, found=?, done=?, skipped=?, failed=?, quarantined=?, seconds=? "
            "WHERE run_id=?",
            (
                now,
                summary.found,
                summary.done,
                summary.skipped,
                summary.failed,
                summary.quarantined,
                summary.seconds,
                summary.run_id,
            ),
        )

    def frame(self, dataset: str) -> pd.DataFrame:
        """One dataset as a DataFrame (all run dates); empty with the right columns when none was written."""
        import pandas as pd

        from .schema import empty_frame

        folder = self.path / dataset
        if not folder.exists() or not any(folder.rglob("part-*.parquet")):
            return empty_frame(dataset)
        frame = pd.read_parquet(folder)
        if "run_date" in frame:
            frame["run_date"] = frame["run_date"].astype(str)
        return frame

    @property
    def uploads(self) -> pd.DataFrame:
        """One row per upload: upload_id, source_path, status, reason, analysed_at, run_date, summary columns."""
        return self.frame("uploads")

    @property
    def sessions(self) -> pd.DataFrame:
        """One row per session, with upload_id and run_date, the fields of ``analyze``'s JSON."""
        return self.frame("sessions")

    @property
    def findings(self) -> pd.DataFrame:
        """One row per finding, with upload_id and run_date, the fields of ``analyze``'s JSON."""
        return self.frame("findings")

    @property
    def templates(self) -> pd.DataFrame:
        """One row per (upload, unknown template): the fleet-wide template_id, count, level, first example."""
        return self.frame("templates")

    @property
    def events(self) -> pd.DataFrame:
        """One row per event (only for runs with ``--keep-events``)."""
        return self.frame("events")

    def ledger(self) -> pd.DataFrame:
        """The ledger's uploads table: what was done, when, how long, what failed and why."""
        import pandas as pd

        return pd.read_sql_query("SELECT * FROM uploads ORDER BY analysed_at", self.db)


def open_warehouse(path: str | os.PathLike[str]) -> Warehouse:
    """Open an existing warehouse for reading (``.uploads``, ``.sessions``, ``.findings`` DataFrames)."""
    return Warehouse(path)


def _write_parquet(table: pa.Table, path: Path) -> None:
    import pyarrow.parquet as pq

    with open(path, "wb") as handle:
        pq.write_table(table, handle)
        handle.flush()
        os.fsync(handle.fileno())


def _upload_row(result: UploadResult, run_date: str) -> dict[str, Any]:
    upload = result.upload
    return {
        "upload_id": upload.upload_id,
        "source_path": upload.path,
        "status": result.status,
        "reason": result.reason,
        "analysed_at": result.analysed_at,
        "duration_s": result.duration_s,
        "size": upload.size,
        "run_date": run_date,
        **{key: result.summary.get(key) for key in _SUMMARY_KEYS},
    }


_SUMMARY_KEYS = (
    "lines_read",
    "inputs",
    "sessions",
    "findings",
    "worst_severity",
    "platforms",
    "binary_versions",
    "error_records",
    "qoder_records",
    "unknown_qoder_records",
    "coverage",
)


def _child_rows(results: list[UploadResult], kind: str, run_date: str) -> list[dict[str, Any]]:
    rows = []
    for result in results:
        for row in getattr(result, kind):
            rows.append({"upload_id": result.upload.upload_id, "run_date": run_date, **row})
    return rows


# --- running ---------------------------------------------------------------------------------

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
            from tqdm import tqdm

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
) -> BatchSummary:
    """Analyse every new upload of ``inbox`` into ``warehouse``; resumable, exactly once per upload."""
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}", hint=f"engines: {', '.join(ENGINES)}")
    limits = limits or Limits()
    day = (run_date or date.today()).isoformat()
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    started = time.monotonic()
    store = Warehouse(warehouse, create=True)
    try:
        store.reconcile()
        store.start_run(run_id, day, str(inbox), engine)
        summary = BatchSummary(run_id=run_id, run_date=day)
        known = store.done_ids()
        tasks: list[Upload] = []
        early: list[UploadResult] = []
        for path in find_uploads(Path(inbox), since=since):
            summary.found += 1
            described = describe_upload(path)
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

        for result in early:
            collect(result)
        ENGINES[engine](tasks, limits, keep_events, collect, workers or os.cpu_count() or 1, scheduler)
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
    from .schema import rows_table

    rows_table("sessions", [])
    rows_table("uploads", [{"analysed_at": datetime.now(UTC).isoformat()}])


def _unreadable(path: Path, reason: str) -> UploadResult:
    upload = Upload(upload_id="path:" + hashlib.sha256(str(path).encode()).hexdigest(), path=str(path), size=0, mtime=0)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return UploadResult(upload=upload, status="quarantined", reason=reason, analysed_at=now, duration_s=0.0)


IN_FLIGHT_PER_WORKER = 32
"""Uploads queued per worker: enough that workers keep going while the main process writes a part (a result is
a few rows, so memory stays small and flat)."""

Engine = Callable[[list[Upload], Limits, bool, Callable[[UploadResult], None], int, "str | None"], None]


def _windowed(
    tasks: list[Upload],
    window: int,
    submit: Callable[[Upload], Any],
    first_done: Callable[[list[Any]], Any],
    collect: Callable[[UploadResult], None],
) -> None:
    """Keep at most ``window`` uploads in flight (memory stays flat), collecting each as it finishes.

    ``submit`` starts one upload and returns its future; ``first_done`` waits
    for at least one of the futures and returns ``(done, not_done)`` — the
    shape of both ``concurrent.futures.wait`` and ``distributed.wait``.
    """
    queue = iter(tasks)
    running = {submit(task): task for task in _take(queue, window)}
    # The part writer's first use costs ~0.5 s (pyarrow's timestamp kernels): pay it now, while the workers work
    # (in this thread: a thread importing while a pool forks can deadlock the children).
    _warm_writer()
    while running:
        done, _ = first_done(list(running))
        for future in done:
            task = running.pop(future)
            collect(_outcome(future, task))
            for follow in _take(queue, 1):
                running[submit(follow)] = follow


def _local_engine(
    tasks: list[Upload],
    limits: Limits,
    keep_events: bool,
    collect: Callable[[UploadResult], None],
    workers: int,
    scheduler: str | None,
) -> None:
    """A process pool on this machine (no pool at all for one worker)."""
    if not tasks:
        return
    if workers <= 1:
        for task in tasks:
            collect(analyse_upload(task, limits, keep_events))
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        _windowed(
            tasks,
            workers * IN_FLIGHT_PER_WORKER,
            lambda task: pool.submit(analyse_upload, task, limits, keep_events),
            lambda futures: wait(futures, return_when=FIRST_COMPLETED),
            collect,
        )


def _dask_engine(
    tasks: list[Upload],
    limits: Limits,
    keep_events: bool,
    collect: Callable[[UploadResult], None],
    workers: int,
    scheduler: str | None,
) -> None:
    """The same work on a Dask cluster: ``scheduler`` address, or a LocalCluster of ``workers`` processes."""
    if not tasks:
        return
    from dask.distributed import Client, LocalCluster
    from dask.distributed import wait as dask_wait

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
            lambda task: client.submit(analyse_upload, task, limits, keep_events, pure=False),
            lambda futures: dask_wait(futures, return_when="FIRST_COMPLETED"),
            collect,
        )
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


ENGINES: dict[str, Engine] = {"local": _local_engine, "dask": _dask_engine}


def _take(queue: Iterator[Upload], count: int) -> list[Upload]:
    taken = []
    for _ in range(count):
        try:
            taken.append(next(queue))
        except StopIteration:
            break
    return taken


def _outcome(future: Future[UploadResult], task: Upload) -> UploadResult:
    try:
        return future.result()
    except Exception as exc:
        return _crashed(task, exc)


def _crashed(task: Upload, exc: BaseException) -> UploadResult:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return UploadResult(
        upload=task,
        status="failed",
        reason=f"worker crashed: {type(exc).__name__}: {exc}",
        analysed_at=now,
        duration_s=0.0,
    )


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """A dataset without the columns that differ between identical runs (times, durations), sorted."""
    drop = [c for c in ("analysed_at", "duration_s", "run_date") if c in frame]
    stable = frame.drop(columns=drop)
    text = stable.astype(str)
    return text.sort_values(list(text.columns)).reset_index(drop=True)
