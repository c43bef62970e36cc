"""``app-crash``: one of the editor's own processes died — which one, how often, and why, from the evidence.

The editor is a family of processes (catalog §7): windows' renderers, the
GPU process, extension hosts (local, and the remote agent's), utility
processes (file watcher, shared process, pty host, network service) and the
main process. Each death is written in several wordings across VS Code
versions, often in several lines at once (``Extension host with pid P
exited …`` *and* ``[UtilityProcess …, pid: P]: crashed …`` *and* ``terminated
unexpectedly`` in renderer.log): lines of one process within a few seconds
(or with the same pid) are one death, and deaths of one process close
together are one escalating finding.

The cause is ranked from the bundle, not from the code alone
(``exit_codes.decode_exit`` says what a code suggests): a V8 out-of-memory
line or ``reason: oom`` makes memory the cause; GPU lines make the GPU the
cause; ``killed``, SIGTERM and SIGKILL mean something ended the process
and get no GPU advice; SIGSYS means the sandbox. A clean exit (code 0,
``clean-exit``, a signal-less end) is not a crash. A process that never
started (``patterns/launch.yaml``: the loader, the sandbox, the display,
root) is one too, its cause read from the line that says why; the main
process's error dialog is its death by an uncaught exception, a broken
install when the module it misses is the editor's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..model import Event, Evidence, Minidump, Severity
from ..read.crashreports import KIND as CRASH_REPORT
from ..sessions import platform_of, seconds_between, wall
from . import Facts, Hit, Rule
from .exit_codes import ExitDecoding, decode_exit

# Which process an event's death is, by type; None: read it from the event (process_type / host).
_PROCESS_OF_TYPE: dict[str, str | None] = {
    "app.renderer_gone": "renderer",
    "app.electron_renderer_gone": "renderer",
    "app.window_crash_notice": "renderer",
    "app.exthost_exit": "extension-host",
    "app.remote_exthost_exit": "remote-extension-host",
    "app.utility_crash": None,
    "app.utility_exit": None,
    "app.exthost_terminated": None,
    "app.exthost_crash_notice": None,
    "app.exthost_start_timeout": "extension-host",
    "app.exthost_start_failed": None,
    "app.ptyhost_exit": "pty-host",
    "app.gpu_crash": "gpu",
    "app.gpu_unusable": "gpu",
    "app.network_service_crash": "network-service",
    "app.uncaught_exception": "main",
    "app.ipc_listen_failed": "main",
    "app.library_missing": None,
    "app.remote_requirements_failed": "remote-extension-host",
    "app.sandbox_unusable": "main",
    "app.root_sandbox": "main",
    "app.display_missing": "main",
    "app.platform_init_failed": "main",
    "app.dll_missing": "main",
    "app.framework_missing": "main",
    "app.gtk_conflict": "main",
}
# A process that could not start at all (patterns/launch.yaml), by type → the cause that says why.
_LAUNCH_CAUSES: dict[str, str] = {
    "app.library_missing": "library",
    "app.remote_requirements_failed": "library",
    "app.sandbox_unusable": "sandbox-setup",
    "app.root_sandbox": "root",
    "app.display_missing": "display",
    "app.platform_init_failed": "display",
    "app.dll_missing": "install",
    "app.framework_missing": "install",
    "app.gtk_conflict": "gtk",
}
_EDITOR_BINARY = re.compile(r"(?i)(?:qoder|code|code-insiders|code-oss|codium|cursor|windsurf|electron)\b")
"""The file name of an editor's own executable (``code``, ``qoder``, ``Cursor-0.42.3.AppImage``), not a tool's."""
_REMOTE_SERVER = re.compile(r"/\.[\w-]+-server/")
"""A remote server's install folder (``~/.vscode-server/``, ``~/.qoder-server/``, ``~/.vscodium-server/`` …)."""
_CONTEXT_TYPES = frozenset(
    {"app.v8_oom", "app.gpu_crash_count", "app.gpu_init_failed", "app.assertion_failed", "app.module_not_found"}
)
_APP_FOLDER = re.compile(r"(?i)resources[\\/ ]app[\\/]")
"""The editor's own code (``…/resources/app/out/main.js``): a module missing there is a broken install or update."""
_UTILITY_PROCESSES = {"extensionhost": "extension-host", "gpu": "gpu", "gpu-process": "gpu"}
_NAMES = {
    "renderer": "A window's renderer process",
    "gpu": "The GPU process",
    "extension-host": "The extension host",
    "remote-extension-host": "The remote host's extension host",
    "utility": "A utility process",
    "pty-host": "The terminal (pty host) process",
    "network-service": "Chromium's network service",
    "main": "The main process",
    "javascript": "A JavaScript process (a renderer or an extension host)",
}
_BASE_SEVERITY = {
    "renderer": Severity.ERROR,
    "gpu": Severity.ERROR,
    "extension-host": Severity.ERROR,
    "remote-extension-host": Severity.ERROR,
    "main": Severity.ERROR,
    "javascript": Severity.ERROR,
    "utility": Severity.WARNING,
    "pty-host": Severity.WARNING,
    "network-service": Severity.WARNING,
}


