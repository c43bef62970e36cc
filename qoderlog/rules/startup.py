"""Startup rules: ``startup-slow`` (start → ``.info.json`` read too long) and ``startup-failure``."""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterator, Mapping

from ..model import START_FAILURES, START_TYPES, Event, Evidence, Outcome, Session, Severity
from . import Facts, Hit, Rule, severity_for

_SLOW_CAUSES = {
    "antivirus": "Antivirus / Windows Defender scanning Qoder.exe or the SharedClientCache folder on every start.",
    "cache": "A very large SharedClientCache (index, caches) that the sidecar reads at start-up.",
    "disk": "A slow or network-redirected disk (roaming profile, HDD) under the install or cache folder.",
    "cpu": "CPU or memory pressure at login or from other heavy applications.",
    "proxy": "A corporate proxy delaying the sidecar's own start-up network calls.",
}
_SLOW_ORDER = {
    "windows": ("antivirus", "cache", "disk", "cpu", "proxy"),
    "macos": ("cache", "antivirus", "cpu", "disk", "proxy"),
    "linux": ("cpu", "disk", "cache", "proxy", "antivirus"),
}


def _first(session: Session, types: Collection[str]) -> Event | None:
    return next((e for e in session.events if e.type in types), None)


def detect_slow(facts: Facts, limits: Mapping[str, float]) -> Iterator[Hit]:
    """A start whose ``.info.json`` was read ``warning_s`` or more after the start request.

    Anti-pattern: ``Starting go process`` at 10:23:45 and ``Read cosy info``
    at 10:23:55 — the user waits ten seconds for every AI feature. Below
    ``warning_s`` (e.g. a 4.9 s start) is healthy; ``error_s`` and above is
    an error. Attaching to a running sidecar is not a start and is never slow.
    """
    for session in facts.sessions:
        latency = session.startup_latency_s
        if latency is None:
            continue
        severity = severity_for(latency, limits, {"warning_s": Severity.WARNING, "error_s": Severity.ERROR})
        if severity is None:
            continue
        start, read = _first(session, START_TYPES), _first(session, ("info.read",))
        evidence = tuple(Evidence.of(e, e.get("pid")) for e in (start, read) if e is not None)
        platform = session.platform or "unknown platform"
        yield Hit(
            severity=severity,
            summary=(
                f"The Go sidecar took {latency:.1f} s from start to .info.json read "
                f"(warning at {limits['warning_s']:g} s, error at {limits['error_s']:g} s) on {platform}."
            ),
            source=session.source,
            session=session.id,
            start=session.start_time,
            end=session.info_time,
            metrics={
                "latency_s": latency,
                "platform": session.platform,
                "pid": session.pid,
                "binary_path": session.binary_path,
                "warning_s": limits["warning_s"],
                "error_s": limits["error_s"],
            },
            evidence=evidence,
            causes=_SLOW_ORDER.get(session.platform or "", tuple(_SLOW_CAUSES)),
            signature=session.platform or "unknown",
        )


SLOW = Rule(
    id="startup-slow",
    title="Slow Go sidecar start",
    doc=detect_slow.__doc__ or "",
    thresholds={"warning_s": 5.0, "error_s": 10.0},
    causes=_SLOW_CAUSES,
    user_actions=(
        "Add the Qoder install folder and the SharedClientCache folder to the antivirus exclusions "
        "(binary: {binary_path}).",
        "Clear or shrink the SharedClientCache folder, or move it to a local SSD.",
        "Close heavy applications and retry after a reboot; note whether the start is still ~{latency_s:.0f} s.",
    ),
    escalate=(
        "The start and .info.json read lines of several sessions (this one took {latency_s:.1f} s), "
        "the platform ({platform}), the binary version and the SharedClientCache size if known.",
    ),
    detect=detect_slow,
)

_FAILURE_CAUSES = {
    "quarantine": "The sidecar binary is blocked or quarantined by antivirus.",
    "permission": "The binary lacks execute permission (macOS/Linux) or the work dir is not writable.",
    "corrupt": "A corrupt or partial install (binary missing or damaged).",
    "port": "The port the sidecar wants is already in use.",
    "hang": "The sidecar started but hung before writing .info.json (see the readiness timeout).",
}


def _failure_causes(errors: list[str]) -> tuple[str, ...]:
    text = " ".join(errors).lower()
    order: list[str] = []
    if "permission" in text or "access is denied" in text or "eacces" in text or "eperm" in text:
        order += ["permission", "quarantine"]
    if "not exist" in text or "no such file" in text or "enoent" in text:
        order += ["corrupt", "quarantine"]
    if "address already in use" in text or "eaddrinuse" in text:
        order.append("port")
    if "timeout" in text or "not found after" in text:
        order.append("hang")
    order += [key for key in _FAILURE_CAUSES if key not in order]
    return tuple(dict.fromkeys(order))


