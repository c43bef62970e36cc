"""Result → output, one module per format, one signature: ``render(result, out, options)``.

``REPORTERS`` maps a ``--format`` name to its ``render`` function; the CLI
looks formats up here rather than branching on them. Each format's module
(and with it Jinja and the charts) loads when that format is first asked for,
so that ``qoderlog parse`` does not pay for them.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

from .base import Render, RenderOptions

if TYPE_CHECKING:
    from ..engine import Result

__all__ = ["REDACTED_BY_DEFAULT", "REPORTERS", "Render", "RenderOptions"]


def _json(result: Result, out: IO[str], options: RenderOptions) -> None:
    from .json_report import render  # startup: loaded when this format is asked for

    render(result, out, options)


def _text(result: Result, out: IO[str], options: RenderOptions) -> None:
    from .text_report import render  # startup: loaded when this format is asked for

    render(result, out, options)


def _html(result: Result, out: IO[str], options: RenderOptions) -> None:
    from .html_report import render  # startup: loaded when this format is asked for (Jinja, charts)

    render(result, out, options)


def _markdown(result: Result, out: IO[str], options: RenderOptions) -> None:
    from .markdown_report import render  # startup: loaded when this format is asked for (Jinja, charts)

    render(result, out, options)


def _reply(result: Result, out: IO[str], options: RenderOptions) -> None:
    from .reply_report import render  # startup: loaded when this format is asked for (the gettext catalog)

    render(result, out, options)


REPORTERS: dict[str, Render] = {"text": _text, "json": _json, "html": _html, "markdown": _markdown, "reply": _reply}
REDACTED_BY_DEFAULT = frozenset({"html", "markdown", "reply"})
"""Formats meant for people outside the support team: redaction is on unless --no-redact."""
