"""Analysis → a format-neutral report model that the HTML and Markdown templates only present.

``report_document`` is the result's JSON document plus the event-timeline
marks (the few notable events: starts, IPC failures, exits and crashes,
updater states), so that redaction, when asked for, runs over everything a
report shows before any of it is presented. ``present`` turns that
(possibly redacted) document into a ``Report``: a verdict a non-expert
understands, findings grouped by severity with ranked causes, remedies,
what to escalate and evidence lines split into plain and highlighted
segments, session rows, the input accounting and the environment.
``build_report`` does both for an ``Analysis``.

Nothing here builds markup: the templates in ``reports/`` decide how each
value looks, and escape it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, Any

from ..baseline import anomaly_sentences
from ..locations import BY_PLATFORM, SHELLS
from ..model import LimitHit
from ..redact import KINDS, Redactor
from ..rules.registry import startup_thresholds
from ..verdict import NO_COVERAGE
from .banner import verdict_view
from .names import base_name, clip, short_names
from .timeline import chart_list, lane_summaries, mark_of, parse_time, time_text, timeline_marks
from .view import (
    SEVERITIES,
    AccountingView,
    EvidenceBlock,
    EvidenceLine,
    FindingRef,
    FindingView,
    IncidentView,
    InputRow,
    Location,
    Metric,
    Report,
    Segment,
    SessionRow,
    SeverityGroup,
    StepGroup,
    StepView,
    TemplateRow,
    UnknownView,
)

if TYPE_CHECKING:
    from ..engine import Result

GROUP_HEADINGS = {"critical": "Critical", "error": "Errors", "warning": "Warnings", "info": "Information"}
MAX_MARKS = 5000
MAX_SHOWN_FINDINGS = 150
"""A report shows at most this many findings, the worst first; the JSON output has them all."""
MAX_SHOWN_SESSIONS = 300
"""A report lists at most this many sessions (those the shown findings name first); the JSON output has them all."""
MAX_TEMPLATE_ROWS = 15
"""Unknown templates shown in a report (Qoder-related first, then the most frequent); the JSON has all."""

# Rules whose offence is a time gap: the time of each evidence line is the value to look at.
_TIMING_RULES = frozenset({"startup-slow", "restart-loop", "update-stuck"})

_METRIC_LABELS = {
    "latency_s": "start latency",
    "warning_s": "warning at",
    "error_s": "error at",
    "span_s": "span",
    "window_s": "window",
    "seconds_after": "seconds after",
    "seconds_to_crash": "seconds to crash",
    "binary_path": "binary",
    "pid": "pid",
    "previous_pid": "previous pid",
}


def build_report(result: Result, *, redact: bool) -> Report:
    """The report model of ``result``; with ``redact`` every string is redacted first."""
    document = report_document(result)
    replaced: dict[str, int] = {}
    if redact:
        redactor = Redactor()
        document = redactor.redact_document(document)
        replaced = redactor.replaced
    limits = startup_thresholds(result.config)
    return present(document, thresholds=limits, redacted=redact, replaced=replaced)


def report_document(result: Result) -> dict[str, Any]:
    """``result.to_dict()`` cut to what a report shows, plus ``timeline``: the notable events, at most ``MAX_MARKS``.

    A big bundle can hold thousands of findings and sessions; a report shows
    the ``MAX_SHOWN_FINDINGS`` worst findings and ``MAX_SHOWN_SESSIONS``
    sessions (the ones those findings name first), and records the totals
    and the counts per severity in ``shown`` — so rendering (and redacting)
    costs the same whatever the size of the logs.
    """
    document = result.to_dict()
    findings = document["findings"]
    sessions = document["sessions"]
    counts = {sev: n for sev in SEVERITIES if (n := sum(1 for f in findings if f["severity"] == sev))}
    if len(findings) > MAX_SHOWN_FINDINGS:
        worst = sorted(range(len(findings)), key=lambda i: SEVERITIES.index(findings[i]["severity"]))
        kept = sorted(worst[:MAX_SHOWN_FINDINGS])
        document["findings"] = [findings[i] for i in kept]
        document["incidents"] = _shown_incidents(
            document.get("incidents") or [], {old: new for new, old in enumerate(kept)}
        )
    if len(sessions) > MAX_SHOWN_SESSIONS:
        named = {f.get("session") for f in document["findings"]}
        first = [i for i, s in enumerate(sessions) if s["id"] in named]
        rest = (i for i, s in enumerate(sessions) if s["id"] not in named)
        chosen = first[:MAX_SHOWN_SESSIONS] + list(islice(rest, max(0, MAX_SHOWN_SESSIONS - len(first))))
        document["sessions"] = [sessions[i] for i in sorted(chosen)]
    document["shown"] = {"findings": len(findings), "sessions": len(sessions), "counts": counts}
    marks = list(timeline_marks(result.event_list))
    document["timeline"] = marks[:MAX_MARKS]
    document["timeline_total"] = len(marks)
    return document


def _shown_incidents(incidents: Sequence[Mapping[str, Any]], index: Mapping[int, int]) -> list[dict[str, Any]]:
    """The incidents whose root is among the shown findings, their finding indices renumbered to the shown list."""
    shown = []
    for incident in incidents:
        if incident["root"] in index:
            members = [index[i] for i in incident["findings"] if i in index]
            shown.append({**incident, "root": index[incident["root"]], "findings": members})
    return shown


def present(
    document: Mapping[str, Any],
    *,
    thresholds: Mapping[str, float] | None = None,
    redacted: bool = False,
    replaced: Mapping[str, int] | None = None,
) -> Report:
    """The report model of a (possibly redacted) ``report_document``."""
    findings = list(document.get("findings") or [])
    session_docs = list(document.get("sessions") or [])
    limits = dict(thresholds or startup_thresholds())
    slow = next((f for f in findings if f["rule"] == "startup-slow"), None)
    if slow is not None:
        for key in tuple(limits):
            if isinstance(slow["metrics"].get(key), int | float):
                limits[key] = float(slow["metrics"][key])
    names = short_names([*(s["source"] for s in session_docs), *(f["source"] for f in findings)])
    sessions = tuple(_session_row(n, s, names, limits) for n, s in enumerate(_ordered(session_docs), 1))
    by_id = {s["id"]: s for s in session_docs}
    views = [_finding_view(i, f, by_id, names) for i, f in enumerate(findings, 1)]
    incidents = _incident_views(document.get("incidents") or [], views)
    groups = tuple(
        SeverityGroup(severity=sev, heading=GROUP_HEADINGS[sev], findings=tuple(v for v in views if v.severity == sev))
        for sev in SEVERITIES
        if any(v.severity == sev for v in views)
    )
    marks = tuple(mark_of(m) for m in document.get("timeline") or [])
    shown = document.get("shown") or {}
    return Report(
        title="Qoder log report",
        generator=str(document.get("generator") or "qoderlog"),
        period=_period(document.get("inputs") or []),
        verdict=verdict_view(
            findings, shown.get("counts"), document.get("verdict") or {}, document.get("incidents") or []
        ),
        groups=groups,
        finding_count=int(shown.get("findings") or len(findings)),
        sessions=sessions,
        session_count=int(shown.get("sessions") or len(sessions)),
        accounting=_accounting(document.get("stats") or {}),
        environment=_environment(document.get("environment") or {}),
        marks=marks,
        marks_total=int(document.get("timeline_total") or len(marks)),
        lanes=lane_summaries(marks),
        thresholds=limits,
        charts=chart_list(sessions, marks),
        redacted=redacted,
        unknown=_unknown(document),
        redaction=tuple((kind, n) for kind, n in (replaced or {}).items() if kind in KINDS and n),
        incidents=incidents,
    )


def _incident_views(incidents: Sequence[Mapping[str, Any]], views: Sequence[FindingView]) -> tuple[IncidentView, ...]:
    """The incidents of more than one finding, each finding named by its anchor in the report."""

    def ref(index: int) -> FindingRef:
        view = views[index]
        return FindingRef(anchor=view.anchor, title=view.title, rule=view.rule, severity=view.severity)

    return tuple(
        IncidentView(
            id=incident["id"],
            summary=incident["summary"],
            root=ref(incident["root"]),
            consequences=tuple(ref(i) for i in incident["findings"] if i != incident["root"]),
        )
        for incident in incidents
        if len(incident["findings"]) > 1
    )


def _unknown(document: Mapping[str, Any]) -> UnknownView:
    templates = list(document.get("unknown_templates") or [])
    ordered = sorted(templates, key=lambda t: not t.get("qoder_related"))[:MAX_TEMPLATE_ROWS]
    names = short_names(t["example"]["source"] for t in ordered if t.get("example"))
    rows = []
    for item in ordered:
        example = item.get("example") or {"source": "", "line": 0, "text": ""}
        text = clip(example["text"])
        rows.append(
            TemplateRow(
                template_id=str(item["template_id"]),
                template=str(item["template"]),
                count=int(item["count"]),
                level=str(item.get("level") or "—"),
                component=str(item.get("component") or "—"),
                qoder_related=bool(item.get("qoder_related")),
                source=str(example["source"]),
                source_name=names.get(example["source"], base_name(str(example["source"]))),
                example=EvidenceLine(line=int(example["line"] or 0), time="", segments=(Segment(text),)),
            )
        )
    records = document.get("records") or {}
    coverage = document.get("coverage")
    baseline = document.get("baseline") or {}
    return UnknownView(
        rows=tuple(rows),
        total=len(templates),
        qoder_related=int(records.get("qoder_related") or 0),
        qoder_unknown=int(records.get("qoder_unknown") or 0),
        coverage=NO_COVERAGE if coverage is None else f"{100 * coverage:.1f}%",
        unusual=(baseline.get("anomaly") or {}).get("unusual"),
        anomaly=tuple(anomaly_sentences(baseline)),
    )


def split_segments(text: str, marks: Iterable[str]) -> tuple[Segment, ...]:
    """``text`` cut into plain and marked segments at every occurrence of each mark (overlaps merged)."""
    spans: list[tuple[int, int]] = []
    for mark in {m for m in marks if m}:
        start = text.find(mark)
        while start >= 0:
            spans.append((start, start + len(mark)))
            start = text.find(mark, start + len(mark))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for begin, end in spans:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((begin, end))
    segments: list[Segment] = []
    at = 0
    for begin, end in merged:
        if begin > at:
            segments.append(Segment(text[at:begin]))
        segments.append(Segment(text[begin:end], mark=True))
        at = end
    if at < len(text) or not segments:
        segments.append(Segment(text[at:]))
    return tuple(segments)


def format_seconds(value: float | None) -> str:
    """``10.178`` → ``"10.2 s"``; ``5.0`` → ``"5 s"``; ``0.0421`` → ``"0.042 s"``; ``None`` → ``"—"``."""
    if value is None:
        return "—"
    if value >= 1:
        return f"{value:.1f}".removesuffix(".0") + " s"
    return f"{value:.2g} s"


def _ordered(sessions: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(
        sessions, key=lambda s: (s["source"], parse_time(s.get("start_time") or s.get("info_time")) or datetime.min)
    )


def _latency_level(value: float | None, limits: Mapping[str, float]) -> str:
    if value is None:
        return ""
    if value >= limits["error_s"]:
        return "error"
    if value >= limits["warning_s"]:
        return "warning"
    return "ok"


_OUTCOME_LEVEL = {"ready": "ok", "never_ready": "error", "died": "error", "restarted": "warning", "unknown": ""}


def _session_row(
    number: int, session: Mapping[str, Any], names: Mapping[str, str], limits: Mapping[str, float]
) -> SessionRow:
    start, info = parse_time(session.get("start_time")), parse_time(session.get("info_time"))
    latency = session.get("startup_latency_s")
    name = names.get(session["source"], base_name(session["source"]))
    first, last = session.get("first_line"), session.get("last_line")
    outcome = str(session.get("outcome") or "unknown")
    exit_code = session.get("exit_code")
    return SessionRow(
        number=number,
        label=f"#{number} {name}",
        source=session["source"],
        source_name=name,
        role=str(session.get("role") or "—") + ("" if session.get("is_start") else " (attach)"),
        is_start=bool(session.get("is_start")),
        start=start,
        info=info,
        ready=parse_time(session.get("ready_time")),
        end=parse_time(session.get("end_time")),
        start_text=time_text(start or info),
        latency=latency,
        latency_text=format_seconds(latency),
        latency_level=_latency_level(latency, limits),
        connect_text=format_seconds(session.get("connect_latency_s")),
        transport=str(session.get("transport") or "—"),
        pid=str(session["pid"]) if session.get("pid") is not None else "—",
        ipc_failures=int(session.get("ipc_failures") or 0),
        attempts=int(session.get("start_attempts") or 0),
        outcome=outcome.replace("_", " "),
        outcome_level=_OUTCOME_LEVEL.get(outcome, ""),
        exit_code=str(exit_code) if exit_code is not None else "—",
        lines=f"{first}\N{EN DASH}{last}" if first and last and first != last else str(first or "—"),
    )


def _metric(key: str, value: Any) -> Metric | None:
    if value is None or value == [] or value == "":
        return None
    label = _METRIC_LABELS.get(key, key.replace("_", " "))
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float) and key.endswith("_s"):
        text = format_seconds(value)
    elif isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, list | tuple):
        text = ", ".join(str(v) for v in value)
    else:
        text = str(value)
    if key == "minutes":
        text += " min"
    return Metric(label=label, value=text, long=len(text) > 40)


def _evidence_marks(evidence: Mapping[str, Any], rule: str) -> list[str]:
    marks = [str(h) for h in evidence.get("highlight") or []]
    stamp = parse_time(evidence.get("timestamp"))
    if rule in _TIMING_RULES and stamp is not None:
        found = re.search(re.escape(stamp.strftime("%H:%M:%S")) + r"(?:[.,]\d+)?", evidence["text"])
        if found:
            marks.append(found[0])
    return marks


def _evidence_blocks(
    rule: str, items: Sequence[Mapping[str, Any]], names: Mapping[str, str]
) -> tuple[EvidenceBlock, ...]:
    blocks: list[EvidenceBlock] = []
    current: list[EvidenceLine] = []
    source: str | None = None
    for item in items:
        text = clip(item.get("text") or "")
        line = EvidenceLine(
            line=int(item.get("line") or 0),
            time=time_text(parse_time(item.get("timestamp")), ms=True),
            segments=split_segments(text, _evidence_marks({**item, "text": text}, rule)),
        )
        if item["source"] != source and current:
            blocks.append(_block(source or "", current, names))
            current = []
        source = item["source"]
        current.append(line)
    if current:
        blocks.append(_block(source or "", current, names))
    return tuple(blocks)


def _block(source: str, lines: list[EvidenceLine], names: Mapping[str, str]) -> EvidenceBlock:
    return EvidenceBlock(source=source, name=names.get(source, base_name(source)), lines=tuple(lines))


def _line_list(numbers: Iterable[int]) -> str:
    values = sorted(set(numbers))
    if not values:
        return "—"
    return ("line " if len(values) == 1 else "lines ") + ", ".join(str(v) for v in values)


def _locations(finding: Mapping[str, Any], session: Mapping[str, Any] | None) -> tuple[Location, ...]:
    per_source: dict[str, list[int]] = {}
    for item in finding.get("evidence") or []:
        per_source.setdefault(item["source"], []).append(int(item["line"]))
    found = [Location(source=source, lines=_line_list(lines)) for source, lines in per_source.items()]
    if session is not None and session.get("first_line"):
        span = f"session lines {session['first_line']}\N{EN DASH}{session['last_line']}"
        found.append(Location(source=session["source"], lines=span))
    if not found:
        found.append(Location(source=finding["source"], lines="the whole file"))
    return tuple(found)


def _finding_view(
    index: int, finding: Mapping[str, Any], sessions: Mapping[str, Mapping[str, Any]], names: Mapping[str, str]
) -> FindingView:
    remediation = finding.get("remediation") or {}
    metrics = finding.get("metrics") or {}
    shown = tuple(m for m in (_metric(k, v) for k, v in metrics.items()) if m is not None)
    session = sessions.get(finding["session"]) if finding.get("session") else None
    return FindingView(
        anchor=f"finding-{index}",
        rule=finding["rule"],
        severity=finding["severity"],
        title=finding["title"],
        summary=finding["summary"],
        metrics=shown,
        causes=tuple(remediation.get("causes") or ()),
        user_actions=tuple(remediation.get("user_actions") or ()),
        escalate=tuple(remediation.get("escalate") or ()),
        locations=_locations(finding, session),
        evidence=_evidence_blocks(finding["rule"], finding.get("evidence") or [], names),
        fleet_context=tuple(finding.get("fleet_context") or ()),
        steps=step_groups(remediation.get("steps") or ()),
    )


_SHELL_LABELS = {"powershell": "PowerShell", "sh": "Terminal (sh)"}


def step_groups(steps: Iterable[Mapping[str, Any]]) -> tuple[StepGroup, ...]:
    """A finding's ``remediation.steps`` grouped by platform, in the order given, each numbered from 1."""
    by_platform: dict[str, list[Mapping[str, Any]]] = {}
    for step in steps:
        by_platform.setdefault(step["platform"], []).append(step)
    groups = []
    for platform, items in by_platform.items():
        where = BY_PLATFORM.get(platform)
        shell = SHELLS.get(platform, "sh")
        groups.append(
            StepGroup(
                platform=platform,
                label=where.label if where else platform,
                shell_label=_SHELL_LABELS[shell],
                steps=tuple(
                    StepView(number=n, text=item["text"], shell=item.get("shell"), command=item.get("command"))
                    for n, item in enumerate(items, 1)
                ),
            )
        )
    return tuple(groups)


