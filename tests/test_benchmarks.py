"""The benchmark suite runs end to end in its quick form, its ratios are what its timings say, and the block
scanner beats the line-by-line reference it is tested against (the one speed claim checked here, with room)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.__main__ import CORPORA
from qoderlog import Accounting, iter_events, load_patterns
from qoderlog.engine import analyze
from qoderlog.synth import write_corpus

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
    sections = [(report["results"], "grep -c"), (report["loud"], "grep -c"), (report["startup"], "python -I -c pass")]
    sections += [(results, "parse --stats") for results in report["mining"].values()]
    for results, base in sections:
        floor = results[base]["median_s"]
        for value in results.values():
            assert value["median_s"] > 0 and value["peak_rss_mb"] > 0
            assert value["x_base"] == round(value["median_s"] / floor, 1)
        assert results[base]["x_base"] == 1.0
    assert {"qoderlog --version", "qoderlog rules", "analyze --format json (2 MB bundle)"} <= set(report["startup"])
    assert set(report["mining"]["loud"]) == {"parse --stats", "engine, mine=False", "engine, mine=True"}
    # The loud mix is what it says: ~15% of its lines warning-and-above headers, against the default's own share.
    assert 0.12 <= report["loud_lines"]["loud"] <= 0.18
    # Where the time goes: every stage timed, each counting what it read of the same corpus.
    stages = report["stages"]
    assert list(stages) == [
        "read the bytes",
        "+ literal gate (Aho-Corasick)",
        "+ line accounting (one regex pass)",
        "events (`iter_events`: scan, frame, match)",
        "events + records mined (`analyze`'s reading)",
        "`analyze` (reading, sessions, rules, mining)",
    ]
    assert all(value["cpu_s"] >= 0 for value in stages.values())
    corpus = tmp_path / "same-corpus.log"
    write_corpus(corpus, lines=20_000, seed=0, **CORPORA["default"])  # type: ignore[arg-type]
    assert stages["read the bytes"]["count"] == corpus.stat().st_size
    patterns = load_patterns()
    assert stages["events (`iter_events`: scan, frame, match)"]["count"] == sum(
        1 for _ in iter_events(corpus, patterns=patterns)
    )
    assert stages["events + records mined (`analyze`'s reading)"]["count"] > 0
    assert stages["`analyze` (reading, sessions, rules, mining)"]["count"] == len(analyze(corpus).finding_list)
    text = (tmp_path / "RESULTS.md").read_text(encoding="utf-8")
    assert "| `parse --stats` |" in text and "## Start-up and a 2 MB bundle" in text and "Mining, loud mix:" in text
    assert "## Where the time goes" in text and "The compiled passes alone take" in text


def test_the_block_scanner_and_the_line_reader_count_the_quick_corpus_alike(tmp_path: Path) -> None:
    # How much faster the scanner is lives in the benchmark (its iter_events rows), not in a timed test.
    corpus = tmp_path / "main.log"
    write_corpus(corpus, lines=20_000, seed=0)
    patterns = load_patterns()

    def read(fast: bool) -> tuple[int, dict[str, int]]:
        accounting = Accounting()
        events = sum(1 for _ in iter_events([corpus], patterns=patterns, accounting=accounting, fast=fast))
        return events, accounting.by_kind()

    scanner_events, scanner_kinds = read(True)
    assert (scanner_events, scanner_kinds) == read(False)
    assert sum(scanner_kinds.values()) == 20_000 and scanner_events > 0