class _Starts:
    """The start sessions of each file in line order, to find the one an attach session waits for."""

    def __init__(self, starts: list[Session]) -> None:
        """Group ``starts`` by file, each sorted (stably) by first line."""
        self._by_source: dict[str, list[Session]] = {}
        for start in sorted(starts, key=lambda s: s.first_line):
            self._by_source.setdefault(start.source, []).append(start)
        self._lines = {source: [s.first_line for s in items] for source, items in self._by_source.items()}

    def waited_for(self, attach: Session) -> Session | None:
        """The start an attach session in the same file waits for: the last one before it (one failure, two lanes).

        Lines tell it where clocks may not: a file can mix local and UTC stamps. Of starts on one line, the first.
        """
        lines = self._lines.get(attach.source)
        if not lines:
            return None
        after = bisect.bisect_right(lines, attach.first_line)
        if after == 0:
            return None
        return self._by_source[attach.source][bisect.bisect_left(lines, lines[after - 1])]


def detect_failure(facts: Facts, limits: Mapping[str, float]) -> Iterator[Hit]:
    """Start attempts failing, giving up, a readiness timeout, or ``.info.json`` never appearing.

    Anti-pattern: ``Process start attempt 1 failed``… ``failed to start
    process after 3 attempts`` (critical: the sidecar never came up), or a
    start with no ``.info.json`` read ``never_ready_s`` later while the log
    goes on, or before the next start (error). Attempts that failed but
    were followed by a successful start are a warning. The extension host's
    attach flow (``check start cosy async`` → ``Waiting for .info.json``) fails
    the same way: ``.info.json file not found after N ms``, a socket that never
    appears, or no answer ``never_ready_s`` later, even though it spawned
    nothing itself.
    """
    waits = _Starts([s for s in facts.sessions if s.is_start])
    for session in facts.sessions:
        failures = [e for e in session.events if e.type in START_FAILURES]
        never_ready = session.outcome is Outcome.NEVER_READY
        if not session.is_start and not never_ready:
            continue  # an attach that came up (or says nothing either way) is not a failed start
        waited_for = None if session.is_start else waits.waited_for(session)
        if waited_for is not None and waited_for.outcome is Outcome.NEVER_READY:
            continue  # the same wait, seen from the other lane of one file: the failed start says it
        if not session.is_start:
            # The extension host's attach flow: a socket that never appeared is its start failing too.
            failures += [e for e in session.events if e.type == "ipc.socket_not_found"]
        if not failures and not never_ready:
            continue
        gave_up = any(e.type == "start.gave_up" for e in failures)
        if gave_up:
            severity = Severity.CRITICAL
        elif never_ready:
            severity = Severity.ERROR
        else:
            severity = Severity.WARNING
        errors = [str(e.get("error") or e.message) for e in failures]
        start = _first(session, START_TYPES)
        shown = failures[:4] or ([start] if start else [])
        evidence = tuple(Evidence.of(e, e.get("error"), e.get("attempt")) for e in shown)
        if gave_up:
            what = f"all {session.start_attempts} start attempts failed and the service gave up"
        elif any(e.type == "info.not_found" for e in failures):
            what = ".info.json never appeared"
        elif any(e.type == "ipc.socket_not_found" for e in failures):
            what = "the sidecar's socket never appeared"
        elif any(e.type == "start.not_ready" for e in failures):
            what = "the sidecar never became ready (readiness timeout)"
        elif never_ready:
            what = "no .info.json was read before the log moved on"
        else:
            what = f"{len(failures)} start attempt(s) failed before the sidecar came up"
        last_error = errors[-1] if errors else None
        yield Hit(
            severity=severity,
            summary=f"Sidecar start failed: {what}" + (f" (last error: {last_error})." if last_error else "."),
            source=session.source,
            session=session.id,
            start=session.start_time,
            end=session.end_time,
            metrics={
                "attempts": session.start_attempts,
                "failures": len(failures),
                "gave_up": gave_up,
                "never_ready": never_ready,
                "last_error": last_error,
                "binary_path": session.binary_path,
            },
            evidence=evidence,
            causes=_failure_causes(errors),
            signature="gave-up" if gave_up else "never-ready" if never_ready else "attempt-failed",
        )


FAILURE = Rule(
    id="startup-failure",
    title="Go sidecar failed to start",
    doc=detect_failure.__doc__ or "",
    thresholds={"never_ready_s": 30.0},
    causes=_FAILURE_CAUSES,
    user_actions=(
        "Check that the sidecar binary exists and is allowed to run: {binary_path}.",
        "Reinstall Qoder.",
    ),
    cause_actions={
        "quarantine": ("Restore the binary from the antivirus quarantine and add the Qoder folder to its exclusions.",),
        "permission": (
            "macOS/Linux: make the binary executable (chmod +x) and check write permission on SharedClientCache.",
        ),
        "port": ("Close the program holding the sidecar's port, or restart the machine.",),
        "hang": ("Quit Qoder, delete SharedClientCache/.info.json, and start Qoder again.",),
    },
    escalate=("The start-attempt errors verbatim (last: {last_error}), the exit codes and the attempt count.",),
    detect=detect_failure,
)
