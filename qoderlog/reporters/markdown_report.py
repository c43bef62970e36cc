"""The Markdown report (GitHub-flavoured), to paste into a ticket.

Verdict, findings with remediation and fenced evidence, the sessions and
input tables. Charts are PNG files written to ``options.assets`` (by default
a ``<report>-charts`` folder beside the report file) and linked relative to
the report; ``options.charts`` false leaves them out. Log-derived text is
escaped by the template environment so that it cannot add links, images or
HTML, nor break a table or a fence.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from ..engine import Result
from ..report.charts import figure_png, report_figures
from ..report.presentation import build_report
from ..report.templating import markdown_environment
from ..report.view import Report
from .base import RenderOptions

_NO_FOLDER = "Charts were not written: give the report a file (-o report.md) or a folder for them (--assets DIR)."


def render(result: Result, out: IO[str], options: RenderOptions) -> None:
    """Write the analysis as GitHub-flavoured Markdown, with chart PNGs when there is somewhere to put them."""
    report = build_report(result, redact=options.redact)
    assets = options.assets
    if assets is None and options.output is not None:
        output = Path(options.output)
        assets = str(output.with_name(output.stem + "-charts"))
    out.write(render_markdown(report, charts=options.charts, assets=assets, output=options.output))


def render_markdown(
    report: Report, *, charts: bool = True, assets: str | os.PathLike[str] | None = None, output: str | None = None
) -> str:
    """The report model as Markdown; with ``charts`` and ``assets`` the chart PNGs are written and linked."""
    images: dict[str, str] = {}
    note = None
    if charts and report.charts:
        if assets is None:
            note = _NO_FOLDER
        else:
            images = write_charts(report, Path(assets), base=Path(output).parent if output else Path.cwd())
    return markdown_environment().get_template("report.md.j2").render(report=report, images=images, charts_note=note)


def write_charts(report: Report, folder: Path, *, base: Path) -> dict[str, str]:
    """Write each chart as ``folder/<key>.png``; their paths relative to ``base`` (the report's folder), by key."""
    folder.mkdir(parents=True, exist_ok=True)
    links = {}
    for key, figure in report_figures(report).items():
        path = folder / f"{key}.png"
        path.write_bytes(figure_png(figure))
        links[key] = Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()
    return links
