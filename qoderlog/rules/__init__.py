"""Sessions and events → findings: the base types and the one seam every rule plugs into.

Each rule module declares one ``Rule`` value — id, title, documentation,
default thresholds, ranked causes and remediation texts — next to its
detector, and has pass/fail cases in ``rules/cases/<id>.yaml`` that the test
suite runs. A detector has one signature, ``(facts, limits) -> Iterable[Hit]``;
``registry.run_rules`` turns hits into ``Finding`` values, rendering the
remediation templates with each hit's metrics; ``registry.REGISTRY`` maps
rule id → rule.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..model import Event, Evidence, Finding, Minidump, Remediation, Session, Severity, Step


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """What the rules look at: sessions, each stream's lifecycle events, all events, minidumps.

    ``streams`` holds each stream's lifecycle events in time order;
    ``events`` all events (updater and editor signals too) in reading order;
    ``stream_ends`` the last log time of each stream (to tell whether the
    log went on after something).
    """

    sessions: tuple[Session, ...]
    streams: Mapping[str, tuple[Event, ...]]
    events: tuple[Event, ...]
    minidumps: tuple[Minidump, ...] = ()
    stream_ends: Mapping[str, datetime | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    """What a detector found; ``registry.run_rules`` makes it a ``Finding``.

    ``causes`` orders the rule's cause keys for this case (most likely first);
    ``signature`` is the rule-specific part of the fleet signature (e.g. an
    error code), normalised so that the same problem groups across uploads.
    """

    severity: Severity
    summary: str
    source: str
    metrics: Mapping[str, Any]
    evidence: tuple[Evidence, ...]
    session: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    causes: tuple[str, ...] = ()
    signature: str = ""


Detector = Callable[[Facts, Mapping[str, float]], Iterable[Hit]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """A rule as data: what it detects, its thresholds and what helps, with its detector.

    ``causes`` maps a cause key to its text; ``user_actions`` (always
    shown), ``cause_actions`` (shown when that cause ranks first for a hit)
    and ``escalate`` are ``str.format`` templates over a hit's metrics.
    """

    id: str
    title: str
    doc: str
    thresholds: Mapping[str, float]
    causes: Mapping[str, str]
    user_actions: tuple[str, ...]
    escalate: tuple[str, ...]
    detect: Detector
    cause_actions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def finding(self, hit: Hit, steps: Callable[[tuple[str, ...]], tuple[Step, ...]] | None = None) -> Finding:
        """The finding for one hit, with the remediation rendered for its values.

        ``steps`` gives the playbook's steps for the hit's ranked cause keys (``registry.run_rules`` passes it).
        """
        values = _Values({key: _plain(value) for key, value in hit.metrics.items()})
        order = hit.causes or tuple(self.causes)
        ranked = [key for key in order if key in self.causes]
        specific = self.cause_actions.get(ranked[0], ()) if ranked else ()
        return Finding(
            rule=self.id,
            severity=hit.severity,
            title=self.title,
            summary=hit.summary,
            source=hit.source,
            session=hit.session,
            start=hit.start,
            end=hit.end,
            metrics=dict(hit.metrics),
            evidence=hit.evidence,
            remediation=Remediation(
                causes=tuple(self.causes[key] for key in ranked),
                user_actions=tuple(_render(text, values) for text in (*specific, *self.user_actions)),
                escalate=tuple(_render(text, values) for text in self.escalate),
                steps=steps(tuple(ranked)) if steps is not None else (),
            ),
            signature=f"{self.id}:{hit.signature}" if hit.signature else self.id,
        )


class _Values(dict[str, Any]):
    """Template values where a missing one renders as ``?`` instead of failing."""

    def __missing__(self, key: str) -> str:
        return "?"


def _plain(value: Any) -> Any:
    """Lists read as words in remediation texts: ``[]`` → ``none``, ``[2, 3]`` → ``2, 3``."""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    return value


_FORMATTER = string.Formatter()


def _render(template: str, values: _Values) -> str:
    try:
        return _FORMATTER.vformat(template, (), values)
    except (ValueError, TypeError):
        return template


def severity_for(value: float, limits: Mapping[str, float], levels: Mapping[str, Severity]) -> Severity | None:
    """The highest severity whose threshold ``value`` reaches (``levels``: limit name → severity)."""
    reached = [severity for name, severity in levels.items() if value >= limits[name]]
    return max(reached) if reached else None
