"""The values that flow through the pipeline: frozen, keyword-only, stdlib only.

sources → ``Line``; framing → ``Record``; patterns → ``Event``; sessions →
``Session``; rules → ``Finding`` with ``Evidence``. Every stage takes and gives
these and nothing else, so a notebook can build or inspect any of them.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn


class Severity(enum.IntEnum):
    """How bad a finding is; ordered so ``max()`` gives the worst."""

    INFO = 10
    WARNING = 20
    ERROR = 30
    CRITICAL = 40

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``"warning"`` / ``"WARNING"`` → ``Severity.WARNING``; raises ``ValueError``."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of {names})") from None

    def __str__(self) -> str:
        return self.name.lower()


LEVELS: tuple[str, ...] = ("trace", "debug", "info", "warning", "error", "critical")
"""The normalised record levels, least severe first."""
LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}
"""Each level's rank in ``LEVELS`` (higher is more severe)."""


class LineKind(enum.StrEnum):
    """What a physical line turned out to be. Every line read is exactly one of these."""

    EVENT = "event"
    UNRECOGNISED = "unrecognised"
    CONTINUATION = "continuation"
    BLANK = "blank"
    SKIPPED = "skipped"


class Framing(enum.StrEnum):
    """The header shape a record was written in: catalog §2, and the shapes real pastes add.

    ``chromium`` is Chromium's own stderr (``[pid:tid:MMDD/HHMMSS.ffffff:LEVEL:file.cc(N)]``),
    ``glog`` Go/C++ glog (``E0628 12:37:38.181530 15509 file.go:60]``), ``lsp`` a language
    client's output channel (``[Error - 9:21:56 AM]``), ``go-panic`` a Go ``panic:`` /
    ``fatal error:`` block, ``rust-panic`` a Rust ``thread '…' panicked at`` block with its backtrace,
    ``stack`` a bare JavaScript ``Error: …`` line with its ``at`` frames,
    ``clock`` a header with a time of day but no date (``07:22:51.863 [error]``, the old console's
    ``[main 3:45:14 PM]``), ``devtools`` a copy of the DevTools console (``log.ts:437   ERR …``),
    ``idea`` a JetBrains IDE's ``idea.log`` (``2025-05-07 20:29:57,902 [ 339278]   INFO - #logger - …``),
    where Qoder's JetBrains plugin and its language server write.
    """

    VSCODE = "vscode"
    SPDLOG = "spdlog"
    CONSOLE = "console"
    JSON = "json"
    CHROMIUM = "chromium"
    GLOG = "glog"
    LSP = "lsp"
    GO_PANIC = "go-panic"
    RUST_PANIC = "rust-panic"
    STACK = "stack"
    CLOCK = "clock"
    DEVTOOLS = "devtools"
    IDEA = "idea"
    BARE = "bare"

    @property
    def dated(self) -> bool:
        """Whether a header of this framing carries a date: only these tell the time span a source covers."""
        return self in _DATED

    @property
    def snippet_only(self) -> bool:
        """Whether a header of this framing counts only in a snippet or console copy, never amid a framed log."""
        return self in _SNIPPET_ONLY

    @property
    def self_describing(self) -> bool:
        """Whether the header *is* the message (a Go panic, a bare ``Error:`` line): no other text can be framed so."""
        return self in _SELF_DESCRIBING


# Sets, not tuples: a framing is asked on every header line, and a set answers with one hash (a tuple compares).
_DATED = frozenset({Framing.VSCODE, Framing.SPDLOG, Framing.CONSOLE, Framing.JSON, Framing.IDEA})
_SNIPPET_ONLY = frozenset({Framing.STACK, Framing.DEVTOOLS})
_SELF_DESCRIBING = frozenset({Framing.GO_PANIC, Framing.RUST_PANIC, Framing.STACK})


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """One log record: a header line and the continuation lines attached to it.

    ``timestamp`` is naive local time, or timezone-aware UTC when the log said
    ``Z``; ``None`` for bare snippets. ``message`` is the text after the
    header with any ``[Component]`` tag removed; ``fields`` holds extra keys of
    a JSON record.
    """

    source: str
    line: int
    framing: Framing
    timestamp: datetime | None
    level: str | None
    component: str | None
    logger: str | None
    message: str
    text: str
    fields: Mapping[str, Any] = field(default_factory=dict)


