"""The one seam every reporter plugs into: ``render(result, out, options)`` and its options."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from ..engine import Result


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderOptions:
    """What a reporter may be asked: colour (text), redaction, charts, where chart files go, language (reply).

    ``output`` is the report's own path (``None`` for stdout), so that a
    Markdown report can link chart files in ``assets`` relative to itself.
    """

    color: bool = False
    redact: bool = False
    assets: str | None = None
    charts: bool = True
    output: str | None = None
    lang: str = "en"


Render = Callable[["Result", IO[str], RenderOptions], None]
