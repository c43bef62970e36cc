"""Report model → matplotlib figures: session timeline, startup latency, event timeline.

The only module that imports matplotlib, lazily, and only its Figure API on
the Agg canvas (never pyplot, so no global figure state and safe in worker
processes). Every figure is built, and saved, inside ``matplotlib.rc_context``
with the report's style, so the caller's matplotlib settings are untouched.
Figures are drawn from the report's aggregates (session rows, timeline
marks), never from raw log lines, and show the (possibly redacted) labels of
the report.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .timeline import MAX_CHART_ROWS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .view import Mark, Report, SessionRow


COLOURS = {
    "ok": "#2e7d32",
    "warning": "#d98c00",
    "error": "#c62828",
    "critical": "#7b1fa2",
    "info": "#0277bd",
    "connect": "#64b5f6",
    "running": "#cfd8dc",
    "grid": "#e3e7eb",
    "text": "#263238",
    "muted": "#607d8b",
}
MAX_EVENT_BINS = 400
"""The event timeline draws at most this many markers per lane, one per time bin."""
_LANE_STYLE = {
    "Sidecar starts": ("#0277bd", "^"),
    "IPC failures": ("#d98c00", "o"),
    "Exits & crashes": ("#c62828", "X"),
    "Updater": ("#7b1fa2", "s"),
}
_STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9.5,
    "axes.edgecolor": "#b0bec5",
    "axes.labelcolor": COLOURS["text"],
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": COLOURS["muted"],
    "ytick.color": COLOURS["text"],
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "svg.fonttype": "none",
    # Labels come from log file names: a "$" in one must not start mathtext (or fail to parse as it).
    "text.parse_math": False,
    "svg.hashsalt": "qoderlog",
    "figure.dpi": 100,
    "savefig.bbox": "standard",  # the constrained layout already fits the labels; "tight" costs a second draw
    "savefig.pad_inches": 0.12,
    "savefig.facecolor": "white",
}


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # matplotlib (~0.5 s): only when a chart is drawn
    from matplotlib.figure import Figure  # matplotlib (~0.5 s): only when a chart is drawn

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _styled(build: Callable[..., Figure | None]) -> Callable[..., Figure | None]:
    """Run a figure builder inside the report's rc context."""

    def run(*args: Any, **kwargs: Any) -> Figure | None:
        import matplotlib  # matplotlib (~0.5 s): only when a chart is drawn

        with matplotlib.rc_context(_STYLE):
            return build(*args, **kwargs)

    run.__name__ = build.__name__
    run.__doc__ = build.__doc__
    return run


def _time_axis(axes: Axes) -> None:
    from matplotlib import dates  # matplotlib (~0.5 s): only when a chart is drawn

    locator = dates.AutoDateLocator(minticks=3, maxticks=7)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))
    _x_grid(axes)


def _x_grid(axes: Axes) -> None:
    """Vertical grid lines behind the data."""
    axes.grid(axis="x", color=COLOURS["grid"], linewidth=0.8)
    axes.set_axisbelow(True)


def _session_axes(axes: Axes, rows: Sequence[SessionRow], *, top: float, right: float, xlabel: str) -> None:
    """The axes of a chart with one row per session: labelled rows top down, seconds from 0 to ``right``."""
    axes.set_yticks(range(len(rows)), [_label(r) for r in rows])
    axes.set_ylim(len(rows) - 0.5, top)
    axes.set_xlim(0, right)
    axes.set_xlabel(xlabel)
    _x_grid(axes)
    axes.tick_params(axis="y", length=0)


def _height(rows: int) -> float:
    return min(1.4 + 0.34 * rows, 14.0)


