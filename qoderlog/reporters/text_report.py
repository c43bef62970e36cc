"""The terminal report: worst finding first, one block per finding, colour on a TTY.

With ``options.redact`` (``--redact``) the finished text goes through a
``Redactor`` that has first learnt the names in the whole analysis document.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from typing import IO, Any

import click

from ..baseline import anomaly_sentences, context_sentences
from ..engine import Result
from ..locations import BY_PLATFORM
from ..model import Severity, Step
from ..redact import Redactor
from ..verdict import NO_COVERAGE
from .base import RenderOptions

MAX_UNEXPLAINED_SHOWN = 10
"""Kinds of unexplained error records the terminal lists (the JSON has them all)."""

_COLOURS = {
    Severity.CRITICAL: "magenta",
    Severity.ERROR: "red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
}


def render(result: Result, out: IO[str], options: RenderOptions) -> None:
    """Write a compact summary: verdict, findings with evidence, first remedy and steps, sessions, accounting."""
    if not options.redact:
        _write(result, out, options)
        return
    buffer = io.StringIO()
    _write(result, buffer, options)
    redactor = Redactor()
    redactor.learn_document(result.to_dict())
    out.write(redactor.redact_text(buffer.getvalue()))


def _write(result: Result, out: IO[str], options: RenderOptions) -> None:

    def style(text: str, severity: Severity | None = None, bold: bool = False) -> str:
        if not options.color:
            return text
        return click.style(text, fg=_COLOURS.get(severity) if severity else None, bold=bold)

    findings = result.finding_list
    worst = result.worst
    verdict = result.verdict
    if worst is None:
        out.write(style(verdict.headline + ".", Severity.WARNING if verdict.unexplained else None, bold=True) + "\n")
        out.write(f"{verdict.sentence}\n")
    else:
        out.write(style(f"{len(findings)} finding(s), worst: {str(worst).upper()}", worst, bold=True) + "\n")
    for incident in result.incident_list:
        if len(incident.findings) > 1:
            chain = " → ".join(findings[i].rule for i in incident.findings)
            out.write(f"incident: {chain}\n          {incident.summary}\n")
    for finding in findings:
        label = style(f"{str(finding.severity).upper():<8}", finding.severity, bold=True)
        out.write(f"\n{label} {finding.rule}  {finding.summary}\n")
        for evidence in finding.evidence[:3]:
            out.write(f"         {evidence.source}:{evidence.line}  {_clip(evidence.text)}\n")
        if finding.remediation.user_actions:
            out.write(f"         try: {finding.remediation.user_actions[0]}\n")
        _write_steps(finding.remediation.steps, out)
        if result.baseline is not None:
            for sentence in context_sentences(finding.to_dict(), result.baseline):
                out.write(f"         fleet: {sentence}\n")
    sessions = result.session_list
    outcomes = Counter(str(s.outcome) for s in sessions)
    outcome_text = ", ".join(f"{n} {o}" for o, n in outcomes.most_common())
    out.write(f"\nsessions: {len(sessions)}" + (f" ({outcome_text})" if outcome_text else "") + "\n")
    accounting = result.accounting
    kinds = accounting.by_kind()
    out.write(
        f"lines: {accounting.lines_read} read, {kinds['event']} events, {kinds['unrecognised']} unrecognised, "
        f"{kinds['skipped']} skipped; inputs: {len(accounting.inputs)}\n"
    )
    for report in accounting.problems():
        out.write(style(f"input {report.status}: {report.source}: {report.reason}", Severity.WARNING) + "\n")
    for hit in accounting.limit_hits():
        out.write(style(f"limit hit: {hit.input}: {hit.describe()}", Severity.WARNING) + "\n")
    _write_unexplained(result, out, style)
    _write_unknown(result, out, style)


_PROMPTS = {"powershell": "PS> ", "sh": "$ "}


def _write_steps(steps: Sequence[Step], out: IO[str]) -> None:
    """The playbook's steps, numbered per platform, each command on its own line behind its shell's prompt."""
    by_platform: dict[str, list[Step]] = {}
    for step in steps:
        by_platform.setdefault(step.platform, []).append(step)
    for platform, items in by_platform.items():
        where = BY_PLATFORM.get(platform)
        out.write(f"         steps ({where.label if where else platform}):\n")
        for number, step in enumerate(items, 1):
            out.write(f"          {number:>2}. {step.text}\n")
            if step.command:
                out.write(f"              {_PROMPTS.get(step.shell or '', '')}{step.command}\n")


def _write_unexplained(result: Result, out: IO[str], style: Any) -> None:
    """The error records no rule explains, worst first: what a reader must not miss."""
    verdict = result.verdict
    if not verdict.unexplained:
        return
    out.write(
        style(f"\nerror records no rule explains: {verdict.unexplained_records}", Severity.WARNING, bold=True) + "\n"
    )
    for item in verdict.unexplained[:MAX_UNEXPLAINED_SHOWN]:
        example = item.example
        out.write(f"  {item.count:>6} x {item.level:<8} {_clip(item.template, 100)}\n")
        out.write(f"           {example.source}:{example.line}  {_clip(example.text)}\n")
        for line in item.detail:
            out.write(f"             {_clip(line)}\n")
    if len(verdict.unexplained) > MAX_UNEXPLAINED_SHOWN:
        out.write(f"  … and {len(verdict.unexplained) - MAX_UNEXPLAINED_SHOWN} more kinds (see the JSON report)\n")


def _write_unknown(result: Result, out: IO[str], style: Any) -> None:
    """Coverage, the anomaly score (with a baseline) and the top unknown templates, Qoder-related first."""
    coverage = result.coverage
    records = result.records
    shown = NO_COVERAGE if coverage is None else f"{100 * coverage:.1f}%"
    out.write(
        f"qoder coverage: {shown} ({records.get('qoder_recognised', 0)} of {records.get('qoder_related', 0)} "
        f"Qoder-related records recognised); unknown templates: {len(result.template_list)}\n"
    )
    if result.baseline is not None:
        unusual = (result.baseline.get("anomaly") or {}).get("unusual")
        for sentence in anomaly_sentences(result.baseline):
            out.write(style(f"anomaly: {sentence}", Severity.ERROR if unusual else None) + "\n")
    ordered = sorted(result.template_list, key=lambda t: not t.qoder_related)[:5]
    for template in ordered:
        first = template.examples[0]
        mark = " [qoder]" if template.qoder_related else ""
        out.write(f"  {template.count:>6} x {_clip(template.template, 100)}{mark}\n")
        out.write(f"           {first.source}:{first.line}  {_clip(first.text)}\n")


def _clip(text: str, width: int = 140) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