@dataclass(slots=True, kw_only=True)
class _Death:
    """One process death, from the one or more lines that report it."""

    process: str
    name: str
    events: list[Event] = field(default_factory=list)
    pid: int | None = None
    code: int | str | None = None
    signal: str | None = None
    reason: str | None = None

    @property
    def time(self) -> datetime | None:
        return next((e.timestamp for e in self.events if e.timestamp is not None), None)

    def add(self, event: Event) -> None:
        self.events.append(event)
        self.pid = self.pid if self.pid is not None else event.get("pid")
        self.code = self.code if self.code is not None else event.get("code")
        self.signal = self.signal or _value(event.get("signal"))
        self.reason = self.reason or _value(event.get("reason"))


def _value(text: object) -> str | None:
    value = str(text).strip() if text is not None else ""
    return None if value.lower() in ("", "null", "none", "unknown", "undefined", "<unknown>") else value


def process_of(event: Event) -> tuple[str, str] | None:
    """The process an editor event reports the death of, and its own name; ``None`` if it reports none."""
    if event.type not in _PROCESS_OF_TYPE:
        return None
    known = _PROCESS_OF_TYPE[event.type]
    if known is not None:
        return known, known
    if event.type == "app.library_missing":
        # The binary the loader could not start: a remote server's node is the remote host's server, the editor's
        # own binary the editor; another program's (a tool in a terminal) is no death of the editor.
        binary = str(event.get("binary") or "")
        if _REMOTE_SERVER.search(binary):
            return "remote-extension-host", "server"
        return ("main", "main") if _EDITOR_BINARY.match(binary.rsplit("/", 1)[-1]) else None
    host = str(event.get("host") or "")
    if host:
        remote = host.lower().startswith("remote") or host.startswith("远程")  # the Chinese notice's "remote"
        return ("remote-extension-host" if remote else "extension-host"), host
    if event.type.startswith("app.exthost_"):
        return "extension-host", "LocalProcess"
    kind = str(event.get("process_type") or "utility")
    return _UTILITY_PROCESSES.get(kind.lower(), "utility"), kind


_CLEAN_REASONS = frozenset({"clean-exit", "clean_exit", "normal"})
_EXITS = frozenset({"app.exthost_exit", "app.remote_exthost_exit", "app.utility_exit", "app.ptyhost_exit"})
"""Exit lines: a death only when the code, signal or reason says so (code 0 and no signal is a clean exit)."""


def is_death(event: Event, platform: str | None = None) -> bool:
    """Whether an event reports a process ending abnormally (a clean exit, code 0 and no signal, is not one).

    An exit line is one when its code, signal or reason says so; a line that
    says "crashed", "gone", "terminated unexpectedly" or "isn't usable" is
    one unless its reason says the exit was clean.
    """
    if process_of(event) is None:
        return False
    if event.type in _EXITS:
        return decode(event, platform).is_crash
    return str(_value(event.get("reason")) or "").lower() not in _CLEAN_REASONS


def decode(event: Event, platform: str | None = None) -> ExitDecoding:
    """What an event's code, signal and reason say on their own."""
    return decode_exit(
        code=event.get("code"),
        signal=_value(event.get("signal")),
        reason=_value(event.get("reason")),
        platform=platform,
    )


def bundle_platform(facts: Facts) -> str | None:
    """The one platform the bundle shows (sessions, then paths in the editor's lines), or ``None``."""
    seen = {s.platform for s in facts.sessions if s.platform}
    if not seen:
        for event in facts.events:
            for text in (event.text, *event.detail[:3]):
                platform = _platform_from_text(text)
                if platform:
                    seen.add(platform)
    return seen.pop() if len(seen) == 1 else None


