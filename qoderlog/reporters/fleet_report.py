"""The fleet report: the warehouse's fleet model as self-contained HTML, GitHub Markdown or JSON.

The model (``nightly.fleet.fleet_model``) is redacted first when asked (finding
summaries carry paths from users' logs). JSON is that document as it is
(``qoderlog/schemas/fleet.schema.json``); for HTML and Markdown ``fleet_view``
adds the display text (percentages, seconds, p-values, short upload ids)
so that ``reports/fleet.html.j2`` / ``reports/fleet.md.j2`` only present.
Charts are built from the model's aggregates, never from log lines: SVG
data URIs in the page, PNG files beside the Markdown.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..nightly.fleet import NIGHTS, fleet_model
from ..nightly.release import RATES
from ..nightly.warehouse import Warehouse
from ..redact import redact_document
from ..report.charts import (
    figure_png,
    plot_latency_trend,
    plot_release_rates,
    plot_rule_trend,
    plot_signature_trend,
    plot_version_latency,
    svg_data_uri,
)
from ..report.presentation import format_seconds
from ..report.templating import html_environment, markdown_environment
from ..rules.registry import startup_thresholds

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SHORT_ID = 12
"""Characters of an upload id shown (and used as the anchor of its row)."""
CHART_TITLES = {
    "release_rates": "Rates per version, one panel per platform",
    "signatures": "Daily share of the top signatures",
    "version_latency": "Startup latency p50 / p95 per night and version",
    "rules": "Rule share per night",
    "latency": "Startup latency p50 / p90 / p99 per night",
}
"""Each chart of the report, by key, with its heading (the order is the page's)."""


def fleet_document(
    warehouse: Warehouse, *, redact: bool = True, tonight: str | None = None, nights: int = NIGHTS
) -> dict[str, Any]:
    """The fleet model, redacted when asked, with what every format also needs (thresholds, examples, counts)."""
    model = fleet_model(warehouse, tonight=tonight, nights=nights)
    if redact and not model.get("empty"):
        model = redact_document(model)
    model["redacted"] = redact
    model["thresholds"] = startup_thresholds()
    model["tonight_uploads"] = next(
        (n["uploads"] for n in model.get("per_night", []) if n["night"] == model.get("tonight")), 0
    )
    examples: dict[str, str] = {}
    for item in [*model.get("signatures", []), *model.get("new_templates", [])]:
        for example in item["examples"]:
            examples.setdefault(example["upload_id"], example["path"])
    model["examples"] = [{"upload_id": u, "path": p} for u, p in examples.items()]
    return model


def fleet_view(model: dict[str, Any]) -> dict[str, Any]:
    """The document with display text beside its values, for the HTML and Markdown templates."""
    view = copy.deepcopy(model)
    if view.get("empty"):
        return view
    thresholds = view["thresholds"]
    view["threshold_text"] = {key: format_seconds(value) for key, value in thresholds.items()}
    for item in [*view["signatures"], *view["new_templates"], {"examples": view["examples"]}]:
        for example in item["examples"]:
            example["short_id"] = example["upload_id"][:SHORT_ID]
    for release in view["releases"]:
        release["p50_text"] = format_seconds(release["startup_latency_p50_s"])
        release["p95_text"] = format_seconds(release["startup_latency_p95_s"])
        release["rate_text"] = {name: _percent(release[name]) for name in RATES}
        release["top"] = ", ".join(f"{s['signature']} {_percent(s['share'])}" for s in release["signatures"][:3])
    for regression in view["regressions"]:
        show = format_seconds if regression["kind"] == "latency" else _percent
        regression["value_text"] = show(regression["value"])
        regression["baseline_text"] = show(regression["baseline_value"])
        regression["p_text"] = _p_text(regression["p_value"])
        regression["q_text"] = _p_text(regression["p_adjusted"])
    for template in view["new_templates"]:
        example = template["example"]
        where = example["source"] or "?"
        template["example_where"] = f"{where}:{example['line']}" if example["line"] is not None else where
    view["rate_names"] = list(RATES)
    return view


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{100 * share:.1f}%"


def _p_text(value: float) -> str:
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def render_html(model: dict[str, Any], out: IO[str], assets: str | os.PathLike[str] | None = None) -> None:
    """Write the fleet model as one self-contained HTML page, charts as SVG data URIs."""
    figures = {} if model.get("empty") else _figures(model)
    images = {key: svg_data_uri(figure) if figure is not None else None for key, figure in figures.items()}
    page = html_environment().get_template("fleet.html.j2")
    out.write(page.render(fleet=fleet_view(model), images=images, titles=CHART_TITLES))


def render_markdown(model: dict[str, Any], out: IO[str], assets: str | os.PathLike[str] | None = None) -> None:
    """Write the fleet model as GitHub-flavoured Markdown; with ``assets`` (a folder) the charts as PNGs there,
    linked by their path relative to the folder's parent (the Markdown file's folder)."""
    images: dict[str, str | None] = {}
    if assets is not None and not model.get("empty"):
        folder = Path(assets)
        folder.mkdir(parents=True, exist_ok=True)
        for key, figure in _figures(model).items():
            images[key] = None
            if figure is not None:
                (folder / f"{key}.png").write_bytes(figure_png(figure))
                images[key] = f"{folder.name}/{key}.png"
    page = markdown_environment().get_template("fleet.md.j2")
    out.write(page.render(fleet=fleet_view(model), images=images, titles=CHART_TITLES))


def render_json(model: dict[str, Any], out: IO[str], assets: str | os.PathLike[str] | None = None) -> None:
    """Write the fleet model as one JSON document (``qoderlog/schemas/fleet.schema.json``)."""
    json.dump(model, out, indent=1, ensure_ascii=False, allow_nan=False)
    out.write("\n")


RENDERERS: dict[str, Callable[[dict[str, Any], IO[str], str | os.PathLike[str] | None], None]] = {
    "html": render_html,
    "markdown": render_markdown,
    "json": render_json,
}


def render_fleet(
    warehouse: Warehouse,
    out: IO[str],
    *,
    fmt: str = "html",
    redact: bool = True,
    nights: int | None = None,
    assets: str | os.PathLike[str] | None = None,
) -> None:
    """Write the fleet report of ``warehouse`` in ``fmt`` (a key of ``RENDERERS``: html, markdown or json) over the
    last ``nights`` nights (``nightly.fleet.NIGHTS`` by default); Markdown's charts go to ``assets`` when given."""
    RENDERERS[fmt](fleet_document(warehouse, redact=redact, nights=nights or NIGHTS), out, assets)


def _figures(model: dict[str, Any]) -> dict[str, Figure | None]:
    thresholds = model["thresholds"]
    builders: dict[str, Callable[[], Figure | None]] = {
        "release_rates": lambda: plot_release_rates(model["releases"], list(RATES)),
        "signatures": lambda: plot_signature_trend(model["signature_trend"]),
        "version_latency": lambda: plot_version_latency(model["latency"]["version_trend"], **thresholds),
        "rules": lambda: plot_rule_trend(model["rules"]),
        "latency": lambda: plot_latency_trend(model["latency"]["trend"], **thresholds),
    }
    # Every key is present (None without a chart): strict undefined must not fail a night without findings.
    return {key: builders[key]() for key in CHART_TITLES}
