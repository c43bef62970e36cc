"""Object storage: the batch reads an inbox and writes a warehouse through fsspec URLs, on a local S3 server."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from functools import partial
from pathlib import Path

import pytest
from servers import s3_server
from test_batch import comparable, hostile_inbox, make_inbox

from qoderlog.nightly.runners import run_batch
from qoderlog.nightly.warehouse import Warehouse, open_warehouse

BUCKET = "qoderlog-test"


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A moto S3 server on 127.0.0.1 for this module, the process environment pointed at it, and a bucket."""
    folder = tmp_path_factory.mktemp("s3")
    with s3_server(folder) as env, pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        import fsspec

        fs = fsspec.filesystem("s3", skip_instance_cache=True)
        fs.mkdir(BUCKET)
        yield env


def relabel(value: object, *, url: str, local: str) -> object:
    """A text naming an upload by its URL, named by its local path instead (other values as they are)."""
    return value.replace(url, local) if isinstance(value, str) else value


def upload_folder(local: Path, url: str) -> None:
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    for path in sorted(local.rglob("*")):
        if path.is_file():
            fs.pipe_file(f"{root}/{path.relative_to(local).as_posix()}", path.read_bytes())


def test_batch_from_and_to_s3_equals_the_local_batch_and_commits_each_upload_once(
    s3: dict[str, str], tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    make_inbox(inbox)
    hostile_inbox(inbox)
    folder = inbox / "folder-upload"
    folder.mkdir()
    (folder / "main.log").write_text((inbox / sorted(p.name for p in inbox.glob("*.log"))[0]).read_text())
    upload_folder(tmp_path, f"s3://{BUCKET}/night1")
    ledger = tmp_path / "ledger.sqlite"
    command = [sys.executable, "-m", "qoderlog", "batch", f"s3://{BUCKET}/night1/inbox"]
    command += ["--out", f"s3://{BUCKET}/wh", "--ledger", str(ledger), "--workers", "2", "--run-date", "2026-11-29"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"fleet report: s3://{BUCKET}/wh/fleet.html" in first.stderr
    local = run_batch(inbox, tmp_path / "local", workers=2, run_date=date(2026, 11, 29))
    assert f"{local.done} done" in first.stderr and f"{local.quarantined} quarantined" in first.stderr
    remote = open_warehouse(f"s3://{BUCKET}/wh", ledger=ledger)
    expected = open_warehouse(tmp_path / "local")
    for dataset in ("uploads", "sessions", "findings", "templates"):
        a, b = remote.frame(dataset), expected.frame(dataset)
        # The same rows, naming the upload where it is: its URL instead of its local path.
        for column in a.columns:
            a[column] = a[column].map(partial(relabel, url=f"s3://{BUCKET}/night1/inbox", local=str(inbox)))
        assert comparable(a).equals(comparable(b)), dataset
    assert remote.uploads["source_path"].str.startswith(f"s3://{BUCKET}/night1/inbox/").all()
    again = subprocess.run([*command, "--no-fleet-report"], capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"0 done, {local.found} skipped" in again.stderr
    assert len(open_warehouse(f"s3://{BUCKET}/wh", ledger=ledger).uploads) == local.found
    import fsspec

    fs = fsspec.filesystem("s3")
    assert "<h1>Fleet report" in fs.cat_file(f"{BUCKET}/wh/fleet.html").decode("utf-8")
    assert not [p for p in fs.find(f"{BUCKET}/wh") if p.rsplit("/", 1)[-1].startswith(".")]


def test_a_manifest_in_s3_carries_metadata_and_a_notebook_reads_the_warehouse_without_the_ledger(
    s3: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "logs"
    names = [n for n in make_inbox(inbox) if "-startup-" in n][:4]
    (tmp_path / "manifest.csv").write_text(
        "path,app_version,platform,channel\n"
        + "".join(f"logs/{n},2.1.{i},windows,insider\n" for i, n in enumerate(names)),
        encoding="utf-8",
    )
    upload_folder(tmp_path, f"s3://{BUCKET}/night2")
    monkeypatch.chdir(tmp_path)
    summary = run_batch(f"s3://{BUCKET}/night2/manifest.csv", f"s3://{BUCKET}/wh2", workers=1)
    assert summary.done == 4
    assert (tmp_path / f"s3___{BUCKET}_wh2.ledger.sqlite").exists()  # the default ledger of a remote warehouse
    notebook = tmp_path / "elsewhere"
    notebook.mkdir()
    monkeypatch.chdir(notebook)
    warehouse = open_warehouse(f"s3://{BUCKET}/wh2")
    uploads = warehouse.uploads.sort_values("app_version")
    assert list(uploads["app_version"]) == ["2.1.0", "2.1.1", "2.1.2", "2.1.3"]
    assert set(uploads["channel"]) == {"insider"} and set(uploads["platform"]) == {"windows"}
    assert set(warehouse.sessions["upload_id"]) == set(uploads["upload_id"])
    with pytest.raises(Exception, match="without its ledger"):
        warehouse.ledger()


def test_reconcile_on_s3_finishes_committed_parts_and_drops_uncommitted_ones(
    s3: dict[str, str], tmp_path: Path
) -> None:
    import fsspec

    inbox = tmp_path / "inbox"
    make_inbox(inbox)
    ledger = tmp_path / "ledger.sqlite"
    run_batch(inbox, f"s3://{BUCKET}/wh3", workers=1, commit_every=10, ledger=ledger)
    fs = fsspec.filesystem("s3")
    committed = next(p for p in fs.find(f"{BUCKET}/wh3/sessions") if p.rsplit("/", 1)[-1].startswith("part-"))
    folder, _, name = committed.rpartition("/")
    hidden = f"{folder}/.{name.removesuffix('.parquet')}.parquet.tmp"
    fs.mv(committed, hidden)
    stray = f"{folder}/.part-never-committed.parquet.tmp"
    fs.pipe_file(stray, b"partial")
    store = Warehouse(f"s3://{BUCKET}/wh3", ledger=ledger)
    assert store.reconcile() == 2
    fs.invalidate_cache()
    assert fs.exists(committed) and not fs.exists(hidden) and not fs.exists(stray)
    store.close()
