"""Entries and framings: one framing-neutral log record, and its physical lines in the framings logs and pastes use.

Takes an ``Entry`` (time, level, message, continuation lines) and gives the
lines a VS Code, spdlog, console, JSON or bare log would hold for it (catalog
§2), or the lines real bundles and pastes add: Chromium's stderr, glog, a
language client's output channel and VS Code lines without their date. An
entry may carry its own framing (a Chromium line amid a VS Code log, a Go
server's glog line in its client's output channel). ``paste`` puts the prefix
a user pasting a log into a ticket puts in front of every line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

Framing = Literal["vscode", "spdlog", "console", "json", "bare", "chromium", "glog", "lsp", "clock"]
Channel = Literal["main", "exthost"]
PasteStyle = Literal["indent", "quote", "gutter"]

FRAMINGS: tuple[Framing, ...] = get_args(Framing)
PASTE_STYLES: tuple[PasteStyle, ...] = get_args(PasteStyle)

_JSON_LEVELS = {
    "trace": "DEBUG",
    "debug": "DEBUG",
    "info": "INFO",
    "warning": "WARN",
    "error": "ERROR",
    "critical": "FATAL",
}
# Chromium's LOG severities (VLOG lines print VERBOSE1), glog's level letters, vscode-languageclient's level
# words (padded to five: "[Info  - …]").
_CHROMIUM_LEVELS = {
    "trace": "VERBOSE1",
    "debug": "VERBOSE1",
    "info": "INFO",
    "warning": "WARNING",
    "error": "ERROR",
    "critical": "FATAL",
}
_GLOG_LEVELS = {"trace": "I", "debug": "I", "info": "I", "warning": "W", "error": "E", "critical": "F"}
_LSP_LEVELS = {
    "trace": "Trace",
    "debug": "Debug",
    "info": "Info",
    "warning": "Warn",
    "error": "Error",
    "critical": "Error",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One framing-neutral log record: time, level, message, and the lines that continue it.

    ``message`` is ``None`` for a blank line; ``raw`` records (Chromium's
    stderr in a console capture, a Go server's panic in its client's output
    channel) are written as they are, with no header. ``framing`` is the
    record's own framing when it is not its file's; ``origin`` is the source
    location and ``thread`` the process and thread ids that Chromium's
    (``pid:tid``) and glog's (``tid``) headers print.
    """

    at: datetime
    level: str
    message: str | None
    component: str | None = None
    channel: Channel = "main"
    category: str = "process_management"
    detail: tuple[str, ...] = ()
    fields: tuple[tuple[str, str | int], ...] = ()
    json_message: str | None = None
    raw: bool = False
    framing: Framing | None = None
    origin: str = ""
    thread: str = ""


def stamp(at: datetime) -> str:
    """``at`` as the VS Code and spdlog framings print it: local time to the millisecond."""
    return f"{at:%Y-%m-%d %H:%M:%S}.{at.microsecond // 1000:03d}"


def _vscode(entry: Entry, text: str, utc_offset_h: float, logger: str) -> str:
    return f"{stamp(entry.at)} [{entry.level}] {text}"


def _spdlog(entry: Entry, text: str, utc_offset_h: float, logger: str) -> str:
    return f"[{stamp(entry.at)}] [{logger}] [{entry.level}] {text}"


def _console(entry: Entry, text: str, utc_offset_h: float, logger: str) -> str:
    utc = entry.at - timedelta(hours=utc_offset_h)
    return f"[{logger} {utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z] {text}"


def _json(entry: Entry, text: str, utc_offset_h: float, logger: str) -> str:
    utc = entry.at - timedelta(hours=utc_offset_h)
    record: dict[str, str | int] = {
        "timestamp": f"{utc:%Y-%m-%dT%H:%M:%SZ}",
        "level": _JSON_LEVELS[entry.level],
        "category": entry.category,
        "message": entry.json_message or entry.message or "",
    }
    record.update(entry.fields)
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _bare(entry: Entry, text: str, utc_offset_h: float, logger: str) -> str:
    return text


def _origin(entry: Entry, framing: str) -> str:
    if not entry.origin:
        raise ValueError(f"a {framing} line names its source location: give the entry an origin ({entry.message!r})")
    return entry.origin


