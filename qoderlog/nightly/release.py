"""Release health: per (version, platform) rates, and the regressions of each version against the one before it.

Takes the warehouse's analysed uploads, their sessions and findings (already
cut to the nights shown) and gives two lists for the fleet model:

- ``releases``: one entry per (``version``, ``platform``) with ``uploads``,
  ``sessions``, ``startup_latency_p50_s`` / ``_p95_s`` (starts only),
  ``never_ready_rate`` (per start), ``ipc_failure_rate`` (share of sessions
  with an IPC failure), ``crash_rate`` (share of uploads with an
  ``app-crash`` finding) and ``signatures`` (uploads hit and share);
- ``regressions``: every significant worsening of a version against its
  **baseline**, the previous version seen on the same platform in version
  order (``packaging.version``; a version it cannot parse has no baseline
  and is no one's).

An upload's version and platform are the manifest's ``app_version`` /
``platform`` when given, else what its logs reveal (the sessions' most
common binary version and platform), else ``unknown``.

The statistics (``scipy.stats``): a share (a signature's, a rate's) is
compared with a one-sided Fisher exact test on the 2x2 table of hits and
misses; startup latencies with a one-sided Mann-Whitney U test (no normality
assumed; the entry shows the p95s). A comparison is made only when both
sides have at least ``MIN_UPLOADS`` uploads (``MIN_STARTS`` latencies) and
the newer side at least ``MIN_HITS`` hits; every comparison made in the
report enters one Benjamini-Hochberg correction, and a regression is one
whose adjusted p-value is at most ``FDR`` and whose value is worse than the
baseline's — so a report with 60 signatures does not cry wolf.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

if TYPE_CHECKING:
    import pandas as pd

MIN_UPLOADS = 20
"""Uploads needed on each side of a share comparison."""
MIN_STARTS = 20
"""Startup latencies needed on each side of a latency comparison."""
MIN_HITS = 3
"""Hits needed in the newer version for a share to be compared at all."""
FDR = 0.05
"""The false discovery rate of the Benjamini-Hochberg correction."""
CRASH_RULE = "app-crash"
UNKNOWN = "unknown"

RATES: dict[str, str] = {
    "never_ready_rate": "starts",
    "ipc_failure_rate": "sessions",
    "crash_rate": "uploads",
}
"""Each rate of a release entry and what it is counted over."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Test:
    """One comparison made: a version against its baseline on a platform, for one signature or metric."""

    version: str
    baseline_version: str
    platform: str
    what: str
    kind: str
    value: float
    baseline_value: float
    p_value: float
    uploads: int
    baseline_uploads: int


def upload_labels(analysed: pd.DataFrame, sessions: pd.DataFrame) -> pd.DataFrame:
    """``upload_id`` → ``version`` and ``platform``: the manifest's, else the logs', else ``unknown``."""
    import pandas as pd  # pandas (~0.4 s): already loaded by the warehouse

    labels = pd.DataFrame({"upload_id": analysed["upload_id"].to_numpy()})
    for column, manifest, logged in (
        ("version", "app_version", "binary_version"),
        ("platform", "platform", "platform"),
    ):
        from_logs = _most_common(sessions, logged)
        given = analysed[manifest].to_numpy() if manifest in analysed else [None] * len(analysed)
        values = pd.Series(given, index=labels.index, dtype="object")
        values = values.where(values.notna() & (values.astype(str) != ""), labels["upload_id"].map(from_logs))
        labels[column] = values.fillna(UNKNOWN).astype(str)
    return labels


def _most_common(sessions: pd.DataFrame, column: str) -> pd.Series:
    known = sessions[["upload_id", column]].dropna()
    if known.empty:
        return known.set_index("upload_id")[column]
    counts = known.groupby(["upload_id", column]).size().reset_index(name="n")
    counts = counts.sort_values(["upload_id", "n", column], ascending=[True, False, True])
    return counts.drop_duplicates("upload_id").set_index("upload_id")[column]


def version_key(version: str) -> Any:
    """The sort key of a version string (``packaging.version``), or ``None`` when it is not a version."""
    try:
        return Version(version)
    except InvalidVersion:
        return None


