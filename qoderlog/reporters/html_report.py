"""The HTML report: one self-contained page (CSS inline, charts as data URIs, no script, works offline).

The analysis document is redacted first when ``options.redact`` (the default
for this format), then presented by ``reports/report.html.j2`` with
autoescape on. A Content-Security-Policy meta tag forbids every fetch but
inline styles and ``data:`` images.
"""

from __future__ import annotations

from typing import IO

from ..engine import Result
from ..report.charts import report_figures, svg_data_uri
from ..report.presentation import build_report
from ..report.templating import html_environment
from ..report.view import Report
from .base import RenderOptions


def render(result: Result, out: IO[str], options: RenderOptions) -> None:
    """Write the analysis as one HTML document."""
    out.write(render_html(build_report(result, redact=options.redact), charts=options.charts))


def render_html(report: Report, *, charts: bool = True, template: str = "report.html.j2") -> str:
    """The report model as HTML text; ``charts=False`` leaves the chart images out."""
    images = chart_images(report) if charts else {}
    return html_environment().get_template(template).render(report=report, images=images)


def chart_images(report: Report) -> dict[str, str]:
    """Each chart of the report as an ``data:image/svg+xml`` URI, by chart key."""
    return {key: svg_data_uri(figure) for key, figure in report_figures(report).items()}


def notebook_html(report: Report) -> str:
    """The report framed for a Jupyter output cell, so that its styles stay inside the frame."""
    document = render_html(report)
    return html_environment().get_template("notebook.html.j2").render(document=document)
