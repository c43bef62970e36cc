"""Decoded lines → records: headers, continuation lines, blank lines, bare snippet lines.

Recognises every framing of the catalog §2 — current VS Code, older spdlog,
console ``[main …Z]``, structured JSON lines and bare snippet lines — even
mixed in one file. A line without a header continues the record before it,
except in a file that has shown no header yet (a pasted snippet), where each
unindented line is a record of its own, and except a headerless line that a
pattern recognises, which stands on its own even amid framed records.

To keep noise cheap, only *candidate* records — those whose line passes the
pattern library's literal prefilter — are built into ``Record`` values and
yielded; every other line is only counted. The caller's ``counts`` dict gets
``unrecognised`` (non-candidate headers), ``continuation`` and ``blank``;
the caller counts each yielded record as ``event`` or ``unrecognised``.

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

from .limits import DEFAULT_LIMITS
from .model import Framing, LineKind, Record

MAX_DETAIL_LINES = 50
MAX_DETAIL_CHARS = 2000
MAX_JSON_DEPTH = DEFAULT_LIMITS.max_json_depth

VSCODE_HEADER = re.compile(r"(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?) \[(\w+)\] ?")
SPDLOG_HEADER = re.compile(r"\[(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?)\] \[([^\]]*)\] \[(\w+)\] ?")
CONSOLE_HEADER = re.compile(r"\[([A-Za-z][\w.-]*) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?)(Z?)\] ?")
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


def frame_lines(
    lines: Iterable[str],
    *,
    source: str,
    is_candidate: Gate,
    recognises: Callable[[Record], bool],
    counts: MutableMapping[str, int],
    span: MutableMapping[str, datetime | None] | None = None,
    max_json_depth: int = MAX_JSON_DEPTH,
    limit_hits: MutableMapping[str, int] | None = None,
) -> Iterator[tuple[Record, tuple[str, ...]]]:
    """Candidate records of one source with their continuation lines (capped), in order.

    ``is_candidate`` is the cheap literal prefilter, applied to the raw line
    (or a JSON record's message); ``recognises`` is asked only about
    headerless candidate lines in a framed file, to let a recognised bare line
    stand on its own. ``counts`` gets ``unrecognised``, ``continuation`` and
    ``blank`` line counts added, including when the iteration is abandoned.
    ``span``, when given, gets the ``first`` and ``last`` header timestamps
    (the time the source covers), found without parsing every header.
    ``limit_hits``, when given, gets ``max_json_depth``: the lines starting
    with ``{`` that were nested too deep to be read as JSON (each is still
    framed and counted as a headerless line).
    """
    noise = continuation = blank = 0
    framed = False
    has_record = False
    pending: Record | None = None
    detail: list[str] = []
    first_header: tuple[Framing, Any, str] | None = None
    last_found: tuple[Framing, Any] | None = None
    last_text = ""
    too_deep = 0
    try:
        for number, text in enumerate(lines, 1):
            found = match_header(text, max_json_depth)
            if found is None and text[:1] == "{" and _too_deep(text, max_json_depth):
                too_deep += 1
            if found is not None:
                if first_header is None:
                    first_header = (*found, text)
                last_found, last_text = found, text
                framed = True
                has_record = True
                if pending is not None:
                    yield pending, tuple(detail)
                    pending = None
                framing, match = found
                gate_text = _first(match, _JSON_MESSAGE_KEYS) if isinstance(match, dict) else text
                if is_candidate(gate_text):
                    pending = make_record(framing, match, source=source, line=number, text=text)
                    detail = []
                else:
                    noise += 1
                continue
            if not text or text.isspace():
                blank += 1
                continue
            indented = text[0] in " \t"
            if has_record and (indented or framed):
                if framed and not indented and is_candidate(text):
                    candidate = bare_record(text, source=source, line=number)
                    if recognises(candidate):
                        if pending is not None:
                            yield pending, tuple(detail)
                        pending, detail = candidate, []
                        continue
                continuation += 1
                if pending is not None and len(detail) < MAX_DETAIL_LINES:
                    detail.append(text[:MAX_DETAIL_CHARS])
                continue
            has_record = True
            if pending is not None:
                yield pending, tuple(detail)
                pending = None
            if is_candidate(text):
                pending, detail = bare_record(text, source=source, line=number), []
            else:
                noise += 1
        if pending is not None:
            yield pending, tuple(detail)
    finally:
        if span is not None:
            span["first"] = _header_time(first_header)
            span["last"] = _header_time((*last_found, last_text) if last_found is not None else None)
        counts[LineKind.UNRECOGNISED] = counts.get(LineKind.UNRECOGNISED, 0) + noise
        counts[LineKind.CONTINUATION] = counts.get(LineKind.CONTINUATION, 0) + continuation
        counts[LineKind.BLANK] = counts.get(LineKind.BLANK, 0) + blank
        if too_deep and limit_hits is not None:
            limit_hits["max_json_depth"] = limit_hits.get("max_json_depth", 0) + too_deep


def _header_time(header: tuple[Framing, Any, str] | None) -> datetime | None:
    if header is None:
        return None
    framing, match, text = header
    return make_record(framing, match, source="", line=0, text=text).timestamp
