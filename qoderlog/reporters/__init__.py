"""Result → output, one module per format, one signature: ``render(result, out, options)``.

``REPORTERS`` maps a ``--format`` name to its ``render`` function; the CLI
looks formats up here rather than branching on them.
"""

from __future__ import annotations

from . import html_report, json_report, markdown_report, text_report
from .base import Render, RenderOptions

__all__ = ["REDACTED_BY_DEFAULT", "REPORTERS", "Render", "RenderOptions"]

REPORTERS: dict[str, Render] = {
    "text": text_report.render,
    "json": json_report.render,
    "html": html_report.render,
    "markdown": markdown_report.render,
}
REDACTED_BY_DEFAULT = frozenset({"html", "markdown"})
"""Formats meant for people outside the support team: redaction is on unless --no-redact."""
