"""Entries and framings: one framing-neutral log record, and its physical lines in a catalog §2 framing.

Takes an ``Entry`` (time, level, message, continuation lines) and gives the
lines a VS Code, spdlog, console, JSON or bare log would hold for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

Framing = Literal["vscode", "spdlog", "console", "json", "bare"]
Channel = Literal["main", "exthost"]

FRAMINGS: tuple[Framing, ...] = get_args(Framing)

_JSON_LEVELS = {
    "trace": "DEBUG",
    "debug": "DEBUG",
    "info": "INFO",
    "warning": "WARN",
    "error": "ERROR",
    "critical": "FATAL",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One framing-neutral log record: time, level, message, and the lines that continue it.

    ``message`` is ``None`` for a blank line; ``raw`` records (Chromium's
    stderr in a console capture) are written as they are, with no header.
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


_HEADS: dict[str, Callable[[Entry, str, float, str], str]] = {
    "vscode": _vscode,
    "spdlog": _spdlog,
    "console": _console,
    "json": _json,
    "bare": _bare,
}
"""One header writer per framing: ``(entry, "[component] message", utc_offset_h, logger)`` → the first line."""


def frame(entry: Entry, framing: Framing, *, utc_offset_h: float = 0.0, logger: str = "main") -> list[str]:
    """The physical lines of ``entry`` in ``framing`` (catalog §2), continuation lines included.

    Entry times are local; the console and JSON framings print UTC, that is
    the local time minus ``utc_offset_h`` hours. ``logger`` names the process
    in the spdlog and console headers.
    """
    if entry.message is None:
        return [""]
    if entry.raw:
        return [entry.message, *entry.detail]
    head = _HEADS.get(framing)
    if head is None:
        raise ValueError(f"unknown framing {framing!r}; use one of {', '.join(FRAMINGS)}")
    text = f"[{entry.component}] {entry.message}" if entry.component else entry.message
    return [head(entry, text, utc_offset_h, logger), *entry.detail]