def _chromium(entry: Entry, text: str, utc_offset_h: float, logger: str) -> str:
    # Local time without a year; "[pid:tid:", "[pid:" or no ids at all, as the process's logging settings print.
    ids = f"{entry.thread}:" if entry.thread else ""
    at = entry.at
    level = _CHROMIUM_LEVELS[entry.level]
    return f"[{ids}{at:%m%d/%H%M%S}.{at.microsecond:06d}:{level}:{_origin(entry, 'chromium')}] {text}"


def _glog(entry: Entry, text: str, utc_offset_h: float, logger: str) -> str:
    # C++ glog's layout: level letter, MMDD, local time to the microsecond, thread id (width 5), file:line.
    if not entry.thread:
        raise ValueError(f"a glog line names its thread: give the entry a thread ({entry.message!r})")
    at = entry.at
    head = f"{_GLOG_LEVELS[entry.level]}{at:%m%d %H:%M:%S}.{at.microsecond:06d} {entry.thread:>5}"
    return f"{head} {_origin(entry, 'glog')}] {text}"


def _lsp(entry: Entry, text: str, utc_offset_h: float, logger: str) -> str:
    # vscode-languageclient: `[${level.padEnd(5)} - ${new Date().toLocaleTimeString()}]`, en-US: 9:21:56 AM.
    at = entry.at
    clock = f"{at.hour % 12 or 12}:{at:%M:%S} {'AM' if at.hour < 12 else 'PM'}"
    return f"[{_LSP_LEVELS[entry.level]:<5} - {clock}] {text}"


def _clock(entry: Entry, text: str, utc_offset_h: float, logger: str) -> str:
    return f"{stamp(entry.at)[11:]} [{entry.level}] {text}"


_HEADS: dict[str, Callable[[Entry, str, float, str], str]] = {
    "vscode": _vscode,
    "spdlog": _spdlog,
    "console": _console,
    "json": _json,
    "bare": _bare,
    "chromium": _chromium,
    "glog": _glog,
    "lsp": _lsp,
    "clock": _clock,
}
"""One header writer per framing: ``(entry, "[component] message", utc_offset_h, logger)`` → the first line."""


def frame(entry: Entry, framing: Framing, *, utc_offset_h: float = 0.0, logger: str = "main") -> list[str]:
    """The physical lines of ``entry`` in its own framing or else ``framing``, continuation lines included.

    Entry times are local; the console and JSON framings print UTC, that is
    the local time minus ``utc_offset_h`` hours. ``logger`` names the process
    in the spdlog and console headers. Chromium and glog lines need the
    entry's ``origin`` (and glog its ``thread``): a ``ValueError`` otherwise.
    """
    if entry.message is None:
        return [""]
    if entry.raw:
        return [entry.message, *entry.detail]
    own = entry.framing or framing
    head = _HEADS.get(own)
    if head is None:
        raise ValueError(f"unknown framing {own!r}; use one of {', '.join(FRAMINGS)}")
    text = f"[{entry.component}] {entry.message}" if entry.component else entry.message
    return [head(entry, text, utc_offset_h, logger), *entry.detail]


def _indent(number: int, width: int) -> str:
    return "    "


def _quote(number: int, width: int) -> str:
    return "> "


def _gutter(number: int, width: int) -> str:
    return f"  {number:>{width}} | "


_PREFIXES: dict[str, Callable[[int, int], str]] = {"indent": _indent, "quote": _quote, "gutter": _gutter}
"""One prefix maker per paste style: ``(line number, width of the last number)`` → what goes before the line."""


def paste(lines: Sequence[str], style: PasteStyle) -> list[str]:
    """``lines`` as a user pasting them into a ticket shows them: the ``style`` prefix in front of every line.

    ``indent`` is a Markdown code block (four spaces), ``quote`` a Markdown
    quote (``> ``), ``gutter`` a copy from a viewer with line numbers
    (``  12 | ``, numbered from 1 and right-aligned). On a blank line the
    prefix loses its trailing blanks, as editors and Markdown renderers trim
    them (``>`` alone; nothing for an indented block).
    """
    prefix = _PREFIXES.get(style)
    if prefix is None:
        raise ValueError(f"unknown paste style {style!r}; use one of {', '.join(PASTE_STYLES)}")
    width = len(str(len(lines)))
    return [
        prefix(number, width) + line if line.strip() else prefix(number, width).rstrip()
        for number, line in enumerate(lines, start=1)
    ]
