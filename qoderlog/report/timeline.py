"""The time-shaped part of a report: the event-timeline marks, their lanes, and which charts there are.

``timeline_marks`` picks the few notable events (starts, IPC failures, exits
and crashes, updater states) from an analysis; the rest turns them and the
session rows into view values for the templates and ``charts``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..model import IPC_FAILURES, START_FAILURES
from .view import Chart, LaneSummary, Mark, SessionRow

if TYPE_CHECKING:
    from ..model import Event

LANES: tuple[str, ...] = ("Sidecar starts", "IPC failures", "Exits & crashes", "Updater")
MAX_CHART_ROWS = 40
"""At most this many sessions are drawn per chart (the sessions table lists up to ``MAX_SHOWN_SESSIONS``)."""


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


def _lane(event: Event) -> tuple[str, str] | None:
    kind = event.type
    if kind == "process.start":
        return "Sidecar starts", "start"
    if kind in START_FAILURES or kind == "binary.mismatch":
        return "Sidecar starts", kind.split(".", 1)[1].replace("_", " ")
    if kind in IPC_FAILURES:
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


def parse_time(text: str | None) -> datetime | None:
    """A document's ISO time as a naive datetime (``None`` when missing or unreadable)."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        return None


def time_text(stamp: datetime | None, *, ms: bool = False) -> str:
    """A time as a report shows it (``—`` when unknown)."""
    if stamp is None:
        return "—"
    text = stamp.isoformat(sep=" ", timespec="milliseconds" if ms else "seconds")
    return text


def mark_of(item: Mapping[str, Any]) -> Mark:
    """One timeline mark of the document as a view value."""
    return Mark(
        time=parse_time(item["time"]) or datetime.min,
        lane=str(item["lane"]),
        label=str(item["label"]),
        source=str(item["source"]),
        line=int(item["line"]),
    )


def lane_summaries(marks: Sequence[Mark]) -> tuple[LaneSummary, ...]:
    """Per lane of the event timeline: how many marks, first and last, the most frequent labels."""
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
                first=time_text(min(m.time for m in items)),
                last=time_text(max(m.time for m in items)),
                labels=", ".join(f"{label} \N{MULTIPLICATION SIGN}{n}" if n > 1 else label for label, n in top),
            )
        )
    return tuple(summaries)


def _drawn(count: int) -> str:
    if count <= MAX_CHART_ROWS:
        return ""
    return f" The first {MAX_CHART_ROWS} of {count} sessions are drawn; the sessions table lists more."


def chart_list(sessions: Sequence[SessionRow], marks: Sequence[Mark]) -> tuple[Chart, ...]:
    """The charts a report shows, with their captions: only those with something to draw."""
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
