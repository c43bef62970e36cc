"""The fleet report: the warehouse's fleet model as self-contained HTML or GitHub Markdown.

The model (``nightly.fleet.fleet_model``) is redacted first when asked (finding
summaries carry paths from users' logs), then presented by
``reports/fleet.html.j2`` / ``reports/fleet.md.j2``; charts are built from
the model's aggregates, never from log lines.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, Any

from ..nightly.fleet import NIGHTS, fleet_model
from ..nightly.warehouse import Warehouse
from ..redact import redact_document
from ..report.charts import plot_latency_trend, plot_rule_trend, svg_data_uri
from ..report.templating import html_environment, markdown_environment
from ..rules.registry import startup_thresholds


def fleet_document(
    warehouse: Warehouse, *, redact: bool = True, tonight: str | None = None, nights: int = NIGHTS
) -> dict[str, Any]:
    """The fleet model, redacted when asked, with what the templates also need (examples, counts)."""
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


def render_html(model: dict[str, Any], out: IO[str]) -> None:
    """Write the fleet model as one self-contained HTML page, charts as data URIs."""
    images = {} if model.get("empty") else _images(model)
    out.write(html_environment().get_template("fleet.html.j2").render(fleet=model, images=images))


def render_markdown(model: dict[str, Any], out: IO[str]) -> None:
    """Write the fleet model as GitHub-flavoured Markdown."""
    out.write(markdown_environment().get_template("fleet.md.j2").render(fleet=model))


def render_json(model: dict[str, Any], out: IO[str]) -> None:
    """Write the fleet model as one JSON document (``qoderlog/schemas/fleet.schema.json``)."""
    json.dump(model, out, indent=1, ensure_ascii=False, allow_nan=False)
    out.write("\n")


RENDERERS: dict[str, Callable[[dict[str, Any], IO[str]], None]] = {
    "html": render_html,
    "markdown": render_markdown,
    "json": render_json,
}


def render_fleet(
    warehouse: Warehouse, out: IO[str], *, fmt: str = "html", redact: bool = True, nights: int | None = None
) -> None:
    """Write the fleet report of ``warehouse`` in ``fmt`` (a key of ``RENDERERS``: html, markdown or json) over the
    last ``nights`` nights (``nightly.fleet.NIGHTS`` by default)."""
    RENDERERS[fmt](fleet_document(warehouse, redact=redact, nights=nights or NIGHTS), out)


def _images(model: dict[str, Any]) -> dict[str, str | None]:
    figures = {
        "rules": plot_rule_trend(model["rules"]),
        "latency": plot_latency_trend(model["latency"]["trend"], **model["thresholds"]),
    }
    # Every key is present (None without a chart): strict undefined must not fail a night without findings.
    return {key: svg_data_uri(figure) if figure is not None else None for key, figure in figures.items()}
