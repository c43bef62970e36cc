"""The rule registry: every rule by id, its playbook, and ``run_rules``, which runs the enabled ones over the facts."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache, partial
from typing import Any

from ..model import Finding
from . import Facts, Rule, cleanup, crash, ipc, pids, resources, restarts, startup, unresponsive, update
from .playbooks import Places, Playbooks, load_playbooks, steps_for


def _registry() -> dict[str, Rule]:
    rules = [
        startup.SLOW,
        startup.FAILURE,
        pids.STALE_PID,
        ipc.IPC_FAILURE,
        cleanup.CLEANUP,
        restarts.RESTART_LOOP,
        update.UPDATE_STUCK,
        crash.APP_CRASH,
        unresponsive.EXTHOST_UNRESPONSIVE,
        unresponsive.PTYHOST_UNRESPONSIVE,
        resources.RESOURCE_LIMIT,
    ]
    return {rule.id: rule for rule in rules}


REGISTRY: dict[str, Rule] = _registry()


@lru_cache(maxsize=1)
def playbooks() -> Playbooks:
    """The playbooks shipped in ``rules/playbooks/``, checked against the registered rules' cause keys."""
    return load_playbooks(causes={rule.id: tuple(rule.causes) for rule in REGISTRY.values()})


def run_rules(facts: Facts, config: Mapping[str, Mapping[str, Any]] | None = None) -> list[Finding]:
    """Every enabled rule over ``facts``, worst first, each finding with its playbook's steps for the bundle.

    ``config`` overrides thresholds per rule id.
    """
    findings: list[Finding] = []
    books = playbooks().by_rule
    places = Places(facts)
    for rule in REGISTRY.values():
        overrides = dict((config or {}).get(rule.id, {}))
        if overrides.pop("enabled", True) is False:
            continue
        limits = {**rule.thresholds, **overrides}
        book = books.get(rule.id)
        findings.extend(
            rule.finding(hit, partial(steps_for, book, place=places.of(hit))) for hit in rule.detect(facts, limits)
        )
    findings.sort(key=lambda f: (-f.severity, f.source, f.evidence[0].line if f.evidence else 0, f.rule))
    return findings


def rule_thresholds(rule_id: str, config: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, float]:
    """A rule's thresholds as ``run_rules`` applies them: its defaults, then ``config``'s overrides (``--config``)."""
    rule = REGISTRY[rule_id]
    overrides = (config or {}).get(rule_id, {})
    return {name: float(overrides.get(name, value)) for name, value in rule.thresholds.items()}


def startup_thresholds(config: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, float]:
    """``startup-slow``'s ``warning_s`` and ``error_s``: what reports, charts and the fleet report draw against."""
    return rule_thresholds("startup-slow", config)
