"""Helpers for pattern and rule authors and for tests.

``qoderlog patterns test`` and the test suite use the same checks: every
example matches its own pattern with exactly its fields and no other pattern,
and every bare example does so again in each framing that frames a message
(catalog §2, Chromium, glog, language clients, dateless and DevTools lines).
Rule cases (``rules/cases/<id>.yaml``) are small logs with the findings
their rule must give; ``check_case`` runs one.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .analysis import Analysis, analyze
from .errors import PatternError
from .i18n import LANGUAGES
from .model import Framing, Severity
from .patterns import PatternSet, check_example, check_examples, frame_example
from .reporters import REPORTERS, RenderOptions

_STAMP = "2025-08-22 10:23:45.123"

REFRAMINGS: tuple[Framing, ...] = tuple(f for f in Framing if f is not Framing.BARE and not f.self_describing)
"""The framings a bare example is checked in again: every one whose header frames a message."""


def reframe(body: str, framing: Framing) -> str:
    """A bare line as it would be written in ``framing`` (fixed time, level ``info``).

    A self-describing framing (a Go panic, a bare ``Error:`` line) frames no
    other text: the body is returned as it is.
    """
    if framing is Framing.VSCODE:
        return f"{_STAMP} [info] {body}"
    if framing is Framing.SPDLOG:
        return f"[{_STAMP}] [main] [info] {body}"
    if framing is Framing.CONSOLE:
        return f"[main {_STAMP.replace(' ', 'T')}Z] {body}"
    if framing is Framing.JSON:
        return json.dumps({"timestamp": "2025-08-22T02:23:45Z", "level": "INFO", "message": body})
    if framing is Framing.CHROMIUM:
        return f"[4242:4343:0822/102345.123456:INFO:browser_main_loop.cc(1234)] {body}"
    if framing is Framing.GLOG:
        return f"I0822 10:23:45.123456 4242 server.go:60] {body}"
    if framing is Framing.LSP:
        return f"[Info  - 10:23:45 AM] {body}"
    if framing is Framing.CLOCK:
        return f"10:23:45.123 [info] {body}"
    if framing is Framing.DEVTOOLS:
        return f"log.ts:437  INFO {body}"
    if framing is Framing.IDEA:
        return f"{_STAMP.replace('.', ',')} [  12345]   INFO - #com.qoder.plugin - {body}"
    return body


def check_library(patterns: PatternSet) -> list[PatternError]:
    """Every example as written, and every bare example re-framed in each framing."""
    problems = check_examples(patterns)
    for pattern in patterns.patterns:
        for example in pattern.examples:
            if frame_example(example.text).framing is not Framing.BARE:
                continue
            for framing in REFRAMINGS:
                problems.extend(check_example(patterns, pattern, example, reframe(example.text, framing)))
    return problems


CASES_DIR = Path(__file__).resolve().parent / "rules" / "cases"


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleCase:
    """One pass/fail case of a rule: a small log and the findings of that rule it must give."""

    rule: str
    name: str
    log: str
    expect: tuple[Mapping[str, Any], ...]
    path: str


def rule_cases(folder: Path = CASES_DIR) -> list[RuleCase]:
    """Every case of every ``<rule-id>.yaml`` in ``folder``."""
    cases: list[RuleCase] = []
    for path in sorted(folder.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in document["cases"]:
            cases.append(
                RuleCase(
                    rule=document["rule"],
                    name=item["name"],
                    log=item["log"],
                    expect=tuple(item.get("expect") or ()),
                    path=str(path),
                )
            )
    return cases


def analyze_text(text: str, *, name: str = "case.log", config: Mapping[str, Any] | None = None) -> Analysis:
    """Analyse a log given as text, as if it were the file ``name``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8")
        return analyze([path], config=config)


def check_case(case: RuleCase) -> list[str]:
    """Differences between a case's expected findings and what its rule finds; empty when it holds.

    Findings are matched in order after sorting both sides by severity (worst
    first); each expected ``metrics`` entry must equal the finding's value,
    and no text of ``lacks`` may appear in the finding's summary, causes or
    remedies (advice that does not belong, e.g. ``--disable-gpu`` for a kill).
    """
    found = [f for f in analyze_text(case.log).finding_list if f.rule == case.rule]
    problems: list[str] = []
    got = sorted(found, key=lambda f: -f.severity)
    want = sorted(case.expect, key=lambda e: -Severity.parse(e["severity"]))
    if [str(f.severity) for f in got] != [e["severity"] for e in want]:
        summaries = [f"{f.severity}: {f.summary}" for f in got]
        return [f"{case.rule} / {case.name}: expected {[e['severity'] for e in want]}, got {summaries}"]
    for finding, expected in zip(got, want, strict=True):
        for key, value in (expected.get("metrics") or {}).items():
            actual = finding.metrics.get(key)
            if actual != value:
                problems.append(f"{case.rule} / {case.name}: metric {key} = {actual!r}, expected {value!r}")
        said = " ".join((finding.summary, *finding.remediation.causes, *finding.remediation.user_actions))
        for text in expected.get("lacks") or ():
            if text in said:
                problems.append(f"{case.rule} / {case.name}: the finding says {text!r}, which does not belong")
        texts = [*finding.remediation.causes, *finding.remediation.user_actions, *finding.remediation.escalate]
        if len(texts) != len(set(texts)):
            problems.append(f"{case.rule} / {case.name}: a cause or remedy text appears twice")
    return problems


def sample_findings(sample: Path) -> list[dict[str, Any]]:
    """What ``analyze`` finds on one sample: rule, severity and evidence (source relative to the sample, line)."""
    root = str(sample.parent)
    found = []
    for finding in analyze([sample]).finding_list:
        evidence = [[e.source.removeprefix(root).lstrip("/\\"), e.line] for e in finding.evidence]
        found.append({"rule": finding.rule, "severity": str(finding.severity), "evidence": evidence})
    return found


def samples(folder: Path) -> list[Path]:
    """The samples of a folder: every entry but its README."""
    return sorted(p for p in folder.iterdir() if p.name != "README.md" and not p.name.startswith("."))


def sample_reply(sample: Path, lang: str) -> str:
    """The reply ``analyze --format reply --lang LANG`` gives for one sample (redacted, as by default)."""
    out = io.StringIO()
    REPORTERS["reply"](analyze([sample]), out, RenderOptions(redact=True, lang=lang))
    return out.getvalue()


def write_golden(folder: Path, out: Path) -> list[Path]:
    """Regenerate the expected findings and replies of every sample (``python -m qoderlog.testing SAMPLES OUT``).

    Findings go to ``OUT/<sample>.json``, replies to ``OUT/replies/<sample>.<lang>.txt``.
    """
    out.mkdir(parents=True, exist_ok=True)
    (out / "replies").mkdir(exist_ok=True)
    written = []
    for sample in samples(folder):
        target = out / f"{sample.name}.json"
        target.write_text(json.dumps(sample_findings(sample), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
        for lang in LANGUAGES:
            reply = out / "replies" / f"{sample.name}.{lang}.txt"
            reply.write_text(sample_reply(sample, lang), encoding="utf-8")
            written.append(reply)
    return written


if __name__ == "__main__":
    import sys

    for written in write_golden(Path(sys.argv[1]), Path(sys.argv[2])):
        print(written)
