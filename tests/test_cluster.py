"""A real Dask cluster: a scheduler and two workers as separate processes, an inbox in a local S3 server."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from servers import dask_cluster, s3_server
from test_batch import comparable, hostile_inbox, make_inbox
from test_storage import upload_folder

from qoderlog.nightly.runners import run_batch
from qoderlog.nightly.warehouse import open_warehouse

BUCKET = "qoderlog-cluster"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_batch_on_a_dask_cluster_over_s3_equals_the_local_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "inbox"
    make_inbox(inbox)
    hostile_inbox(inbox)
    with s3_server(tmp_path) as env:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        import fsspec

        fsspec.filesystem("s3", skip_instance_cache=True).mkdir(BUCKET)
        upload_folder(tmp_path / "inbox", f"s3://{BUCKET}/inbox")
        base = [sys.executable, "-m", "qoderlog", "batch", f"s3://{BUCKET}/inbox", "--run-date", "2026-11-29"]
        base.append("--no-fleet-report")
        with dask_cluster(tmp_path, env, workers=2) as scheduler:
            target = ["--out", f"s3://{BUCKET}/dask", "--ledger", str(tmp_path / "dask.sqlite")]
            dask = subprocess.run(
                [*base, *target, "--engine", "dask", "--scheduler", scheduler],
                capture_output=True,
                text=True,
                timeout=180,
            )
            assert dask.returncode == 0, dask.stderr
            # The batch was a client of this scheduler (not a LocalCluster of its own), whose two workers ran.
            assert "Receive client connection" in (tmp_path / "scheduler.log").read_text(errors="replace")
        local = run_batch(
            f"s3://{BUCKET}/inbox",
            f"s3://{BUCKET}/local",
            ledger=tmp_path / "local.sqlite",
            workers=2,
            run_date=date(2026, 11, 29),
        )
        assert local.line().split(" in ")[0] == dask.stderr.splitlines()[0].split(" in ")[0]
        on_cluster = open_warehouse(f"s3://{BUCKET}/dask", ledger=tmp_path / "dask.sqlite")
        on_pool = open_warehouse(f"s3://{BUCKET}/local", ledger=tmp_path / "local.sqlite")
        assert len(on_pool.uploads) == len(list(inbox.iterdir()))
        for dataset in ("uploads", "sessions", "findings", "templates"):
            assert comparable(on_cluster.frame(dataset)).equals(comparable(on_pool.frame(dataset))), dataset
        runs = on_cluster.ledger_db.execute("SELECT engine, done FROM runs").fetchall()
        assert runs == [("dask", on_cluster.uploads["status"].eq("done").sum())]
