"""Analysis → a format-neutral report model that the HTML and Markdown templates only present.

``report_document`` is the analysis' JSON document plus the event-timeline
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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

from ..model import LimitHit
from ..nightly.fleet import anomaly_sentences
from ..redact import KINDS, Redactor

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..model import Event

SEVERITIES: tuple[str, ...] = ("critical", "error", "warning", "info")
GROUP_HEADINGS = {"critical": "Critical", "error": "Errors", "warning": "Warnings", "info": "Information"}
DEFAULT_THRESHOLDS = {"warning_s": 5.0, "error_s": 10.0}
MAX_MARKS = 5000
MAX_SHOWN_FINDINGS = 150
"""A report shows at most this many findings, the worst first; the JSON output has them all."""
MAX_SHOWN_SESSIONS = 300
"""A report lists at most this many sessions (those the shown findings name first); the JSON output has them all."""
MAX_CHART_ROWS = 40
"""At most this many sessions are drawn per chart (the sessions table lists up to ``MAX_SHOWN_SESSIONS``)."""
MAX_EVIDENCE_CHARS = 4000
MAX_TEMPLATE_ROWS = 15
"""Unknown templates shown in a report (Qoder-related first, then the most frequent); the JSON has all."""
LANES: tuple[str, ...] = ("Sidecar starts", "IPC failures", "Exits & crashes", "Updater")

# Rules whose offence is a time gap: the time of each evidence line is the value to look at.
_TIMING_RULES = frozenset({"startup-slow", "restart-loop", "update-stuck"})

_PLAIN: dict[str, Callable[[Mapping[str, Any]], str]] = {
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
    "app-crash": lambda m: "The Qoder editor itself crashed or stopped responding.",
}

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


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of an evidence line; ``mark`` when it is a value worth highlighting."""

    text: str
    mark: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceLine:
    """One line-numbered log line, split into segments."""

    line: int
    time: str
    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        """The line as read (after redaction), for plain-text formats."""
        return "".join(s.text for s in self.segments)


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceBlock:
    """Consecutive evidence lines from one source."""

    source: str
    name: str
    lines: tuple[EvidenceLine, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """A file and the lines in it that the Qoder developers should look at."""

    source: str
    lines: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Metric:
    """A measured value of a finding, formatted."""

    label: str
    value: str
    long: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingView:
    """A finding as a report shows it."""

    anchor: str
    rule: str
    severity: str
    title: str
    summary: str
    metrics: tuple[Metric, ...]
    causes: tuple[str, ...]
    user_actions: tuple[str, ...]
    escalate: tuple[str, ...]
    locations: tuple[Location, ...]
    evidence: tuple[EvidenceBlock, ...]
    fleet_context: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SeverityGroup:
    """The findings of one severity, worst group first."""

    severity: str
    heading: str
    findings: tuple[FindingView, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """The banner: worst severity, what it is, and a sentence for someone who is not an expert."""

    severity: str
    label: str
    headline: str
    sentence: str
    likely_cause: str | None
    first_action: str | None
    counts: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionRow:
    """One Go sidecar session; the times are wall-clock values for the charts, the texts for tables."""

    number: int
    label: str
    source: str
    source_name: str
    role: str
    is_start: bool
    start: datetime | None
    info: datetime | None
    ready: datetime | None
    end: datetime | None
    start_text: str
    latency: float | None
    latency_text: str
    latency_level: str
    connect_text: str
    transport: str
    pid: str
    ipc_failures: int
    attempts: int
    outcome: str
    outcome_level: str
    exit_code: str
    lines: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InputRow:
    """How one input file was read."""

    source: str
    encoding: str
    size: str
    lines: int
    by_kind: Mapping[str, int]
    status: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountingView:
    """The input accounting: every line read, by kind, per input; what was ignored."""

    lines_read: int
    by_kind: Mapping[str, int]
    inputs: tuple[InputRow, ...]
    ignored: tuple[str, ...]
    minidumps: tuple[tuple[str, str, str], ...]
    cut_lines: int
    replacements: int
    limits: tuple[tuple[str, str], ...] = ()
    """Every bound an input met: (input, "limit value > limit allowed (what it did)")."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Mark:
    """A notable event on the event timeline."""

    time: datetime
    lane: str
    label: str
    source: str
    line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LaneSummary:
    """How many marks one lane of the event timeline has, and when."""

    lane: str
    count: int
    first: str
    last: str
    labels: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Chart:
    """A chart a report may show: its key in ``charts.FIGURES``, its title and what it shows."""

    key: str
    title: str
    caption: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateRow:
    """One unknown template as a report shows it, with its first example line."""

    template_id: str
    template: str
    count: int
    level: str
    component: str
    qoder_related: bool
    source: str
    source_name: str
    example: EvidenceLine


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownView:
    """The "Unrecognised lines" section: top templates, Qoder coverage, and the anomaly score if any."""

    rows: tuple[TemplateRow, ...]
    total: int
    qoder_related: int
    qoder_unknown: int
    coverage: str
    unusual: bool | None
    anomaly: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Report:
    """Everything a report shows, already formatted, in the order it is shown."""

    title: str
    generator: str
    period: str
    verdict: Verdict
    groups: tuple[SeverityGroup, ...]
    finding_count: int
    sessions: tuple[SessionRow, ...]
    session_count: int
    accounting: AccountingView
    environment: tuple[tuple[str, tuple[str, ...]], ...]
    marks: tuple[Mark, ...]
    marks_total: int
    lanes: tuple[LaneSummary, ...]
    thresholds: Mapping[str, float]
    charts: tuple[Chart, ...]
    redacted: bool
    unknown: UnknownView
    redaction: tuple[tuple[str, int], ...] = field(default_factory=tuple)

    @property
    def findings_shown(self) -> int:
        """How many findings the report lists (at most ``MAX_SHOWN_FINDINGS`` of ``finding_count``)."""
        return sum(len(group.findings) for group in self.groups)


def build_report(analysis: Analysis, *, redact: bool) -> Report:
    """The report model of ``analysis``; with ``redact`` every string is redacted first."""
    document = report_document(analysis)
    replaced: dict[str, int] = {}
    if redact:
        redactor = Redactor()
        document = redactor.redact_document(document)
        replaced = redactor.replaced
    limits = {**DEFAULT_THRESHOLDS, **_slow_config(analysis.config)}
    return present(document, thresholds=limits, redacted=redact, replaced=replaced)


def report_document(analysis: Analysis) -> dict[str, Any]:
    """``analysis.to_dict()`` cut to what a report shows, plus ``timeline``: the notable events, at most ``MAX_MARKS``.

    A big bundle can hold thousands of findings and sessions; a report shows
    the ``MAX_SHOWN_FINDINGS`` worst findings and ``MAX_SHOWN_SESSIONS``
    sessions (the ones those findings name first), and records the totals
    and the counts per severity in ``shown`` — so rendering (and redacting)
    costs the same whatever the size of the logs.
    """
    document = analysis.to_dict()
    findings = document["findings"]
    sessions = document["sessions"]
    counts = {sev: n for sev in SEVERITIES if (n := sum(1 for f in findings if f["severity"] == sev))}
    if len(findings) > MAX_SHOWN_FINDINGS:
        worst = sorted(range(len(findings)), key=lambda i: SEVERITIES.index(findings[i]["severity"]))
        document["findings"] = [findings[i] for i in sorted(worst[:MAX_SHOWN_FINDINGS])]
    if len(sessions) > MAX_SHOWN_SESSIONS:
        named = {f.get("session") for f in document["findings"]}
        first = [i for i, s in enumerate(sessions) if s["id"] in named]
        rest = (i for i, s in enumerate(sessions) if s["id"] not in named)
        chosen = first[:MAX_SHOWN_SESSIONS] + list(islice(rest, max(0, MAX_SHOWN_SESSIONS - len(first))))
        document["sessions"] = [sessions[i] for i in sorted(chosen)]
    document["shown"] = {"findings": len(findings), "sessions": len(sessions), "counts": counts}
    marks = list(timeline_marks(analysis.event_list))
    document["timeline"] = marks[:MAX_MARKS]
    document["timeline_total"] = len(marks)
    return document


def timeline_marks(events: Iterable[Event]) -> Iterable[dict[str, Any]]:
    """The events worth a mark on the event timeline, as JSON-ready dicts (time, lane, label, source, line)."""
    for event in events:
        if event.timestamp is None:
            continue
        placed = _lane(event)
        if placed is None:
            continue
        lane, label = placed
        yield {
            "time": event.timestamp.isoformat(),
            "lane": lane,
            "label": label,
            "source": event.source,
            "line": event.line,
        }


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
    limits = dict(thresholds or DEFAULT_THRESHOLDS)
    slow = next((f for f in findings if f["rule"] == "startup-slow"), None)
    if slow is not None:
        for key in DEFAULT_THRESHOLDS:
            if isinstance(slow["metrics"].get(key), int | float):
                limits[key] = float(slow["metrics"][key])
    names = _short_names([*(s["source"] for s in session_docs), *(f["source"] for f in findings)])
    sessions = tuple(_session_row(n, s, names, limits) for n, s in enumerate(_ordered(session_docs), 1))
    by_id = {s["id"]: s for s in session_docs}
    views = [_finding_view(i, f, by_id, names) for i, f in enumerate(findings, 1)]
    groups = tuple(
        SeverityGroup(severity=sev, heading=GROUP_HEADINGS[sev], findings=tuple(v for v in views if v.severity == sev))
        for sev in SEVERITIES
        if any(v.severity == sev for v in views)
    )
    marks = tuple(_mark(m) for m in document.get("timeline") or [])
    shown = document.get("shown") or {}
    return Report(
        title="Qoder log report",
        generator=str(document.get("generator") or "qoderlog"),
        period=_period(document.get("inputs") or []),
        verdict=_verdict(findings, sessions, shown.get("counts")),
        groups=groups,
        finding_count=int(shown.get("findings") or len(findings)),
        sessions=sessions,
        session_count=int(shown.get("sessions") or len(sessions)),
        accounting=_accounting(document.get("stats") or {}),
        environment=_environment(document.get("environment") or {}),
        marks=marks,
        marks_total=int(document.get("timeline_total") or len(marks)),
        lanes=_lanes(marks),
        thresholds=limits,
        charts=_charts(sessions, marks),
        redacted=redacted,
        unknown=_unknown(document),
        redaction=tuple((kind, n) for kind, n in (replaced or {}).items() if kind in KINDS and n),
    )


def _unknown(document: Mapping[str, Any]) -> UnknownView:
    templates = list(document.get("unknown_templates") or [])
    ordered = sorted(templates, key=lambda t: not t.get("qoder_related"))[:MAX_TEMPLATE_ROWS]
    names = _short_names(t["example"]["source"] for t in ordered if t.get("example"))
    rows = []
    for item in ordered:
        example = item.get("example") or {"source": "", "line": 0, "text": ""}
        text = str(example["text"])
        if len(text) > MAX_EVIDENCE_CHARS:
            text = text[:MAX_EVIDENCE_CHARS] + " …"
        rows.append(
            TemplateRow(
                template_id=str(item["template_id"]),
                template=str(item["template"]),
                count=int(item["count"]),
                level=str(item.get("level") or "—"),
                component=str(item.get("component") or "—"),
                qoder_related=bool(item.get("qoder_related")),
                source=str(example["source"]),
                source_name=names.get(example["source"], _base(str(example["source"]))),
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
        coverage="—" if coverage is None else f"{100 * coverage:.1f}%",
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


def _slow_config(config: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    overrides = config.get("startup-slow", {}) if config else {}
    return {k: float(v) for k, v in overrides.items() if k in DEFAULT_THRESHOLDS}


def _lane(event: Event) -> tuple[str, str] | None:
    kind = event.type
    if kind == "process.start":
        return "Sidecar starts", "start"
    if kind in ("start.attempt_failed", "start.gave_up", "start.not_ready", "info.not_found", "binary.mismatch"):
        return "Sidecar starts", kind.split(".", 1)[1].replace("_", " ")
    if kind in ("ipc.connect_failed", "ipc.socket_not_found", "health.failed", "reconnect.failed"):
        code = event.get("error_code")
        return "IPC failures", str(code) if code else kind.replace(".", " ").replace("_", " ")
    if kind == "reconnect.exhausted":
        return "IPC failures", "reconnect exhausted"
    if kind == "connection.established" and str(event.get("transport") or "").lower() == "tcp":
        return "IPC failures", "TCP fallback"
    if kind in ("process.exit", "app.renderer_gone", "app.exthost_exit"):
        code = event.get("code")
        if kind == "app.exthost_exit" and code == 0:
            return None
        name = {
            "process.exit": "sidecar exit",
            "app.renderer_gone": "renderer gone",
            "app.exthost_exit": "exthost exit",
        }
        return "Exits & crashes", f"{name[kind]} {code}" if code is not None else name[kind]
    if kind in ("process.gone", "app.uncaught_exception", "app.unresponsive", "shutdown.forced_cleanup"):
        return "Exits & crashes", kind.split(".", 1)[1].replace("_", " ")
    if kind == "update.state":
        return "Updater", str(event.get("state") or "state")
    return None


def _wall(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        return None


def _time_text(stamp: datetime | None, *, ms: bool = False) -> str:
    if stamp is None:
        return "—"
    text = stamp.isoformat(sep=" ", timespec="milliseconds" if ms else "seconds")
    return text


def _base(path: str) -> str:
    windows = PureWindowsPath(path)
    name = windows.name if "\\" in path else PurePosixPath(path).name
    return name or path


def _short_names(sources: Iterable[str]) -> dict[str, str]:
    """Each source's file name, with its parent folders added until the names are unique."""
    unique = list(dict.fromkeys(sources))
    names: dict[str, str] = {}
    for source in unique:
        parts = re.split(r"[\\/]", source)
        depth = 1
        while True:
            candidate = "/".join(p for p in parts[-depth:] if p) or source
            clash = [
                other
                for other in unique
                if other != source and "/".join(p for p in re.split(r"[\\/]", other)[-depth:] if p) == candidate
            ]
            if not clash or depth >= len(parts):
                names[source] = candidate
                break
            depth += 1
    return names


def _ordered(sessions: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(
        sessions, key=lambda s: (s["source"], _wall(s.get("start_time") or s.get("info_time")) or datetime.min)
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
    start, info = _wall(session.get("start_time")), _wall(session.get("info_time"))
    latency = session.get("startup_latency_s")
    name = names.get(session["source"], _base(session["source"]))
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
        ready=_wall(session.get("ready_time")),
        end=_wall(session.get("end_time")),
        start_text=_time_text(start or info),
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
    stamp = _wall(evidence.get("timestamp"))
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
        text = str(item.get("text") or "")
        if len(text) > MAX_EVIDENCE_CHARS:
            text = text[:MAX_EVIDENCE_CHARS] + " …"
        line = EvidenceLine(
            line=int(item.get("line") or 0),
            time=_time_text(_wall(item.get("timestamp")), ms=True),
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
    return EvidenceBlock(source=source, name=names.get(source, _base(source)), lines=tuple(lines))


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
    )


def _verdict(
    findings: Sequence[Mapping[str, Any]], sessions: Sequence[SessionRow], totals: Mapping[str, int] | None = None
) -> Verdict:
    if totals is None:
        totals = {sev: sum(1 for f in findings if f["severity"] == sev) for sev in SEVERITIES}
    counts = tuple((sev, n) for sev in SEVERITIES if (n := totals.get(sev, 0)))
    if not findings:
        started = sum(1 for s in sessions if s.outcome == "ready")
        sentence = (
            f"No problems found: the Go sidecar came up normally in {started} of {len(sessions)} session(s)."
            if sessions
            else "No problems found in these logs (no Go sidecar session was recorded)."
        )
        return Verdict(
            severity="ok",
            label="OK",
            headline="No problems found",
            sentence=sentence,
            likely_cause=None,
            first_action=None,
            counts=(),
        )
    worst = findings[0]
    for finding in findings:
        if SEVERITIES.index(finding["severity"]) < SEVERITIES.index(worst["severity"]):
            worst = finding
    plain = _PLAIN.get(worst["rule"])
    try:
        sentence = plain(worst.get("metrics") or {}) if plain else worst["summary"]
    except (KeyError, TypeError, ValueError):
        sentence = worst["summary"]
    remediation = worst.get("remediation") or {}
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
    )


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
        (str(d["source"]), str(d.get("time") or "—"), _size(d.get("size"))) for d in stats.get("minidumps") or []
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
    firsts = [t for t in (_wall(i.get("first_time")) for i in inputs) if t is not None]
    lasts = [t for t in (_wall(i.get("last_time")) for i in inputs) if t is not None]
    if not firsts or not lasts:
        return "no timestamps"
    return f"{_time_text(min(firsts))} → {_time_text(max(lasts))}"


def _mark(item: Mapping[str, Any]) -> Mark:
    return Mark(
        time=_wall(item["time"]) or datetime.min,
        lane=str(item["lane"]),
        label=str(item["label"]),
        source=str(item["source"]),
        line=int(item["line"]),
    )


def _lanes(marks: Sequence[Mark]) -> tuple[LaneSummary, ...]:
    summaries = []
    for lane in LANES:
        items = [m for m in marks if m.lane == lane]
        if not items:
            continue
        labels: dict[str, int] = {}
        for item in items:
            labels[item.label] = labels.get(item.label, 0) + 1
        top = sorted(labels.items(), key=lambda kv: -kv[1])[:6]
        summaries.append(
            LaneSummary(
                lane=lane,
                count=len(items),
                first=_time_text(min(m.time for m in items)),
                last=_time_text(max(m.time for m in items)),
                labels=", ".join(f"{label} \N{MULTIPLICATION SIGN}{n}" if n > 1 else label for label, n in top),
            )
        )
    return tuple(summaries)


def _drawn(count: int) -> str:
    if count <= MAX_CHART_ROWS:
        return ""
    return f" The first {MAX_CHART_ROWS} of {count} sessions are drawn; the sessions table lists more."


def _charts(sessions: Sequence[SessionRow], marks: Sequence[Mark]) -> tuple[Chart, ...]:
    charts = []
    timed = sum(1 for s in sessions if s.start or s.info)
    if timed:
        charts.append(
            Chart(
                key="sessions",
                title="Session timeline",
                caption="One bar per Go sidecar session, in seconds from its start: start request → "
                ".info.json read → connected → running until it ended; ✕ marks a session that died or "
                "never became ready." + _drawn(timed),
            )
        )
    starts = sum(1 for s in sessions if s.latency is not None or (s.is_start and s.outcome_level == "error"))
    if starts:
        charts.append(
            Chart(
                key="latency",
                title="Startup latency",
                caption="Seconds from 'Starting go process' to the .info.json read, per session, "
                "against the warning and error thresholds." + _drawn(starts),
            )
        )
    if marks:
        charts.append(
            Chart(
                key="events",
                title="Event timeline",
                caption="Sidecar starts, IPC failures, exits and crashes, and updater states over time.",
            )
        )
    return tuple(charts)
