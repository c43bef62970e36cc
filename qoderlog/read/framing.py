"""Decoded lines → records: headers, continuation lines, blank lines, bare snippet lines.

Recognises every framing of the catalog §2 — current VS Code, older spdlog,
console ``[main …Z]``, structured JSON lines and bare snippet lines — even
mixed in one file. A line without a header continues the record before it,
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

MAX_DETAIL_LINES = 50
MAX_DETAIL_CHARS = 2000
MAX_JSON_DEPTH = DEFAULT_LIMITS.max_json_depth

VSCODE_HEADER = re.compile(r"(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?) \[(\w+)\] ?", re.ASCII)
SPDLOG_HEADER = re.compile(r"\[(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?)\] \[([^\]]*)\] \[(\w+)\] ?", re.ASCII)
CONSOLE_HEADER = re.compile(r"\[([A-Za-z][\w.-]*) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?)(Z?)\] ?", re.ASCII)
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
    if framing is Framing.VSCODE:
        stamp, level, logger = match[1], match[2], None
    elif framing is Framing.SPDLOG:
        stamp, logger, level = match[1], match[2], match[3]
    else:
        logger, stamp, level = match[1], match[2] + match[3], None
    component, message = split_component(text[match.end() :])
    return Record(
        source=source,
        line=line,
        framing=framing,
        timestamp=parse_timestamp(stamp),
        level=normalise_level(level),
        component=component,
        logger=logger,
        message=message,
        text=text,
    )


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
    text: str, max_json_depth: int = MAX_JSON_DEPTH
) -> tuple[Framing, re.Match[str] | dict[str, Any]] | None:
    """Which framing's header ``text`` starts with, and the match; ``None`` for headerless lines."""
    first = text[:1]
    if first.isdigit():
        match = VSCODE_HEADER.match(text)
        return (Framing.VSCODE, match) if match else None
    if first == "[":
        match = SPDLOG_HEADER.match(text)
        if match:
            return Framing.SPDLOG, match
        match = CONSOLE_HEADER.match(text)
        return (Framing.CONSOLE, match) if match else None
    if first == "{":
        obj = parse_json_record(text, max_json_depth)
        return (Framing.JSON, obj) if obj is not None else None
    return None


def make_record(
    framing: Framing, found: re.Match[str] | dict[str, Any], *, source: str, line: int, text: str
) -> Record:
    """Build the ``Record`` for a header found by ``match_header``."""
    if isinstance(found, dict):
        return _json_record(found, source=source, line=line, text=text)
    return _header_record(framing, found, source=source, line=line, text=text)


Done = tuple[Record, tuple[str, ...]]
"""A finished record and its continuation lines (capped)."""


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
    line, and the fast block scanner (``qoderlog.scan``) feeds it every line
    that can matter and counts the rest in bulk.
    """

    __slots__ = (
        "blank",
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
        "pending",
        "recognises",
        "source",
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

    def _take(self) -> Done | None:
        pending = self.pending
        if pending is None:
            return None
        self.pending = None
        self.open = False
        return pending, tuple(self.detail)

    def line(self, number: int, text: str) -> Done | None:
        """Feed line ``number``; the record it finished (the one before it), or ``None``."""
        found = match_header(text, self.max_json_depth)
        if found is None and text[:1] == "{" and _too_deep(text, self.max_json_depth):
            self.too_deep += 1
        if found is not None:
            if self.first_header is None:
                self.first_header = (*found, text)
            self.last_found, self.last_text = found, text
            self.framed = self.has_record = True
            done = self._take()
            framing, match = found
            if isinstance(match, dict):
                gate_text, level = _first(match, _JSON_MESSAGE_KEYS), _first(match, _JSON_LEVEL_KEYS)
            else:
                gate_text, level = text, _raw_level(framing, match)
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
    ) -> None:
        """Add the line counts to ``counts``, the header times to ``span``, the bounds met to ``limit_hits``."""
        if self.too_deep and limit_hits is not None:
            limit_hits["max_json_depth"] = limit_hits.get("max_json_depth", 0) + self.too_deep
        if span is not None:
            span["first"] = _header_time(self.first_header)
            last = (*self.last_found, self.last_text) if self.last_found is not None else None
            span["last"] = _header_time(last)
        counts[LineKind.UNRECOGNISED] = counts.get(LineKind.UNRECOGNISED, 0) + self.noise
        counts[LineKind.CONTINUATION] = counts.get(LineKind.CONTINUATION, 0) + self.continuation
        counts[LineKind.BLANK] = counts.get(LineKind.BLANK, 0) + self.blank


def _raw_level(framing: Framing, match: re.Match[str]) -> str | None:
    if framing is Framing.VSCODE:
        return match[2]
    if framing is Framing.SPDLOG:
        return match[3]
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
    framed and counted as a headerless line).
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
        framer.settle(counts, span, limit_hits)


def _header_time(header: tuple[Framing, Any, str] | None) -> datetime | None:
    if header is None:
        return None
    framing, match, text = header
    return make_record(framing, match, source="", line=0, text=text).timestamp
