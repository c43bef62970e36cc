"""The warehouse: Parquet datasets and a SQLite ledger, committed in parts exactly once.

It knows nothing of analysis: the runners (``nightly.runners``) hand it
``UploadResult`` rows — one per *upload*, a file, folder or archive of the
inbox identified by the SHA-256 of its content (``nightly.inbox``) — and it
commits them in parts with an exactly-once protocol, so that a run killed at
any moment and started again finishes the rest with nothing twice and
nothing missing:

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

``templates`` holds each upload's unknown templates (``mining.miner.Miner``)
under a fleet-wide ``template_id`` from the warehouse's own Drain3 miner
(``mining.miner.TemplateRegistry``), whose state is saved in the ledger in the
same transaction as the part that used it (step 2): a template keeps its id
from night to night, and a killed run never leaves ids for rows that were
not committed.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..mining.miner import TemplateRegistry
from .schema import arrow_schema, empty_frame, rows_table
from .storage import default_ledger, is_remote, join, local_path, remote_fs

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


DATASETS = ("uploads", "sessions", "findings", "templates", "events")

MANIFEST_FIELDS = ("upload_id", "uploaded_at", "app_version", "platform", "channel", "ticket")
"""The optional columns of a manifest beside ``path`` (``nightly.inbox``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadMeta:
    """What a manifest says of an upload (every field optional): its id, arrival, app version, platform, channel,
    support ticket. Release health prefers these to what the logs reveal."""

    upload_id: str | None = None
    uploaded_at: str | None = None
    app_version: str | None = None
    platform: str | None = None
    channel: str | None = None
    ticket: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Upload:
    """One upload to analyse: its id (content hash, or the manifest's), where it is (a path or a URL), how big,
    when it arrived, and the manifest's metadata."""

    upload_id: str
    path: str
    size: int
    mtime: float
    meta: UploadMeta = field(default_factory=UploadMeta)


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


class _Dataset:
    """A warehouse attribute that reads the dataset of its own name as a DataFrame (``Warehouse.frame``)."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, warehouse: Warehouse | None, owner: type | None = None) -> Any:
        return self if warehouse is None else warehouse.frame(self.name)


class Warehouse:
    """A warehouse: Parquet datasets partitioned by run date (a local folder or an fsspec URL) and the SQLite
    ledger (always local: inside a local warehouse by default, ``storage.default_ledger``)."""

    def __init__(
        self, path: str | os.PathLike[str], *, create: bool = False, ledger: str | os.PathLike[str] | None = None
    ) -> None:
        self.location = str(path)
        self.remote = is_remote(path)
        self._fs: Any = None
        if self.remote:
            self._fs, self.root = remote_fs(self.location)
        else:
            self.root = str(local_path(path).absolute())
        ledger_path = Path(ledger) if ledger is not None else default_ledger(path)
        if not create and not ledger_path.exists() and not (self.remote and self.fs.isdir(self.root)):
            raise UsageError("not a qoderlog warehouse (no ledger.sqlite)", path=self.location)
        if create and self.remote:
            self.fs.makedirs(self.root, exist_ok=True)
        elif create:
            Path(self.root).mkdir(parents=True, exist_ok=True)
        # A remote warehouse read where its ledger is not (a notebook) has no ledger: its datasets are all it needs.
        self.db: sqlite3.Connection | None = None
        if create or ledger_path.exists():
            ledger_path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(ledger_path, timeout=60, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(_LEDGER)
        self._registry: TemplateRegistry | None = None

    @property
    def fs(self) -> Any:
        """The fsspec filesystem of the datasets; for a local warehouse made on first use, so that a batch can
        start its workers before it pays for fsspec's import."""
        if self._fs is None:
            from fsspec.implementations.local import LocalFileSystem  # fsspec: the same file operations locally

            self._fs = LocalFileSystem()
        return self._fs

    @property
    def ledger_db(self) -> sqlite3.Connection:
        """The ledger (a ``UsageError`` for a remote warehouse opened without it)."""
        if self.db is None:
            raise UsageError("this warehouse was opened without its ledger", hint="pass ledger=PATH (--ledger)")
        return self.db

    def _join(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    @property
    def registry(self) -> TemplateRegistry:
        """The fleet's template ids, as last committed (loaded on first use)."""
        if self._registry is None:
            row = self.ledger_db.execute("SELECT state FROM template_state WHERE name = ?", (_REGISTRY,)).fetchone()
            self._registry = TemplateRegistry(bytes(row[0]) if row else None)
        return self._registry

    def close(self) -> None:
        """Close the ledger."""
        if self.db is not None:
            self.db.close()

    def reconcile(self) -> int:
        """Finish renames of committed parts and delete files of parts that never committed; returns fixes."""
        committed = {row[0]: row[1] for row in self.ledger_db.execute("SELECT name, datasets FROM parts")}
        fixes = 0
        for dataset in DATASETS:
            folder = self._join(dataset)
            if not self.fs.isdir(folder):
                continue
            for temp in self.fs.find(folder):
                folder_of, _, base = temp.rpartition("/")
                if not (base.startswith(".part-") and base.endswith(".parquet.tmp")):
                    continue
                name = base[1:].removesuffix(".parquet.tmp")
                if name in committed:
                    self.fs.mv(temp, f"{folder_of}/{name}.parquet")
                else:
                    self.fs.rm(temp)
                fixes += 1
        return fixes

    def done_ids(self) -> set[str]:
        """Upload ids already in the warehouse (done, failed or quarantined)."""
        return {row[0] for row in self.ledger_db.execute("SELECT upload_id FROM uploads")}

    def commit(self, results: list[UploadResult], *, run_id: str, run_date: str, keep_events: bool) -> str:
        """Write one part for ``results`` and record it, exactly once (see the module docstring)."""
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
            folder = self._join(dataset, f"run_date={run_date}")
            self.fs.makedirs(folder, exist_ok=True)
            temp = f"{folder}/.{name}.parquet.tmp"
            self._write_parquet(table, temp)
            temps.append((temp, f"{folder}/{name}.parquet"))
        now = datetime.now(UTC).isoformat(timespec="seconds")
        state = self.registry.state()
        db = self.ledger_db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "INSERT INTO parts VALUES (?, ?, ?, ?, ?)", (name, run_date, ",".join(tables), len(results), now)
            )
            db.execute("INSERT OR REPLACE INTO template_state VALUES (?, ?, ?)", (_REGISTRY, state, now))
            db.executemany(
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
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        for temp, final in temps:
            self.fs.mv(temp, final)
        return name

    def _write_parquet(self, table: pa.Table, path: str) -> None:
        """Write a part file; a local one is fsynced before the ledger names it (an object store's PUT is durable
        once it returns)."""
        import pyarrow.parquet as pq  # pyarrow (~0.2 s): only when Parquet is written or typed

        if self.remote:
            with self.fs.open(path, "wb") as handle:
                pq.write_table(table, handle)
            return
        with open(path, "wb") as handle:
            pq.write_table(table, handle)
            handle.flush()
            os.fsync(handle.fileno())

    def write_text(self, name: str, text: str) -> str:
        """Write a text file (the fleet report) at the warehouse's top level; returns its location."""
        target = self._join(name)
        with self.fs.open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
        return join(self.location, name) if self.remote else target

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
        self.ledger_db.execute(
            "INSERT INTO runs (run_id, run_date, inbox, engine, started_at) VALUES (?, ?, ?, ?, ?)",
            (run_id, run_date, inbox, engine, now),
        )

    def finish_run(self, summary: BatchSummary) -> None:
        """Record how a run ended."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self.ledger_db.execute(
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

    def frame(self, dataset: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """One dataset as a DataFrame (all run dates), or only ``columns`` of it (and ``run_date``); empty with the
        right columns when none was written."""

        folder = self._join(dataset)
        parts = (
            [p for p in self.fs.find(folder) if p.rpartition("/")[2].startswith("part-")]
            if self.fs.isdir(folder)
            else []
        )
        if not parts:
            frame = empty_frame(dataset)
            return frame if columns is None else frame[[*columns, "run_date"]]
        import pyarrow as pa  # pyarrow (~0.2 s): only when a DataFrame is asked for
        import pyarrow.dataset as ds  # pyarrow (~0.2 s): only when a DataFrame is asked for

        # The dataset's own schema (not the first file's): parts written before a column was added read as null.
        schema = arrow_schema(dataset).append(pa.field("run_date", pa.string()))
        data = ds.dataset(
            parts, schema=schema, format="parquet", filesystem=self.fs, partitioning="hive", partition_base_dir=folder
        )
        wanted = None if columns is None else [*columns, "run_date"]
        frame = data.to_table(columns=wanted).to_pandas()
        frame["run_date"] = frame["run_date"].astype(str)
        return frame

    uploads = _Dataset("One row per upload: upload_id, source_path, status, reason, analysed_at, run_date, summary.")
    sessions = _Dataset("One row per session, with upload_id and run_date, the fields of ``analyze``'s JSON.")
    findings = _Dataset("One row per finding, with upload_id and run_date, the fields of ``analyze``'s JSON.")
    templates = _Dataset("One row per (upload, unknown template): the fleet-wide template_id, count, level, example.")
    events = _Dataset("One row per event (only for runs with ``--keep-events``).")

    def ledger(self) -> pd.DataFrame:
        """The ledger's uploads table: what was done, when, how long, what failed and why."""
        import pandas as pd  # pandas (~0.4 s): only when a DataFrame is asked for

        return pd.read_sql_query("SELECT * FROM uploads ORDER BY analysed_at", self.ledger_db)


def open_warehouse(path: str | os.PathLike[str], *, ledger: str | os.PathLike[str] | None = None) -> Warehouse:
    """Open an existing warehouse for reading (``.uploads``, ``.sessions``, ``.findings`` DataFrames): a folder or
    an fsspec URL (``s3://bucket/nightly``); a remote one needs no ledger to be read."""
    return Warehouse(path, ledger=ledger)


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
        **{key: getattr(upload.meta, key) for key in MANIFEST_FIELDS if key != "upload_id"},
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
