"""Findings, error records and the sidecar's presence → the verdict every report opens with.

A support engineer who reads "No problems found" closes the ticket, so the
verdict says one of four things, and only the last is an all-clear:

- ``problems``: a rule found something at warning or above;
- ``unexplained``: no rule fired, but the logs hold error records that no
  rule explains (an unrecognised ``[error]`` line, a Go panic, a glog
  ``E``/``F`` line, a language client's ``[Error …]``, a Chromium
  ``ERROR``/``FATAL`` line, a bare ``Error:`` stack, or a recognised error
  event no finding cites) — they are listed, worst first;
- ``nothing-to-diagnose``: there is not one line of the Qoder sidecar
  (``GoProcessService``, cosy / ``.info.json``, ``[IPC]``, the service's own
  messages) and nothing else is wrong — the user sent the wrong logs;
- ``all-clear``: sidecar lines are there, no rule fired, and every error
  record is explained by a finding or is known noise (``qoderlog.noise``).

The unexplained records are listed with the other verdicts too: a crash
found does not make the rest of the errors go away. So are the inputs that
could not be read (a missing or unreadable file, a truncated archive, a
binary or too large one): a verdict speaks only of what was read, and says
so — with nothing read at all it is ``nothing-to-diagnose`` and says why,
never "no error".
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .locations import ask_for_logs
from .mining.miner import ERROR_LEVELS, ErrorTemplate
from .model import LEVEL_RANK, Event, Evidence, Finding, Severity

NO_COVERAGE = "— (no Qoder sidecar line in these logs)"
"""What the coverage figure reads when there is nothing to cover: not 0 %, not 100 %."""


class VerdictKind(enum.StrEnum):
    """What a bundle's diagnosis amounts to."""

    PROBLEMS = "problems"
    UNEXPLAINED = "unexplained"
    NOTHING_TO_DIAGNOSE = "nothing-to-diagnose"
    ALL_CLEAR = "all-clear"


