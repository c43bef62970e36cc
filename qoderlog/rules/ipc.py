"""``ipc-failure``: the client cannot reach the sidecar over its pipe or socket."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from ..model import IPC_FAILURES, Event, Evidence, Session, Severity
from . import Facts, Hit, Rule

_CAUSES = {
    "missing": "The pipe/socket does not exist: the sidecar is not running, or /tmp was cleaned while it ran.",
    "permission": "Pipe or socket permissions: Qoder runs as another user or elevated (administrator) this time.",
    "refused": "Nothing listens on the socket: the sidecar hung or crashed after writing .info.json.",
    "reset": "The connection was reset: the sidecar died, or security software cut the connection.",
    "security": "Security software blocking named pipes (Windows) or local sockets.",
}
_CODE_CAUSES = {
    "ENOENT": ("missing", "refused", "security"),
    "EACCES": ("permission", "security"),
    "EPERM": ("permission", "security"),
    "ECONNREFUSED": ("refused", "missing"),
    "ECONNRESET": ("reset", "security"),
    "EPIPE": ("reset", "refused"),
}


def _is_failure(event: Event) -> bool:
    return event.type in IPC_FAILURES or (event.type == "ipc.availability" and event.get("available") is False)


def _is_success(event: Event) -> bool:
    kind = event.type
    if kind == "connection.established":
        return event.get("transport") != "tcp"
    return kind == "ipc.connected" or (kind == "ipc.availability" and event.get("available") is True)


@dataclass(slots=True)
class _Run:
    failures: list[Event] = field(default_factory=list)
    verdicts: list[Event] = field(default_factory=list)
    end: Event | None = None
    recovered: bool = False
    tcp: bool = False
    exhausted: bool = False


def _runs(session: Session) -> Iterator[_Run]:
    run = _Run()
    for event in session.events:
        kind = event.type
        if _is_failure(event):
            (run.verdicts if kind == "ipc.availability" else run.failures).append(event)
        elif kind == "reconnect.exhausted":
            run.exhausted, run.end = True, event
        elif kind == "connection.established" and event.get("transport") == "tcp" and (run.failures or run.verdicts):
            run.tcp, run.end = True, event
            yield run
            run = _Run()
        elif _is_success(event) and (run.failures or run.verdicts):
            run.recovered, run.end = True, event
            yield run
            run = _Run()
    if run.failures or run.verdicts or run.exhausted:
        yield run


def detect(facts: Facts, limits: Mapping[str, float]) -> Iterator[Hit]:
    """IPC connect or health-check failures, socket/pipe not found, reconnects, TCP fallback.

    Consecutive failures in a session are one finding with a count. One
    failure that recovered on retry is a warning; ``error_count`` or more in
    a row, or a fallback to TCP, is an error; reconnect attempts exhausted
    (the service restarts the sidecar) is critical. An IPC check that
    succeeds at once produces nothing.
    """
    for session in facts.sessions:
        for run in _runs(session):
            yield _hit(session, run, limits)


def _hit(session: Session, run: _Run, limits: Mapping[str, float]) -> Hit:
    count = len(run.failures) or len(run.verdicts) or 1
    codes = sorted({str(e.get("error_code")) for e in run.failures if e.get("error_code")})
    if run.exhausted:
        severity = Severity.CRITICAL
    elif run.tcp or count >= limits["error_count"]:
        severity = Severity.ERROR
    else:
        severity = Severity.WARNING
    proof = (run.failures[:3] + run.verdicts[:1])[:4] + ([run.end] if run.end is not None else [])
    endpoint = next((e.get("endpoint") for e in run.failures if e.get("endpoint")), session.endpoint)
    if run.exhausted:
        outcome = "reconnect attempts were exhausted and the sidecar was restarted"
    elif run.tcp:
        outcome = "the client fell back to TCP (degraded)"
    elif run.recovered:
        outcome = "it recovered on retry"
    else:
        outcome = "no recovery is logged"
    code_text = f" ({', '.join(codes)})" if codes else ""
    causes: list[str] = []
    for code in codes:
        causes += _CODE_CAUSES.get(code, ())
    if session.platform == "windows":
        causes.append("security")
    causes += list(_CAUSES)
    first = (run.failures or run.verdicts or [run.end])[0]
    return Hit(
        severity=severity,
        summary=f"{count} IPC failure(s) in a row{code_text} on {endpoint or 'the IPC endpoint'}; {outcome}.",
        source=session.source,
        session=session.id,
        start=first.timestamp if first is not None else None,
        end=run.end.timestamp if run.end is not None else None,
        metrics={
            "failures": count,
            "error_codes": codes,
            "endpoint": endpoint,
            "recovered": run.recovered,
            "tcp_fallback": run.tcp,
            "reconnect_exhausted": run.exhausted,
        },
        evidence=tuple(Evidence.of(e, e.get("error_code"), e.get("endpoint")) for e in proof),
        causes=tuple(dict.fromkeys(causes)),
        signature="exhausted" if run.exhausted else "tcp-fallback" if run.tcp else "+".join(codes) or "failure",
    )


IPC_FAILURE = Rule(
    id="ipc-failure",
    title="IPC connection failures",
    doc=detect.__doc__ or "",
    thresholds={"error_count": 3},
    causes=_CAUSES,
    user_actions=("Restart Qoder.",),
    cause_actions={
        "permission": ("Run Qoder as the same, non-elevated user as before (not 'as administrator').",),
        "missing": ("Make sure nothing cleans /tmp while Qoder runs (macOS/Linux: tmp cleaners, tmpreaper).",),
        "security": ("Allow Qoder's named pipes / local sockets in the security software, or exclude Qoder.",),
        "refused": ("Quit Qoder, end any leftover Qoder sidecar process, delete SharedClientCache/.info.json.",),
        "reset": ("Look for a sidecar crash or antivirus event at the time of the reset.",),
    },
    escalate=(
        "The failure lines ({failures} failure(s), codes {error_codes}) on {endpoint}, and whether TCP "
        "fallback worked (tcp_fallback={tcp_fallback}).",
    ),
    detect=detect,
)
