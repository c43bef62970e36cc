"""The banner every report opens with: the verdict, in plain words, and the error records no rule explains.

Takes the (possibly redacted) analysis document's findings, verdict and
incidents and gives the ``Verdict`` view: a finding's own severity and
title when there is one, else the verdict's kind (unexplained, nothing to
diagnose, all clear) with its headline and sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .names import base_name, clip, short_names
from .view import SEVERITIES, EvidenceLine, Segment, UnexplainedRow, Verdict

MAX_UNEXPLAINED_ROWS = 15
"""Kinds of unexplained error records a report lists, worst first; the JSON has them all."""

PLAIN: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "startup-slow": lambda m: (
        f"Qoder's background AI service took {m['latency_s']:.1f} s to start, where under "
        f"{m['warning_s']:g} s is normal: AI features wait that long after every start."
    ),
    "startup-failure": lambda m: "Qoder's background AI service could not start, so its AI features are unavailable.",
    "stale-pid": lambda m: (
        "Qoder tried to talk to a background AI service process that had already stopped "
        "(left-over files from an earlier run)."
    ),
    "ipc-failure": lambda m: f"Qoder failed {m['failures']} time(s) in a row to connect to its background AI service.",
    "cleanup-anomaly": lambda m: (
        "Qoder's background AI service did not shut down cleanly; left-over files can break the next start."
    ),
    "restart-loop": lambda m: (
        f"Qoder's background AI service keeps stopping and being restarted ({m['starts']} starts in "
        f"{m['span_s']:.0f} s)."
    ),
    "update-stuck": lambda m: "Qoder's updater got stuck, or the editor crashed right after an update.",
    "app-crash": lambda m: (
        f"A part of the Qoder editor itself ({m.get('process') or 'a process'}) crashed {m.get('count') or 1} time(s)."
    ),
    "exthost-unresponsive": lambda m: (
        f"Qoder's extension host, which runs its AI features and every extension, stopped responding "
        f"{m['episodes']} time(s)."
    ),
    "ptyhost-unresponsive": lambda m: (
        f"Qoder's terminal host, which runs the integrated terminals, stopped answering {m['episodes']} time(s)."
    ),
    "resource-limit": lambda m: f"The computer ran out of {m['limit']} ({m['count']} time(s)); Qoder needs more.",
}


QUIET_VERDICTS = {
    "unexplained": ("warning", "UNEXPLAINED"),
    "nothing-to-diagnose": ("info", "NOTHING TO DIAGNOSE"),
    "all-clear": ("ok", "OK"),
}
"""The banner of a verdict that no finding carries: its colour and its label."""


def verdict_view(
    findings: Sequence[Mapping[str, Any]],
    totals: Mapping[str, int] | None,
    verdict: Mapping[str, Any],
    incidents: Sequence[Mapping[str, Any]] = (),
) -> Verdict:
    """The banner for the findings (worst first decides), the verdict and the incidents of a document."""
    if totals is None:
        totals = {sev: sum(1 for f in findings if f["severity"] == sev) for sev in SEVERITIES}
    counts = tuple((sev, n) for sev in SEVERITIES if (n := totals.get(sev, 0)))
    kind = str(verdict.get("kind") or ("problems" if findings else "all-clear"))
    rows = unexplained_rows(verdict.get("unexplained") or [])
    records = int(verdict.get("unexplained_records") or 0)
    if not findings:
        severity, label = QUIET_VERDICTS.get(kind, ("ok", "OK"))
        return Verdict(
            severity=severity,
            label=label,
            headline=str(verdict.get("headline") or "No problems found"),
            sentence=str(verdict.get("sentence") or ""),
            likely_cause=None,
            first_action=None,
            counts=(),
            kind=kind,
            unexplained=rows,
            unexplained_records=records,
        )
    worst = findings[0]
    for finding in findings:
        if SEVERITIES.index(finding["severity"]) < SEVERITIES.index(worst["severity"]):
            worst = finding
    plain = PLAIN.get(worst["rule"])
    try:
        sentence = plain(worst.get("metrics") or {}) if plain else worst["summary"]
    except (KeyError, TypeError, ValueError):
        sentence = worst["summary"]
    # When the worst finding follows from another, the root's cause and remedy are what to tell and try first.
    at = findings.index(worst)
    story = next((i for i in incidents if at in i["findings"] and len(i["findings"]) > 1), None)
    root = findings[story["root"]] if story is not None else worst
    remediation = root.get("remediation") or {}
    causes = remediation.get("causes") or []
    actions = remediation.get("user_actions") or []
    return Verdict(
        severity=worst["severity"],
        label=worst["severity"].upper(),
        headline=worst["title"],
        sentence=sentence,
        likely_cause=causes[0] if causes else None,
        first_action=actions[0] if actions else None,
        counts=counts,
        kind=kind,
        unexplained=rows,
        unexplained_records=records,
        incident=story["summary"] if story is not None else None,
    )


def unexplained_rows(items: Sequence[Mapping[str, Any]]) -> tuple[UnexplainedRow, ...]:
    """The verdict's unexplained error records as rows: template, count, level, the first line and what follows."""
    shown = list(items[:MAX_UNEXPLAINED_ROWS])
    names = short_names(str(item["example"]["source"]) for item in shown)
    rows = []
    for item in shown:
        example = item["example"]
        rows.append(
            UnexplainedRow(
                template=str(item["template"]),
                count=int(item["count"]),
                level=str(item["level"]),
                source=str(example["source"]),
                source_name=names.get(str(example["source"]), base_name(str(example["source"]))),
                example=EvidenceLine(
                    line=int(example["line"] or 0), time="", segments=(Segment(clip(example["text"])),)
                ),
                detail=tuple(clip(line) for line in item.get("detail") or ()),
            )
        )
    return tuple(rows)