_WINDOWS_PATH = re.compile(r"\\[\w.-]+\.(?:js|exe|dll|node)\b|\b[A-Z]:\\")


def _platform_from_text(text: str) -> str | None:
    found = platform_of(text)[0]
    if found:
        return found
    if ":\\Users\\" in text or "\\AppData\\" in text or _WINDOWS_PATH.search(text):
        return "windows"
    if "/Users/" in text or "/Library/Application Support/" in text or ".app/Contents/" in text:
        return "macos"
    if "/home/" in text or "/.config/" in text or "/.vscode-server/" in text or "/.qoder-server/" in text:
        return "linux"
    return None


def detect(facts: Facts, limits: Mapping[str, float]) -> Iterator[Hit]:
    """Editor processes that died: one finding per process and burst of deaths, worst cause first.

    A renderer, GPU process, extension host (local or remote) or the main
    process dying is an error; a utility process, the pty host or the
    network service a warning; ``critical_repeats`` deaths of one process
    within ``repeat_window_s`` of each other are critical (as is the GPU
    process declared unusable, or VS Code giving up restarting an extension
    host), two are at least an error. Lines of one death (same pid, or
    within ``same_death_s``) count once. A V8 out-of-memory line with no
    death after it is a JavaScript process lost to memory. Crashpad
    minidumps are tied to the crash within ``dump_window_s`` of their file
    time; a minidump with no crash line near it is a warning of its own.
    A process that could not start at all — a missing shared library or a
    too-old glibc, an unusable Chromium sandbox, root without
    ``--no-sandbox``, no display, GTK 3 and 4 in one process, a DLL or a
    bundle library missing — is
    critical, with that cause first; the lines of one failed start count once.
    """
    platform = bundle_platform(facts)
    deaths, context = _deaths(facts.events, platform, limits["same_death_s"])
    dumps = _tie_dumps(deaths, facts.minidumps, limits["dump_window_s"])
    for burst in _bursts(deaths, limits["repeat_window_s"]):
        yield _hit(burst, context, dumps, platform, limits)
    for dump, owner in dumps.items():
        if owner is None:
            yield _lone_dump(dump)


def _deaths(events: Iterable[Event], platform: str | None, same_s: float) -> tuple[list[_Death], list[Event]]:
    """The deaths the events report (lines of one death merged) and the context lines (V8 OOM, GPU counts)."""
    deaths: list[_Death] = []
    context: list[Event] = []
    for event in events:
        if event.type in _CONTEXT_TYPES:
            context.append(event)
            continue
        if not is_death(event, platform):
            continue
        process, name = process_of(event) or ("utility", "utility")
        death = next((d for d in reversed(deaths[-8:]) if _same_death(d, process, event, same_s)), None)
        if death is None:
            death = _Death(process=process, name=name)
            deaths.append(death)
        death.add(event)
    for oom in (e for e in context if e.type == "app.v8_oom"):
        if not any(_near(oom.timestamp, d.time, 120.0) or _adjacent(oom, d) for d in deaths):
            death = _Death(process="javascript", name="javascript", reason="oom")
            death.add(oom)
            deaths.append(death)
    return deaths, context


def _same_death(death: _Death, process: str, event: Event, same_s: float) -> bool:
    if death.process != process:
        return False
    if _LAUNCH_CAUSES.get(event.type, "") == _LAUNCH_CAUSES.get(death.events[-1].type):
        return _adjacent(event, death)  # the lines of one failed start (each missing library, then "Exiting")
    pid = event.get("pid")
    if pid is not None and death.pid is not None:
        return bool(pid == death.pid)
    if any(e.type == event.type for e in death.events):
        return False  # the same wording twice is two deaths
    if event.timestamp is None or death.time is None:
        return _adjacent(event, death)
    return _near(event.timestamp, death.time, same_s)


def _adjacent(event: Event, death: _Death) -> bool:
    last = death.events[-1]
    return last.source == event.source and abs(last.line - event.line) <= 20


def _near(a: datetime | None, b: datetime | None, window: float) -> bool:
    gap = _gap(a, b)
    return gap is not None and gap <= window