MAX_SHARED = 4096
"""Distinct values a table of shared tuples keeps (event kinds, header words, field names); past it, it starts
again."""


def _one(table: dict[Any, Any], value: Any) -> Any:
    """The one object equal to ``value`` that ``table`` keeps, ``value`` itself the first time it is asked."""
    found = table.get(value)
    if found is None:
        if len(table) >= MAX_SHARED:
            table.clear()
        found = table[value] = value
    return found


class FrozenDict(dict[str, Any]):
    """A read-only ``dict`` that pickles: a value several frozen values may share (``Fields``, a step's values)."""

    __slots__ = ()

    def _read_only(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(f"a {type(self).__name__} is read-only (copy it with dict(...))")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _read_only

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict[str, Any]]]:
        """Pickled as a plain dict's items (unpickling must not call the blocked ``__setitem__``)."""
        return (type(self), (dict(self),))


class Fields(Mapping[str, Any]):
    """An event's typed fields: a read-only mapping, compact, so that an analysis can keep every event's.

    The names are one tuple shared by every ``Fields`` with those names, the values a tuple: about half a
    dict's size. Equal to the dict of the same items; ``dict(fields)`` copies it.
    """

    __slots__ = ("_names", "_values")

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        """The items of ``values`` (none by default), in their order."""
        given = values or {}
        names = tuple(given)
        self._names: tuple[str, ...] = _FIELD_NAMES.get(names) or _one(_FIELD_NAMES, names)
        self._values: tuple[Any, ...] = tuple(given.values())

    def __getitem__(self, name: str) -> Any:
        """The value of field ``name``; ``KeyError`` when there is none."""
        names = self._names
        if name in names:
            return self._values[names.index(name)]
        raise KeyError(name)

    def get(self, name: str, default: Any = None) -> Any:
        """The value of field ``name``, or ``default``."""
        names = self._names
        return self._values[names.index(name)] if name in names else default

    def __contains__(self, name: object) -> bool:
        """Whether there is a field ``name``."""
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        """The names, in order."""
        return iter(self._names)

    def __len__(self) -> int:
        """How many fields."""
        return len(self._names)

    def __repr__(self) -> str:
        """As the dict of its items."""
        return repr(dict(self))

    def __reduce__(self) -> tuple[type[Fields], tuple[dict[str, Any]]]:
        """Pickled as a dict's items."""
        return (Fields, (dict(self),))


_FIELD_NAMES: dict[tuple[str, ...], tuple[str, ...]] = {}


NO_FIELDS = Fields()
"""The fields of an event whose pattern captured none (shared)."""


_STAMP_CHARS = len("2024-02-27T11:56:55.376")
_HEAD_TEMPLATES: dict[tuple[str, str, str], tuple[str, str, str]] = {}


def _head_template(head: str, timestamp: datetime | None) -> tuple[str, str, str] | None:
    """``head`` as ``(before, sep, after)`` around ``timestamp`` written ``isoformat(sep, "milliseconds")`` (its first
    23 characters), the one tuple for every head with the same before and after; ``None`` when it does not hold it.

    Most headers are such a time between fixed words (``[main 2024-02-27T11:56:55.376Z] ``,
    ``2024-02-27 11:56:55.376 [info] ``): an event then keeps no header text of its own, and ``Event.text`` writes
    the time again, the same characters.
    """
    if timestamp is None:
        return None
    stamp = timestamp.isoformat("T", "milliseconds")
    at = head.find(stamp[:10])  # the date; then the separator the header uses, then the time
    if at < 0:
        return None
    sep = head[at + 10 : at + 11]
    if sep not in ("T", " ") or head[at + 11 : at + _STAMP_CHARS] != stamp[11:_STAMP_CHARS]:
        return None
    key = (head[:at], sep, head[at + _STAMP_CHARS :])
    return _HEAD_TEMPLATES.get(key) or _one(_HEAD_TEMPLATES, key)


_KINDS: dict[tuple[Any, ...], tuple[Any, ...]] = {}
"""Each event's ``(type, pattern_id, source, level, component, cut)``, one tuple per distinct value."""