@_styled
def plot_sessions(sessions: Sequence[SessionRow]) -> Figure | None:
    """The session timeline: one bar per session, in seconds from its start, phase by phase.

    Start request → ``.info.json`` read (coloured by the latency thresholds),
    → ready (connecting), → end (running, cut at the right edge with an
    arrow when longer). ✕ marks a session that died or never became ready.
    Sessions are grouped per source as in the sessions table, with their
    start time in the label; ``None`` when no session has a time.
    """
    from matplotlib.lines import Line2D  # matplotlib (~0.5 s): only when a chart is drawn
    from matplotlib.patches import Patch  # matplotlib (~0.5 s): only when a chart is drawn

    rows = [s for s in sessions if s.start or s.info][:MAX_CHART_ROWS]
    if not rows:
        return None
    phases = [_phases(row) for row in rows]
    # Wide enough for every start and connect phase, never so wide that seconds vanish: long runs are cut.
    reach = max((end for items in phases for _, end, kind in items if kind != "running"), default=0.0)
    right = min(max(reach * 1.25, 12.0), 180.0)
    figure = _figure(9.6, _height(len(rows)))
    axes = figure.add_subplot()
    band = False
    for y, row in enumerate(rows):
        if y == 0 or row.source != rows[y - 1].source:
            band = not band
        if band:
            axes.axhspan(y - 0.5, y + 0.5, color="#f3f6f8", zorder=0, linewidth=0)
        for begin, end, kind in phases[y]:
            shown = min(max(end - begin, right * 0.004), right - begin)
            if shown <= 0:
                continue
            colour = {"connect": COLOURS["connect"], "running": COLOURS["running"]}.get(
                kind, COLOURS.get(row.latency_level or "ok", COLOURS["ok"])
            )
            hatched = kind == "never"
            axes.barh(
                y,
                shown,
                left=begin,
                height=0.56,
                color="white" if hatched else colour,
                hatch="////" if hatched else None,
                edgecolor=COLOURS["error"] if hatched else "white",
                linewidth=0.6,
                zorder=2,
            )
            if end > right:
                axes.plot([right], [y], marker=">", color=COLOURS["muted"], markersize=6, zorder=3)
        total = max((end for _, end, _ in phases[y]), default=0.0)
        if row.outcome_level == "error":
            axes.plot([min(total, right)], [y], marker="X", color=COLOURS["error"], markersize=9, zorder=5)
    _session_axes(
        axes, rows, top=-0.5, right=right, xlabel="seconds since the session started (▸ runs on past the edge)"
    )
    handles = [
        Patch(color=COLOURS["ok"], label="start → .info.json read"),
        Patch(color=COLOURS["warning"], label="slow start"),
        Patch(color=COLOURS["error"], label="very slow start"),
        Patch(facecolor="white", edgecolor=COLOURS["error"], hatch="////", label="never ready"),
        Patch(color=COLOURS["connect"], label="connecting"),
        Patch(color=COLOURS["running"], label="running"),
        Line2D([], [], marker="X", color=COLOURS["error"], linestyle="", label="died / never ready"),
    ]
    figure.legend(handles=handles, loc="outside lower center", ncols=4)
    return figure


def _phases(row: SessionRow) -> list[tuple[float, float, str]]:
    """A session's phases as (from, to, kind) in seconds since its first time."""
    origin = row.start or row.info
    assert origin is not None

    def at(stamp: datetime | None) -> float | None:
        return (stamp - origin).total_seconds() if stamp is not None and stamp >= origin else None

    info, ready, end = at(row.info), at(row.ready), at(row.end)
    phases: list[tuple[float, float, str]] = []
    if row.start is not None and info is not None:
        phases.append((0.0, info, "start"))
    elif row.start is not None:
        phases.append((0.0, end if end is not None else 0.0, "never"))
    reached = info if info is not None else None
    if reached is not None and ready is not None and ready > reached:
        phases.append((reached, ready, "connect"))
        reached = ready
    if reached is not None and end is not None and end > reached:
        phases.append((reached, end, "running"))
    return phases


