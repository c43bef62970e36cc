"""``app-crash``: the editor's own processes crashed (renderer, main, extension host), with minidumps."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime

from ..model import Event, Evidence, Minidump, Severity
from ..sessions import seconds_between, wall
from . import Facts, Hit, Rule

CLEAN_REASONS = frozenset({"clean-exit", "clean_exit", "normal"})
NO_SIGNAL = frozenset({"", "unknown", "null", "none", "undefined", "0"})
EXIT_CODES: dict[int, tuple[str, str]] = {
    133: ("SIGTRAP from Chromium; on Linux usually a too-small /dev/shm (containers, VMs)", "shm"),
    5: ("EXC_CRASH / SIGTRAP on macOS: a native crash of the renderer", "native"),
    -1073741819: ("0xC0000005: access violation (a native crash: GPU driver, injected DLLs)", "native"),
    3221225477: ("0xC0000005: access violation (a native crash: GPU driver, injected DLLs)", "native"),
    -536870904: ("0xE0000008: out of memory", "oom"),
    3758096392: ("0xE0000008: out of memory", "oom"),
    -1073740791: ("0xC0000409: stack buffer overrun / fail-fast", "native"),
}


def is_crash(event: Event) -> bool:
    """Whether an event is an editor crash: renderer gone (not clean), uncaught exception, bad exthost exit."""
    kind = event.type
    if kind == "app.renderer_gone":
        return str(event.get("reason", "")).lower() not in CLEAN_REASONS
    if kind == "app.uncaught_exception":
        return True
    if kind == "app.exthost_exit":
        signal = str(event.get("signal") or "").lower()
        return (event.get("code") or 0) != 0 or signal not in NO_SIGNAL
    return False


def explain(event: Event) -> tuple[str, str]:
    """A plain-words explanation of a crash and its cause key (``shm``, ``native``, ``oom``, ``code``…)."""
    reason = str(event.get("reason") or "").lower()
    code = event.get("code")
    if reason == "oom":
        return "the renderer ran out of memory", "oom"
    if code in EXIT_CODES:
        return EXIT_CODES[code]
    if event.type == "app.uncaught_exception":
        return f"an uncaught exception in the main process: {event.get('error') or event.message}", "code"
    if event.type == "app.exthost_exit":
        return f"the extension host exited with code {code}, signal {event.get('signal')}", "extension"
    return f"the renderer process is gone (reason: {reason or '?'}, code: {code})", "native"


def detect(facts: Facts, limits: Mapping[str, float]) -> Iterator[Hit]:
    """Renderer gone (not a clean exit), uncaught exception in main, extension host exiting badly.

    Each crash is explained (133 → ``/dev/shm`` on Linux, 0xC0000005 →
    access violation, oom / 0xE0000008 → out of memory). Renderer crashes
    are errors, ``critical_repeats`` of them critical; an extension host
    exiting with a non-zero code or a signal is a warning; an exit with code
    0 and no signal is healthy. Crashpad minidumps are tied to the crash
    within ``dump_window_s`` of their file time; a minidump with no crash
    line near it is a warning of its own.
    """
    crashes = [e for e in facts.events if is_crash(e)]
    renderer = [e for e in crashes if e.type == "app.renderer_gone"]
    dumps = _tie_dumps(crashes, facts.minidumps, limits["dump_window_s"])
    for event in crashes:
        text, cause = explain(event)
        if event.type == "app.exthost_exit":
            severity = Severity.WARNING
        elif event.type == "app.renderer_gone" and len(renderer) >= limits["critical_repeats"]:
            severity = Severity.CRITICAL
        else:
            severity = Severity.ERROR
        tied = [d for d, owner in dumps.items() if owner is event]
        dump_text = f" Minidump: {', '.join(d.source for d in tied)}." if tied else ""
        yield Hit(
            severity=severity,
            summary=f"{_what(event)}: {text}.{dump_text}",
            source=event.source,
            start=event.timestamp,
            end=event.timestamp,
            metrics={
                "kind": event.type.removeprefix("app."),
                "reason": event.get("reason"),
                "code": event.get("code"),
                "signal": event.get("signal"),
                "explanation": text,
                "minidumps": [d.source for d in tied],
            },
            evidence=(Evidence.of(event, event.get("code"), event.get("reason")),),
            causes=(cause, "native", "oom", "shm"),
            signature=":".join(
                str(part) for part in (event.type.removeprefix("app."), event.get("reason"), event.get("code")) if part
            ),
        )
    for dump, owner in dumps.items():
        if owner is None:
            yield _lone_dump(dump)


def _what(event: Event) -> str:
    return {
        "app.renderer_gone": "A window's renderer process crashed",
        "app.uncaught_exception": "The main process hit an uncaught exception",
        "app.exthost_exit": "An extension host exited abnormally",
    }[event.type]


def _tie_dumps(crashes: list[Event], dumps: tuple[Minidump, ...], window: float) -> dict[Minidump, Event | None]:
    """Each minidump → the crash closest to its file time within ``window`` seconds, else ``None``."""
    tied: dict[Minidump, Event | None] = {}
    for dump in dumps:
        best: tuple[float, Event] | None = None
        for crash in crashes:
            gap = _gap(dump.time, crash.timestamp)
            if gap is not None and gap <= window and (best is None or gap < best[0]):
                best = (gap, crash)
        tied[dump] = best[1] if best else None
    return tied


def _gap(a: datetime | None, b: datetime | None) -> float | None:
    forward, backward = seconds_between(a, b), seconds_between(b, a)
    values = [v for v in (forward, backward) if v is not None]
    return min(values) if values else None


def _lone_dump(dump: Minidump) -> Hit:
    when = wall(dump.time).isoformat(sep=" ") if dump.time else "an unknown time"
    return Hit(
        severity=Severity.WARNING,
        summary=f"A Crashpad minidump was written at {when} ({dump.source}) with no crash line near it in the logs.",
        source=dump.source,
        start=dump.time,
        end=dump.time,
        metrics={"kind": "minidump", "minidumps": [dump.source], "size": dump.size},
        evidence=(),
        causes=("native",),
        signature="minidump",
    )


APP_CRASH = Rule(
    id="app-crash",
    title="Editor crash",
    doc=detect.__doc__ or "",
    thresholds={"critical_repeats": 3, "dump_window_s": 600.0},
    causes={
        "shm": "/dev/shm too small (containers, VMs): Chromium renderers need shared memory.",
        "native": "A native crash: GPU driver, or DLLs injected by security tools or overlays.",
        "oom": "Out of memory in the renderer (very large files or many editors open).",
        "code": "A bug in Qoder's main process (see the exception and stack).",
        "extension": "An extension crashed or was killed (out of memory, a native module).",
    },
    user_actions=("If it happens again, note what you were doing and keep the Crashpad folder.",),
    cause_actions={
        "shm": ("Enlarge /dev/shm (e.g. to 2 GB; in Docker run with --shm-size=2g) and restart Qoder.",),
        "native": (
            "Start Qoder with --disable-gpu; update the GPU driver.",
            "Exclude Qoder from security tools and overlays that inject DLLs into processes.",
        ),
        "oom": ("Close large editors and tabs; give the machine more memory.",),
        "code": ("Restart Qoder; send the exception and its stack trace to the Qoder developers.",),
        "extension": ("Restart Qoder; if it repeats, disable recently added extensions one by one.",),
    },
    escalate=("The crash line ({explanation}), the minidumps ({minidumps}) from Crashpad/completed.",),
    detect=detect,
)
