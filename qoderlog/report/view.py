"""The report's view model: frozen values, already formatted, that the templates and charts only present.

``presentation.present`` builds them from an analysis document; nothing here
knows where the values came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

SEVERITIES: tuple[str, ...] = ("critical", "error", "warning", "info")
"""The severities a report groups findings by, worst first."""


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
class StepView:
    """One playbook step: its number, instruction and (maybe) command in ``shell`` (``powershell`` or ``sh``)."""

    number: int
    text: str
    shell: str | None
    command: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class StepGroup:
    """The steps for one platform, numbered from 1, under the platform's name and its shell's."""

    platform: str
    label: str
    shell_label: str
    steps: tuple[StepView, ...]


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
    steps: tuple[StepGroup, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SeverityGroup:
    """The findings of one severity, worst group first."""

    severity: str
    heading: str
    findings: tuple[FindingView, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class UnexplainedRow:
    """One kind of error record no rule explains: template, count, level, and its first line with what follows."""

    template: str
    count: int
    level: str
    source: str
    source_name: str
    example: EvidenceLine
    detail: tuple[str, ...]

    @property
    def lines(self) -> list[str]:
        """The example line and the continuation lines shown under it."""
        return [self.example.text, *self.detail]


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """The banner: worst severity, what it is, and a sentence for someone who is not an expert.

    ``kind`` is the analysis verdict (problems, unexplained, nothing-to-diagnose,
    all-clear); ``unexplained`` the error records no rule explains, worst first.
    """

    kind: str
    severity: str
    label: str
    headline: str
    sentence: str
    likely_cause: str | None
    first_action: str | None
    counts: tuple[tuple[str, int], ...]
    unexplained: tuple[UnexplainedRow, ...] = ()
    unexplained_records: int = 0
    incident: str | None = None
    """The story of the incident the worst finding is part of, root cause first, when it has more than one finding."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingRef:
    """A finding named from elsewhere in the report: its anchor, title and rule."""

    anchor: str
    title: str
    rule: str
    severity: str


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentView:
    """Findings that follow from each other: the root cause, then its consequences, and the story."""

    id: str
    summary: str
    root: FindingRef
    consequences: tuple[FindingRef, ...]


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
    minidumps: tuple[tuple[str, str, str, str], ...]
    """Source, time, size and what died (a crash report's process and reason; empty for a minidump)."""
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
    """A chart a report may show: its key in ``charts.report_figures``, its title and what it shows."""

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
    incidents: tuple[IncidentView, ...] = ()
    """The incidents of more than one finding (an incident of one finding is just that finding)."""

    @property
    def findings_shown(self) -> int:
        """How many findings the report lists (at most ``MAX_SHOWN_FINDINGS`` of ``finding_count``)."""
        return sum(len(group.findings) for group in self.groups)
