"""Every rule case in qoderlog/rules/cases/*.yaml as a test, plus the registry's own contract."""

from __future__ import annotations

import pytest

from qoderlog.model import Severity
from qoderlog.rules import Hit, Rule
from qoderlog.rules.registry import REGISTRY
from qoderlog.testing import check_case, rule_cases

CASES = rule_cases()
PUBLIC_IDS = {
    "startup-slow",
    "startup-failure",
    "stale-pid",
    "ipc-failure",
    "cleanup-anomaly",
    "restart-loop",
    "update-stuck",
    "app-crash",
    "exthost-unresponsive",
    "ptyhost-unresponsive",
    "resource-limit",
}


@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule}: {c.name}" for c in CASES])
def test_rule_case(case) -> None:
    assert check_case(case) == []


def test_registry_holds_the_public_rule_ids() -> None:
    assert set(REGISTRY) == PUBLIC_IDS


@pytest.mark.parametrize("rule_id", sorted(PUBLIC_IDS))
def test_every_rule_has_two_positive_and_two_healthy_cases(rule_id: str) -> None:
    mine = [c for c in CASES if c.rule == rule_id]
    assert sum(1 for c in mine if c.expect) >= 2
    assert sum(1 for c in mine if not c.expect) >= 2


@pytest.mark.parametrize("rule", REGISTRY.values(), ids=list(REGISTRY))
def test_rule_documents_itself(rule: Rule) -> None:
    assert rule.title and len(rule.doc) > 80
    assert rule.causes and rule.escalate
    assert all(key in rule.causes for key in rule.cause_actions)


def test_remediation_is_rendered_with_the_hit_values_and_missing_values_show_as_question_marks() -> None:
    rule = REGISTRY["startup-slow"]
    hit = Hit(
        severity=Severity.ERROR,
        summary="slow",
        source="main.log",
        metrics={"latency_s": 12.44, "platform": "linux"},
        evidence=(),
        causes=("cpu", "disk"),
    )
    finding = rule.finding(hit)
    assert finding.remediation.causes[0].startswith("CPU or memory pressure")
    assert any("~12 s" in text for text in finding.remediation.user_actions)
    assert any("(binary: ?)" in text for text in finding.remediation.user_actions)
    assert finding.signature == "startup-slow"


def test_a_rule_can_be_disabled_and_thresholds_overridden() -> None:
    from qoderlog.testing import analyze_text

    log = next(c.log for c in CASES if c.rule == "startup-slow" and "10.2 s" in c.name)
    assert [f.severity for f in analyze_text(log).finding_list if f.rule == "startup-slow"] == [Severity.ERROR]
    relaxed = analyze_text(log, config={"startup-slow": {"error_s": 20.0}})
    assert [f.severity for f in relaxed.finding_list if f.rule == "startup-slow"] == [Severity.WARNING]
    off = analyze_text(log, config={"startup-slow": {"enabled": False}})
    assert not [f for f in off.finding_list if f.rule == "startup-slow"]