@dataclass(frozen=True, slots=True, init=False)
class Event:
    """A record recognised by a pattern, with typed fields.

    ``line`` is the 1-based physical line of the record's header in
    ``source``; ``text`` is that header line as read; ``detail`` holds the
    record's continuation lines (stack traces, payloads), capped.

    An analysis keeps every event, so an event is small. What many events
    share is one tuple: the type, pattern, source, level and component
    (``_kind``). When ``text`` ends with ``message`` (most framings) only
    the part before it is stored, the message being shared (interned), and
    that part too is shared when it is a time between fixed words
    (``_head_template``); ``fields`` may be shared (``Pattern.shared_fields``).
    """

    _kind: tuple[Any, ...] = field(repr=False)
    """``(type, pattern_id, source, level, component, cut)``: ``cut`` when ``_head`` is ``text`` without ``message``."""
    line: int
    timestamp: datetime | None
    message: str
    fields: Mapping[str, Any]
    detail: tuple[str, ...]
    _head: str | tuple[str, str, str] = field(repr=False)
    """``text``, without ``message`` when cut; as ``(before, sep, after)`` (shared) when it holds ``timestamp``
    written ISO-like to the millisecond (``_head_template``)."""

    def __init__(
        self,
        *,
        type: str,
        pattern_id: str,
        source: str,
        line: int,
        timestamp: datetime | None,
        level: str | None,
        component: str | None,
        message: str,
        text: str,
        fields: Mapping[str, Any] = NO_FIELDS,
        detail: tuple[str, ...] = (),
    ) -> None:
        """An event; ``text`` is kept as its head when it ends with ``message``."""
        put = object.__setattr__
        cut = bool(message) and text.endswith(message)
        kind = (type, pattern_id, source, level, component, cut)
        put(self, "_kind", _KINDS.get(kind) or _one(_KINDS, kind))
        put(self, "line", line)
        put(self, "timestamp", timestamp)
        put(self, "message", message)
        put(self, "fields", fields)
        put(self, "detail", detail)
        head = text[: len(text) - len(message)] if cut else text
        put(self, "_head", _head_template(head, timestamp) or head)

    @property
    def type(self) -> str:
        """What the event says happened (``process.start``, ``ipc.connect_failed``, …)."""
        return self._kind[0]  # type: ignore[no-any-return]

    @property
    def pattern_id(self) -> str:
        """The pattern that recognised it."""
        return self._kind[1]  # type: ignore[no-any-return]

    @property
    def source(self) -> str:
        """The log it was read from (an archive member as ``archive!member``)."""
        return self._kind[2]  # type: ignore[no-any-return]

    @property
    def level(self) -> str | None:
        """The record's level, raised to the pattern's own when that is higher."""
        return self._kind[3]  # type: ignore[no-any-return]

    @property
    def component(self) -> str | None:
        """The record's component (``[IPC]``), else the pattern's."""
        return self._kind[4]  # type: ignore[no-any-return]

    @property
    def text(self) -> str:
        """The record's header line as read."""
        kept = self._head
        if isinstance(kept, str):
            head = kept
        else:
            before, sep, after = kept
            head = before + self.timestamp.isoformat(sep, "milliseconds")[:_STAMP_CHARS] + after  # type: ignore[union-attr]
        return head + self.message if self._kind[5] else head

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled as its values; unpickled with its kind, header words and message shared again (``_rebuilt``).

        Events come back from the processes that read a big file in chunks: without this, each chunk's events
        would bring their own copies of what the events of the other chunks share.
        """
        return (_rebuilt, (self._kind, self.line, self.timestamp, self.message, self.fields, self.detail, self._head))

    def __repr__(self) -> str:
        """The event's values, ``text`` whole."""
        return (
            f"Event(type={self.type!r}, pattern_id={self.pattern_id!r}, source={self.source!r}, line={self.line!r}, "
            f"timestamp={self.timestamp!r}, level={self.level!r}, component={self.component!r}, "
            f"message={self.message!r}, text={self.text!r}, fields={self.fields!r}, detail={self.detail!r})"
        )

    def get(self, name: str, default: Any = None) -> Any:
        """A field's value, or ``default`` when the pattern did not capture it."""
        return self.fields.get(name, default)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the columns of ``EVENT_COLUMNS`` plus ``fields`` and ``detail``."""
        stamp = self.timestamp
        return {
            "source": self.source,
            "line": self.line,
            "timestamp": stamp.isoformat() if stamp else None,
            "type": self.type,
            "pattern_id": self.pattern_id,
            "level": self.level,
            "component": self.component,
            "message": self.message,
            "text": self.text,
            "fields": dict(self.fields),
            "detail": list(self.detail),
        }


def _rebuilt(
    kind: tuple[Any, ...],
    line: int,
    timestamp: datetime | None,
    message: str,
    fields: Mapping[str, Any],
    detail: tuple[str, ...],
    head: str | tuple[str, str, str],
) -> Event:
    """An unpickled ``Event``: its kind and header words the process's shared tuples, its message interned."""
    event = Event.__new__(Event)
    put = object.__setattr__
    put(event, "_kind", _KINDS.get(kind) or _one(_KINDS, kind))
    put(event, "line", line)
    put(event, "timestamp", timestamp)
    put(event, "message", sys.intern(message))
    put(event, "fields", fields)
    put(event, "detail", detail)
    put(event, "_head", head if isinstance(head, str) else _HEAD_TEMPLATES.get(head) or _one(_HEAD_TEMPLATES, head))
    return event


