"""One error root for everything qoderlog reports to a person.

Each error carries where it happened (``path``, ``line``) and a ``hint``
saying what to do. ``str(error)`` is the one-line message the CLI prints;
only ``cli.py`` maps errors to exit codes.
"""

from __future__ import annotations


class QoderlogError(Exception):
    """Root of qoderlog's errors: a message, an optional location and a hint."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.hint = hint

    @property
    def location(self) -> str | None:
        """``path:line``, ``path`` or ``None``."""
        if self.path is None:
            return None
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        return f"{text} (hint: {self.hint})" if self.hint else text


class InputError(QoderlogError):
    """An input could not be read, or only in part (missing, truncated, binary, too big)."""


class PatternError(QoderlogError):
    """A pattern file is invalid: bad YAML, bad regex, an example that fails."""


class PlaybookError(QoderlogError):
    """A playbook file is invalid: bad YAML, an unknown platform or placeholder, a destructive step unguarded."""


class ConfigError(QoderlogError):
    """A configuration file or option value is invalid."""


class UsageError(QoderlogError):
    """The command was called in a way that cannot work (e.g. parquet to a terminal)."""
