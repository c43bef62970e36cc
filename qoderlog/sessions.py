"""Events → sessions: every Go sidecar lifecycle, per log stream.

A *stream* is one log file and its rotated segments (``main.log.2.gz``,
``main.log.1``, ``main.log``); sessions never span two streams, so the main
process and each extension host are rebuilt separately. Within a stream,
events are put in time order (a record slightly out of order, midnight and
rotations are all fine) and run through a small state machine:

start requested (``Starting go process``, a start attempt, a path mismatch)
or attach (``check start cosy``) → ``.info.json`` wait / read → IPC check,
connect, health → running → gone / exited / restarted / never ready.

Attaching to a running sidecar (``Process path matches``) is not a start.
Latencies are ``None`` when an end is missing or time went backwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .model import IPC_FAILURES, SIDECAR_ENDS, START_TYPES, Event, Outcome, Session
from .read.streams import stream_key

LIFECYCLE_PREFIXES = (
    "process.",
    "info.",
    "binary.",
    "cosy.",
    "ipc.",
    "connection.",
    "health.",
    "start.",
    "reconnect.",
    "cleanup.",
    "shutdown.",
)
NEVER_READY_S = 30.0
_ATTACH_TYPES = frozenset({"cosy.check_start", "info.wait"})
_RUNNING_TYPES = frozenset({"info.read", "ipc.connected", "connection.established"})
"""Lines that show the sidecar up: its .info.json read, or a connection made."""
_PLATFORM = re.compile(r"(x86_64|aarch64|arm64|x64|ia32|arm)[_-](windows|win32|darwin|macos|linux)", re.I)
_OS_NAMES = {"windows": "windows", "win32": "windows", "darwin": "macos", "macos": "macos", "linux": "linux"}
_CONNECT_BEGIN = frozenset({"ipc.check", "ipc.socket_check", "ipc.connect_attempt", "connection.try"})
_EXTHOST_PATTERNS = ("cosy.", "ipc.")


def is_lifecycle(event: Event) -> bool:
    """Whether an event belongs to a Go process lifecycle (not updater or editor signals)."""
    return event.type.startswith(LIFECYCLE_PREFIXES)


def wall(stamp: datetime | None) -> datetime | None:
    """Wall-clock time without a zone, so local and UTC stamps of one stream compare."""
    return stamp.replace(tzinfo=None) if stamp is not None and stamp.tzinfo is not None else stamp


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    """``end - start`` in seconds, or ``None`` when either is missing or time went backwards."""
    a, b = wall(start), wall(end)
    if a is None or b is None or b < a:
        return None
    return round((b - a).total_seconds(), 3)


def platform_of(path: str | None) -> tuple[str | None, str | None]:
    """``("windows", "x86_64")`` from a binary path like ``…\\bin\\x86_64_windows\\Qoder.exe``."""
    if not path:
        return None, None
    found = _PLATFORM.search(path)
    if found:
        return _OS_NAMES[found[2].lower()], found[1].lower()
    if re.match(r"^[A-Za-z]:\\", path) or path.startswith("\\\\"):
        return "windows", None
    if path.startswith(("/Applications/", "/Users/")):
        return "macos", None
    if path.startswith(("/root/", "/home/", "/opt/", "/usr/", "/tmp/")):
        return "linux", None
    return None, None


def order_stream(events: Iterable[Event]) -> list[Event]:
    """A stream's events in time order: older rotated segments first, then by timestamp.

    An event without a timestamp keeps its place after the event before it.
    """
    events = list(events)
    if _in_order(events):
        return events  # the common case, without a sort key for every event
    keyed = []
    last: datetime | None = None
    for seq, event in enumerate(events):
        stamp = wall(event.timestamp) or last
        last = stamp
        keyed.append((-stream_key(event.source)[1], stamp or datetime.min, seq, event))
    keyed.sort(key=lambda item: item[:3])
    return [item[3] for item in keyed]


def _in_order(events: list[Event]) -> bool:
    """Whether ``order_stream`` would keep ``events`` as they are: rotation index never rising, time never falling."""
    rotation, stamp = None, datetime.min
    for event in events:
        older = -stream_key(event.source)[1]
        when = wall(event.timestamp) or stamp
        if rotation is not None and (older < rotation or (older == rotation and when < stamp)):
            return False
        rotation, stamp = older, when
    return True


def lane_of(event: Event) -> str:
    """``exthost`` for the extension host's start/attach lines, ``main`` for the main process's."""
    return "exthost" if event.pattern_id.startswith(_EXTHOST_PATTERNS) else "main"


def group_streams(events: Iterable[Event]) -> dict[str, list[Event]]:
    """Lifecycle events grouped by stream (a log file with its rotations), each in time order.

    A file that mixes main-process and extension-host lines (a console
    capture, a pasted ticket) holds two clients, each with its own sidecar
    view: they become two streams, ``<file> (main)`` and ``<file> (exthost)``.
    """
    lanes: dict[tuple[str, str], list[Event]] = {}
    for event in events:
        if is_lifecycle(event):
            lanes.setdefault((stream_key(event.source)[0], lane_of(event)), []).append(event)
    bases = [base for base, _ in lanes]
    return {
        (f"{base} ({lane})" if bases.count(base) > 1 else base): order_stream(items)
        for (base, lane), items in lanes.items()
    }


def stream_base(label: str) -> str:
    """The file stream of a ``group_streams`` label (without a ``(main)``/``(exthost)`` lane)."""
    for suffix in (" (main)", " (exthost)"):
        if label.endswith(suffix):
            return label[: -len(suffix)]
    return label


@dataclass(slots=True)
class _Builder:
    """A session being assembled; frozen into a ``Session`` when it ends."""

    stream: str
    is_start: bool
    events: list[Event] = field(default_factory=list)
    start_time: datetime | None = None
    info_time: datetime | None = None
    ready_time: datetime | None = None
    end_time: datetime | None = None
    connect_begin: datetime | None = None
    established: datetime | None = None
    pids: list[int] = field(default_factory=list)
    port: int | None = None
    endpoint: str | None = None
    transport: str | None = None
    binary_path: str | None = None
    binary_version: str | None = None
    os_hint: str | None = None
    attempts: int = 0
    ipc_failures: int = 0
    outcome: Outcome | None = None
    exit_code: int | None = None
    failed_start: bool = False
    up: bool = False  # an .info.json read or a connection seen
    connected: bool = False  # a connection seen
    first: int = -1  # where its first event is in the stream's events (sessions are numbered in that order)

    @property
    def pid(self) -> int | None:
        return self.pids[-1] if self.pids else None

    @property
    def attaching(self) -> bool:
        """Whether this is the extension host's attach flow (``check start cosy``, the ``.info.json`` wait)."""
        return not self.is_start and any(e.type in _ATTACH_TYPES for e in self.events[:3])

    @property
    def running(self) -> bool:
        # By the lines seen, not their times: a dateless paste reads .info.json and connects too.
        return self.up

    def add(self, event: Event, index: int) -> None:
        if not self.events:
            self.first = index
        self.events.append(event)
        kind = event.type
        if kind in _RUNNING_TYPES:
            self.up = True
            self.connected = self.connected or kind != "info.read"
        stamp = event.timestamp
        if kind in _CONNECT_BEGIN and self.connect_begin is None:
            self.connect_begin = stamp
        if kind in IPC_FAILURES:
            self.ipc_failures += 1
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, event)

    def freeze(self, index: int, stream_end: datetime | None, never_ready_s: float) -> Session:
        outcome = self.outcome
        connected = any(e.type in ("ipc.connected", "connection.established") for e in self.events)
        if (
            outcome is None
            and self.attaching
            and not connected
            and any(e.type == "ipc.socket_not_found" for e in self.events)
        ):
            outcome = Outcome.NEVER_READY  # attached to a sidecar whose socket never appeared
        if outcome is None:
            if self.running and not self.failed_start:
                outcome = Outcome.READY
            elif self.is_start and (self.failed_start or _waited(self.start_time, stream_end) >= never_ready_s):
                outcome = Outcome.NEVER_READY
            elif self.attaching and (
                self.failed_start or _waited(self.events[0].timestamp, stream_end) >= never_ready_s
            ):
                outcome = Outcome.NEVER_READY  # the extension host waited for a sidecar that never answered
            else:
                outcome = Outcome.UNKNOWN
        platform, arch = platform_of(self.binary_path)
        if platform is None:
            platform = self.os_hint or _platform_from_endpoint(self.endpoint)
        first, last = self.events[0], self.events[-1]
        role = "exthost" if any(lane_of(e) == "exthost" for e in self.events) else "main"
        return Session(
            id=f"{self.stream}#{index}",
            stream=self.stream,
            source=first.source,
            role=role,
            is_start=self.is_start,
            platform=platform,
            arch=arch,
            binary_path=self.binary_path,
            binary_version=self.binary_version,
            start_time=self.start_time,
            info_time=self.info_time,
            ready_time=self.ready_time or self.established,
            end_time=self.end_time or last.timestamp,
            startup_latency_s=seconds_between(self.start_time, self.info_time) if self.is_start else None,
            connect_latency_s=seconds_between(self.connect_begin, self.established),
            transport=self.transport,
            pid=self.pid,
            pids=tuple(self.pids),
            port=self.port,
            endpoint=self.endpoint,
            start_attempts=max(self.attempts, 1 if self.is_start else 0),
            ipc_failures=self.ipc_failures,
            outcome=outcome,
            exit_code=self.exit_code,
            first_line=first.line,
            last_line=last.line,
            events=tuple(self.events),
        )