# The named event-type groups: every set of event types that more than one stage asks about, defined here once.
START_TYPES = frozenset({"process.start", "start.attempt_failed", "binary.mismatch"})
"""Event types that begin (or try to begin) a sidecar session."""
START_FAILURES = frozenset({"start.attempt_failed", "start.gave_up", "start.not_ready", "info.not_found"})
"""Event types that say a start did not give a ready sidecar."""
IPC_FAILURES = frozenset({"ipc.connect_failed", "ipc.socket_not_found", "health.failed", "reconnect.failed"})
"""Event types that each count as one IPC failure (an availability verdict of ``false`` does not)."""
SIDECAR_ENDS = frozenset({"process.exit", "process.gone"})
"""Event types that end a sidecar process."""

EVENT_COLUMNS: tuple[str, ...] = (
    "source",
    "line",
    "timestamp",
    "timestamp_utc",
    "type",
    "pattern_id",
    "level",
    "component",
    "message",
    "text",
    "detail",
)
"""Columns every event table has; pattern field names may not reuse them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Minidump:
    """A Crashpad minidump, or the OS's crash report, found in an input: when it was written and how big it is.

    ``kind`` is ``minidump`` or ``crash report`` (``read.crashreports``: macOS
    ``.ips`` / ``.crash``, Windows ``.wer``), which also names the ``process``
    that died and how (``reason``, e.g. ``EXC_BAD_ACCESS (SIGSEGV)``) when it
    could be read.
    """

    source: str
    time: datetime | None
    size: int
    kind: str = "minidump"
    process: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LimitHit:
    """One bound one input met: which, what was allowed, what was found, how often, and about what."""

    input: str
    limit: str
    allowed: float
    value: float | None
    count: int = 1
    detail: str | None = None

    def describe(self) -> str:
        """``max_line 52428800 > limit 1048576 (1 line cut …)`` — the limit, the value (or ``over``) and what it did."""
        found = f"{_number(self.value)} > " if self.value is not None else "over "
        note = f" ({self.detail})" if self.detail else ""
        return f"{self.limit} {found}limit {_number(self.allowed)}{note}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``input``, ``limit``, ``allowed``, ``value``, ``count``, ``detail``."""
        return {
            "input": self.input,
            "limit": self.limit,
            "allowed": self.allowed,
            "value": self.value,
            "count": self.count,
            "detail": self.detail,
        }


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class InputReport:
    """What happened to one input file: how it was decoded and how its lines were counted.

    ``status`` is ``ok``, ``skipped`` (opened, but not a log: binary, too
    large, …), ``ignored`` (not opened: its name is not a log's — a nested
    archive, an image) or ``error`` (could not be read to the end: truncated
    archive, permission …); ``reason`` says why for anything but ``ok``.
    ``warning`` flags an input read despite something odd (an archive
    member whose name escapes the archive). ``prefix_stripped`` counts the
    lines read without a paste's indentation, quote marks or gutter.
    """

    source: str
    container: str | None
    encoding: str | None
    size: int | None
    lines: int
    by_kind: Mapping[str, int]
    replacements: int
    cut_lines: int
    status: str
    reason: str | None = None
    first_time: datetime | None = None
    last_time: datetime | None = None
    limits: tuple[LimitHit, ...] = ()
    prefix_stripped: int = 0
    warning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``inputs`` entries of ``--stats`` and ``analyze``)."""
        return {
            "source": self.source,
            "container": self.container,
            "encoding": self.encoding,
            "size": self.size,
            "lines": self.lines,
            "by_kind": dict(self.by_kind),
            "replacements": self.replacements,
            "cut_lines": self.cut_lines,
            "status": self.status,
            "reason": self.reason,
            "first_time": _iso(self.first_time),
            "last_time": _iso(self.last_time),
            "limits": [hit.to_dict() for hit in self.limits],
            "prefix_stripped": self.prefix_stripped,
            "warning": self.warning,
        }


class Outcome(enum.StrEnum):
    """How a Go process session ended, as far as the log tells."""

    READY = "ready"
    NEVER_READY = "never_ready"
    DIED = "died"
    RESTARTED = "restarted"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """One Go sidecar lifecycle as one client saw it: start (or attach) → info read → IPC → end.

    Latencies are seconds, ``None`` when either end is unknown (never zero
    by default, never negative). ``is_start`` is false for a client that
    attached to a sidecar already running. ``events`` are the lifecycle
    events that built the session, in order.
    """

    id: str
    stream: str
    source: str
    role: str
    is_start: bool
    platform: str | None
    arch: str | None
    binary_path: str | None
    binary_version: str | None
    start_time: datetime | None
    info_time: datetime | None
    ready_time: datetime | None
    end_time: datetime | None
    startup_latency_s: float | None
    connect_latency_s: float | None
    transport: str | None
    pid: int | None
    pids: tuple[int, ...]
    port: int | None
    endpoint: str | None
    start_attempts: int
    ipc_failures: int
    outcome: Outcome
    exit_code: int | None
    first_line: int
    last_line: int
    events: tuple[Event, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the session (without its events)."""
        return {
            "id": self.id,
            "stream": self.stream,
            "source": self.source,
            "role": self.role,
            "is_start": self.is_start,
            "platform": self.platform,
            "arch": self.arch,
            "binary_path": self.binary_path,
            "binary_version": self.binary_version,
            "start_time": _iso(self.start_time),
            "info_time": _iso(self.info_time),
            "ready_time": _iso(self.ready_time),
            "end_time": _iso(self.end_time),
            "startup_latency_s": self.startup_latency_s,
            "connect_latency_s": self.connect_latency_s,
            "transport": self.transport,
            "pid": self.pid,
            "pids": list(self.pids),
            "port": self.port,
            "endpoint": self.endpoint,
            "start_attempts": self.start_attempts,
            "ipc_failures": self.ipc_failures,
            "outcome": str(self.outcome),
            "exit_code": self.exit_code,
            "first_line": self.first_line,
            "last_line": self.last_line,
        }