def _bursts(deaths: list[_Death], window: float) -> list[list[_Death]]:
    """Deaths grouped per process into bursts whose deaths are at most ``window`` seconds apart."""
    bursts: list[list[_Death]] = []
    for death in deaths:
        current = next((b for b in reversed(bursts) if b[0].process == death.process), None)
        if current is not None:
            gap = _gap(current[-1].time, death.time)
            if gap is None or gap <= window:
                current.append(death)
                continue
        bursts.append([death])
    return bursts


def _hit(
    burst: list[_Death],
    context: list[Event],
    dumps: Mapping[Minidump, _Death | None],
    platform: str | None,
    limits: Mapping[str, float],
) -> Hit:
    first, last = burst[0], burst[-1]
    process = first.process
    # Chromium reports a signal's bare number as the GPU process's exit_code (15: SIGTERM), like Electron's "crashed".
    decodings = [
        decode_exit(
            code=d.code,
            signal=d.signal,
            reason=d.reason or ("crashed" if process == "gpu" else None),
            platform=platform,
        )
        for d in burst
    ]
    if platform is None and any(x.kind == "ntstatus" for x in decodings):
        platform = "windows"  # an NTSTATUS code only comes from Windows
    causes = _causes(burst, decodings, context, platform)
    count = len(burst)
    gave_up = any(e.type == "app.gpu_unusable" or (e.get("count") or 0) >= 3 for d in burst for e in d.events)
    severity = _BASE_SEVERITY[process]
    if count >= limits["critical_repeats"] or gave_up:
        severity = Severity.CRITICAL
    elif count >= 2:
        severity = max(severity, Severity.ERROR)
    launch = first.events[0].type in _LAUNCH_CAUSES
    if launch:
        severity = Severity.CRITICAL  # it never came up: nothing works until the cause is fixed
    if process in ("extension-host", "remote-extension-host") and causes[0] == "killed" and count == 1:
        severity = Severity.WARNING  # ended from outside (a reload, a disconnect, the OOM killer): a sign, not a crash
    tied_dumps = [dump for dump, owner in dumps.items() if owner is not None and any(owner is d for d in burst)]
    tied = [dump.source for dump in tied_dumps]
    near = [e for e in context if _around(e, burst)]
    explanation = _explanation(first, decodings[0], causes[0], near)
    times = f"{count} times" if count > 1 else "once"
    where = f" on {_PLATFORM_NAMES[platform]}" if platform in _PLATFORM_NAMES else ""
    summary = f"{_NAMES[process]} {'could not start' if launch else 'crashed ' + times}{where}: {explanation}."
    for kind, label in (("minidump", "Minidump"), (CRASH_REPORT, "Crash report")):
        named = [dump.source for dump in tied_dumps if dump.kind == kind]
        if named:
            summary += f" {label}: {', '.join(named)}."
    lines = [e for d in burst[:4] for e in d.events[:2]]
    if len(burst) > 4:
        lines.append(burst[-1].events[0])  # and the latest death
    counts = [e for e in near if e.type == "app.gpu_crash_count"]
    lines += [max(counts, key=lambda e: e.get("count") or 0)] if counts else []
    told = ("app.v8_oom", "app.assertion_failed", "app.gpu_init_failed", "app.module_not_found")
    lines += [e for e in near if e.type in told][:2]
    evidence = tuple(Evidence.of(e, e.get("code"), e.get("reason"), e.get("signal"), e.get("count")) for e in lines)
    return Hit(
        severity=severity,
        summary=summary,
        source=first.events[0].source,
        start=first.time,
        end=last.time,
        metrics={
            "process": process,
            "process_name": first.name,
            "count": count,
            "kind": first.events[0].type.removeprefix("app."),
            "code": first.code,
            "signal": first.signal,
            "reason": first.reason,
            "cause": causes[0],
            "explanation": explanation,
            "platform": platform,
            "minidumps": tied,
        },
        evidence=evidence[:12],
        causes=causes,
        signature=":".join(str(part) for part in (process, decodings[0].name or first.reason or first.code) if part),
    )


_PLATFORM_NAMES = {"windows": "Windows", "macos": "macOS", "linux": "Linux"}