@dataclass(frozen=True, slots=True, kw_only=True)
class Unexplained:
    """One kind of error record no rule explains: its template, how often, its worst level, its first line."""

    template: str
    count: int
    level: str
    example: Evidence
    recognised: bool
    detail: tuple[str, ...] = ()
    """The first continuation lines of the example (the error under an ``[error]`` line, a stack's top)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "template": self.template,
            "count": self.count,
            "level": self.level,
            "recognised": self.recognised,
            "example": {"source": self.example.source, "line": self.example.line, "text": self.example.text},
            "detail": list(self.detail),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """The verdict of one bundle (see the module docstring) with what it rests on."""

    kind: VerdictKind
    headline: str
    sentence: str
    unexplained: tuple[Unexplained, ...] = ()
    unexplained_records: int = 0
    sidecar_records: int = 0
    known_noise: Mapping[str, int] = field(default_factory=dict)
    unread: tuple[str, ...] = ()
    """Each input that could not be read, as ``"<input>: <reason>"``."""
    nothing_read: bool = False
    """Whether not one line was read as text, because no input could be (``unread`` says why)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``verdict`` of the analysis document)."""
        return {
            "kind": str(self.kind),
            "headline": self.headline,
            "sentence": self.sentence,
            "unexplained_records": self.unexplained_records,
            "unexplained": [item.to_dict() for item in self.unexplained],
            "sidecar_records": self.sidecar_records,
            "known_noise": dict(self.known_noise),
            "unread": list(self.unread),
        }


def unexplained_errors(
    findings: Iterable[Finding], events: Iterable[Event], errors: Iterable[ErrorTemplate]
) -> tuple[Unexplained, ...]:
    """Error records no finding explains: unrecognised ones by template, recognised ones no evidence cites."""
    cited = {(item.source, item.line) for finding in findings for item in finding.evidence}
    found: list[Unexplained] = [
        Unexplained(
            template=item.template,
            count=item.count,
            level=item.level,
            example=item.example,
            recognised=False,
            detail=item.detail,
        )
        for item in errors
    ]
    events = tuple(events)
    # A finding shows a few of its lines: the other lines of the same kind in that file are what it explains too.
    explained = {(e.source, e.type) for e in events if (e.source, e.line) in cited}
    by_type: dict[str, list[Event]] = {}
    for event in events:
        if event.level in ERROR_LEVELS and (event.source, event.type) not in explained:
            by_type.setdefault(event.type, []).append(event)
    for kind, items in by_type.items():
        first = items[0]
        worst = min((e.level or "error" for e in items), key=lambda level: -LEVEL_RANK.get(level, 0))
        found.append(
            Unexplained(
                template=f"{kind}: {first.message}",
                count=len(items),
                level=worst,
                example=Evidence(source=first.source, line=first.line, text=first.text, timestamp=first.timestamp),
                recognised=True,
                detail=first.detail[:3],
            )
        )
    found.sort(key=lambda item: (-LEVEL_RANK.get(item.level, 0), -item.count, item.example.source, item.example.line))
    return tuple(found)


def judge(
    *,
    findings: tuple[Finding, ...],
    unexplained: tuple[Unexplained, ...],
    sidecar_records: int,
    ready_sessions: int,
    sessions: int,
    known_noise: Mapping[str, int] | None = None,
    unread: tuple[str, ...] = (),
    lines_read: int | None = None,
) -> Verdict:
    """The verdict for a bundle's findings, its unexplained error records and how many sidecar lines it has.

    ``unread`` names the inputs that could not be read (``"<input>: <reason>"``) and ``lines_read`` how many
    lines were read as text in all (a binary file's are not): the words then say what the verdict rests on, and
    that nothing was read when so.
    """
    noise = dict(known_noise or {})
    records = sum(item.count for item in unexplained)
    kind, headline, sentence = _words(findings, unexplained, records, sidecar_records, ready_sessions, sessions, noise)
    nothing_read = bool(unread) and lines_read == 0
    if unread:
        headline, sentence = _unread_words(kind, headline, sentence, unread, nothing_read=nothing_read)
    return Verdict(
        kind=kind,
        headline=headline,
        sentence=sentence,
        unexplained=unexplained,
        unexplained_records=records,
        sidecar_records=sidecar_records,
        known_noise=noise,
        unread=unread,
        nothing_read=nothing_read and kind is VerdictKind.NOTHING_TO_DIAGNOSE,
    )


MAX_UNREAD_NAMED = 3
"""Inputs that could not be read named in the verdict's sentence; the rest are counted (every one is listed in the
report's inputs)."""


def _unread_words(
    kind: VerdictKind, headline: str, sentence: str, unread: tuple[str, ...], *, nothing_read: bool
) -> tuple[str, str]:
    """The headline and sentence of a verdict over a bundle some of whose inputs could not be read."""
    named = "; ".join(unread[:MAX_UNREAD_NAMED])
    more = f"; and {len(unread) - MAX_UNREAD_NAMED} more" if len(unread) > MAX_UNREAD_NAMED else ""
    which = f"{len(unread)} input(s) could not be read ({named}{more})"
    if kind is VerdictKind.NOTHING_TO_DIAGNOSE and nothing_read:
        return (
            f"Nothing read: {len(unread)} input(s) could not be read",
            f"Not one line was read: {which}. Check those inputs (the path, the permissions, the kind of file), or "
            "ask the user to send the logs again. " + ask_for_logs(),
        )
    if kind is VerdictKind.NOTHING_TO_DIAGNOSE:
        return (
            headline,
            "What was read holds no line of the Qoder sidecar (GoProcessService, cosy / .info.json, [IPC]) and no "
            f"error, but {which}: they may be the logs of the problem. " + ask_for_logs(),
        )
    if kind is VerdictKind.ALL_CLEAR:
        return (
            "No problems found in what could be read",
            f"{sentence.rstrip('.')}, but {which}: they may hold the problem.",
        )
    return headline, f"{sentence} Also, {which}."


def _words(
    findings: tuple[Finding, ...],
    unexplained: tuple[Unexplained, ...],
    records: int,
    sidecar_records: int,
    ready_sessions: int,
    sessions: int,
    noise: Mapping[str, int],
) -> tuple[VerdictKind, str, str]:
    """The verdict's kind, headline and sentence."""
    serious = [f for f in findings if f.severity >= Severity.WARNING]
    no_sidecar = (
        " The logs hold no line of the Qoder sidecar either (GoProcessService, cosy / .info.json, [IPC]): "
        + ask_for_logs()
        if not sidecar_records
        else ""
    )
    if serious:
        worst = max(serious, key=lambda f: f.severity)
        more = f" {records} other error record(s) no rule explains are listed too." if records else ""
        return (
            VerdictKind.PROBLEMS,
            f"{len(serious)} problem(s) found, worst: {str(worst.severity).upper()}",
            worst.summary + more,
        )
    if unexplained:
        first = unexplained[0]
        return (
            VerdictKind.UNEXPLAINED,
            f"No known problem, but {records} error record(s) that no rule explains",
            f"No rule recognised a problem, yet the logs hold {records} error record(s) of "
            f"{len(unexplained)} kind(s); the worst: {first.template!r} ({first.example.source}:"
            f"{first.example.line}). Read them before closing the ticket." + no_sidecar,
        )
    if not sidecar_records:
        return (
            VerdictKind.NOTHING_TO_DIAGNOSE,
            "Nothing to diagnose: no Qoder sidecar lines in these logs",
            "These logs hold no line of the Qoder sidecar (GoProcessService, cosy / .info.json, [IPC]) "
            "and no error: they are not the logs of the problem. " + ask_for_logs(),
        )
    started = f"the Go sidecar came up normally in {ready_sessions} of {sessions} session(s); " if sessions else ""
    quiet = f" ({sum(noise.values())} known-noise record(s) set aside)" if noise else ""
    return (
        VerdictKind.ALL_CLEAR,
        "No problems found",
        f"No problems found: {started}every error record is explained or known noise{quiet}.",
    )
