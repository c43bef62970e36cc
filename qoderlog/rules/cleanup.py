"""``cleanup-anomaly``: a process died and its resources were not (all) cleaned up."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..model import Event, Evidence, Severity
from . import Facts, Hit, Rule

_CONFIG_ONLY = "config files only"


def detect(facts: Facts, limits: Mapping[str, float]) -> Iterator[Hit]:
    """Partial cleanup, cleanup errors, forced cleanup, cleanup of a pid never seen started.

    Anti-patterns: ``Process PID=17376 no longer exists, cleaning up config
    files only`` (warning: the IPC socket/pipe and temp files are left
    behind); ``cleanup completed with 2 errors`` (error); ``Graceful shutdown
    timeout, forcing cleanup`` and ``Components shutdown with errors``
    (warning). A pid never seen started in this log is named in the summary.
    """
    for events in facts.streams.values():
        started: set[int] = set()
        for event in events:
            pid = event.get("pid")
            if event.type in ("info.read", "binary.existing") and pid is not None:
                started.add(pid)
            hit = _judge(event, pid is not None and pid not in started)
            if hit is not None:
                yield hit


def _judge(event: Event, unknown_pid: bool) -> Hit | None:
    kind = event.type
    pid = event.get("pid")
    if kind == "process.gone":
        action = str(event.get("action") or "")
        partial = _CONFIG_ONLY in action.lower()
        if not partial and not unknown_pid:
            return None
        parts = []
        if partial:
            parts.append("only config files were cleaned up: its IPC socket/pipe and temp files are left behind")
        if unknown_pid:
            parts.append("this pid was never seen started in this log (a leftover from an earlier run)")
        return _hit(
            Severity.WARNING,
            f"Sidecar process {pid} was gone; " + "; ".join(parts) + ".",
            event,
            {"pid": pid, "partial": partial, "unknown_pid": unknown_pid, "errors": 0},
            ("crash", "killed", "shutdown"),
            "config-only" if partial else "unknown-pid",
        )
    if kind == "cleanup.result":
        errors = event.get("error_count") or 0
        if errors <= 0:
            return None
        return _hit(
            Severity.ERROR,
            f"Cleanup completed with {errors} error(s): {event.get('errors') or 'details not logged'}.",
            event,
            {"pid": pid, "errors": errors, "details": event.get("errors")},
            ("locked", "crash", "shutdown"),
            "errors",
        )
    if kind == "shutdown.forced_cleanup":
        return _hit(
            Severity.WARNING,
            "Graceful shutdown timed out and cleanup was forced.",
            event,
            {"pid": pid, "errors": 0},
            ("shutdown", "crash"),
            "forced",
        )
    if kind == "shutdown.errors":
        return _hit(
            Severity.WARNING,
            f"Components shut down with errors: {event.get('error') or 'details not logged'}.",
            event,
            {"pid": pid, "errors": 1, "details": event.get("error")},
            ("shutdown", "locked"),
            "shutdown-errors",
        )
    return None


def _hit(
    severity: Severity,
    summary: str,
    event: Event,
    metrics: dict[str, object],
    causes: tuple[str, ...],
    signature: str,
) -> Hit:
    return Hit(
        severity=severity,
        summary=summary,
        source=event.source,
        start=event.timestamp,
        end=event.timestamp,
        metrics=metrics,
        evidence=(Evidence.of(event, event.get("pid"), event.get("error_count")),),
        causes=causes,
        signature=signature,
    )


CLEANUP = Rule(
    id="cleanup-anomaly",
    title="Incomplete or failed cleanup",
    doc=detect.__doc__ or "",
    thresholds={},
    causes={
        "crash": "The sidecar died unexpectedly (crash, out of memory, killed by antivirus).",
        "killed": "The previous sidecar was killed or the machine slept/shut down with Qoder running.",
        "shutdown": "Shutdown hung past its timeout, so cleanup was cut short.",
        "locked": "Files or sockets were locked or not permitted to be removed (another process, permissions).",
    },
    user_actions=(
        "Restart Qoder; if this repeats, look for a crash (renderer gone, exit codes, minidumps) around it.",
        "If Qoder misbehaves after it, quit Qoder and delete SharedClientCache/.info.json and leftover "
        "qoder-*.sock files.",
    ),
    escalate=("The lines around the death or shutdown (pid {pid}), any exit code, and minidumps.",),
    detect=detect,
)
