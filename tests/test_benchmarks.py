"""The benchmark suite runs end to end in its quick form (no targets are checked here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_times_every_command_against_grep(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert report["lines"] == 20_000 and report["uploads"] == 10
    names = set(report["results"])
    assert {"grep -c", "parse --stats", "analyze --format json", "analyze --format html", "read_events"} <= names
    assert {"batch 1 worker(s)", "batch 2 worker(s)", "parse --format parquet"} <= names
    for value in report["results"].values():
        assert value["median_s"] > 0 and value["peak_rss_mb"] > 0
    assert report["results"]["grep -c"]["x_grep"] == 1.0
    assert "| `parse --stats` |" in (tmp_path / "RESULTS.md").read_text(encoding="utf-8")