def _waited(start: datetime | None, end: datetime | None) -> float:
    waited = seconds_between(start, end)
    return waited if waited is not None else 0.0


def _platform_from_endpoint(endpoint: str | None) -> str | None:
    if endpoint and endpoint.startswith("\\\\.\\pipe\\"):
        return "windows"
    return None


def _transport(endpoint: str | None) -> str:
    return "pipe" if endpoint and endpoint.startswith("\\\\.\\pipe\\") else "unix"


def _on_start(b: _Builder, e: Event) -> None:
    b.attempts += 1
    b.start_time = b.start_time or e.timestamp
    b.binary_path = e.get("binary_path") or b.binary_path


def _on_attempt_failed(b: _Builder, e: Event) -> None:
    attempt = e.get("attempt")
    b.attempts = max(b.attempts, attempt or b.attempts + 1)
    b.start_time = b.start_time or e.timestamp
    b.binary_path = b.binary_path or e.get("executable")


def _on_info_read(b: _Builder, e: Event) -> None:
    b.info_time = b.info_time or e.timestamp
    pid = e.get("pid")
    if pid is not None and (not b.pids or b.pids[-1] != pid):
        b.pids.append(pid)
    b.port = e.get("port", b.port)
    b.endpoint = e.get("socket_path", b.endpoint)


