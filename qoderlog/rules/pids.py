"""``stale-pid``: the client attaches to a process that is not the one it just started."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Mapping
from datetime import datetime

from ..model import START_TYPES, Event, Evidence, Severity
from ..sessions import seconds_between, wall
from . import Facts, Hit, Rule


def detect(facts: Facts, limits: Mapping[str, float]) -> Iterator[Hit]:
    """``.info.json`` names a dead or old process.

    Anti-pattern (error): after a new start, ``.info.json`` still carries a
    pid already reported gone (``Process PID=… no longer exists``) or the
    previous session's pid; or the ``Existing process path (pid=…)`` is a
    pid reported gone. Warning: the pid changes between two reads with no
    start in between. Re-reading the same live pid when attaching is fine.
    """
    starts = sorted(t for e in facts.events if e.type in START_TYPES and (t := wall(e.timestamp)) is not None)
    for events in facts.streams.values():
        yield from _stream_hits(events, starts)


def _started_between(starts: list[datetime], first: Event, second: Event) -> bool:
    """Whether any client of the bundle (any file) logged a start between two reads."""
    a, b = wall(first.timestamp), wall(second.timestamp)
    if a is None or b is None:
        return False
    at = bisect_left(starts, a)
    return at < len(starts) and starts[at] <= b


def _stream_hits(events: tuple[Event, ...], starts: list[datetime]) -> Iterator[Hit]:
    gone: dict[int, Event] = {}
    reported: set[tuple[int, str]] = set()
    last_read: Event | None = None
    pid_before_start: int | None = None
    started = False
    for event in events:
        kind = event.type
        pid = event.get("pid")
        if kind in START_TYPES:
            if not started:
                pid_before_start = last_read.get("pid") if last_read is not None else None
            started = True
        elif kind == "process.gone" and pid is not None:
            gone[pid] = event
        elif kind in ("info.read", "binary.existing") and pid is not None:
            elsewhere = last_read is not None and _started_between(starts, last_read, event)
            hit = _judge(event, pid, gone, last_read, pid_before_start if started else None, started or elsewhere)
            if hit is not None and (pid, hit.signature) not in reported:
                reported.add((pid, hit.signature))
                yield hit
            if kind == "info.read":
                last_read, started = event, False


def _judge(
    event: Event,
    pid: int,
    gone: Mapping[int, Event],
    last_read: Event | None,
    previous_pid: int | None,
    started: bool,
) -> Hit | None:
    what = ".info.json" if event.type == "info.read" else "the existing process"
    if pid in gone:
        dead = gone[pid]
        return _hit(
            Severity.ERROR,
            f"{what} names pid {pid}, which was reported gone at {dead.source}:{dead.line}; "
            "the client is attaching to a dead process (stale .info.json).",
            event,
            (dead, event),
            pid,
            "gone-pid",
            previous=None,
        )
    if started and previous_pid is not None and pid == previous_pid:
        return _hit(
            Severity.ERROR,
            f"A new sidecar was started, but .info.json still carries the previous process's pid {pid}: "
            "the file was not rewritten by the new process (stale .info.json).",
            event,
            (last_read, event) if last_read is not None else (event,),
            pid,
            "previous-pid",
            previous=previous_pid,
        )
    previous = last_read.get("pid") if last_read is not None else None
    if event.type == "info.read" and not started and previous is not None and previous != pid:
        return _hit(
            Severity.WARNING,
            f"The sidecar pid changed from {previous} to {pid} with no start in between.",
            event,
            (last_read, event) if last_read is not None else (event,),
            pid,
            "pid-changed",
            previous=previous,
        )
    return None


def _hit(
    severity: Severity,
    summary: str,
    event: Event,
    proof: tuple[Event, ...],
    pid: int,
    signature: str,
    *,
    previous: int | None,
) -> Hit:
    first = proof[0]
    return Hit(
        severity=severity,
        summary=summary,
        source=event.source,
        start=first.timestamp,
        end=event.timestamp,
        metrics={
            "pid": pid,
            "previous_pid": previous,
            "seconds_after": seconds_between(first.timestamp, event.timestamp),
        },
        evidence=tuple(Evidence.of(e, pid, previous) for e in proof),
        signature=signature,
    )


STALE_PID = Rule(
    id="stale-pid",
    title="Stale pid / stale .info.json",
    doc=detect.__doc__ or "",
    thresholds={},
    causes={
        "crash": "The previous sidecar crashed or was killed and its .info.json was not removed.",
        "cleanup": "Cleanup after the previous process removed config files only, not .info.json or the socket.",
    },
    user_actions=(
        "Quit Qoder, delete SharedClientCache/.info.json (and any leftover qoder-*.sock in /tmp on macOS/Linux), "
        "then start Qoder again.",
    ),
    escalate=("The gone / started / read pid sequence (pid {pid}, previous {previous_pid}) with their lines.",),
    detect=detect,
)