def _explanation(death: _Death, decoding: ExitDecoding, cause: str, near: list[Event]) -> str:
    event = death.events[0]
    assertion = next((e for e in near if e.type == "app.assertion_failed"), None)
    if assertion is not None:
        return f"a native assertion failed ({assertion.get('assertion')}) and the process aborted itself"
    if event.type == "app.uncaught_exception":
        missing = next((e for e in near if e.type == "app.module_not_found"), None)
        error = event.get("error") or (f"Cannot find module '{missing.get('module')}'" if missing else None)
        return f"an uncaught exception: {error or event.message.strip()}"
    if event.type == "app.ipc_listen_failed":
        return f"it could not listen on its own IPC socket {event.get('endpoint') or ''} ({event.get('error')})".strip()
    if event.type in _LAUNCH_CAUSES:
        return _launch_explanation(death)
    if event.type in ("app.exthost_start_timeout", "app.exthost_start_failed"):
        return "it did not start (the editor gave up waiting for it)"
    if death.process == "javascript":
        return "JavaScript ran out of memory (V8 heap limit)"
    said = ", ".join(
        f"{label} {value}"
        for label, value in (("reason", death.reason), ("code", death.code), ("signal", death.signal))
        if value is not None
    )
    if cause == "memory":
        meaning = "it ran out of memory"
    elif decoding.kind == "clean":
        meaning = "it ended unexpectedly, though its exit code says nothing of why"
    else:
        meaning = decoding.meaning
    return f"{meaning} ({said})" if said else meaning


def _launch_explanation(death: _Death) -> str:
    """Why a process could not start, in the words of its first line (patterns/launch.yaml)."""
    event = death.events[0]
    kind = event.type
    if kind == "app.library_missing":
        library, binary = event.get("library"), event.get("binary")
        if event.get("runtime"):
            what = f"the system's {event.get('runtime')} is older than the {library} it was built for"
        else:
            what = f"the shared library {library} is not installed"
        return f"{what} (required by {binary})" if binary else what
    if kind == "app.remote_requirements_failed":
        return f"the remote host's C/C++ runtime is older than the server needs ({event.get('requirement')})"
    if kind == "app.sandbox_unusable":
        helper = event.get("helper")
        if helper:
            return f"Chromium's sandbox could not be set up: {helper} is not owned by root with mode 4755"
        return "Chromium's sandbox could not be set up (no user namespaces and no setuid helper)"
    if kind == "app.root_sandbox":
        return "it was started as root (sudo): the launcher and Chromium's sandbox refuse root without --no-sandbox"
    if kind == "app.gtk_conflict":
        loaded, wanted = event.get("loaded"), event.get("wanted")
        return f"GTK {loaded} and GTK {wanted} were loaded in one process, which GTK aborts"
    if kind == "app.framework_missing":
        return f"macOS could not load {event.get('library')} from the app's own bundle (a broken or incomplete install)"
    if kind == "app.dll_missing":
        return f"Windows could not find {event.get('library')}, which it needs to load (a broken or incomplete install)"
    display = next((e.get("display") for e in death.events if e.get("display")), None)
    shown = f" ({display})" if display else ""
    return f"there was no display to open{shown}: no X server or Wayland compositor reachable"


def _causes(
    burst: list[_Death], decodings: list[ExitDecoding], context: list[Event], platform: str | None
) -> tuple[str, ...]:
    """Cause keys, most likely first, from what the deaths and the lines around them show."""
    process = burst[0].process
    order: list[str] = []
    first_event = burst[0].events[0]
    if first_event.type == "app.ipc_listen_failed":
        error = str(first_event.get("error") or "").upper()
        order += ["in-use"] if "EADDRINUSE" in error else ["permission"]
    if first_event.type == "app.uncaught_exception":
        own = any(
            e.type == "app.module_not_found" and _around(e, burst) and _APP_FOLDER.search(str(e.get("module") or ""))
            for e in context
        )
        order += ["install", "code"] if own else ["code"]
    if first_event.type in _LAUNCH_CAUSES:
        order.append(_LAUNCH_CAUSES[first_event.type])
    memory = any(d.reason == "oom" for d in burst) or any(x.cause == "memory" for x in decodings)
    memory = memory or any(e.type == "app.v8_oom" and _around(e, burst) for e in context)
    if memory:
        order.append("memory")
    if any(e.type == "app.assertion_failed" and _around(e, burst) for e in context):
        order.append("fatal-check")  # a native assertion failed just before: the process aborted itself
    keys = [x.cause for x in decodings if x.cause not in ("none", "unknown")]
    killed = "killed" in keys
    if killed:
        order.append("killed")
    gpu = process == "gpu" or (
        not killed
        and process == "renderer"
        and any(e.type.startswith("app.gpu") and _around(e, burst) for e in context)
    )
    if gpu:
        order.append("gpu")
    order += keys
    if "fatal-check" in order and platform == "linux":
        order.append("shm")
    if process in ("extension-host", "remote-extension-host", "javascript"):
        order.append("extension")
    if not order or (order == ["fatal-check"] and not memory):
        order.append("native-crash")
    return tuple(dict.fromkeys(order))


