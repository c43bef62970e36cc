"""Analysis → output, one module per format, one signature: ``render(analysis, out, options)``.

``REPORTERS`` maps a ``--format`` name to its ``render`` function; the CLI
looks formats up here rather than branching on them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from ..analysis import Analysis


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderOptions:
    """What a reporter may be asked: colour (text), redaction, charts, where chart files go.

    ``output`` is the report's own path (``None`` for stdout), so that a
    Markdown report can link chart files in ``assets`` relative to itself.
    """

    color: bool = False
    redact: bool = False
    assets: str | None = None
    charts: bool = True
    output: str | None = None


Render = Callable[["Analysis", IO[str], RenderOptions], None]


def _json(analysis: Analysis, out: IO[str], options: RenderOptions) -> None:
    from .json_report import render

    render(analysis, out, options)


def _text(analysis: Analysis, out: IO[str], options: RenderOptions) -> None:
    from .text_report import render

    render(analysis, out, options)


def _html(analysis: Analysis, out: IO[str], options: RenderOptions) -> None:
    from .html_report import render

    render(analysis, out, options)


def _markdown(analysis: Analysis, out: IO[str], options: RenderOptions) -> None:
    from .markdown_report import render

    render(analysis, out, options)


REPORTERS: dict[str, Render] = {"text": _text, "json": _json, "html": _html, "markdown": _markdown}
REDACTED_BY_DEFAULT = frozenset({"html", "markdown"})
"""Formats meant for people outside the support team: redaction is on unless --no-redact."""
