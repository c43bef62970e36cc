"""The nightly batch: exactly once across kills, hostile uploads quarantined, Dask equals local."""

from __future__ import annotations

import gzip
import io
import os
import signal
import sqlite3
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from qoderlog.analysis import analyze
from qoderlog.limits import Limits
from qoderlog.nightly.checks import archive_violation
from qoderlog.nightly.runners import run_batch
from qoderlog.nightly.warehouse import Warehouse, open_warehouse
from qoderlog.testing import rule_cases

CASES = rule_cases()


def comparable(frame: pd.DataFrame) -> pd.DataFrame:  # the test of run equality, not a warehouse feature
    """A dataset without the columns that differ between identical runs (times, durations), sorted."""
    drop = [c for c in ("analysed_at", "duration_s", "run_date") if c in frame]
    stable = frame.drop(columns=drop)
    text = stable.astype(str)
    return text.sort_values(list(text.columns)).reset_index(drop=True)


def make_inbox(folder: Path, copies: int = 1) -> list[str]:
    """One upload per rule case log (times ``copies`` with distinct content), returning the names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for copy in range(copies):
        for index, case in enumerate(CASES):
            name = f"{copy:03d}-{case.rule}-{index}.log"
            (folder / name).write_text(case.log + f"    upload copy {copy}\n", encoding="utf-8")
            names.append(name)
    return names


def test_batch_analyses_each_upload_once_and_skips_reuploads(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    names = make_inbox(inbox)
    (inbox / "again.log").write_bytes((inbox / names[0]).read_bytes())
    first = run_batch(inbox, tmp_path / "wh", workers=1)
    assert (first.found, first.done, first.skipped) == (len(names) + 1, len(names), 1)
    again = run_batch(inbox, tmp_path / "wh", workers=1)
    assert (again.done, again.skipped) == (0, len(names) + 1)
    warehouse = open_warehouse(tmp_path / "wh")
    uploads = warehouse.uploads
    assert len(uploads) == len(names) and uploads["upload_id"].is_unique
    assert set(uploads["status"]) == {"done"}
    direct = [f.rule for name in names for f in analyze([inbox / name]).finding_list]
    assert sorted(warehouse.findings["rule"]) == sorted(direct)
    assert set(direct) >= {case.rule for case in CASES if case.expect}
    ledger = warehouse.ledger()
    assert len(ledger) == len(names) and (ledger["duration_s"] >= 0).all()


def test_manifest_csv_lists_the_uploads(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    names = make_inbox(inbox)[:5]
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("path\n" + "".join(f"inbox/{n}\n" for n in names), encoding="utf-8")
    summary = run_batch(manifest, tmp_path / "wh", workers=1)
    assert summary.done == 5


def hostile_inbox(folder: Path) -> dict[str, str]:
    """Hostile uploads → a word their quarantine reason must contain."""
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("logs/main.log", b"0" * (40 << 20))
    (folder / "bomb.zip").write_bytes(bomb.getvalue())
    expected["bomb.zip"] = "compression ratio"
    traversal = io.BytesIO()
    with zipfile.ZipFile(traversal, "w") as archive:
        archive.writestr("../../evil.log", "2025-08-22 10:00:00.000 [info] hi\n")
    (folder / "traversal.zip").write_bytes(traversal.getvalue())
    expected["traversal.zip"] = "escapes"
    linked = io.BytesIO()
    with tarfile.open(fileobj=linked, mode="w") as archive:
        info = tarfile.TarInfo("logs/main.log")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        archive.addfile(info)
    (folder / "symlink.tar").write_bytes(linked.getvalue())
    expected["symlink.tar"] = "link"
    whole = gzip.compress(b"2025-08-22 10:00:00.000 [info] line\n" * 5000)
    (folder / "main.log.gz").write_bytes(whole[: len(whole) // 3])
    expected["main.log.gz"] = "truncated"
    (folder / "empty.log").write_bytes(b"")
    expected["empty.log"] = "empty"
    (folder / "binary.log").write_bytes(bytes(range(256)) * 400)
    expected["binary.log"] = "binary"
    return expected


def test_hostile_uploads_are_quarantined_with_a_reason_and_the_rest_completes(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    expected = hostile_inbox(inbox)
    good = make_inbox(inbox)
    summary = run_batch(inbox, tmp_path / "wh", workers=2)
    assert summary.done == len(good)
    assert summary.quarantined == len(expected)
    uploads = open_warehouse(tmp_path / "wh").uploads
    reasons = {Path(p).name: r for p, r in zip(uploads["source_path"], uploads["reason"], strict=True)}
    for name, word in expected.items():
        assert word in (reasons[name] or ""), (name, reasons[name])
    assert not (tmp_path / "evil.log").exists() and not (tmp_path.parent / "evil.log").exists()


def test_archive_limits_report_the_limit_and_the_value(tmp_path: Path) -> None:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for index in range(12):
            archive.writestr(f"{index}.log", "x\n")
    reason = archive_violation(path, Limits(max_members=10))
    assert reason == "max_members: too many archive members: 12 > limit 10"


def test_reconcile_finishes_committed_parts_and_drops_uncommitted_ones(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    make_inbox(inbox)
    run_batch(inbox, tmp_path / "wh", workers=1, commit_every=10)
    store = Warehouse(tmp_path / "wh")
    committed = next((tmp_path / "wh" / "sessions").rglob("part-*.parquet"))
    hidden = committed.with_name("." + committed.stem + ".parquet.tmp")
    os.replace(committed, hidden)
    stray = committed.with_name(".part-never-committed.parquet.tmp")
    stray.write_bytes(b"partial")
    assert store.reconcile() == 2
    assert committed.exists() and not hidden.exists() and not stray.exists()
    store.close()


def test_killed_batch_resumes_with_every_upload_exactly_once(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    names = make_inbox(inbox, copies=4)
    reference = tmp_path / "reference"
    run_batch(inbox, reference, workers=1)
    warehouse = tmp_path / "wh"
    command = [sys.executable, "-m", "qoderlog", "batch", str(inbox), "--out", str(warehouse)]
    process = subprocess.Popen([*command, "--workers", "2", "--commit-every", "7"], stderr=subprocess.DEVNULL)
    ledger = warehouse / "ledger.sqlite"
    deadline = time.monotonic() + 120
    parts = 0
    while time.monotonic() < deadline and process.poll() is None:
        if ledger.exists():
            try:
                with sqlite3.connect(ledger, timeout=1) as db:
                    parts = db.execute("SELECT count(*) FROM parts").fetchone()[0]
            except sqlite3.Error:
                parts = 0
            if parts >= 2:
                break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert parts >= 2, "the batch finished before it could be killed; make the inbox bigger"
    before = len(open_warehouse(warehouse).uploads)
    assert 0 < before < len(names)
    resumed = subprocess.run([*command, "--workers", "2"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    result, expected = open_warehouse(warehouse), open_warehouse(reference)
    assert sorted(result.uploads["upload_id"]) == sorted(expected.uploads["upload_id"])
    assert result.uploads["upload_id"].is_unique
    for dataset in ("sessions", "findings"):
        assert comparable(result.frame(dataset)).equals(comparable(expected.frame(dataset)))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_dask_engine_gives_the_same_warehouse_as_the_local_engine(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    make_inbox(inbox)
    hostile_inbox(inbox)
    local = run_batch(inbox, tmp_path / "local", workers=2, engine="local")
    dask = run_batch(inbox, tmp_path / "dask", workers=2, engine="dask")
    assert (local.done, local.quarantined) == (dask.done, dask.quarantined)
    for dataset in ("uploads", "sessions", "findings"):
        a = comparable(open_warehouse(tmp_path / "local").frame(dataset))
        b = comparable(open_warehouse(tmp_path / "dask").frame(dataset))
        assert a.equals(b), dataset


def test_an_upload_over_the_time_limit_fails_with_the_reason_and_the_batch_goes_on(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    from qoderlog.synth import write_corpus

    write_corpus(inbox / "big.log", lines=200_000, seed=1)
    (inbox / "small.log").write_text(CASES[0].log, encoding="utf-8")
    summary = run_batch(inbox, tmp_path / "wh", workers=1, limits=Limits(timeout_s=0.05))
    assert (summary.failed, summary.done) == (1, 1)
    uploads = open_warehouse(tmp_path / "wh").uploads
    reason = uploads.loc[uploads["source_path"].str.endswith("big.log"), "reason"].item()
    assert reason == "timeout_s: timed out after 0.05 s (limit 0.05 s)"


def test_a_zip_with_a_crafted_header_is_quarantined_and_the_batch_goes_on(tmp_path: Path, crafted_zip: Any) -> None:
    """Regression: zipfile's UnicodeDecodeError on a UTF-8-flagged name escaped archive_violation and, with one
    worker, ended the whole batch with a traceback."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    crafted_zip({8: b"\x00\x08", 46: b"\xff"}, name="inbox/bad.zip")
    (inbox / "good.log").write_text("2025-08-22 10:23:45.120 [info] fine\n")
    summary = run_batch(inbox, tmp_path / "wh", workers=1)
    assert (summary.done, summary.quarantined) == (1, 1)
    with sqlite3.connect(tmp_path / "wh" / "ledger.sqlite") as db:
        ((reason,),) = db.execute("SELECT reason FROM uploads WHERE status = 'quarantined'").fetchall()
    assert reason.startswith("unreadable archive: 'utf-8' codec can't decode byte 0xff")