@_styled
def plot_latency(sessions: Sequence[SessionRow], *, warning_s: float, error_s: float) -> Figure | None:
    """Startup latency per session against the warning and error thresholds; ``None`` without starts.

    Starts that never read ``.info.json`` are drawn as hatched bars to the
    right edge, labelled "never ready".
    """
    starts = [s for s in sessions if s.latency is not None or (s.is_start and s.outcome_level == "error")]
    rows = starts[:MAX_CHART_ROWS]
    if not rows:
        return None
    longest = max((s.latency or 0.0) for s in rows)
    right = max(longest * 1.22, error_s * 1.3)
    figure = _figure(9.6, _height(len(rows)) + 0.3)
    axes = figure.add_subplot()
    for y, row in enumerate(rows):
        if row.latency is None:
            axes.barh(y, right, color="white", hatch="////", edgecolor=COLOURS["error"], height=0.6, linewidth=0.8)
            axes.text(right * 0.98, y, "never ready", va="center", ha="right", color=COLOURS["error"], weight="bold")
            continue
        colour = COLOURS.get(row.latency_level or "ok", COLOURS["ok"])
        axes.barh(y, row.latency, color=colour, height=0.6)
        axes.text(
            row.latency + right * 0.01,
            y,
            f"{row.latency:.1f} s",
            va="center",
            ha="left",
            color=colour,
            weight="bold",
        )
    for limit, name, colour in ((warning_s, "warning", COLOURS["warning"]), (error_s, "error", COLOURS["error"])):
        axes.axvline(limit, color=colour, linestyle="--", linewidth=1.2)
        axes.text(
            limit,
            -0.75,
            f"{name} {limit:g} s",
            color=colour,
            ha="center",
            va="bottom",
            fontsize=8.5,
            weight="bold",
        )
    _session_axes(axes, rows, top=-1.1, right=right, xlabel="seconds from start request to .info.json read")
    return figure


@_styled
def plot_events(marks: Sequence[Mark]) -> Figure | None:
    """The event timeline: one lane each for starts, IPC failures, exits and crashes, updater states."""
    from matplotlib import dates  # matplotlib (~0.5 s): only when a chart is drawn

    if not marks:
        return None
    lanes = [lane for lane in _LANE_STYLE if any(m.lane == lane for m in marks)]
    figure = _figure(9.6, 1.3 + 0.55 * len(lanes))
    axes = figure.add_subplot()
    first, last = min(m.time for m in marks), max(m.time for m in marks)
    width = max((last - first).total_seconds() / MAX_EVENT_BINS, 1e-6)
    for y, lane in enumerate(lanes):
        colour, marker = _LANE_STYLE[lane]
        items = [m for m in marks if m.lane == lane]
        # One marker per time bin: marks closer than a pixel would overdraw each other anyway.
        binned = sorted({int((m.time - first).total_seconds() / width): m.time for m in items}.values())
        axes.scatter(
            [dates.date2num(stamp) for stamp in binned],
            [y] * len(binned),
            color=colour,
            marker=marker,
            s=42,
            alpha=0.85,
            edgecolors="white",
            linewidths=0.5,
            zorder=3,
        )
        if lane == "Updater" and len(items) <= 12:
            for n, item in enumerate(items):
                axes.annotate(
                    item.label,
                    (dates.date2num(item.time), y),
                    xytext=(0, 8 if n % 2 == 0 else -13),
                    textcoords="offset points",
                    ha="center",
                    fontsize=7.5,
                    color=COLOURS["muted"],
                )
    times = [m.time for m in marks]
    pad = timedelta(seconds=max((max(times) - min(times)).total_seconds() * 0.04, 5.0))
    axes.set_xlim(dates.date2num(min(times) - pad), dates.date2num(max(times) + pad))
    axes.set_yticks(range(len(lanes)), lanes)
    axes.set_ylim(len(lanes) - 0.4, -0.6)
    axes.tick_params(axis="y", length=0)
    _time_axis(axes)
    return figure


def report_figures(report: Report) -> dict[str, Figure]:
    """The figures of ``report.charts`` by key (a chart with nothing to draw is left out)."""
    builders: dict[str, Callable[[], Figure | None]] = {
        "sessions": lambda: plot_sessions(report.sessions),
        "latency": lambda: plot_latency(
            report.sessions, warning_s=report.thresholds["warning_s"], error_s=report.thresholds["error_s"]
        ),
        "events": lambda: plot_events(report.marks),
    }
    figures = {}
    for chart in report.charts:
        figure = builders[chart.key]()
        if figure is not None:
            figures[chart.key] = figure
    return figures