def _around(event: Event, burst: list[_Death]) -> bool:
    """Whether a context line belongs to a burst: within two minutes of one of its deaths, or next to it in its file."""
    return any(_near(event.timestamp, d.time, 120.0) or _adjacent(event, d) for d in burst)


def _tie_dumps(deaths: list[_Death], dumps: tuple[Minidump, ...], window: float) -> dict[Minidump, _Death | None]:
    """Each minidump → the death closest to its file time within ``window`` seconds, else ``None``."""
    tied: dict[Minidump, _Death | None] = {}
    for dump in dumps:
        best: tuple[float, _Death] | None = None
        for death in deaths:
            gap = _gap(dump.time, death.time)
            if gap is not None and gap <= window and (best is None or gap < best[0]):
                best = (gap, death)
        tied[dump] = best[1] if best else None
    return tied


def _gap(a: datetime | None, b: datetime | None) -> float | None:
    forward, backward = seconds_between(a, b), seconds_between(b, a)
    values = [v for v in (forward, backward) if v is not None]
    return min(values) if values else None


_EDITOR_PROCESS = re.compile(r"(?i)qoder|code|cursor|windsurf|electron|helper|language[ _-]?server|cosy")
"""A process of the editor, its helpers or its servers, by the name a crash report gives it (an unknown name counts)."""


def _lone_dump(dump: Minidump) -> Hit:
    when = wall(dump.time).isoformat(sep=" ") if dump.time else "an unknown time"
    severity = Severity.WARNING
    if dump.kind == CRASH_REPORT:
        system = "Windows" if dump.source.lower().endswith(".wer") else "macOS"
        died = f"{dump.process or 'a process'} died" + (f": {dump.reason}" if dump.reason else "")
        summary = f"{system} wrote a crash report at {when} ({dump.source}): {died}; no crash line near it in the logs."
        if dump.process and not _EDITOR_PROCESS.search(dump.process):
            # A folder of crash reports (DiagnosticReports, WER) holds every app's: another app's is only noted.
            severity = Severity.INFO
            summary += " It is not the editor's process."
        platform: str | None = system.lower()
        signature = "crash-report:" + ":".join(p for p in (dump.process, dump.reason) if p)
    else:
        summary = f"A Crashpad minidump was written at {when} ({dump.source}) with no crash line near it in the logs."
        platform, signature = None, "minidump"
    return Hit(
        severity=severity,
        summary=summary,
        source=dump.source,
        start=dump.time,
        end=dump.time,
        metrics={
            "kind": dump.kind.replace(" ", "-"),
            "process": None,
            "process_name": dump.process,
            "reason": dump.reason,
            "cause": "native-crash",
            "platform": platform,
            "minidumps": [dump.source],
        },
        evidence=(),
        causes=("native-crash",),
        signature=signature,
    )


