"""The notebook front door: ``analyze(paths)`` → an ``Analysis`` that renders and plots itself.

``Analysis`` is the engine's ``Result`` (sessions, findings, events as
DataFrames, the JSON document) plus what a person at a notebook wants: the
HTML and Markdown reports, Jupyter's rich view, matplotlib figures and fleet
context from a warehouse. It is the only value that reaches up to the
reporters; the CLI and the batch worker use the engine's ``Result``
directly.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from .engine import Result
from .engine import analyze as analyze_result
from .limits import DEFAULT_LIMITS, Limits
from .nightly.fleet import baseline_context
from .nightly.warehouse import open_warehouse
from .patterns import PatternSet
from .report.charts import plot_latency, plot_sessions
from .report.presentation import build_report
from .reporters.html_report import notebook_html, render_html
from .reporters.markdown_report import render_markdown

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True, kw_only=True)
class Analysis(Result):
    """The diagnosis of one bundle, with its reports and figures (see ``engine.Result`` for the values)."""

    @classmethod
    def of(cls, result: Result) -> Analysis:
        """The front door on an engine result (the same values, not copied)."""
        return cls(**{item.name: getattr(result, item.name) for item in fields(result)})

    def with_baseline(self, warehouse: str | os.PathLike[str]) -> Analysis:
        """This analysis with fleet context from a warehouse: latency ranks, signature history."""
        store = open_warehouse(warehouse)
        try:
            return replace(self, baseline=baseline_context(store, self.to_dict()))
        finally:
            store.close()

    def to_html(self, *, redact: bool = True, charts: bool = True) -> str:
        """The self-contained HTML report (redacted by default, as ``--format html``)."""
        return render_html(build_report(self, redact=redact), charts=charts)

    def to_markdown(self, *, redact: bool = True, assets: str | os.PathLike[str] | None = None) -> str:
        """The Markdown report (redacted by default).

        With ``assets`` the chart PNGs are written there and linked relative to the current folder.
        """
        return render_markdown(build_report(self, redact=redact), charts=assets is not None, assets=assets)

    def _repr_html_(self) -> str:
        """Jupyter's view: the HTML report, unredacted (it is your own notebook), in a sandboxed frame."""
        return notebook_html(build_report(self, redact=False))

    def plot_sessions(self) -> Figure | None:
        """The session timeline as a matplotlib figure (``None`` when no session has a time)."""
        return plot_sessions(build_report(self, redact=False).sessions)

    def plot_latency(self) -> Figure | None:
        """Startup latency per session against the thresholds, as a matplotlib figure (``None`` without starts)."""
        report = build_report(self, redact=False)
        return plot_latency(report.sessions, **report.thresholds)


def analyze(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    pattern_dirs: Iterable[str | os.PathLike[str]] = (),
    patterns: PatternSet | None = None,
    mine: bool = True,
    fast: bool = True,
    limits: Limits = DEFAULT_LIMITS,
    jobs: int | None = None,
) -> Analysis:
    """Read everything under ``paths`` within ``limits``, rebuild the sessions, run every rule (``engine.analyze``).

    With ``mine`` (the default) the records no pattern recognised are mined
    into ``template_list`` (see ``mining.miner.Miner``). ``fast=False`` reads
    line by line, the reference the block scanner is tested against. ``jobs``
    is how many processes may read one big file in chunks (``None``: the
    CPUs; ``1``: one pass); the result is the same.
    """
    result = analyze_result(
        paths,
        config=config,
        pattern_dirs=pattern_dirs,
        patterns=patterns,
        mine=mine,
        fast=fast,
        limits=limits,
        jobs=jobs,
    )
    return Analysis.of(result)