def figure_svg(figure: Figure) -> str:
    """The figure as SVG text; its labels stay text (the browser draws them: one draw, a third of the size)."""
    import matplotlib  # matplotlib (~0.5 s): only when a chart is drawn

    buffer = io.StringIO()
    with matplotlib.rc_context(_STYLE):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def svg_data_uri(figure: Figure) -> str:
    """A figure as a ``data:image/svg+xml;base64,…`` URI for a self-contained page."""
    return "data:image/svg+xml;base64," + base64.b64encode(figure_svg(figure).encode("utf-8")).decode("ascii")


def figure_png(figure: Figure, *, dpi: int = 144) -> bytes:
    """The figure as PNG bytes."""
    import matplotlib  # matplotlib (~0.5 s): only when a chart is drawn

    buffer = io.BytesIO()
    with matplotlib.rc_context(_STYLE):
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def _label(row: SessionRow) -> str:
    name = row.source_name if len(row.source_name) <= 30 else "…" + row.source_name[-29:]
    when = (row.start or row.info).strftime("%H:%M:%S") if (row.start or row.info) else ""
    return f"#{row.number} {name}  {when}".rstrip()


@_styled
def plot_rule_trend(rules: Sequence[Mapping[str, Any]]) -> Figure | None:
    """Fleet: share of analysed uploads hit by each rule, night by night."""
    if not rules or len(rules[0]["trend"]) == 0:
        return None
    figure = _figure(8.0, 3.2)
    axes = figure.add_subplot()
    for rule in rules:
        points = [(date.fromisoformat(t["night"]), 100 * t["share"]) for t in rule["trend"] if t["share"] is not None]
        if points:
            xs, ys = zip(*points, strict=True)
            axes.plot(xs, ys, marker="o", markersize=3, linewidth=1.6, label=rule["rule"])
    axes.set_ylabel("% of uploads")
    axes.set_ylim(bottom=0)
    _time_axis(axes)
    axes.legend(loc="upper left", fontsize=8, ncols=2, frameon=False)
    return figure


@_styled
def plot_latency_trend(trend: Sequence[Mapping[str, Any]], *, warning_s: float, error_s: float) -> Figure | None:
    """Fleet: startup latency p50/p90/p99 night by night, against the startup-slow thresholds."""
    points = [t for t in trend if t.get("p50") is not None]
    if not points:
        return None
    figure = _figure(8.0, 3.0)
    axes = figure.add_subplot()
    xs = [date.fromisoformat(t["night"]) for t in points]
    for key, width in (("p50", 2.0), ("p90", 1.4), ("p99", 1.0)):
        axes.plot(xs, [t[key] for t in points], marker="o", markersize=3, linewidth=width, label=key)
    axes.axhline(warning_s, color=COLOURS["warning"], linestyle="--", linewidth=1)
    axes.axhline(error_s, color=COLOURS["error"], linestyle="--", linewidth=1)
    axes.set_ylabel("startup latency (s)")
    axes.set_ylim(bottom=0)
    _time_axis(axes)
    axes.legend(loc="upper left", fontsize=8, frameon=False)
    return figure


@_styled
def plot_signature_trend(series: Sequence[Mapping[str, Any]]) -> Figure | None:
    """Fleet: the daily share of uploads hit by each of the top signatures, night by night."""
    if not series or not any(point["share"] is not None for s in series for point in s["trend"]):
        return None
    figure = _figure(8.0, 3.2)
    axes = figure.add_subplot()
    for item in series:
        points = [(date.fromisoformat(t["night"]), 100 * t["share"]) for t in item["trend"] if t["share"] is not None]
        if points:
            xs, ys = zip(*points, strict=True)
            axes.plot(xs, ys, marker="o", markersize=3, linewidth=1.4, label=item["signature"])
    axes.set_ylabel("% of uploads")
    axes.set_ylim(bottom=0)
    _time_axis(axes)
    _one_night(axes, [t["night"] for item in series for t in item["trend"]])
    axes.legend(loc="upper left", fontsize=7.5, ncols=2, frameon=False)
    return figure