APP_CRASH = Rule(
    id="app-crash",
    title="Editor crash",
    doc=detect.__doc__ or "",
    thresholds={"critical_repeats": 3, "repeat_window_s": 600.0, "same_death_s": 5.0, "dump_window_s": 600.0},
    causes={
        "memory": "Out of memory: a very large file, output or webview, a runaway extension, or too little RAM.",
        "killed": (
            "Something ended the process from outside: the kernel's OOM killer, the user or a script, "
            "an update or restart, or a security tool."
        ),
        "gpu": "The GPU process or driver: GPU driver bugs, remote desktops and VMs without a usable GPU.",
        "sandbox": "The sandbox stopped a forbidden system call (a theme, extension or library, or the kernel).",
        "native-crash": "A native crash: a GPU driver, a native module, or DLLs injected by security tools, overlays.",
        "fatal-check": "A deliberate crash on a fatal check in Chromium or V8 (a failed CHECK, an internal limit).",
        "shm": "On Linux in containers and VMs: a /dev/shm too small for Chromium's shared memory.",
        "stack-overflow": "Endless recursion or too deep a stack in the process.",
        "install": "A missing or broken file of the install (a DLL, a resource) that the process needs to load.",
        "extension": "An extension crashed its host or used too much memory.",
        "code": "A bug in the editor's main process (see the exception and its stack).",
        "permission": "No permission on the folder of the editor's IPC socket (XDG_RUNTIME_DIR, /run/user/…, /tmp).",
        "in-use": "The IPC socket is held by another instance of the editor, or a stale socket file was left behind.",
        "library": (
            "A shared library the program needs is not installed, or the system's glibc/libstdc++ is older than "
            "the build needs (the OS is too old for this version)."
        ),
        "sandbox-setup": (
            "Chromium's sandbox cannot be set up: chrome-sandbox is not owned by root with mode 4755, and "
            "unprivileged user namespaces are off or restricted (AppArmor on Ubuntu 24.04, containers, Flatpak)."
        ),
        "root": "The editor was started as root (sudo): Electron refuses to run its sandbox as root.",
        "display": (
            "No display to open: DISPLAY or WAYLAND_DISPLAY is unset or unreachable "
            "(an SSH session, a container, sudo, a closed X server)."
        ),
        "gtk": (
            "Two GTK major versions in one process: Electron 36 and later load GTK 4 on GNOME, and a library, "
            "an input method or a theme module brings GTK 2/3 in."
        ),
    },
    user_actions=("If it happens again, note what you were doing and keep the Crashpad folder.",),
    cause_actions={
        "memory": (
            "Close very large files, editors and output panels; disable the heaviest extensions; "
            "give the machine more memory.",
        ),
        "killed": (
            "Look for who ended it at that time: the system log for the OOM killer (dmesg, journalctl -k on Linux), "
            "security-tool quarantine events, an update or a script.",
        ),
        "gpu": ("Start Qoder with --disable-gpu; update the GPU driver.",),
        "sandbox": ("Update Qoder; disable the theme or extension named around the crash.",),
        "native-crash": (
            "Update Qoder and the GPU driver; exclude Qoder from security tools and overlays that inject DLLs.",
        ),
        "fatal-check": ("Update Qoder; keep the minidumps from Crashpad/completed for the developers.",),
        "shm": ("Check df -h /dev/shm and enlarge it (e.g. to 2 GB; Docker: --shm-size=2g), then restart Qoder.",),
        "stack-overflow": ("Update Qoder; disable the extension active when it crashed.",),
        "install": ("Reinstall Qoder.",),
        "extension": ("Start Qoder with --disable-extensions; if it is stable, re-enable extensions one by one.",),
        "code": ("Restart Qoder; send the exception and its stack trace to the Qoder developers.",),
        "permission": ("Check that the folder of the socket exists and belongs to the user who runs Qoder.",),
        "in-use": ("Quit every Qoder window (check for leftover processes), delete the stale socket, start again.",),
        "library": (
            "Install the missing library with the system's package manager (libXss.so.1: libxss1 or "
            "libXScrnSaver); for 'GLIBC_x.y not found' upgrade the OS or use a build that supports it.",
        ),
        "sandbox-setup": (
            "Make chrome-sandbox in the install folder owned by root with mode 4755 (sudo chown root:root …; "
            "sudo chmod 4755 …), or allow user namespaces; --no-sandbox only as a last resort.",
        ),
        "root": (
            "Start Qoder as your own user, not with sudo; if root is really needed, add --no-sandbox and "
            "--user-data-dir.",
        ),
        "display": (
            "Start Qoder from the desktop session (echo $DISPLAY $WAYLAND_DISPLAY should show it); "
            "for a remote machine use Remote-SSH instead of starting the editor there.",
        ),
        "gtk": ("Start Qoder with --gtk-version=3 (add it to the launcher or argv.json) until the conflict is fixed.",),
    },
    escalate=(
        "The crash lines ({explanation}; {count} death(s) of the {process}), the lines just before them, "
        "and the minidumps ({minidumps}) from Crashpad/completed.",
    ),
    detect=detect,
)