def _died(dump: Mapping[str, Any]) -> str:
    """What a crash report says died and how (``Code Helper: EXC_BAD_ACCESS (SIGBUS)``); empty for a minidump."""
    return ": ".join(str(part) for part in (dump.get("process"), dump.get("reason")) if part)


def _size(value: int | None) -> str:
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} B"


def _accounting(stats: Mapping[str, Any]) -> AccountingView:
    inputs = tuple(
        InputRow(
            source=str(item["source"]),
            encoding=str(item.get("encoding") or "—"),
            size=_size(item.get("size")),
            lines=int(item.get("lines") or 0),
            by_kind=dict(item.get("by_kind") or {}),
            status=str(item.get("status") or "ok"),
            reason=str(item.get("reason") or ""),
        )
        for item in stats.get("inputs") or []
    )
    dumps = tuple(
        (str(d["source"]), str(d.get("time") or "—"), _size(d.get("size")), _died(d))
        for d in stats.get("minidumps") or []
    )
    return AccountingView(
        lines_read=int(stats.get("lines_read") or 0),
        by_kind=dict(stats.get("by_kind") or {}),
        inputs=inputs,
        ignored=tuple(str(p) for p in stats.get("ignored_files") or []),
        minidumps=dumps,
        cut_lines=int(stats.get("cut_lines") or 0),
        replacements=int(stats.get("replacements") or 0),
        limits=tuple((str(hit["input"]), LimitHit(**hit).describe()) for hit in stats.get("limits") or []),
    )


def _environment(environment: Mapping[str, Any]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    rows = (
        ("Platform", "platforms"),
        ("Qoder binary version", "binary_versions"),
        ("Sidecar binary (install path)", "binary_paths"),
        ("Work folder (SharedClientCache)", "work_dirs"),
    )
    return tuple((label, tuple(str(v) for v in environment.get(key) or ())) for label, key in rows)


def _period(inputs: Sequence[Mapping[str, Any]]) -> str:
    firsts = [t for t in (parse_time(i.get("first_time")) for i in inputs) if t is not None]
    lasts = [t for t in (parse_time(i.get("last_time")) for i in inputs) if t is not None]
    if not firsts or not lasts:
        return "no timestamps"
    return f"{time_text(min(firsts))} → {time_text(max(lasts))}"
