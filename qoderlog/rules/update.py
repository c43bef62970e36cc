"""``update-stuck``: the updater hangs in a busy state, or a fresh update is followed by a crash."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime

from ..model import Event, Evidence, Severity
from ..read.streams import stream_key
from ..sessions import order_stream, seconds_between
from . import Facts, Hit, Rule
from .crash import is_death

BUSY_STATES = ("checking for updates", "downloading", "updating")
FRESH_STATES = ("downloaded", "ready")


def detect(facts: Facts, limits: Mapping[str, float]) -> Iterator[Hit]:
    """The updater stays busy for ``warning_s`` (error from ``error_s``) of log time, or crashes after updating.

    Anti-patterns: ``update#setState downloading`` and no further state for
    ten minutes while the log goes on (a stuck download); ``downloaded`` or
    ``ready`` followed within ``crash_window_s`` by a crash (error). A normal
    cycle — ``checking for updates`` → ``idle`` within seconds — is healthy,
    and so is a log that simply ends while checking.
    """
    updates: dict[str, list[Event]] = {}
    crashes: dict[str, list[Event]] = {}
    for event in facts.events:
        stream = stream_key(event.source)[0]
        if event.type == "update.state":
            updates.setdefault(stream, []).append(event)
        elif is_death(event):
            crashes.setdefault(stream, []).append(event)
    for stream, states in updates.items():
        ordered = order_stream(states)
        yield from _stuck(ordered, facts.stream_ends.get(stream), limits)
        yield from _crashed_after(ordered, crashes.get(stream, []), limits)


def _stuck(states: list[Event], stream_end: datetime | None, limits: Mapping[str, float]) -> Iterator[Hit]:
    for index, event in enumerate(states):
        state = event.get("state")
        if state not in BUSY_STATES:
            continue
        following = states[index + 1] if index + 1 < len(states) else None
        until = following.timestamp if following is not None else stream_end
        stayed = seconds_between(event.timestamp, until)
        if stayed is None or stayed < limits["warning_s"]:
            continue
        severity = Severity.ERROR if stayed >= limits["error_s"] else Severity.WARNING
        then = f"then '{following.get('state')}'" if following is not None else "until the log ends"
        proof = (event, following) if following is not None else (event,)
        yield Hit(
            severity=severity,
            summary=f"The updater stayed in '{state}' for {stayed / 60:.0f} min ({then}).",
            source=event.source,
            start=event.timestamp,
            end=until,
            metrics={
                "state": state,
                "minutes": round(stayed / 60, 1),
                "next_state": following.get("state") if following is not None else None,
            },
            evidence=tuple(Evidence.of(e, e.get("state")) for e in proof),
            causes=("network", "interrupted", "permission"),
            signature=str(state).replace(" ", "-"),
        )


def _crashed_after(states: list[Event], crashes: list[Event], limits: Mapping[str, float]) -> Iterator[Hit]:
    """Each crash within the window after a fresh update, blamed on the latest such state before it."""
    fresh = [e for e in states if e.get("state") in FRESH_STATES]
    for crash in crashes:
        before = [
            (gap, e)
            for e in fresh
            if (gap := seconds_between(e.timestamp, crash.timestamp)) is not None and gap <= limits["crash_window_s"]
        ]
        if not before:
            continue
        gap, event = min(before, key=lambda item: item[0])
        yield Hit(
            severity=Severity.ERROR,
            summary=f"A crash followed {gap:.0f} s after the update reached '{event.get('state')}': {crash.message}.",
            source=event.source,
            start=event.timestamp,
            end=crash.timestamp,
            metrics={"state": event.get("state"), "seconds_to_crash": gap, "crash": crash.message},
            evidence=(Evidence.of(event, event.get("state")), Evidence.of(crash, crash.get("code"))),
            causes=("bad_update", "permission", "interrupted"),
            signature="crash-after-" + str(event.get("state")),
        )


UPDATE_STUCK = Rule(
    id="update-stuck",
    title="Update stuck or followed by a crash",
    doc=detect.__doc__ or "",
    thresholds={"warning_s": 600.0, "error_s": 3600.0, "crash_window_s": 300.0},
    causes={
        "network": "A network or proxy blocking the update server.",
        "interrupted": "An interrupted download (sleep, network drop).",
        "permission": "No write access to the install folder.",
        "bad_update": "The new version fails on this machine, or the update was applied only in part.",
    },
    user_actions=(
        "Check the network and proxy settings for the update server.",
        "Reinstall the latest Qoder version by hand.",
    ),
    escalate=("The update state sequence with times (stuck in '{state}' for {minutes} min).",),
    detect=detect,
)
