"""The real-log corpus in ``tests/real/``: every case is well formed before any analysis runs on it.

Each ``tests/real/<id>/`` holds log files quoted from a public source and a ``case.yaml`` with that
source and the diagnosis a support engineer expects (issue 13 item 1). These tests check the data only —
that a case names its source, that its files exist and are text, that every key line it expects the
report to show is really in one of its files, and that its expectation is consistent with its verdict —
so a mistyped expectation fails here, with the case named, rather than as a puzzling analysis failure.
They do not run ``analyze``: whether the tool meets the expectations is a separate test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from qoderlog.model import Severity
from qoderlog.rules.registry import REGISTRY
from qoderlog.verdict import VerdictKind

REAL = Path(__file__).parent / "real"

VERDICTS = {str(kind) for kind in VerdictKind}
SEVERITIES = {str(severity) for severity in Severity}
RULES = set(REGISTRY)
PROCESSES = {
    "renderer",
    "gpu",
    "extension-host",
    "remote-extension-host",
    "utility",
    "main",
    "sidecar",
    "language-server",
    "pty-host",
}
CASE_KEYS = {"source", "title", "product", "files", "family", "healthy", "notes", "expect"}
EXPECT_KEYS = {"verdict", "fire", "not_fire", "max_severity", "key_lines", "explanation"}
ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_LINES = 300


def case_dirs() -> list[Path]:
    """Every case folder of the corpus, sorted by id."""
    return sorted(path for path in REAL.iterdir() if path.is_dir())


def load_case(folder: Path) -> dict[str, Any]:
    """The parsed ``case.yaml`` of one case folder."""
    data = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{folder.name}: case.yaml is not a mapping"
    return data


def case_lines(folder: Path, case: dict[str, Any]) -> list[str]:
    """All physical lines of the case's log files, in file order."""
    lines: list[str] = []
    for name in case["files"]:
        lines.extend((folder / name).read_text(encoding="utf-8").splitlines())
    return lines


CASES = case_dirs()


def test_corpus_size_and_healthy_share() -> None:
    cases = [load_case(folder) for folder in CASES]
    assert len(cases) >= 36
    assert sum(1 for case in cases if case["healthy"]) >= 9
    attach = (REAL / "qoder-remote-ssh-attach-healthy" / "1-Qoder.log").read_text(encoding="utf-8")
    assert "check start cosy async" in attach and "Connection established using: ipc" in attach


@pytest.mark.parametrize("folder", CASES, ids=[folder.name for folder in CASES])
def test_case_is_well_formed(folder: Path) -> None:
    assert ID.match(folder.name), f"{folder.name}: id must be lower-case words joined by '-'"
    case = load_case(folder)
    assert CASE_KEYS <= set(case) <= CASE_KEYS | {"known_gap"}, f"{folder.name}: keys {sorted(set(case) ^ CASE_KEYS)}"
    assert str(case["source"]).strip(), f"{folder.name}: no source"
    assert isinstance(case["healthy"], bool)
    assert case["files"], f"{folder.name}: no files"
    present = {path.name for path in folder.iterdir()} - {"case.yaml"}
    assert present == set(case["files"]), f"{folder.name}: files on disk {sorted(present)} vs case.yaml {case['files']}"
    for name in case["files"]:
        text = (folder / name).read_text(encoding="utf-8")
        assert text.strip(), f"{folder.name}/{name} is empty"
        assert len(text.splitlines()) <= MAX_LINES, f"{folder.name}/{name} is longer than {MAX_LINES} lines"


@pytest.mark.parametrize("folder", CASES, ids=[folder.name for folder in CASES])
def test_expectation_is_consistent(folder: Path) -> None:
    case = load_case(folder)
    expect = case["expect"]
    assert set(expect) <= EXPECT_KEYS and {"verdict", "fire", "not_fire", "key_lines"} <= set(expect)
    verdict = expect["verdict"]
    assert verdict in VERDICTS, f"{folder.name}: verdict {verdict!r}"
    fired = {finding["rule"] for finding in expect["fire"]}
    for finding in expect["fire"]:
        assert finding["rule"] in RULES, f"{folder.name}: unknown rule {finding['rule']!r}"
        assert finding["min_severity"] in SEVERITIES
        if "process" in finding:
            assert finding["process"] in PROCESSES, f"{folder.name}: process {finding['process']!r}"
    assert set(expect["not_fire"]) <= RULES, f"{folder.name}: not_fire {sorted(set(expect['not_fire']) - RULES)}"
    assert not fired & set(expect["not_fire"]), f"{folder.name}: a rule both fires and must not"
    if verdict == "problems":
        assert any(finding["min_severity"] != "info" for finding in expect["fire"]), f"{folder.name}: problems, no rule"
    else:
        assert not expect["fire"], f"{folder.name}: verdict {verdict} but rules expected to fire"
    if verdict == "unexplained":
        assert expect["key_lines"], f"{folder.name}: an unexplained verdict must name the lines to list"
    if case["healthy"]:
        assert verdict in {"nothing-to-diagnose", "all-clear"}, f"{folder.name}: healthy but {verdict}"
        assert expect.get("max_severity") == "info", f"{folder.name}: healthy cases allow info findings only"
    if verdict == "all-clear":
        assert case["product"] == "qoder", f"{folder.name}: all-clear needs Qoder sidecar lines"


@pytest.mark.parametrize("folder", CASES, ids=[folder.name for folder in CASES])
def test_key_lines_are_quoted_from_the_files(folder: Path) -> None:
    case = load_case(folder)
    lines = case_lines(folder, case)
    for key in case["expect"]["key_lines"]:
        assert any(key in line for line in lines), f"{folder.name}: key line not in its files: {key!r}"