@_styled
def plot_version_latency(
    version_trend: Mapping[str, Sequence[Mapping[str, Any]]], *, warning_s: float, error_s: float
) -> Figure | None:
    """Fleet: startup latency p50 (solid) and p95 (dashed) per night for each version, against the thresholds."""
    versions = [(v, points) for v, points in version_trend.items() if points]
    if not versions:
        return None
    figure = _figure(8.0, 3.2)
    axes = figure.add_subplot()
    cycle = [c["color"] for c in _colour_cycle()]
    for index, (version, points) in enumerate(versions):
        colour = cycle[index % len(cycle)]
        xs = [date.fromisoformat(p["night"]) for p in points]
        axes.plot(xs, [p["p50"] for p in points], color=colour, marker="o", markersize=3, linewidth=1.8, label=version)
        axes.plot(xs, [p["p95"] for p in points], color=colour, linestyle="--", linewidth=1.1)
    axes.axhline(warning_s, color=COLOURS["warning"], linestyle=":", linewidth=1)
    axes.axhline(error_s, color=COLOURS["error"], linestyle=":", linewidth=1)
    axes.set_ylabel("startup latency (s)")
    axes.set_ylim(bottom=0)
    _time_axis(axes)
    _one_night(axes, [p["night"] for _, points in versions for p in points])
    axes.legend(loc="upper left", fontsize=8, ncols=3, frameon=False, title="p50 solid, p95 dashed")
    return figure


def _one_night(axes: Axes, nights: Sequence[str]) -> None:
    """A chart of a single night: a day either side, not the date locator's span of years."""
    if len(set(nights)) == 1:
        night = date.fromisoformat(nights[0])
        axes.set_xlim(night - timedelta(days=1), night + timedelta(days=1))


def _colour_cycle() -> list[dict[str, str]]:
    import matplotlib  # matplotlib (~0.5 s): only when a chart is drawn

    return list(matplotlib.rcParams["axes.prop_cycle"])


@_styled
def plot_release_rates(releases: Sequence[Mapping[str, Any]], rates: Sequence[str]) -> Figure | None:
    """Fleet: each version's rates (``rates``, shares 0-1) as grouped bars, one small multiple per platform."""
    platforms = sorted({r["platform"] for r in releases})
    if not platforms:
        return None
    columns = min(len(platforms), 3)
    rows = -(-len(platforms) // columns)
    figure = _figure(8.0, 0.4 + 2.3 * rows)
    grid = figure.subplots(rows, columns, squeeze=False, sharey=True)
    cycle = [c["color"] for c in _colour_cycle()]
    width = 0.8 / max(len(rates), 1)
    for index, platform in enumerate(platforms):
        axes = grid[index // columns][index % columns]
        mine = [r for r in releases if r["platform"] == platform]
        for offset, rate in enumerate(rates):
            xs = [i + (offset - (len(rates) - 1) / 2) * width for i in range(len(mine))]
            ys = [100 * (r[rate] or 0) for r in mine]
            axes.bar(xs, ys, width=width, color=cycle[offset % len(cycle)], label=rate if index == 0 else None)
        axes.set_xticks(range(len(mine)), [r["version"] for r in mine], rotation=30, fontsize=7.5)
        axes.set_title(platform, fontsize=9)
        axes.grid(axis="y", color=COLOURS["grid"], linewidth=0.8)
        axes.set_axisbelow(True)
    grid[0][0].set_ylim(0, max([100 * (r[rate] or 0) for r in releases for rate in rates] + [1.0]) * 1.15)
    for index in range(len(platforms), rows * columns):
        grid[index // columns][index % columns].set_visible(False)
    grid[0][0].set_ylabel("% (per session or upload)")
    figure.legend(loc="outside upper center", ncols=len(rates), fontsize=8, frameon=False)
    return figure