def _on_existing(b: _Builder, e: Event) -> None:
    pid = e.get("pid")
    if pid is not None and pid not in b.pids:
        b.pids.append(pid)
    b.binary_path = b.binary_path or e.get("path")


def _on_current(b: _Builder, e: Event) -> None:
    b.binary_path = e.get("path") or b.binary_path


def _on_version(b: _Builder, e: Event) -> None:
    b.binary_version = e.get("version")


def _on_platform(b: _Builder, e: Event) -> None:
    b.os_hint = "windows" if str(e.get("os", "")).lower().startswith("win") else b.os_hint


def _on_established(b: _Builder, e: Event) -> None:
    b.established = b.established or e.timestamp
    endpoint = e.get("endpoint")
    if e.get("transport") == "tcp":
        b.transport = "tcp"
    else:
        b.transport = _transport(endpoint or b.endpoint)
    b.endpoint = b.endpoint or endpoint


def _on_connected(b: _Builder, e: Event) -> None:
    b.ready_time = b.ready_time or e.timestamp
    if b.transport is None:
        b.transport = _transport(e.get("endpoint") or b.endpoint)


def _on_start_failure(b: _Builder, e: Event) -> None:
    b.failed_start = True
    if not b.running:
        b.outcome = Outcome.NEVER_READY
        b.end_time = e.timestamp


def _on_exhausted(b: _Builder, e: Event) -> None:
    b.outcome = Outcome.RESTARTED
    b.end_time = e.timestamp


_HANDLERS = {
    "process.start": _on_start,
    "start.attempt_failed": _on_attempt_failed,
    "info.read": _on_info_read,
    "binary.existing": _on_existing,
    "binary.current": _on_current,
    "binary.version": _on_version,
    "ipc.platform": _on_platform,
    "connection.established": _on_established,
    "ipc.connected": _on_connected,
    "start.gave_up": _on_start_failure,
    "start.not_ready": _on_start_failure,
    "info.not_found": _on_start_failure,
    "reconnect.exhausted": _on_exhausted,
}


