"""Findings → incidents: the findings that follow from each other in one sidecar's life, root cause first.

Which rule can follow which, within what time and sharing what (pid,
session, pipe or socket), is data: ``rules/incidents.yaml``. ``group_incidents``
links every pair of findings a link allows (in a dateless paste, one source and
a shared key are enough), takes each connected group as one
incident, and names as its root the finding nothing else in the group leads
to (the earliest when several). Every finding is in exactly one incident;
findings that share nothing are incidents of their own.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..model import Finding, Session
from ..sessions import wall
from ..yamlfiles import YamlProblem, load_yaml

INCIDENTS_FILE = Path(__file__).with_name("incidents.yaml")
SHARED_KEYS = frozenset({"pid", "session", "endpoint"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """A finding of a rule in ``then`` may follow a ``root`` finding (see ``rules/incidents.yaml``)."""

    root: str
    then: frozenset[str]
    within_s: float
    before_s: float
    share: frozenset[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentRules:
    """The links and, per rule, how a story tells a finding of it as a consequence."""

    links: tuple[Link, ...]
    says: Mapping[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Incident:
    """One story: ``findings`` are indices into the result's findings, the root's first; ``summary`` tells it."""

    id: str
    root: int
    findings: tuple[int, ...]
    summary: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``incidents`` entries of ``analyze``'s JSON)."""
        return {"id": self.id, "root": self.root, "findings": list(self.findings), "summary": self.summary}


def load_incident_rules(path: Path = INCIDENTS_FILE) -> IncidentRules:
    """The links of ``path``, checked; ``ConfigError`` with the file for anything malformed."""
    try:
        document = load_yaml(path)
    except YamlProblem as exc:
        raise ConfigError(f"not valid YAML: {exc}", path=str(path)) from None
    links = []
    for number, item in enumerate(document.get("links") or [], 1):
        share = frozenset(item.get("share") or ())
        if not isinstance(item.get("root"), str) or not item.get("then") or share - SHARED_KEYS:
            raise ConfigError(
                f"link {number}: needs root, then and share keys among {sorted(SHARED_KEYS)}",
                path=str(path),
            )
        links.append(
            Link(
                root=item["root"],
                then=frozenset(item["then"]),
                within_s=float(item.get("within_s", 60)),
                before_s=float(item.get("before_s", 1)),
                share=share,
            )
        )
    return IncidentRules(links=tuple(links), says=dict(document.get("says") or {}))


@lru_cache(maxsize=1)
def incident_rules() -> IncidentRules:
    """The shipped ``rules/incidents.yaml``."""
    return load_incident_rules()


def group_incidents(
    findings: Sequence[Finding], sessions: Sequence[Session], rules: IncidentRules | None = None
) -> tuple[Incident, ...]:
    """Every finding in one incident, ordered by the incident's worst finding's place in ``findings``."""
    rules = rules or incident_rules()
    by_session = {s.id: s for s in sessions}
    keys = [_keys(f, by_session) for f in findings]
    led_by: dict[int, set[int]] = {i: set() for i in range(len(findings))}
    parent = list(range(len(findings)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Only pairs a link could join are compared — the right rules, inside the link's time window (or both dateless
    # in one source): a log with a thousand findings costs a sort and a few bisections each, not a million pairs.
    for a, b in _candidate_pairs(findings, rules.links):
        if _follows(findings[a], keys[a], findings[b], keys[b], rules.links):
            led_by[b].add(a)
            parent[find(b)] = find(a)
    groups: dict[int, list[int]] = {}
    for index in range(len(findings)):
        groups.setdefault(find(index), []).append(index)
    incidents = []
    for number, members in enumerate(sorted(groups.values(), key=min), 1):
        inside = set(members)
        roots = [i for i in members if not (led_by[i] & inside)] or members
        root = min(roots, key=lambda i: (_time(findings[i]), i))
        rest = sorted((i for i in members if i != root), key=lambda i: (_time(findings[i]), i))
        incidents.append(
            Incident(
                id=f"incident-{number}",
                root=root,
                findings=(root, *rest),
                summary=_story(findings[root], [findings[i] for i in rest], rules.says),
            )
        )
    return tuple(incidents)


def _candidate_pairs(findings: Sequence[Finding], links: Sequence[Link]) -> list[tuple[int, int]]:
    """Every ``(a, b)`` for which some link might say ``findings[b]`` follows ``findings[a]``, in ``(a, b)`` order.

    A superset of the pairs ``_follows`` accepts: the rules match, and ``b``
    starts within the link's window around ``a`` or, when neither is dated
    and the link shares a key, both come from one source.
    """
    dated: dict[str, list[tuple[datetime, int]]] = {}
    dateless: dict[tuple[str, str], list[int]] = {}
    for index, finding in enumerate(findings):
        start = wall(finding.start)
        if start is None:
            dateless.setdefault((finding.rule, finding.source), []).append(index)
        else:
            dated.setdefault(finding.rule, []).append((start, index))
    for stamps in dated.values():
        stamps.sort()
    pairs: set[tuple[int, int]] = set()
    for a, first in enumerate(findings):
        start = wall(first.start)
        for link in links:
            if link.root != first.rule:
                continue
            for rule in link.then:
                if start is None:
                    if link.share:
                        pairs.update((a, b) for b in dateless.get((rule, first.source), ()) if b != a)
                    continue
                stamps = dated.get(rule, [])
                low = bisect_left(stamps, (_shifted(start, -link.before_s), -1))
                high = bisect_right(stamps, (_shifted(start, link.within_s), len(findings)))
                pairs.update((a, b) for _, b in stamps[low:high] if b != a)
    return sorted(pairs)


def _shifted(stamp: datetime, seconds: float) -> datetime:
    """``stamp`` moved by ``seconds`` and a millisecond more outwards (a window never narrower than the link's)."""
    try:
        return stamp + timedelta(seconds=seconds + (0.001 if seconds >= 0 else -0.001))
    except OverflowError:
        return datetime.max if seconds >= 0 else datetime.min


def _keys(finding: Finding, sessions: Mapping[str, Session]) -> dict[str, Any]:
    session = sessions.get(finding.session or "")
    pid = finding.metrics.get("pid")
    endpoint = finding.metrics.get("endpoint")
    return {
        "pid": pid if isinstance(pid, int) else (session.pid if session else None),
        "session": finding.session,
        "endpoint": endpoint or (session.endpoint if session else None),
    }


def _follows(
    root: Finding, root_keys: Mapping[str, Any], then: Finding, then_keys: Mapping[str, Any], links: Sequence[Link]
) -> bool:
    for link in links:
        if link.root != root.rule or then.rule not in link.then:
            continue
        a, b = wall(root.start), wall(then.start)
        if a is None and b is None and root.source == then.source and link.share:
            pass  # a dateless paste: one source and a shared pid, session or endpoint tell the story alone
        elif a is None or b is None or not -link.before_s <= (b - a).total_seconds() <= link.within_s:
            continue
        if not link.share or any(
            root_keys.get(key) is not None and root_keys.get(key) == then_keys.get(key) for key in link.share
        ):
            return True
    return False


def _time(finding: Finding) -> datetime:
    return wall(finding.start) or datetime.max


def _story(root: Finding, rest: Sequence[Finding], says: Mapping[str, str]) -> str:
    if not rest:
        return root.summary
    then = "; then ".join(dict.fromkeys(says.get(f.rule, f.title) for f in rest))
    return f"Root cause: {root.summary.rstrip('.')}. Then {then}."