@dataclass(frozen=True, slots=True, init=False, eq=False)
class Evidence:
    """A log line that proves a finding, with the values in it worth highlighting.

    Evidence of an event keeps the event, whose text it shows (the event is kept anyway; its text is not).
    Two evidences are equal when their values are, ``text`` as read: however each was made.
    """

    source: str
    line: int
    timestamp: datetime | None
    highlight: tuple[str, ...]
    _line: str | Event = field(repr=False)
    """The line's text, or the event whose text it is."""

    def __init__(
        self,
        *,
        source: str,
        line: int,
        text: str | Event,
        timestamp: datetime | None = None,
        highlight: tuple[str, ...] = (),
    ) -> None:
        """Evidence of one line; ``text`` is the line, or the ``Event`` read from it."""
        put = object.__setattr__
        put(self, "source", source)
        put(self, "line", line)
        put(self, "timestamp", timestamp)
        put(self, "highlight", highlight)
        put(self, "_line", text)

    @property
    def text(self) -> str:
        """The line as read."""
        line = self._line
        return line if isinstance(line, str) else line.text

    @classmethod
    def of(cls, event: Event, *highlight: Any) -> Evidence:
        """Evidence from an event, highlighting the given values where they occur in the line."""
        text = event.text
        marks = tuple(str(v) for v in highlight if v is not None and str(v) and str(v) in text)
        return cls(source=event.source, line=event.line, text=event, timestamp=event.timestamp, highlight=marks)

    def _values(self) -> tuple[str, int, datetime | None, tuple[str, ...], str]:
        return self.source, self.line, self.timestamp, self.highlight, self.text

    def __eq__(self, other: object) -> bool:
        """Equal values, ``text`` as read (evidence of an event equals evidence of that event's line as text)."""
        if not isinstance(other, Evidence):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        """The hash of the values ``__eq__`` compares."""
        return hash(self._values())

    def __repr__(self) -> str:
        """The evidence's values, ``text`` as read."""
        return (
            f"Evidence(source={self.source!r}, line={self.line!r}, text={self.text!r}, "
            f"timestamp={self.timestamp!r}, highlight={self.highlight!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "source": self.source,
            "line": self.line,
            "text": self.text,
            "timestamp": _iso(self.timestamp),
            "highlight": list(self.highlight),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Template:
    """A message template mined from records that no pattern recognised (``mining.miner.Miner``).

    ``template`` is the masked message with variable parts as ``<PATH>``,
    ``<PID>``, … (``templates.MASKS``) or ``<*>``; ``count`` the records it
    covers; ``level`` the most severe level among them; ``component`` that
    of the first; ``qoder_related`` whether any of them is Qoder's own
    (``templates.is_qoder_related``); ``examples`` the first few records,
    line-numbered, the first being the one reports show.
    """

    template_id: str
    template: str
    count: int
    level: str | None
    component: str | None
    qoder_related: bool
    examples: tuple[Evidence, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``unknown_templates`` entries of ``analyze``'s JSON)."""
        first = self.examples[0] if self.examples else None
        return {
            "template_id": self.template_id,
            "template": self.template,
            "count": self.count,
            "level": self.level,
            "component": self.component,
            "qoder_related": self.qoder_related,
            "example": {"source": first.source, "line": first.line, "text": first.text} if first else None,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One playbook step for one platform: an instruction and optionally one command in that platform's shell.

    ``shell`` is ``powershell`` or ``sh`` when there is a ``command``, else ``None``; placeholders are filled.
    ``template`` is the text as the playbook writes it and ``values`` what filled its placeholders, so that a
    reply can give the same step in another language (neither is part of the JSON).
    """

    platform: str
    text: str
    shell: str | None = None
    command: str | None = None
    template: str = field(default="", compare=False)
    values: Mapping[str, str] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``remediation.steps`` entries)."""
        return {"platform": self.platform, "text": self.text, "shell": self.shell, "command": self.command}


@dataclass(frozen=True, slots=True, kw_only=True)
class Remediation:
    """What probably caused a finding (most likely first), what the user can try, what to escalate.

    ``steps`` is the rule's playbook for the bundle's platform (every platform's when it is unknown).
    """

    causes: tuple[str, ...] = ()
    user_actions: tuple[str, ...] = ()
    escalate: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "causes": list(self.causes),
            "user_actions": list(self.user_actions),
            "escalate": list(self.escalate),
            "steps": [step.to_dict() for step in self.steps],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """Something that went wrong, with the measured values, the proof and what to do."""

    rule: str
    severity: Severity
    title: str
    summary: str
    source: str
    session: str | None
    start: datetime | None
    end: datetime | None
    metrics: Mapping[str, Any]
    evidence: tuple[Evidence, ...]
    remediation: Remediation
    signature: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``findings`` entries of ``analyze``'s JSON)."""
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "title": self.title,
            "summary": self.summary,
            "source": self.source,
            "session": self.session,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "metrics": dict(self.metrics),
            "evidence": [e.to_dict() for e in self.evidence],
            "remediation": self.remediation.to_dict(),
            "signature": self.signature,
        }


def _iso(stamp: datetime | None) -> str | None:
    return stamp.isoformat() if stamp is not None else None