def _end_by_death(b: _Builder, e: Event) -> None:
    """A process gone or exited: the session dies (or never got ready if it died starting)."""
    b.end_time = e.timestamp
    code = e.get("code")
    if code is not None:
        b.exit_code = code
    if b.outcome is None:
        b.outcome = Outcome.DIED if b.running else Outcome.NEVER_READY if b.is_start else Outcome.DIED


def build_stream_sessions(
    stream: str,
    events: list[Event],
    stream_end: datetime | None = None,
    *,
    never_ready_s: float = NEVER_READY_S,
) -> list[Session]:
    """Sessions of one stream from its lifecycle events in time order.

    A start with no ``.info.json`` read is 'never ready' when the stream went
    on for ``never_ready_s`` after it, or when another start followed.
    """
    done: list[_Builder] = []
    current: _Builder | None = None

    def begin(is_start: bool) -> _Builder:
        nonlocal current
        if current is not None:
            if current.outcome is None and current.end_time is None:
                if current.running:
                    current.outcome = Outcome.RESTARTED
                elif current.is_start:
                    current.outcome = Outcome.NEVER_READY
            done.append(current)
        current = _Builder(stream=stream, is_start=is_start)
        return current

    for index, event in enumerate(events):
        kind = event.type
        if kind in SIDECAR_ENDS:
            owner = _owner(event, current, done)
            if owner is None:
                owner = _Builder(stream=stream, is_start=False)
                if event.get("pid") is not None:
                    owner.pids.append(event.get("pid"))
                done.append(owner)
            owner.add(event, index)
            _end_by_death(owner, event)
            continue
        if current is None or _opens_session(current, event):
            begin(is_start=kind in START_TYPES)
        target = current
        if target is None:
            continue
        if kind == "binary.mismatch":
            target.start_time = event.timestamp
        target.add(event, index)
    if current is not None:
        done.append(current)
    ordered = sorted((b for b in done if b.events), key=lambda b: b.first)
    return [builder.freeze(index, stream_end, never_ready_s) for index, builder in enumerate(ordered, 1)]


def _opens_session(current: _Builder, event: Event) -> bool:
    """Whether ``event`` begins a new session rather than continuing ``current``."""
    kind = event.type
    settled = current.running or current.outcome is not None
    if kind == "process.start":
        retry = current.is_start and not settled and current.events[-1].type == "start.attempt_failed"
        return not retry
    if kind == "start.attempt_failed":
        return settled or not current.is_start
    if kind == "cosy.check_start":
        return current.is_start or settled
    if kind == "binary.mismatch":
        if current.outcome is None:
            current.outcome = Outcome.RESTARTED
        return True
    return current.outcome is not None and kind in ("info.read", "binary.existing")


def _owner(event: Event, current: _Builder | None, done: list[_Builder]) -> _Builder | None:
    """The session whose process died (latest with that pid first), or ``None`` for an unknown pid.

    An exit of an unknown pid while a start is pending is that start's
    process dying before it was ready; a 'no longer exists' of an unknown pid
    is a leftover from before and gets a session of its own.
    """
    pid = event.get("pid")
    if pid is None:
        return current
    for builder in ([current] if current is not None else []) + done[::-1]:
        if pid in builder.pids:
            return builder
    starting = current is not None and current.is_start and not current.running and current.outcome is None
    if event.type == "process.exit" and starting and current is not None:
        current.pids.append(pid)
        return current
    return None


def build_sessions(
    events: Iterable[Event],
    stream_ends: Mapping[str, datetime | None] | None = None,
    *,
    never_ready_s: float = NEVER_READY_S,
) -> list[Session]:
    """Every session of every stream; ``stream_ends`` (stream → last log time) decides 'never ready'."""
    return sessions_of_streams(group_streams(events), stream_ends, never_ready_s=never_ready_s)


def sessions_of_streams(
    streams: Mapping[str, list[Event]],
    stream_ends: Mapping[str, datetime | None] | None = None,
    *,
    never_ready_s: float = NEVER_READY_S,
) -> list[Session]:
    """``build_sessions`` for events already grouped by ``group_streams``."""
    ends = stream_ends or {}
    sessions: list[Session] = []
    for stream, items in streams.items():
        sessions.extend(
            build_stream_sessions(stream, items, ends.get(stream_base(stream)), never_ready_s=never_ready_s)
        )
    return sessions