def committed_parts(warehouse: Path) -> list[tuple[str, dict[str, list[dict[str, Any]]]]]:
    """Each part in commit order: its datasets' rows as written, without the columns that differ between identical
    runs (times, durations) and with the part's position instead of its name."""
    import pyarrow.parquet as pq

    with sqlite3.connect(warehouse / "ledger.sqlite") as db:
        parts = db.execute("SELECT name, run_date, datasets FROM parts ORDER BY rowid").fetchall()
    found = []
    for name, run_date, datasets in parts:
        tables = {}
        for dataset in datasets.split(","):
            table = pq.read_table(warehouse / dataset / f"run_date={run_date}" / f"{name}.parquet")
            keep = [c for c in table.column_names if c not in ("analysed_at", "duration_s")]
            tables[dataset] = table.select(keep).to_pylist()
        found.append((run_date, tables))
    return found


def test_two_workers_commit_exactly_what_one_worker_commits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same parts with the same uploads, rows in the same order, the same fleet template ids and ledger, whichever
    worker finished first (chunks of 3 uploads, 2 queued or running per worker, at most 4 results waiting for an
    earlier chunk)."""
    from qoderlog.nightly import runners
    from qoderlog.synth import write_inbox

    monkeypatch.setattr(runners, "CHUNK_UPLOADS", 3)
    monkeypatch.setattr(runners, "IN_FLIGHT_PER_WORKER", 2)
    monkeypatch.setattr(runners, "MAX_WAITING", 4)
    inbox = tmp_path / "inbox"
    write_inbox(inbox, uploads=40, seed=5)
    hostile_inbox(inbox)
    ledgers = {}
    for workers in (1, 2):
        summary = run_batch(inbox, tmp_path / f"wh{workers}", workers=workers, commit_every=7)
        assert (summary.done, summary.quarantined, summary.failed) == (40, 6, 0)
        with sqlite3.connect(tmp_path / f"wh{workers}" / "ledger.sqlite") as db:
            uploads = db.execute(
                "SELECT u.upload_id, u.status, u.reason, p.rowid FROM uploads u JOIN parts p ON u.part = p.name "
                "ORDER BY u.upload_id"
            ).fetchall()
            (state,) = db.execute("SELECT state FROM template_state").fetchone()
        ledgers[workers] = (uploads, bytes(state))
    one, two = committed_parts(tmp_path / "wh1"), committed_parts(tmp_path / "wh2")
    assert len(one) == 7 and [len(part["uploads"]) for _, part in one] == [7] * 6 + [4]
    assert sum(len(part["templates"]) for _, part in one) > 40
    assert one == two
    assert ledgers[1] == ledgers[2]


def test_results_are_collected_in_inbox_order_whichever_chunk_finishes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of two, at most three queued or running, no new one while three results wait for an earlier chunk; the
    newest chunk always finishes first, and one of them breaks."""
    from concurrent.futures import Future

    from qoderlog.nightly import runners
    from qoderlog.nightly.warehouse import Upload, UploadResult

    monkeypatch.setattr(runners, "CHUNK_UPLOADS", 2)
    monkeypatch.setattr(runners, "MAX_WAITING", 3)
    uploads = [Upload(upload_id=f"u{i}", path=f"/inbox/{i}.log", size=10, mtime=0.0) for i in range(11)]
    running: list[tuple[Future[list[UploadResult]], int, list[Upload]]] = []
    chunks: list[list[str]] = []
    happened: list[str] = []
    collected: list[UploadResult] = []

    def submit(chunk: list[Upload]) -> Future[list[UploadResult]]:
        future: Future[list[UploadResult]] = Future()
        running.append((future, len(chunks), chunk))
        happened.append(f"start {len(chunks)}")
        chunks.append([u.upload_id for u in chunk])
        return future

    def newest_first(futures: list[Future[list[UploadResult]]]) -> tuple[set[Any], set[Any]]:
        future, index, chunk = running.pop()
        happened.append(f"done {index}")
        if index == 2:
            future.set_exception(RuntimeError("killed"))
        else:
            future.set_result(
                [UploadResult(upload=u, status="done", reason=None, analysed_at="", duration_s=0.0) for u in chunk]
            )
        return {future}, set(futures) - {future}

    runners._windowed(uploads, 3, submit, newest_first, collected.append, lambda: happened.append("prepare"))
    assert [r.upload.upload_id for r in collected] == [u.upload_id for u in uploads]
    assert chunks == [["u0", "u1"], ["u2", "u3"], ["u4", "u5"], ["u6", "u7"], ["u8", "u9"], ["u10"]]
    assert happened == [
        *("start 0", "start 1", "start 2", "prepare"),  # the window, then what the main process needs
        *("done 2", "start 3"),  # two results wait: one more chunk
        *("done 3", "done 1", "done 0"),  # four wait: none until chunk 0 is done and 0 to 3 are collected
        *("start 4", "start 5", "done 5", "done 4"),
    ]
    assert [(r.status, r.reason) for r in collected[4:6]] == [("failed", "worker crashed: RuntimeError: killed")] * 2
    assert {r.status for r in collected[:4] + collected[6:]} == {"done"}


def test_a_task_stops_at_the_chunk_size_in_bytes_so_a_big_upload_goes_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from qoderlog.nightly import runners
    from qoderlog.nightly.warehouse import Upload

    monkeypatch.setattr(runners, "CHUNK_UPLOADS", 3)
    monkeypatch.setattr(runners, "CHUNK_BYTES", 100)
    sizes = [10, 20, 500, 30, 40, 50, 60, 70, 5]
    uploads = [Upload(upload_id=str(i), path=str(i), size=size, mtime=0.0) for i, size in enumerate(sizes)]
    assert [[u.size for u in chunk] for chunk in runners._chunks(uploads)] == [
        [10, 20],
        [500],
        [30, 40],
        [50],
        [60],
        [70, 5],
    ]
