"""Warehouse → the fleet model: release health, what is common, what is new, what is getting worse.

Computes, from the warehouse's uploads, sessions and findings, a
format-neutral dict that the fleet templates present (and ``fleet --format
json`` prints, ``schemas/fleet.schema.json``): uploads per night; release
health per (version, platform) and its regressions (``nightly.release``);
the share of analysed uploads hit by each rule, tonight and over the last
``NIGHTS`` nights, overall and per platform; startup latency percentiles
(p50/p90/p99) per night, per platform and per binary version, and p50/p95
per night and release version; every signature of the nights shown with its
lifecycle status over the whole history (``nightly.lifecycle``: new,
regressed, escalating, ongoing, resolved), first and last seen, uploads
affected and example uploads, and the daily share of the top ones; and the
unknown-line templates first seen tonight, with the uploads they appeared
in. Also gives one bundle's fleet context for ``analyze --baseline``,
including an anomaly score: how far the bundle's error rate and share of
unknown Qoder lines lie from the fleet's (robust z-scores over the uploads,
median and MAD).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..baseline import MIN_BASELINE_UPLOADS
from .lifecycle import STATUSES, signature_lifecycle
from .release import release_health, upload_labels, version_order

if TYPE_CHECKING:
    import pandas as pd

    from .warehouse import Warehouse

NIGHTS = 30
_UPLOAD_COLUMNS = ("upload_id", "source_path", "status", "reason", "app_version", "platform")
_SESSION_COLUMNS = (
    "upload_id",
    "is_start",
    "platform",
    "binary_version",
    "startup_latency_s",
    "outcome",
    "ipc_failures",
)
_FINDING_COLUMNS = ("upload_id", "rule", "severity", "title", "summary", "signature")
TREND_SIGNATURES = 6
"""Signatures drawn in the daily-share chart (the most uploads over the nights shown)."""
PERCENTILES = (50, 90, 99)
MAX_NEW_TEMPLATES = 50
UNUSUAL_Z = 3.5
"""A robust z-score above this is "unusual" (Iglewicz and Hoaglin's cut-off for the modified z-score)."""
_MAD_SCALE = 1.4826
_MEAN_AD_SCALE = 1.2533


def _nights(uploads: pd.DataFrame, count: int = NIGHTS, tonight: str | None = None) -> list[str]:
    nights = sorted(set(uploads["run_date"].astype(str)))
    return [n for n in nights if tonight is None or n <= tonight][-count:]


def _percentiles(values: pd.Series) -> dict[str, float | None]:
    clean = values.dropna()
    if clean.empty:
        return {f"p{p}": None for p in PERCENTILES} | {"count": 0}
    return {f"p{p}": round(float(clean.quantile(p / 100)), 2) for p in PERCENTILES} | {"count": len(clean)}


def fleet_model(warehouse: Warehouse, *, tonight: str | None = None, nights: int = NIGHTS) -> dict[str, Any]:
    """The fleet report's content for the last ``nights`` nights, ``tonight`` being the newest by default."""
    # Only the columns the model reads: at 60,000 uploads the sessions' ids and paths alone are ~100 MB in pandas.
    every_upload = warehouse.frame("uploads", columns=_UPLOAD_COLUMNS)
    every_session = warehouse.frame("sessions", columns=_SESSION_COLUMNS)
    every_finding = warehouse.frame("findings", columns=_FINDING_COLUMNS)
    if every_upload.empty:
        return {"nights": [], "tonight": tonight, "empty": True}
    shown = _nights(every_upload, nights, tonight)
    tonight = tonight or shown[-1]
    uploads = every_upload[every_upload["run_date"].isin(shown)]
    analysed = uploads[uploads["status"] == "done"]
    findings = every_finding[_of(every_finding, analysed)]
    sessions = every_session[_of(every_session, analysed)]
    labels = upload_labels(analysed, sessions)
    platform_of = dict(zip(labels["upload_id"], labels["platform"], strict=True))
    releases, regressions = release_health(analysed, sessions, findings, labels=labels)
    return {
        "empty": False,
        "tonight": tonight,
        "nights": shown,
        "per_night": _per_night(uploads, shown),
        "releases": releases,
        "regressions": regressions,
        "rules": _rule_shares(analysed, findings, shown, tonight),
        "rules_by_platform": _rules_by_platform(analysed, findings, platform_of, tonight),
        "latency": _latency(sessions, shown, labels),
        "signatures": _signatures(every_upload, every_session, every_finding, shown, tonight),
        "signature_trend": _signature_trend(analysed, findings, shown),
        "problems": _problems(uploads, tonight),
        "new_templates": _new_templates(analysed, warehouse.templates, shown, tonight),
    }


def _of(rows: pd.DataFrame, uploads: pd.DataFrame) -> Any:
    """The mask of ``rows`` whose ``upload_id`` is one of ``uploads``' (a hash lookup: ``Series.isin`` on Arrow
    strings is ~20 times slower at 100,000 rows)."""
    import pandas as pd  # pandas (~0.4 s): already loaded by the warehouse

    return pd.Index(uploads["upload_id"].unique()).get_indexer(rows["upload_id"]) >= 0


def _per_night(uploads: pd.DataFrame, nights: list[str]) -> list[dict[str, Any]]:
    rows = []
    for night in nights:
        day = uploads[uploads["run_date"] == night]
        counts = day["status"].value_counts()
        rows.append(
            {
                "night": night,
                "uploads": len(day),
                **{status: int(counts.get(status, 0)) for status in ("done", "failed", "quarantined")},
            }
        )
    return rows


def _rule_shares(analysed: pd.DataFrame, findings: pd.DataFrame, nights: list[str], tonight: str) -> list[dict]:
    per_night_total = analysed.groupby("run_date")["upload_id"].nunique()
    hit = findings.groupby(["rule", "run_date"])["upload_id"].nunique()
    rows = []
    for rule in sorted(set(findings["rule"])):
        trend = []
        for night in nights:
            total = int(per_night_total.get(night, 0))
            count = int(hit.get((rule, night), 0))
            trend.append({"night": night, "share": round(count / total, 4) if total else None, "uploads": count})
        now = next(t for t in trend if t["night"] == tonight)
        earlier = [t["share"] for t in trend if t["night"] < tonight and t["share"] is not None]
        baseline = sum(earlier) / len(earlier) if earlier else None
        rows.append(
            {
                "rule": rule,
                "share_tonight": now["share"],
                "uploads_tonight": now["uploads"],
                "share_before": round(baseline, 4) if baseline is not None else None,
                "trend": trend,
            }
        )
    rows.sort(key=lambda r: -(r["share_tonight"] or 0))
    return rows


def _rules_by_platform(
    analysed: pd.DataFrame, findings: pd.DataFrame, platform_of: Mapping[str, str], tonight: str
) -> list[dict[str, Any]]:
    """Share of uploads hit by each rule per platform, over all nights shown and tonight."""
    totals: dict[str, int] = {}
    for platform in platform_of.values():
        totals[platform] = totals.get(platform, 0) + 1
    rows = []
    for (rule, platform), group in findings.assign(platform=findings["upload_id"].map(platform_of)).groupby(
        ["rule", "platform"]
    ):
        uploads = group["upload_id"].nunique()
        rows.append(
            {
                "rule": rule,
                "platform": platform,
                "uploads": int(uploads),
                "of": totals.get(platform, 0),
                "share": round(uploads / totals[platform], 4) if totals.get(platform) else None,
            }
        )
    return sorted(rows, key=lambda r: (r["rule"], r["platform"]))


def _latency(sessions: pd.DataFrame, nights: list[str], labels: pd.DataFrame) -> dict[str, Any]:
    started = sessions[sessions["is_start"].fillna(False).astype(bool)]
    started = started.join(labels.set_index("upload_id")[["version"]], on="upload_id")
    values = started["startup_latency_s"].astype("Float64")
    by_platform = {
        str(platform): _percentiles(group["startup_latency_s"].astype("Float64"))
        for platform, group in started.groupby(started["platform"].fillna("unknown"))
    }
    by_version = {
        str(version): _percentiles(group["startup_latency_s"].astype("Float64"))
        for version, group in started.groupby(started["binary_version"].fillna("unknown"))
    }
    trend = []
    for night in nights:
        trend.append({"night": night, **_percentiles(values[started["run_date"] == night])})
    # Release health's versions (the manifest's, else the logs'), night by night: p50 and p95 of each.
    by_night = started.dropna(subset=["startup_latency_s"]).groupby(["version", "run_date"])["startup_latency_s"]
    quantiles = by_night.quantile([0.5, 0.95]).unstack() if len(by_night) else None
    version_trend: dict[str, list[dict[str, Any]]] = {}
    if quantiles is not None:
        for (version, night), row in quantiles.iterrows():
            version_trend.setdefault(str(version), []).append(
                {"night": str(night), "p50": round(float(row[0.5]), 2), "p95": round(float(row[0.95]), 2)}
            )
    return {
        "overall": _percentiles(values),
        "by_platform": by_platform,
        "by_version": by_version,
        "trend": trend,
        "version_trend": {v: version_trend[v] for v in sorted(version_trend, key=version_order)},
    }


def _signatures(
    uploads: pd.DataFrame, sessions: pd.DataFrame, findings: pd.DataFrame, nights: list[str], tonight: str
) -> list[dict]:
    """Every signature seen in the nights shown, with its lifecycle status (``nightly.lifecycle``) over the whole
    history, worst severity, uploads and example uploads."""
    shown = findings[findings["run_date"].isin(nights)]
    if shown.empty:
        return []
    analysed = uploads[(uploads["status"] == "done") & (uploads["run_date"] <= tonight)]
    totals = {str(k): int(v) for k, v in analysed.groupby("run_date")["upload_id"].nunique().items()}
    findings = findings[_of(findings, analysed)]
    labels = upload_labels(analysed, sessions[_of(sessions, findings)])
    hits = findings[["signature", "rule", "run_date", "upload_id"]].join(
        labels.set_index("upload_id")["version"], on="upload_id"
    )
    statuses = {row["signature"]: row for row in signature_lifecycle(hits, totals, tonight)}
    paths = dict(zip(analysed["upload_id"], analysed["source_path"], strict=False))
    rows = []
    for signature, group in shown.groupby("signature"):
        examples = list(dict.fromkeys(group.sort_values("run_date", ascending=False)["upload_id"]))[:3]
        rows.append(
            {
                **statuses[str(signature)],
                "worst": _worst(group["severity"]),
                "title": str(group["title"].iloc[0]),
                "summary": str(group["summary"].iloc[-1]),
                "uploads": int(group["upload_id"].nunique()),
                "examples": [{"upload_id": u, "path": paths.get(u, "")} for u in examples],
            }
        )
    rows.sort(key=lambda r: (STATUSES.index(r["status"]), -r["uploads_tonight"], -r["uploads"], r["signature"]))
    return rows


def _signature_trend(analysed: pd.DataFrame, findings: pd.DataFrame, nights: list[str]) -> list[dict[str, Any]]:
    """The ``TREND_SIGNATURES`` signatures hitting the most uploads over the nights shown, with each night's share."""
    if findings.empty:
        return []
    totals = analysed.groupby("run_date")["upload_id"].nunique()
    hit = findings.groupby(["signature", "run_date"])["upload_id"].nunique()
    top = findings.groupby("signature")["upload_id"].nunique().sort_values(ascending=False, kind="stable")
    rows = []
    for signature in sorted(top.index[:TREND_SIGNATURES], key=lambda s: (-int(top[s]), s)):
        trend = []
        for night in nights:
            total = int(totals.get(night, 0))
            count = int(hit.get((signature, night), 0))
            trend.append({"night": night, "share": round(count / total, 4) if total else None, "uploads": count})
        rows.append({"signature": str(signature), "uploads": int(top[signature]), "trend": trend})
    return rows


def _new_templates(
    analysed: pd.DataFrame, templates: pd.DataFrame, nights: list[str], tonight: str
) -> list[dict[str, Any]]:
    """Templates (by fleet id) first seen tonight: Qoder-related first, then by uploads and records tonight."""
    if templates.empty:
        return []
    templates = templates[_of(templates, analysed)]
    first_night = templates.groupby("template_id")["run_date"].min()
    new_ids = set(first_night[first_night == tonight].index)
    tonight_rows = templates[(templates["run_date"] == tonight) & templates["template_id"].isin(new_ids)]
    paths = dict(zip(analysed["upload_id"], analysed["source_path"], strict=False))
    rows = []
    for template_id, group in tonight_rows.groupby("template_id"):
        first = group.sort_values(["count", "upload_id"], ascending=[False, True]).iloc[0]
        uploads = list(dict.fromkeys(group["upload_id"]))
        rows.append(
            {
                "template_id": str(template_id),
                "template": str(first["template"]),
                "qoder_related": bool(group["qoder_related"].fillna(False).any()),
                "level": _worst(group["level"].dropna()) if group["level"].notna().any() else None,
                # A template without a component (or example) reads back from Parquet as NaN, not None: never "nan".
                "component": None if _missing(first["component"]) else str(first["component"]),
                "count": int(group["count"].sum()),
                "uploads": len(uploads),
                "example": {
                    "source": None if _missing(first["example_source"]) else str(first["example_source"]),
                    "line": None if _missing(first["example_line"]) else int(first["example_line"]),
                    "text": None if _missing(first["example_text"]) else str(first["example_text"]),
                },
                "examples": [{"upload_id": u, "path": paths.get(u, "")} for u in uploads[:3]],
            }
        )
    rows.sort(key=lambda r: (not r["qoder_related"], -r["uploads"], -r["count"], r["template_id"]))
    return rows[:MAX_NEW_TEMPLATES]


_ORDER = ("info", "warning", "error", "critical")


def _worst(severities: pd.Series) -> str:
    present = set(severities.astype(str))
    return max(present, key=lambda s: _ORDER.index(s) if s in _ORDER else -1)


def _problems(uploads: pd.DataFrame, tonight: str) -> list[dict[str, Any]]:
    bad = uploads[(uploads["run_date"] == tonight) & (uploads["status"] != "done")]
    return [
        {"upload_id": row.upload_id, "path": row.source_path, "status": row.status, "reason": row.reason}
        for row in bad.itertuples()
    ]


def baseline_context(warehouse: Warehouse, document: Mapping[str, Any]) -> dict[str, Any]:
    """Fleet context for one analysis document: latency percentile ranks and signature history.

    ``{"sessions": {id: {"latency_percentile": 97.0, "fleet_uploads": N}},
    "signatures": {signature: {"first_seen", "last_seen", "uploads", "nights_ago"}}}``
    over the last ``NIGHTS`` nights of the warehouse.
    """
    uploads = warehouse.uploads
    if uploads.empty:
        return {"nights": 0, "sessions": {}, "signatures": {}}
    nights = _nights(uploads)
    sessions = warehouse.sessions
    sessions = sessions[sessions["run_date"].isin(nights)]
    started = sessions[sessions["is_start"].fillna(False).astype(bool)]
    latencies = started["startup_latency_s"].dropna().astype(float)
    context_sessions = {}
    for session in document.get("sessions", []):
        latency = session.get("startup_latency_s")
        if latency is None or latencies.empty:
            continue
        rank = float((latencies < latency).mean() * 100)
        context_sessions[session["id"]] = {
            "latency_s": latency,
            "latency_percentile": round(rank, 1),
            "fleet_sessions": len(latencies),
        }
    findings = warehouse.findings
    findings = findings[findings["run_date"].isin(nights)]
    context_signatures = {}
    last_night = nights[-1]
    for finding in document.get("findings", []):
        signature = finding["signature"]
        group = findings[findings["signature"] == signature]
        if group.empty:
            context_signatures[signature] = {"first_seen": None, "last_seen": None, "uploads": 0, "nights_ago": None}
            continue
        first = str(group["run_date"].min())
        context_signatures[signature] = {
            "first_seen": first,
            "last_seen": str(group["run_date"].max()),
            "uploads": int(group["upload_id"].nunique()),
            "nights_ago": nights.index(last_night) - nights.index(first) if first in nights else None,
        }
    return {
        "nights": len(nights),
        "sessions": context_sessions,
        "signatures": context_signatures,
        "anomaly": anomaly(uploads[uploads["run_date"].isin(nights)], document),
    }


def bundle_rates(records: Mapping[str, Any], lines_read: int) -> dict[str, float | None]:
    """A bundle's error records per 1,000 lines read, and the share of its Qoder-related records unrecognised."""
    qoder = records.get("qoder_related") or 0
    return {
        "error_rate": round(1000 * (records.get("errors") or 0) / lines_read, 4) if lines_read else None,
        "unknown_qoder_share": round((records.get("qoder_unknown") or 0) / qoder, 4) if qoder else None,
    }


_ANOMALY_LABELS = {
    "error_rate": "error records per 1,000 lines",
    "unknown_qoder_share": "share of Qoder lines no pattern recognised",
}


def robust_z(value: float, values: list[float]) -> tuple[float, float, float]:
    """``(z, median, mad)``: how many robust standard deviations ``value`` lies above the median of ``values``.

    The scale is 1.4826 times the median absolute deviation; when more than half
    the values are equal (MAD 0) it is 1.2533 times the mean absolute deviation;
    when every value is equal, any other value is infinitely far.
    """
    ordered = sorted(values)
    median = _median(ordered)
    deviations = [abs(v - median) for v in ordered]
    mad = _median(sorted(deviations))
    scale = _MAD_SCALE * mad or _MEAN_AD_SCALE * (sum(deviations) / len(deviations))
    if scale == 0:
        z = 0.0 if value == median else (float("inf") if value > median else float("-inf"))
    else:
        z = (value - median) / scale
    return z, median, mad


def _median(ordered: list[float]) -> float:
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def anomaly(uploads: pd.DataFrame, document: Mapping[str, Any]) -> dict[str, Any]:
    """Whether this bundle's error rate or unknown Qoder-line share is far above the warehouse's uploads.

    ``unusual`` is true when either robust z-score exceeds ``UNUSUAL_Z``;
    ``None`` when the warehouse has fewer than ``MIN_BASELINE_UPLOADS``
    analysed uploads with these numbers (warehouses from before they were
    recorded have none).
    """
    done = uploads[uploads["status"] == "done"] if "status" in uploads else uploads
    mine = bundle_rates(document.get("records") or {}, int(document.get("stats", {}).get("lines_read") or 0))
    fleet: dict[str, list[float]] = {"error_rate": [], "unknown_qoder_share": []}
    if {"error_records", "qoder_records", "unknown_qoder_records"} <= set(done.columns):
        for row in done.itertuples():
            if _missing(row.error_records):
                continue
            counts = {
                "errors": _int(row.error_records),
                "qoder_related": _int(row.qoder_records),
                "qoder_unknown": _int(row.unknown_qoder_records),
            }
            for metric, value in bundle_rates(counts, _int(row.lines_read)).items():
                if value is not None:
                    fleet[metric].append(value)
    checks = []
    for metric, value in mine.items():
        values = fleet[metric]
        check: dict[str, Any] = {
            "metric": metric,
            "label": _ANOMALY_LABELS[metric],
            "value": value,
            "median": None,
            "mad": None,
            "z": None,
            "unusual": None,
            "uploads": len(values),
        }
        if value is not None and len(values) >= MIN_BASELINE_UPLOADS:
            z, median, mad = robust_z(value, values)
            check.update(
                median=round(median, 4),
                mad=round(mad, 4),
                z=round(z, 2) if z not in (float("inf"), float("-inf")) else (1e9 if z > 0 else -1e9),
                unusual=z > UNUSUAL_Z,
            )
        checks.append(check)
    verdicts = [c["unusual"] for c in checks if c["unusual"] is not None]
    return {
        "unusual": any(verdicts) if verdicts else None,
        "uploads": max((c["uploads"] for c in checks), default=0),
        "checks": checks,
    }


def _missing(value: Any) -> bool:
    """None, NaN or pandas' NA (whose comparison cannot be made a bool)."""
    try:
        return value is None or bool(value != value)
    except (TypeError, ValueError):
        return True


def _int(value: Any) -> int:
    return 0 if _missing(value) else int(value)
