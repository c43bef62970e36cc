"""Decoded lines → records: headers, continuation lines, blank lines, bare snippet lines.

Recognises every framing of the catalog §2 — current VS Code, older spdlog,
console ``[main …Z]``, structured JSON lines and bare snippet lines — and
the ones real pastes bring along: Chromium's stderr lines, glog lines, a
language client's ``[Error - 9:21:56 AM]`` lines, Go ``panic:`` / ``fatal
error:`` blocks (the goroutine dump is their continuation, level critical)
and bare JavaScript ``Error: …`` lines with their ``at`` frames (level
error) — even mixed in one file. A paste's indentation, quote marks or
line-number gutter are stripped first (``qoderlog.read.pastes``). A line
without a header continues the record before it,
except in a file that has shown no header yet (a pasted snippet), where each
unindented line is a record of its own, and except a headerless line that a
pattern recognises, which stands on its own even amid framed records.

To keep noise cheap, only *candidate* records — those whose line passes the
pattern library's literal prefilter — are built into ``Record`` values and
yielded (and, when asked with ``keep_levels``, headers at those levels, so
that unrecognised warnings can be mined); every other line is only counted.
The caller's ``counts`` dict gets ``unrecognised`` (non-candidate headers),
``continuation`` and ``blank``; the caller counts each yielded record as
``event`` or ``unrecognised``.

A JSON line nested deeper than ``max_json_depth`` is never handed to
``json.loads``: it is framed as a headerless line and counted in the
caller's ``limit_hits``. Lone surrogates that JSON escapes (``"\\ud800"``)
can put into a record's strings are replaced with U+FFFD, so that no
writer downstream meets text it cannot encode.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from datetime import UTC, datetime
from typing import Any

from ..limits import DEFAULT_LIMITS
from ..model import Framing, LineKind, Record
from .pastes import PASTE_STARTS, Paste, paste_start

MAX_DETAIL_LINES = 50
MAX_DETAIL_CHARS = 2000
MAX_JSON_DEPTH = DEFAULT_LIMITS.max_json_depth

VSCODE_HEADER = re.compile(r"(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?) \[(\w+)\] ?", re.ASCII)
# spdlog's [time] [logger] [level], and electron-log's [time] [level] (a known level word, the time maybe in UTC).
SPDLOG_HEADER = re.compile(
    r"\[(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?Z?)\] (?:\[([^\]]*)\] \[(\w+)\]"
    r"|\[((?i:trace|debug|info|warn|warning|error|critical|fatal|verbose|silly))\]) ?",
    re.ASCII,
)
CONSOLE_HEADER = re.compile(r"\[([A-Za-z][\w.-]*) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?)(Z?)\] ?", re.ASCII)
# Chromium's stderr: [pid:tid:MMDD/HHMMSS.ffffff:LEVEL:file.cc(line)], [pid:MMDD/…] or [MMDD/…]; no year, no timestamp.
CHROMIUM_HEADER = re.compile(
    r"\[(?:(\d+):)?(?:(\d+):)?([01]\d[0-3]\d/\d{6}(?:\.\d+)?):([A-Z]+\d?):([^\]\s]*\(\d+\))\] ?", re.ASCII
)
# glog: E0628 12:37:38.181530 15509 file.go:60] (levels I, W, E, F; no year: no timestamp).
GLOG_HEADER = re.compile(r"([IWEF])([01]\d[0-3]\d \d\d:\d\d:\d\d\.\d+) +(\d+) ([^\]\s]+:\d+)\] ?", re.ASCII)
# A language client's output channel: [Error - 9:21:56 AM], [Error - 上午11:01:26] (time of day only: no timestamp).
LSP_HEADER = re.compile(r"\[(Trace|Debug|Info|Warn|Error) *- ([^\]\n]*?\d{1,2}:\d\d:\d\d[^\]\n]*)\] ?", re.ASCII)
# No date: a VS Code line pasted without its date (07:22:51.863 [error], or just [error]), the old console's
# [main 3:45:14 PM].
CLOCK_HEADER = re.compile(
    r"(?:(\d\d:\d\d:\d\d(?:[.,]\d+)?) \[(\w+)\]|\[([A-Za-z][\w.-]*) (\d{1,2}:\d\d:\d\d(?: ?[AP]M)?)\]"
    r"|\[(trace|debug|info|warning|error|critical)\](?= ))"
    r" ?",
    re.ASCII,
)
# A copy of the DevTools console: "abstractExtensionService.ts:644 message", "log.ts:437   ERR message", "INFO message".
DEVTOOLS_HEADER = re.compile(r"(?:([\w.-]+\.(?:ts|js|mjs|cjs)):(\d+) +)?(?:(ERR|WARN|INFO|TRACE|DEBUG) +)?", re.ASCII)
# A Go runtime crash: the goroutine dump that follows is its continuation.
GO_PANIC_HEADER = re.compile(r"(?:panic|fatal error): ", re.ASCII)
# A bare JavaScript error line, e.g. "TypeError: x" or "Error [ERR_MODULE_NOT_FOUND]: y"; its "    at" frames follow.
ERROR_NAMES = (
    "Error",
    "TypeError",
    "RangeError",
    "ReferenceError",
    "SyntaxError",
    "EvalError",
    "URIError",
    "AggregateError",
    "SystemError",
    "AbortError",
)
STACK_HEADER = re.compile(r"(?:" + "|".join(ERROR_NAMES) + r")(?: \[[A-Z0-9_]+\])?: ", re.ASCII)
_TAG = re.compile(r"\[([A-Za-z][\w.#-]*)\]:? ?")
_PREFIX_COMPONENT = re.compile(r"([A-Za-z][\w]*)(?:#|: )")
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]')
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

_LEVELS = {
    "trace": "trace",
    "debug": "debug",
    "info": "info",
    "information": "info",
    "warn": "warning",
    "warning": "warning",
    "err": "error",
    "error": "error",
    "fatal": "critical",
    "crit": "critical",
    "critical": "critical",
}
_GLOG_LEVELS = {"I": "info", "W": "warning", "E": "error", "F": "critical"}
_JSON_TIME_KEYS = ("timestamp", "time", "ts", "@timestamp")
_JSON_LEVEL_KEYS = ("level", "severity", "lvl")
_JSON_MESSAGE_KEYS = ("message", "msg")
_JSON_COMPONENT_KEYS = ("component", "logger")

Gate = Callable[[str], bool]


def normalise_level(level: str | None) -> str | None:
    """``"WARN"`` → ``"warning"``; unknown levels are kept lower-cased."""
    if level is None:
        return None
    lowered = level.lower()
    return _LEVELS.get(lowered, lowered)


def parse_timestamp(text: str) -> datetime | None:
    """An ISO-like log timestamp → naive local datetime, or aware UTC when it has a zone (``Z``, ``+08:00``)."""
    try:
        stamp = datetime.fromisoformat(text)
        # Aware stamps are kept in UTC so that every aware value means the same clock (tables mark them as UTC).
        return stamp.astimezone(UTC) if stamp.tzinfo is not None else stamp
    except (ValueError, OverflowError):
        return None


def split_component(rest: str) -> tuple[str | None, str]:
    """``"[IPC] Checking…"`` → ``("IPC", "Checking…")``; ``"update#setState idle"`` → ``("update", …)``.

    A leading ``[Tag]`` is removed from the message; a ``word#`` or
    ``Word: `` prefix names the component but stays in the message.
    """
    tag = _TAG.match(rest)
    if tag:
        return tag[1], rest[tag.end() :]
    prefix = _PREFIX_COMPONENT.match(rest)
    return (prefix[1] if prefix else None), rest


def json_depth(line: str, limit: int) -> int:
    """How deep ``line``'s brackets nest outside strings, scanning only as far as needed to pass ``limit``.

    Cheap for ordinary lines: a line with no more brackets than ``limit`` cannot nest deeper.
    """
    if line.count("{") + line.count("[") <= limit:
        return 0
    depth = deepest = 0
    for token in _JSON_TOKEN.finditer(line):
        char = token[0]
        if char in "{[":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif char in "}]":
            depth -= 1
    return deepest


def parse_json_record(line: str, max_depth: int = MAX_JSON_DEPTH) -> dict[str, Any] | None:
    """The object of a structured JSON log line, or ``None`` if the line is not one.

    A structured record is a JSON object with a string message and a level or
    timestamp; anything else starting with ``{`` (a payload) is not, and
    neither is a line nested deeper than ``max_depth``.
    """
    if '"message"' not in line and '"msg"' not in line:
        return None
    if _too_deep(line, max_depth):
        return None
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if _ESCAPED_SURROGATE.search(line):
        value = _scrub(value)
    if not isinstance(value, dict):
        return None
    message = _first(value, _JSON_MESSAGE_KEYS)
    if not isinstance(message, str):
        return None
    if _first(value, _JSON_LEVEL_KEYS) is None and _first(value, _JSON_TIME_KEYS) is None:
        return None
    return value


def _too_deep(line: str, limit: int) -> bool:
    """Whether ``parse_json_record`` turned ``line`` down for its depth alone."""
    return ('"message"' in line or '"msg"' in line) and json_depth(line, limit) > limit


def _scrub(value: Any) -> Any:
    """``value`` with lone surrogates in its strings (and keys) replaced by U+FFFD."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_scrub(key): _scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    return value


def _first(obj: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if key in obj:
            return obj[key]
    return None


def _json_record(obj: dict[str, Any], *, source: str, line: int, text: str) -> Record:
    stamp = _first(obj, _JSON_TIME_KEYS)
    timestamp = None
    if isinstance(stamp, str):
        timestamp = parse_timestamp(stamp)
    elif isinstance(stamp, int | float) and not isinstance(stamp, bool):
        try:
            seconds = stamp / 1000 if stamp > 1e11 else stamp
            timestamp = datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            timestamp = None
    level = _first(obj, _JSON_LEVEL_KEYS)
    component, message = split_component(_first(obj, _JSON_MESSAGE_KEYS))
    named = _first(obj, _JSON_COMPONENT_KEYS)
    used = {*_JSON_TIME_KEYS, *_JSON_LEVEL_KEYS, *_JSON_MESSAGE_KEYS, *_JSON_COMPONENT_KEYS}
    return Record(
        source=source,
        line=line,
        framing=Framing.JSON,
        timestamp=timestamp,
        level=normalise_level(level) if isinstance(level, str) else None,
        component=component or (named if isinstance(named, str) else None),
        logger=obj.get("category") if isinstance(obj.get("category"), str) else None,
        message=message,
        text=text,
        fields={k: v for k, v in obj.items() if k not in used},
    )


def _header_record(
    framing: Framing,
    match: re.Match[str],
    *,
    source: str,
    line: int,
    text: str,
) -> Record:
    stamp: str | None
    if framing is Framing.VSCODE:
        stamp, level, logger = match[1], match[2], None
    elif framing is Framing.SPDLOG:
        stamp, logger, level = match[1], match[2], match[3] or match[4]
    elif framing is Framing.CONSOLE:
        logger, stamp, level = match[1], match[2] + match[3], None
    elif framing.self_describing:
        # The header is the message: "panic: …" and "TypeError: …" stay whole, so templates and patterns see them.
        level = "fatal" if framing is Framing.GO_PANIC else "error"
        return Record(
            source=source,
            line=line,
            framing=framing,
            timestamp=None,
            level=normalise_level(level),
            component=None,
            logger=None,
            message=text,
            text=text,
        )
    else:
        stamp, level, logger = None, _raw_level(framing, match), _LOGGERS[framing](match)
    level = _relayed(text, match.end(), level)
    component, message = split_component(text[match.end() :])
    return Record(
        source=source,
        line=line,
        framing=framing,
        timestamp=parse_timestamp(stamp) if stamp is not None else None,
        level=normalise_level(level),
        component=component,
        logger=logger,
        message=message,
        text=text,
    )


_LOGGERS: dict[Framing, Callable[[re.Match[str]], str | None]] = {
    Framing.CHROMIUM: lambda match: match[5],
    Framing.GLOG: lambda match: match[4],
    Framing.LSP: lambda match: "lsp",
    Framing.CLOCK: lambda match: match[3],
    Framing.DEVTOOLS: lambda match: f"{match[1]}:{match[2]}" if match[1] else None,
}
"""The writer a header without a timestamp names: Chromium's and glog's source file, a language client."""


def bare_record(text: str, *, source: str, line: int) -> Record:
    """A record for a headerless line (a pasted snippet): no timestamp, no level."""
    component, message = split_component(text.strip())
    return Record(
        source=source,
        line=line,
        framing=Framing.BARE,
        timestamp=None,
        level=None,
        component=component,
        logger=None,
        message=message,
        text=text,
    )


def match_header(
    text: str, max_json_depth: int = MAX_JSON_DEPTH, *, unframed: bool = True, console: bool | None = None
) -> tuple[Framing, re.Match[str] | dict[str, Any]] | None:
    """Which framing's header ``text`` starts with, and the match; ``None`` for headerless lines.

    ``unframed`` says that the file has shown no header yet: only then is a
    bare ``Error:`` line a header; ``console`` (by default ``unframed``)
    that the file may be a DevTools console copy (see ``HEADER_SHAPES``).
    """
    first = text[:1]
    if first.isdigit():
        match = VSCODE_HEADER.match(text) or CLOCK_HEADER.match(text)
        if match is not None:
            return (Framing.VSCODE if match.re is VSCODE_HEADER else Framing.CLOCK), match
        return _console(text) if (unframed if console is None else console) else None
    if first == "[":
        for framing, header in _BRACKETED:
            match = header.match(text)
            if match:
                return framing, match
        return None
    if first == "{":
        obj = parse_json_record(text, max_json_depth)
        return (Framing.JSON, obj) if obj is not None else None
    for framing, header in _BY_FIRST.get(first, ()):
        match = header.match(text)
        if match and (unframed or framing is not Framing.STACK):
            return framing, match
    return _console(text) if (unframed if console is None else console) else None


def _console(text: str) -> tuple[Framing, re.Match[str]] | None:
    """A DevTools console line: a source location, a level badge, or both, before the message."""
    match = DEVTOOLS_HEADER.match(text)
    if match is None or match.end() == 0 or not (match[1] or match[3]):
        return None
    return Framing.DEVTOOLS, match


_BRACKETED = (
    (Framing.SPDLOG, SPDLOG_HEADER),
    (Framing.CONSOLE, CONSOLE_HEADER),
    (Framing.CLOCK, CLOCK_HEADER),
    (Framing.CHROMIUM, CHROMIUM_HEADER),
    (Framing.LSP, LSP_HEADER),
)
_BY_FIRST: dict[str, tuple[tuple[Framing, re.Pattern[str]], ...]] = {}
for _first_char in "IWF":
    _BY_FIRST[_first_char] = ((Framing.GLOG, GLOG_HEADER),)
_BY_FIRST["E"] = ((Framing.GLOG, GLOG_HEADER), (Framing.STACK, STACK_HEADER))
_BY_FIRST["p"] = _BY_FIRST["f"] = ((Framing.GO_PANIC, GO_PANIC_HEADER),)
for _name in ERROR_NAMES:
    _BY_FIRST.setdefault(_name[0], ((Framing.STACK, STACK_HEADER),))
"""The unbracketed headers by their first character, so that a line starting otherwise costs one dict miss."""


def make_record(
    framing: Framing, found: re.Match[str] | dict[str, Any], *, source: str, line: int, text: str
) -> Record:
    """Build the ``Record`` for a header found by ``match_header``."""
    if isinstance(found, dict):
        return _json_record(found, source=source, line=line, text=text)
    return _header_record(framing, found, source=source, line=line, text=text)


Done = tuple[Record, tuple[str, ...]]
"""A finished record and its continuation lines (capped)."""


DATED_HEADERS: tuple[re.Pattern[str], ...] = (VSCODE_HEADER, SPDLOG_HEADER, CONSOLE_HEADER)
"""The text headers that carry a date (JSON records aside): the ones a source's time span is read from."""
HEADER_SHAPES: tuple[re.Pattern[str], ...] = (
    *DATED_HEADERS,
    CLOCK_HEADER,
    CHROMIUM_HEADER,
    LSP_HEADER,
    GLOG_HEADER,
    GO_PANIC_HEADER,
)
"""Every text header of a framed file (JSON records aside), for readers that find header lines in bulk.

A bare ``Error:`` line (``STACK_HEADER``) is a header only before a file
shows one of these: in a framed log it is the first line of the stack that
the record before it printed. A DevTools console line (``DEVTOOLS_HEADER``)
is one only in a file that starts as a console copy, which is then read
line by line (a paste is small).
"""


def kept_line_literals(levels: Iterable[str]) -> frozenset[bytes]:
    """Byte strings, one of which every header line kept for its level alone holds (``levels`` normalised).

    The block scanner feeds the framer every line holding one of them, so
    that both readers keep the same records; a ``\n`` in front anchors a
    header that starts with a letter to the start of a line.
    """
    wanted = frozenset(levels)
    spellings = level_spellings(wanted)
    literals = {b"[" + word.encode() + b"]" for word in spellings}
    literals.update(b":" + word.encode() + b":" for word in spellings if word.isupper())  # Chromium
    literals.update(b"[" + word.encode() + b" " for word in spellings if word.istitle())  # language clients
    for letter, level in _GLOG_LEVELS.items():
        if level in wanted:
            literals.update(b"\n" + letter.encode() + month for month in (b"0", b"1"))
    if "critical" in wanted:
        literals.update((b"\npanic: ", b"\nfatal error: "))
    return frozenset(literals)


def level_spellings(levels: Iterable[str]) -> frozenset[str]:
    """The raw level words that keep a record for ``levels`` (normalised names such as ``"warning"``).

    A level counts in lower, UPPER or Title case (``error``, ``ERROR``,
    ``Error``) — the spellings loggers write; the fast block scanner looks
    for exactly these words, so both readers keep the same records.
    """
    wanted = set(levels)
    words = {raw for raw, norm in _LEVELS.items() if norm in wanted} | (wanted - set(_LEVELS.values()))
    return frozenset(spelling for word in words for spelling in (word, word.upper(), word.title()))


class Framer:
    """The framing state machine of one source, fed one physical line at a time.

    ``line`` takes the next decoded line and returns the record that line
    finished, if any; ``finish`` returns the last one. This is the one
    definition of how lines become records: ``frame_lines`` feeds it every
    line, and the fast block scanner (``qoderlog.read.scan``) feeds it every line
    that can matter and counts the rest in bulk.
    """

    __slots__ = (
        "blank",
        "console",
        "continuation",
        "detail",
        "first_header",
        "framed",
        "has_record",
        "is_candidate",
        "keep",
        "last_found",
        "last_text",
        "max_json_depth",
        "noise",
        "open",
        "paste",
        "paste_framed",
        "pending",
        "recognises",
        "source",
        "stripped",
        "too_deep",
    )

    def __init__(
        self,
        *,
        source: str,
        is_candidate: Gate,
        recognises: Callable[[Record], bool],
        keep_levels: Iterable[str] = (),
        max_json_depth: int = MAX_JSON_DEPTH,
    ) -> None:
        self.source = source
        self.max_json_depth = max_json_depth
        self.too_deep = 0
        self.is_candidate = is_candidate
        self.recognises = recognises
        self.keep = level_spellings(keep_levels)
        self.noise = self.continuation = self.blank = 0
        self.framed = self.has_record = False
        self.pending: Record | None = None
        self.open = False  # whether the pending record takes continuation lines
        self.detail: list[str] = []
        self.first_header: tuple[Framing, Any, str] | None = None
        self.last_found: tuple[Framing, Any] | None = None
        self.last_text = ""
        self.paste: Paste | None = None  # the pasted block being read, if any (see qoderlog.read.pastes)
        self.paste_framed = False  # whether a pasted block held a header: the input is a pasted log
        self.console = False  # whether the input began as a copy of the DevTools console
        self.stripped = 0  # lines whose paste prefix was removed

    @property
    def reads_pastes(self) -> bool:
        """Whether the next line may be (or start) a pasted block, so that it must be fed, never counted in bulk."""
        return not self.framed or self.paste is not None or self.paste_framed or self.console

    def _unpaste(self, text: str) -> str:
        """``text`` without the prefix of the pasted block it belongs to or starts; as it is otherwise."""
        paste = self.paste
        if paste is not None:
            stripped = paste.strip(text)
            if stripped is not None:
                self.stripped += 1
                return stripped
            if not text or text.isspace():
                return text
            self.paste = None
        if text[:1] not in PASTE_STARTS:
            return text
        paste = paste_start(text, first_line=not self.has_record, is_header=self._is_header)
        if paste is None:
            return text
        self.paste = paste
        self.stripped += 1
        return paste.strip(text) or ""

    def _is_header(self, text: str) -> bool:
        return match_header(text, self.max_json_depth) is not None

    def _take(self) -> Done | None:
        pending = self.pending
        if pending is None:
            return None
        self.pending = None
        self.open = False
        return pending, tuple(self.detail)

    def line(self, number: int, text: str) -> Done | None:
        """Feed line ``number``; the record it finished (the one before it), or ``None``."""
        if self.reads_pastes:
            text = self._unpaste(text)
        found = match_header(
            text, self.max_json_depth, unframed=not self.framed, console=not self.framed or self.console
        )
        if found is None and text[:1] == "{" and _too_deep(text, self.max_json_depth):
            self.too_deep += 1
        if found is not None:
            framing, match = found
            if framing.dated:
                if self.first_header is None:
                    self.first_header = (*found, text)
                self.last_found, self.last_text = found, text
            if self.paste is not None:
                self.paste_framed = True
            # A bare "Error:" line leaves the file unframed: the next one is a record of its own too.
            self.framed = self.framed or framing is not Framing.STACK
            self.console = self.console or framing is Framing.DEVTOOLS
            self.has_record = True
            done = self._take()
            if isinstance(match, dict):
                gate_text, level = _first(match, _JSON_MESSAGE_KEYS), _first(match, _JSON_LEVEL_KEYS)
            else:
                gate_text, level = text, _relayed(text, match.end(), _raw_level(framing, match))
            if self.is_candidate(gate_text):
                self.pending = make_record(framing, match, source=self.source, line=number, text=text)
                self.detail, self.open = [], True
            elif self.keep and isinstance(level, str) and level in self.keep:
                # Kept for its level alone: no pattern can match it, so its continuation lines are not wanted.
                self.pending = make_record(framing, match, source=self.source, line=number, text=text)
                self.detail, self.open = [], False
            else:
                self.noise += 1
            return done
        if not text or text.isspace():
            self.blank += 1
            return None
        indented = text[0] in " \t"
        if self.has_record and (indented or self.framed):
            if self.framed and not indented and self.is_candidate(text):
                candidate = bare_record(text, source=self.source, line=number)
                if self.recognises(candidate):
                    done = self._take()
                    self.pending, self.detail, self.open = candidate, [], True
                    return done
            self.continuation += 1
            if self.open and len(self.detail) < MAX_DETAIL_LINES:
                self.detail.append(text[:MAX_DETAIL_CHARS])
            return None
        self.has_record = True
        done = self._take()
        if self.is_candidate(text):
            self.pending, self.detail, self.open = bare_record(text, source=self.source, line=number), [], True
        else:
            self.noise += 1
        return done

    def finish(self) -> Done | None:
        """The record still open at the end of the source, if any."""
        return self._take()

    def settle(
        self,
        counts: MutableMapping[str, int],
        span: MutableMapping[str, datetime | None] | None = None,
        limit_hits: MutableMapping[str, int] | None = None,
        pasted: MutableMapping[str, int] | None = None,
    ) -> None:
        """Add the line counts to ``counts``, the header times to ``span``, the bounds met to ``limit_hits``.

        ``pasted`` gets ``lines``: how many lines had a paste prefix removed.
        """
        if pasted is not None:
            pasted["lines"] = pasted.get("lines", 0) + self.stripped
        if self.too_deep and limit_hits is not None:
            limit_hits["max_json_depth"] = limit_hits.get("max_json_depth", 0) + self.too_deep
        if span is not None:
            span["first"] = _header_time(self.first_header)
            last = (*self.last_found, self.last_text) if self.last_found is not None else None
            span["last"] = _header_time(last)
        counts[LineKind.UNRECOGNISED] = counts.get(LineKind.UNRECOGNISED, 0) + self.noise
        counts[LineKind.CONTINUATION] = counts.get(LineKind.CONTINUATION, 0) + self.continuation
        counts[LineKind.BLANK] = counts.get(LineKind.BLANK, 0) + self.blank


_RELAYED = (LSP_HEADER, CHROMIUM_HEADER)
_RANKS = {"trace": 0, "debug": 1, "info": 2, "warning": 3, "error": 4, "critical": 5}


def _relayed(text: str, at: int, level: str | None) -> str | None:
    """The level of a line relayed inside a record (``[info] [Error - 4:55:53 PM] …``) when it is higher.

    A language client's or Chromium's header at the start of the message is
    the level the line really has; both show a literal (``[Error``,
    ``:ERROR:``) that the block scanner looks for anywhere in a line.
    """
    if text[at : at + 1] != "[":
        return level
    for header in _RELAYED:
        inner = header.match(text, at)
        if inner is not None:
            framing = Framing.LSP if header is LSP_HEADER else Framing.CHROMIUM
            raw = _raw_level(framing, inner)
            if _RANKS.get(normalise_level(raw) or "", -1) > _RANKS.get(normalise_level(level) or "", -1):
                return raw
            return level
    return level


def _raw_level(framing: Framing, match: re.Match[str]) -> str | None:
    if framing is Framing.VSCODE:
        return match[2]
    if framing is Framing.SPDLOG:
        return match[3] or match[4]
    if framing is Framing.CHROMIUM:
        return "debug" if match[4].startswith("VERBOSE") else match[4]  # VLOG levels VERBOSE1, VERBOSE2 …
    if framing is Framing.GLOG:
        return _GLOG_LEVELS[match[1]]
    if framing is Framing.LSP:
        return match[1]
    if framing is Framing.CLOCK:
        return match[2] or match[5]
    if framing is Framing.DEVTOOLS:
        return match[3]
    if framing is Framing.GO_PANIC:
        return "fatal"
    if framing is Framing.STACK:
        return "error"
    return None


def frame_lines(
    lines: Iterable[str],
    *,
    source: str,
    is_candidate: Gate,
    recognises: Callable[[Record], bool],
    counts: MutableMapping[str, int],
    span: MutableMapping[str, datetime | None] | None = None,
    keep_levels: Iterable[str] = (),
    max_json_depth: int = MAX_JSON_DEPTH,
    limit_hits: MutableMapping[str, int] | None = None,
    pasted: MutableMapping[str, int] | None = None,
) -> Iterator[Done]:
    """Candidate records of one source with their continuation lines (capped), in order.

    The straightforward path, line by line, and the reference for the fast
    block scanner. ``is_candidate`` is the cheap literal prefilter, applied to
    the raw line (or a JSON record's message); ``recognises`` is asked only
    about headerless candidate lines in a framed file, to let a recognised
    bare line stand on its own. A header record whose level is one of
    ``keep_levels`` (normalised names, see ``level_spellings``) is yielded
    even when it fails the prefilter, without continuation lines (no pattern
    can match it; it is kept to be mined as an unknown line). ``counts`` gets
    ``unrecognised``, ``continuation`` and ``blank`` line counts added,
    including when the iteration is abandoned. ``span``, when given, gets the
    ``first`` and ``last`` header timestamps (the time the source covers).
    ``limit_hits``, when given, gets ``max_json_depth``: the lines starting
    with ``{`` that were nested too deep to be read as JSON (each is still
    framed and counted as a headerless line). ``pasted``, when given, gets
    ``lines``: the lines read without the prefix of a pasted block
    (``qoderlog.read.pastes``).
    """
    framer = Framer(
        source=source,
        is_candidate=is_candidate,
        recognises=recognises,
        keep_levels=keep_levels,
        max_json_depth=max_json_depth,
    )
    feed = framer.line
    try:
        for number, text in enumerate(lines, 1):
            done = feed(number, text)
            if done is not None:
                yield done
        done = framer.finish()
        if done is not None:
            yield done
    finally:
        framer.settle(counts, span, limit_hits, pasted)


def _header_time(header: tuple[Framing, Any, str] | None) -> datetime | None:
    if header is None:
        return None
    framing, match, text = header
    return make_record(framing, match, source="", line=0, text=text).timestamp