def release_health(
    analysed: pd.DataFrame, sessions: pd.DataFrame, findings: pd.DataFrame, *, labels: pd.DataFrame | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(releases, regressions)`` for the analysed uploads (see the module docstring); ``labels`` are their
    ``upload_labels`` when the caller has them already."""
    labels = upload_labels(analysed, sessions) if labels is None else labels
    group_of = labels.set_index("upload_id")
    # Sessions keep their own platform column; the upload's is "platform_upload" beside it.
    sessions = sessions.join(group_of.rename(columns={"platform": "platform_upload"}), on="upload_id")
    findings = findings.drop(columns=["version", "platform"], errors="ignore").join(group_of, on="upload_id")
    groups = _groups(labels, sessions, findings)
    releases = [groups[key]["entry"] for key in sorted(groups, key=lambda k: (k[1], version_order(k[0])))]
    tests = _tests(groups)
    regressions = _significant(tests)
    return releases, regressions


def version_order(version: str) -> tuple[int, Any, str]:
    """A sort key putting versions in version order, then what is not a version (``unknown``) by name."""
    key = version_key(version)
    return (0, key, version) if key is not None else (1, None, version)


def _groups(
    labels: pd.DataFrame, sessions: pd.DataFrame, findings: pd.DataFrame
) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (version, platform): the release entry and the raw counts its tests need."""
    starts = sessions[sessions["is_start"].fillna(False).astype(bool)]
    session_groups = dict(list(sessions.groupby(["version", "platform_upload"])))
    start_groups = dict(list(starts.groupby(["version", "platform_upload"])))
    finding_groups = dict(list(findings.groupby(["version", "platform"])))
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for (version, platform), members in labels.groupby(["version", "platform"]):
        key = (str(version), str(platform))
        uploads = len(members)
        mine = session_groups.get(key)
        started = start_groups.get(key)
        hits = finding_groups.get(key)
        latencies = (
            started["startup_latency_s"].dropna().astype(float).to_numpy() if started is not None else _no_values()
        )
        counts = {
            "never_ready_rate": (
                int((started["outcome"] == "never_ready").sum()) if started is not None else 0,
                len(started) if started is not None else 0,
            ),
            "ipc_failure_rate": (
                int((mine["ipc_failures"].fillna(0) > 0).sum()) if mine is not None else 0,
                len(mine) if mine is not None else 0,
            ),
            "crash_rate": (
                int(hits.loc[hits["rule"] == CRASH_RULE, "upload_id"].nunique()) if hits is not None else 0,
                uploads,
            ),
        }
        signatures: dict[str, tuple[str, int]] = {}
        if hits is not None:
            per = hits.groupby("signature").agg(rule=("rule", "first"), uploads=("upload_id", "nunique"))
            signatures = {str(s): (str(r.rule), int(r.uploads)) for s, r in per.iterrows()}
        entry = {
            "version": key[0],
            "platform": key[1],
            "uploads": uploads,
            "sessions": len(mine) if mine is not None else 0,
            "starts": len(latencies),
            "startup_latency_p50_s": _quantile(latencies, 0.50),
            "startup_latency_p95_s": _quantile(latencies, 0.95),
            **{name: _rate(*counts[name]) for name in RATES},
            "signatures": [
                {"signature": s, "rule": rule, "uploads": n, "share": round(n / uploads, 4)}
                for s, (rule, n) in sorted(signatures.items(), key=lambda item: (-item[1][1], item[0]))
            ],
        }
        groups[key] = {"entry": entry, "counts": counts, "signatures": signatures, "latencies": latencies}
    return groups


def _no_values() -> Any:
    import pandas as pd  # pandas (~0.4 s): already loaded by the warehouse

    return pd.Series([], dtype=float).to_numpy()


def _quantile(values: Any, q: float) -> float | None:
    import pandas as pd  # pandas (~0.4 s): already loaded by the warehouse

    return round(float(pd.Series(values).quantile(q)), 3) if len(values) else None


def _rate(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def baselines(versions: Sequence[str]) -> dict[str, str]:
    """Each version's baseline among ``versions`` (one platform's): the previous one in version order."""
    ordered = sorted((v for v in versions if version_key(v) is not None), key=version_key)
    return {newer: older for older, newer in itertools.pairwise(ordered)}


def _tests(groups: Mapping[tuple[str, str], Mapping[str, Any]]) -> list[_Test]:
    """Every comparison the minimum sample sizes allow, each version against its baseline on each platform."""
    by_platform: dict[str, list[str]] = {}
    for version, platform in groups:
        by_platform.setdefault(platform, []).append(version)
    tests: list[_Test] = []
    for platform, versions in sorted(by_platform.items()):
        for version, baseline in sorted(baselines(versions).items(), key=lambda item: version_key(item[0])):
            tests.extend(_compare(groups[(version, platform)], groups[(baseline, platform)]))
    return tests


def _compare(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[_Test]:
    """The comparisons of one (version, platform) group against its baseline's."""
    from scipy.stats import fisher_exact, mannwhitneyu  # scipy (~0.3 s): only for release health

    n_new, n_old = new["entry"]["uploads"], old["entry"]["uploads"]
    if n_new < MIN_UPLOADS or n_old < MIN_UPLOADS:
        return []
    pair = {
        "version": new["entry"]["version"],
        "baseline_version": old["entry"]["version"],
        "platform": new["entry"]["platform"],
        "uploads": n_new,
        "baseline_uploads": n_old,
    }
    shares = [(name, "rate", new["counts"][name], old["counts"][name]) for name in RATES]
    for signature in sorted(set(new["signatures"]) | set(old["signatures"])):
        hits = new["signatures"].get(signature, ("", 0))[1]
        base = old["signatures"].get(signature, ("", 0))[1]
        shares.append((signature, "signature", (hits, n_new), (base, n_old)))
    tests = []
    for what, kind, (a, n), (b, m) in shares:
        if n < MIN_UPLOADS or m < MIN_UPLOADS or a < MIN_HITS:
            continue
        _, p = fisher_exact([[a, n - a], [b, m - b]], alternative="greater")
        tests.append(
            _Test(what=what, kind=kind, value=round(a / n, 4), baseline_value=round(b / m, 4), p_value=float(p), **pair)
        )
    a, b = new["latencies"], old["latencies"]
    p95, base95 = new["entry"]["startup_latency_p95_s"], old["entry"]["startup_latency_p95_s"]
    if len(a) >= MIN_STARTS and len(b) >= MIN_STARTS and p95 is not None and base95 is not None:
        _, p = mannwhitneyu(a, b, alternative="greater")
        what = "startup_latency_p95_s"
        tests.append(_Test(what=what, kind="latency", value=p95, baseline_value=base95, p_value=float(p), **pair))
    return tests


def _significant(tests: Sequence[_Test]) -> list[dict[str, Any]]:
    """The tests that survive Benjamini-Hochberg at ``FDR`` and are a worsening, most significant first."""
    if not tests:
        return []
    from scipy.stats import false_discovery_control  # scipy (~0.3 s): only for release health

    adjusted = false_discovery_control([t.p_value for t in tests], method="bh")
    rows = []
    for test, q in zip(tests, adjusted, strict=True):
        if q <= FDR and test.value > test.baseline_value:
            rows.append(
                {
                    "version": test.version,
                    "baseline_version": test.baseline_version,
                    "platform": test.platform,
                    "what": test.what,
                    "kind": test.kind,
                    "value": test.value,
                    "baseline_value": test.baseline_value,
                    "p_value": _p(test.p_value),
                    "p_adjusted": _p(float(q)),
                    "uploads": test.uploads,
                    "baseline_uploads": test.baseline_uploads,
                }
            )
    rows.sort(key=lambda r: (r["p_adjusted"], r["platform"], r["what"]))
    return rows


def _p(value: float) -> float:
    """A p-value to 3 significant digits (tiny ones stay tiny, not 0)."""
    return float(f"{value:.3g}")
