"""Bounds on what one input may cost, and the record of each bound an input hit.

Logs come from users, so every resource an input can make qoderlog spend is
bounded: bytes after decompression, archive members, compression ratio,
line length, JSON nesting, time in a user's regex, and (in the batch) wall
clock per upload. ``Limits`` holds them with safe defaults; sources,
framing, patterns, the engine, the CLI and the batch all take the same
value. A bound that is hit never raises past the reader: the input is cut or
stopped where the bound was met and a ``LimitHit`` names the input, the
limit, what was allowed and what was found, in the accounting of every
report and in the batch ledger.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError
from .model import LimitHit

RATIO_FLOOR = 1 << 20
"""Bytes a stream must have given before its compression ratio is judged: tiny repetitive files compress very well."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Bounds on one input (a path given on the command line, or one batch upload).

    ``max_bytes``: decompressed bytes read per input (all its files and members together).
    ``max_members``: files read per archive or folder; the rest are reported, not read.
    ``max_ratio``: decompressed ÷ compressed bytes of a gzip file or archive member (judged past 1 MiB).
    ``max_line``: characters per line; a longer line is cut to this, counted and flagged.
    ``max_json_depth``: nesting of a JSON log line; a deeper line is not parsed as JSON (it stays a counted line).
    ``regex_timeout_s``: seconds one user-pattern match may take; ``max_regex_timeouts`` per pattern and
    input before the pattern is no longer tried on that input.
    ``timeout_s``: wall-clock seconds per upload in the batch.
    """

    max_bytes: int = 2 << 30
    max_members: int = 5_000
    max_ratio: float = 250.0
    max_line: int = 1 << 20
    max_json_depth: int = 64
    regex_timeout_s: float = 0.25
    max_regex_timeouts: int = 3
    timeout_s: float = 300.0

    # The archive bounds, one implementation for the reader (``read.sources``) and the batch's pre-check
    # (``nightly.checks``): the reader reads up to a bound and reports it, the pre-check quarantines the upload.
    def ratio_over(self, size: int, packed: int, *, floor: int = RATIO_FLOOR) -> float | None:
        """The ratio of ``size`` bytes packed in ``packed`` when it passes ``max_ratio``, else ``None``.

        ``size`` of ``floor`` bytes or less is not judged (the reader's 1 MiB; the pre-check judges every member).
        """
        ratio = size / packed if packed else 0.0
        return ratio if size > floor and ratio > self.max_ratio else None

    def members_over(self, count: int) -> bool:
        """Whether ``count`` files or archive members pass ``max_members``."""
        return count > self.max_members

    def bytes_over(self, total: int) -> bool:
        """Whether ``total`` decompressed bytes pass ``max_bytes``."""
        return total > self.max_bytes


DEFAULT_LIMITS = Limits()
LIMIT_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Limits))


class LimitExceeded(OSError):
    """Reading stopped because an input met a bound; an ``OSError`` so that every reader's read-error path ends it."""

    def __init__(self, hit: LimitHit) -> None:
        super().__init__(hit.describe())
        self.hit = hit


def limits_from(document: Any, shown: str = "<config>", base: Limits = DEFAULT_LIMITS) -> Limits:
    """``base`` with the values of a ``[limits]`` table; ``ConfigError`` naming the key on a bad one."""
    if document is None:
        return base
    if not isinstance(document, dict):
        raise ConfigError(
            "'limits' must be a table of limit names", path=shown, hint=f"limits: {', '.join(LIMIT_NAMES)}"
        )
    values: dict[str, Any] = {}
    for name, value in document.items():
        if name not in LIMIT_NAMES:
            raise ConfigError(f"unknown limit {name!r}", path=shown, hint=f"limits: {', '.join(LIMIT_NAMES)}")
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"limits.{name} must be a positive number, not {value!r}", path=shown)
        kind = type(getattr(DEFAULT_LIMITS, name))
        if kind is int and value != int(value):
            raise ConfigError(f"limits.{name} must be a whole number, not {value!r}", path=shown)
        values[name] = kind(value)
    return dataclasses.replace(base, **values)
