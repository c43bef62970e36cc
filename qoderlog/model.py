"""The values that flow through the pipeline: frozen, keyword-only, stdlib only.

sources → ``Line``; framing → ``Record``; patterns → ``Event``; sessions →
``Session``; rules → ``Finding`` with ``Evidence``. Every stage takes and gives
these and nothing else, so a notebook can build or inspect any of them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


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


class LineKind(enum.StrEnum):
    """What a physical line turned out to be. Every line read is exactly one of these."""

    EVENT = "event"
    UNRECOGNISED = "unrecognised"
    CONTINUATION = "continuation"
    BLANK = "blank"
    SKIPPED = "skipped"


class Framing(enum.StrEnum):
    """The header shape a record was written in (catalog §2)."""

    VSCODE = "vscode"
    SPDLOG = "spdlog"
    CONSOLE = "console"
    JSON = "json"
    BARE = "bare"


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


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """A record recognised by a pattern, with typed fields.

    ``line`` is the 1-based physical line of the record's header in
    ``source``; ``text`` is that header line as read; ``detail`` holds the
    record's continuation lines (stack traces, payloads), capped.
    """

    type: str
    pattern_id: str
    source: str
    line: int
    timestamp: datetime | None
    level: str | None
    component: str | None
    message: str
    text: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    detail: tuple[str, ...] = ()

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
class InputReport:
    """What happened to one input file: how it was decoded and how its lines were counted.

    ``status`` is ``ok``, ``skipped`` (not a log: binary, too large, …) or
    ``error`` (could not be read to the end: truncated archive, permission …);
    ``reason`` says why for anything but ``ok``.
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
        }
