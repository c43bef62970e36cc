"""Real log excerpts quoted in public issues (tests/real/<id>/): each must get the diagnosis its case.yaml expects.

(The cases' data — sources, files, key lines present — is checked by test_real_corpus.py.)

Every case keeps its source URL and the log as it was quoted. The check is
what a support engineer reads: the verdict, the findings that must (and must
not) be there with their severity, process and cause, the key error lines
the report shows, and the words its explanation uses.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from qoderlog import analyze
from qoderlog.model import Severity
from qoderlog.reporters import REPORTERS, RenderOptions

REAL = Path(__file__).parent / "real"
CASES = sorted(path.parent for path in REAL.glob("*/case.yaml"))
VERDICTS = ("problems", "unexplained", "nothing-to-diagnose", "all-clear")


@cache
def case(folder: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
    return document


@cache
def diagnosis(folder: Path) -> tuple[dict[str, Any], str]:
    """The JSON document and the plain text report of one case (no redaction: the lines as they were)."""
    analysis = analyze([folder / name for name in case(folder)["files"]])
    out = io.StringIO()
    REPORTERS["text"](analysis, out, RenderOptions(redact=False, color=False))
    return analysis.to_dict(), out.getvalue()


def shown_lines(document: Mapping[str, Any]) -> list[str]:
    """Every log line the report shows: finding evidence, unexplained error examples, unknown template examples."""
    lines = [item["text"] for finding in document["findings"] for item in finding["evidence"]]
    lines += [template["example"]["text"] for template in document["unknown_templates"]]
    for item in document["verdict"].get("unexplained", []):
        lines += [item["example"]["text"], *item["detail"]]
    return lines


def explanation_text(finding: Mapping[str, Any]) -> str:
    remediation = finding.get("remediation") or {}
    parts = [finding["summary"], str((finding.get("metrics") or {}).get("explanation") or "")]
    for key in ("causes", "user_actions", "escalate"):
        parts.extend(str(item) for item in remediation.get(key) or [])
    return " ".join(parts).lower()


def test_the_corpus_is_large_and_varied() -> None:
    assert len(CASES) >= 30
    healthy = [folder for folder in CASES if case(folder).get("healthy")]
    assert len(healthy) >= 8
    assert len({case(folder)["family"] for folder in CASES}) >= 12


def _marked(folder: Path) -> Any:
    """A case whose family qoderlog does not handle yet carries ``known_gap: why``: a strict xfail, so fixing it shows."""
    gap = case(folder).get("known_gap")
    return pytest.param(folder, id=folder.name, marks=pytest.mark.xfail(reason=gap, strict=True) if gap else ())


@pytest.mark.parametrize("folder", [_marked(folder) for folder in CASES])
def test_real_log_gets_the_expected_diagnosis(folder: Path) -> None:
    expect = case(folder)["expect"]
    document, text = diagnosis(folder)
    findings = document["findings"]
    verdict = document["verdict"]
    assert verdict["kind"] == expect["verdict"], (verdict["headline"], [f["summary"] for f in findings])
    if verdict["kind"] != "all-clear":
        assert "No problems found" not in text
    for wanted in expect.get("fire") or []:
        matching = [f for f in findings if f["rule"] == wanted["rule"]]
        assert matching, f"{wanted['rule']} did not fire; findings: {[f['rule'] for f in findings]}"
        if "min_severity" in wanted:
            floor = Severity.parse(wanted["min_severity"])
            matching = [f for f in matching if Severity.parse(f["severity"]) >= floor]
            assert matching, f"{wanted['rule']} fired below {floor}"
        for key in ("process", "cause"):
            if key in wanted:
                values = [(f.get("metrics") or {}).get(key) for f in matching]
                assert wanted[key] in values, f"{wanted['rule']} {key}: expected {wanted[key]}, got {values}"
    fired = {f["rule"] for f in findings}
    assert not fired & set(expect.get("not_fire") or []), f"must not fire: {fired & set(expect['not_fire'])}"
    if "max_severity" in expect:
        ceiling = Severity.parse(expect["max_severity"])
        assert all(Severity.parse(f["severity"]) <= ceiling for f in findings), [f["summary"] for f in findings]
    shown = shown_lines(document)
    for key in expect.get("key_lines") or []:
        assert any(key in line for line in shown), f"key line not shown: {key!r}"
    if expect.get("explanation"):
        said = " ".join(explanation_text(f) for f in findings) + " " + verdict["sentence"].lower()
        for words in expect["explanation"]:
            assert words.lower() in said, f"explanation lacks {words!r}"
