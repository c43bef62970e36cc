"""Every hostile input through parse, analyze (all formats) and batch: exit status, message, memory, no stray writes.

The corpus (``tests/hostile/make_corpus.py``) is built once per session;
each case runs in its own process (``tests/hostile/run_case.py``) in an
empty working folder, two at a time, and its peak RSS is measured there.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
from make_corpus import CASES, Case, make_corpus

PEAK_RSS_MB = 300
"""The documented memory bound (README, "Hostile input"): peak RSS of one process running every command on a case."""
RUNNER = Path(__file__).parent / "hostile" / "run_case.py"
BY_NAME = {case.name: case for case in CASES}


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            info = path.lstat()
            found[str(path.relative_to(root))] = (info.st_size, info.st_mtime_ns)
    return found


def _run(case: Case, corpus: Path, work: Path, env: dict[str, str]) -> dict[str, Any]:
    folder = corpus / case.name
    target = case.target if case.target.startswith("/") else str(folder / case.target)
    cwd = work / case.name
    (cwd / "out").mkdir(parents=True)
    argv = [sys.executable, str(RUNNER), str(folder), target, "out"]
    argv += ["--patterns", str(folder / "patterns")] if case.patterns else []
    argv += ["--batch"] if case.batch_status else []
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    result["cwd"] = cwd
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    make_corpus(corpus)
    before = _tree(corpus)
    work = root / "work"
    cache = root / "mplcache"
    cache.mkdir()
    env = {**os.environ, "HOME": str(root / "home"), "TMPDIR": str(root / "tmp"), "MPLCONFIGDIR": str(cache)}
    # The user cache folder, where qoderlog keeps its compiled pattern library (and nothing else).
    env["XDG_CACHE_HOME"] = str(root / "xdgcache")
    (root / "tmp").mkdir()
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {case.name: pool.submit(_run, case, corpus, work, env) for case in CASES}
        results = {name: future.result() for name, future in futures.items()}
    print({name: (r["seconds"], r["maxrss_mb"]) for name, r in results.items()})
    return {"results": results, "corpus": corpus, "before": before, "after": _tree(corpus), "root": root}


@pytest.mark.parametrize("name", [case.name for case in CASES])
def test_hostile_input_is_reported_and_the_rest_is_read(hostile: dict[str, Any], name: str) -> None:
    case = BY_NAME[name]
    result = hostile["results"][name]
    runs = result["results"]
    alone = runs["alone"]
    assert alone["exit"] == case.alone_exit, alone["stderr"]
    assert "Traceback" not in alone["stderr"]
    for word in case.words:
        assert word in alone["stderr"], (word, alone["stderr"])
    warnings = [line for line in alone["stderr"].splitlines() if line]
    assert all(line.startswith("qoderlog: warning: ") for line in warnings), warnings
    # With a good log beside it, every command succeeds, names the same problem and still reads the good log.
    for command in ("stats", "jsonl", "parquet", "analyze-text", "analyze-json", "analyze-html", "analyze-markdown"):
        run = runs[command]
        assert run["exit"] == 0, (command, run["stderr"])
        assert "Traceback" not in run["stderr"], command
        for word in case.words:
            assert word in run["stderr"], (command, word)
    out = result["cwd"] / "out"
    stats = json.loads((out / "stats.json").read_text())
    good = [i for i in stats["inputs"] if i["source"].endswith("good.log")]
    assert [(i["status"], i["lines"], i["by_kind"]["event"]) for i in good] == [("ok", 2, 1)]
    assert stats["lines_read"] == sum(stats["by_kind"].values())
    assert stats["limits"] == [hit for item in stats["inputs"] for hit in item["limits"]]
    document = json.loads((out / "report.json").read_text())
    assert document["stats"]["lines_read"] == stats["lines_read"]
    assert result["maxrss_mb"] < PEAK_RSS_MB, result["maxrss_mb"]


@pytest.mark.parametrize("name", [case.name for case in CASES if case.batch_status])
def test_hostile_upload_is_recorded_by_the_batch_and_the_good_one_done(hostile: dict[str, Any], name: str) -> None:
    case = BY_NAME[name]
    result = hostile["results"][name]
    assert result["results"]["batch"]["exit"] == 0, result["results"]["batch"]["stderr"]
    with __import__("sqlite3").connect(result["cwd"] / "out" / "warehouse" / "ledger.sqlite") as db:
        rows = {
            Path(path).name: (status, reason)
            for path, status, reason in db.execute("SELECT source_path, status, reason FROM uploads")
        }
    assert rows["good.log"] == ("done", None)
    status, reason = rows[case.target]
    assert status == case.batch_status, reason
    for word in case.batch_words:
        assert word in (reason or ""), (word, reason)


def test_nothing_is_written_outside_the_output_path(hostile: dict[str, Any]) -> None:
    assert hostile["after"] == hostile["before"]
    for name, result in hostile["results"].items():
        stray = [p for p in _tree(result["cwd"]) if not p.startswith("out/")]
        assert stray == [], (name, stray)
    root = hostile["root"]
    assert not (root / "home").exists()
    cached = sorted(p.relative_to(root / "xdgcache").as_posix() for p in (root / "xdgcache").rglob("*"))
    assert cached[0] == "qoderlog" and all(
        re.fullmatch(r"qoderlog/(?:patterns|yaml)-[0-9a-f]{32}\.pickle", p) for p in cached[1:]
    )
    assert list((root / "tmp").iterdir()) == []
    assert not Path("/tmp/qoderlog-evil.log").exists()
    assert not any(root.rglob("evil.log"))


def test_cut_lines_and_limit_hits_reach_every_report(hostile: dict[str, Any]) -> None:
    out = hostile["results"]["line-50mb"]["cwd"] / "out"
    stats = json.loads((out / "stats.json").read_text())
    (long,) = [i for i in stats["inputs"] if i["source"].endswith("long.log")]
    assert (long["lines"], long["cut_lines"], long["status"]) == (3, 1, "ok")
    assert [(h["limit"], h["allowed"], h["value"], h["count"]) for h in long["limits"]] == [
        ("max_line", 1 << 20, 50 * (1 << 20), 1)
    ]
    for name in ("report.text", "report.html", "report.markdown"):
        text = (out / name).read_text(encoding="utf-8")
        assert "max_line 52428800 &gt; limit 1048576" in text or "max_line 52428800 > limit 1048576" in text, name
    events = pd.read_parquet(out / "events.parquet")
    assert len(events) == 2  # the Go process start in long.log after its long line, and in good.log


def test_lone_surrogates_never_reach_a_writer(hostile: dict[str, Any]) -> None:
    out = hostile["results"]["lone-surrogates"]["cwd"] / "out"
    lines = [json.loads(line) for line in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert lines and all("\ufffd" in e["message"] for e in lines if "lone" in e["message"])
    assert "\ufffd" in (out / "report.markdown").read_text(encoding="utf-8") or lines


def test_catastrophic_regex_is_reported_with_input_pattern_and_limit(hostile: dict[str, Any]) -> None:
    runs = hostile["results"]["catastrophic-regex"]["results"]
    assert runs["alone"]["seconds"] < 10
    stats = json.loads((hostile["results"]["catastrophic-regex"]["cwd"] / "out" / "stats.json").read_text())
    (slow,) = [i for i in stats["inputs"] if i["source"].endswith("slow.log")]
    assert slow["lines"] == 52
    assert [(h["limit"], h["allowed"], h["count"]) for h in slow["limits"]] == [("regex_timeout_s", 0.25, 3)]
    assert "user.slow" in slow["limits"][0]["detail"]
