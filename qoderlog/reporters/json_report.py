"""The JSON report: the ``Analysis`` document as validated by ``schemas/analysis.schema.json``."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from ..analysis import Analysis
    from . import RenderOptions


def render(analysis: Analysis, out: IO[str], options: RenderOptions) -> None:
    """Write the analysis as one JSON document."""
    out.write(analysis.to_json() + "\n")
