"""A synthetic warehouse: nights of uploads, sessions and findings written directly, without analysing any log.

Takes a folder, a number of nights and of uploads per night, and a seed,
and gives a warehouse in the batch's own format (``nightly.warehouse``: one
committed part per night, the ledger beside it) whose fleet report can be
checked against what was put in:

- versions roll out over the nights (``VERSIONS``: each from its release
  night on, taking a growing share of the uploads), on three platforms with
  the weights of ``PLATFORMS``; the manifest fields ``app_version``,
  ``platform`` and ``channel`` are set;
- every upload has one to three sidecar sessions with log-normal startup
  latencies; a start over startup-slow's warning threshold gives a
  ``startup-slow:<platform>`` finding, and background signatures
  (``BACKGROUND``) hit a fixed share of uploads;
- the injected **regression**: ``REGRESSED_VERSION`` on ``REGRESSED_PLATFORM``
  starts ``REGRESSION_FACTOR`` times slower and hits ``ipc-failure:broken-pipe``
  several times as often;
- a signature (``RETURNING``) is seen on a few early nights, absent for
  longer than a week, and back on the last night (status ``regressed``; it
  also shows as a regression of the newest version, which most of the last
  night's uploads run).

Same arguments, same warehouse (but for run ids and commit times).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from ..nightly.warehouse import Upload, UploadMeta, UploadResult, Warehouse
from ..rules.registry import startup_thresholds

VERSIONS: tuple[tuple[str, int], ...] = (("1.4.2", 0), ("1.5.0", 10), ("1.5.1", 22))
"""Each version and the night (from the first) it is released."""
PLATFORMS: Mapping[str, float] = {"windows": 0.55, "macos": 0.3, "linux": 0.15}
CHANNELS: Mapping[str, float] = {"stable": 0.9, "insider": 0.1}
REGRESSED_VERSION = "1.5.0"
REGRESSED_PLATFORM = "windows"
REGRESSION_FACTOR = 2.2
BACKGROUND: Mapping[str, tuple[str, str, float]] = {
    "ipc-failure:broken-pipe": ("ipc-failure", "error", 0.03),
    "stale-pid:reused": ("stale-pid", "warning", 0.02),
    "cleanup-anomaly:leftover-socket": ("cleanup-anomaly", "warning", 0.015),
    "app-crash:renderer-oom": ("app-crash", "critical", 0.008),
    "restart-loop:1": ("restart-loop", "error", 0.005),
    "update-stuck:downloading": ("update-stuck", "warning", 0.01),
}
"""Signature → (rule, severity, share of uploads)."""
RETURNING = "update-stuck:crash-after-applying"
_MEDIAN_START_S = {"windows": 1.8, "macos": 1.2, "linux": 1.0}
_START_SIGMA = 0.55
_ADOPTION_NIGHTS = 8
"""Nights for a new version to take over most of the uploads."""


def write_warehouse(
    out: Path, *, nights: int = 30, uploads_per_night: int = 2000, seed: int = 0, last_night: date | None = None
) -> dict[str, Any]:
    """Write the synthetic warehouse to ``out``; return what was put in (uploads per version and platform, the
    regression, the returning signature's nights)."""
    rng = random.Random(f"warehouse:{seed}")
    end = last_night or date(2026, 11, 30)
    first = end - timedelta(days=nights - 1)
    warning_s = startup_thresholds()["warning_s"]
    store = Warehouse(out, create=True)
    counts: dict[str, int] = {}
    returning_nights = _returning_nights(nights)
    try:
        for night_index in range(nights):
            night = first + timedelta(days=night_index)
            results = [
                _upload(rng, night, night_index, index, warning_s, night_index in returning_nights, counts)
                for index in range(uploads_per_night)
            ]
            run_id = f"synth-{night.isoformat()}"
            store.start_run(run_id, night.isoformat(), "synth", "synth")
            store.commit(results, run_id=run_id, run_date=night.isoformat(), keep_events=False)
    finally:
        store.close()
    return {
        "nights": nights,
        "uploads": nights * uploads_per_night,
        "by_version_platform": dict(sorted(counts.items())),
        "regression": {
            "version": REGRESSED_VERSION,
            "platform": REGRESSED_PLATFORM,
            "latency_factor": REGRESSION_FACTOR,
        },
        "returning": {
            "signature": RETURNING,
            "nights": sorted((first + timedelta(days=n)).isoformat() for n in returning_nights),
        },
    }


def _returning_nights(nights: int) -> set[int]:
    """A few early nights and the last one, more than a week apart (when there are enough nights)."""
    early = {n for n in (1, 2, 3) if n < nights - 10}
    return early | ({nights - 1} if early else set())


def _version(rng: random.Random, night_index: int) -> str:
    """A version released by that night, newer ones gaining share night by night after their release."""
    weights = []
    released = [(v, start) for v, start in VERSIONS if start <= night_index]
    for position, (version, start) in enumerate(released):
        newer = released[position + 1 :]
        weight = 1.0
        for _, later in newer:
            weight *= 1.0 - min(1.0, (night_index - later + 1) / _ADOPTION_NIGHTS) * 0.9
        if start > 0:
            weight *= min(1.0, (night_index - start + 1) / _ADOPTION_NIGHTS)
        weights.append((version, weight))
    names, values = zip(*weights, strict=True)
    return str(rng.choices(names, values)[0])


def _upload(
    rng: random.Random,
    night: date,
    night_index: int,
    index: int,
    warning_s: float,
    returning: bool,
    counts: dict[str, int],
) -> UploadResult:
    platform = rng.choices(list(PLATFORMS), list(PLATFORMS.values()))[0]
    version = _version(rng, night_index)
    counts[f"{version}/{platform}"] = counts.get(f"{version}/{platform}", 0) + 1
    upload_id = f"{night.isoformat()}-{index:06d}-{rng.getrandbits(64):016x}"
    path = f"s3://qoder-uploads/{night.isoformat()}/upload-{index:06d}.zip"
    arrived = datetime.combine(night, datetime.min.time()) + timedelta(seconds=rng.randrange(86_400))
    regressed = version == REGRESSED_VERSION and platform == REGRESSED_PLATFORM
    sessions: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    for number in range(1, rng.choice((1, 1, 2, 3)) + 1):
        median = _MEDIAN_START_S[platform] * (REGRESSION_FACTOR if regressed else 1.0)
        latency = round(math.exp(rng.gauss(math.log(median), _START_SIGMA)), 3)
        start = arrived - timedelta(minutes=rng.randrange(5, 600))
        session_id = f"{path}!logs/main.log (main)#{number}"
        never_ready = rng.random() < 0.01
        sessions.append(
            {
                "id": session_id,
                "stream": f"{path}!logs/main.log (main)",
                "source": f"{path}!logs/main.log",
                "role": "main",
                "is_start": True,
                "platform": platform,
                "arch": "x86_64",
                "binary_version": version,
                "start_time": start,
                "info_time": None if never_ready else start + timedelta(seconds=latency),
                "ready_time": None if never_ready else start + timedelta(seconds=latency + 0.2),
                "startup_latency_s": None if never_ready else latency,
                "transport": "pipe" if platform == "windows" else "unix",
                "pid": rng.randrange(1000, 60000),
                "start_attempts": 1,
                "ipc_failures": 0,
                "outcome": "never_ready" if never_ready else "ready",
            }
        )
        if not never_ready and latency >= warning_s:
            findings.append(
                _finding(
                    "startup-slow",
                    f"startup-slow:{platform}",
                    "error" if latency >= 2 * warning_s else "warning",
                    session_id,
                    start,
                    f"The Go sidecar took {latency:.1f} s from start to .info.json read on {platform}.",
                    {"latency_s": latency, "platform": platform},
                )
            )
    for signature, (rule, severity, share) in BACKGROUND.items():
        boost = 4.0 if regressed and signature == "ipc-failure:broken-pipe" else 1.0
        if rng.random() < share * boost:
            findings.append(
                _finding(rule, signature, severity, str(sessions[0]["id"]), arrived, f"{signature} seen.", {})
            )
            if rule == "ipc-failure":
                sessions[0]["ipc_failures"] = 1
    if returning and rng.random() < 0.02:
        findings.append(
            _finding("update-stuck", RETURNING, "error", str(sessions[0]["id"]), arrived, "Crash on apply.", {})
        )
    return UploadResult(
        upload=Upload(
            upload_id=upload_id,
            path=path,
            size=rng.randrange(20_000, 2_000_000),
            mtime=arrived.timestamp(),
            meta=UploadMeta(
                uploaded_at=arrived.isoformat(),
                app_version=version,
                platform=platform,
                channel=rng.choices(list(CHANNELS), list(CHANNELS.values()))[0],
            ),
        ),
        status="done",
        reason=None,
        analysed_at=arrived.isoformat(),
        duration_s=round(rng.uniform(0.05, 0.6), 3),
        summary={
            "lines_read": rng.randrange(500, 50_000),
            "inputs": 1,
            "sessions": len(sessions),
            "findings": len(findings),
            "worst_severity": max((f["severity"] for f in findings), key=_SEVERITY.index, default="info"),
            "platforms": platform,
            "binary_versions": version,
            "error_records": rng.randrange(0, 40),
            "qoder_records": rng.randrange(20, 400),
            "unknown_qoder_records": rng.randrange(0, 10),
            "coverage": round(rng.uniform(0.9, 1.0), 4),
        },
        sessions=tuple(sessions),
        findings=tuple(findings),
    )


_SEVERITY = ("info", "warning", "error", "critical")


def _finding(
    rule: str,
    signature: str,
    severity: str,
    session: str,
    start: datetime,
    summary: str,
    metrics: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "rule": rule,
        "severity": severity,
        "title": rule.replace("-", " ").capitalize(),
        "summary": summary,
        "source": session.split(" (", 1)[0],
        "session": session,
        "start": start,
        "end": start,
        "metrics": dict(metrics),
        "evidence": [],
        "remediation": {},
        "signature": signature,
    }
