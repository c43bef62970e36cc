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
    """What a reporter may be asked: colour (text), redaction, where chart files go."""

    color: bool = False
    redact: bool = False
    assets: str | None = None
    charts: bool = True


Render = Callable[["Analysis", IO[str], RenderOptions], None]


def _json(analysis: Analysis, out: IO[str], options: RenderOptions) -> None:
    from .json_report import render

    render(analysis, out, options)


def _text(analysis: Analysis, out: IO[str], options: RenderOptions) -> None:
    from .text_report import render

    render(analysis, out, options)


REPORTERS: dict[str, Render] = {"text": _text, "json": _json}
