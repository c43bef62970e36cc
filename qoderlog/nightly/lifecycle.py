"""Signature lifecycle over nights (Sentry's issue substatus, adapted to signatures derived from logs).

Takes every night's findings up to tonight (signature, rule, run date,
upload, version) and the number of uploads analysed each night, and gives
each signature's status tonight:

- ``new``: seen tonight and never before;
- ``regressed``: seen tonight, seen before, and absent for at least
  ``ABSENT_NIGHTS`` nights in between;
- ``escalating``: seen tonight with a share of uploads significantly above its
  share over the ``TRAILING_NIGHTS`` nights before (one-sided Fisher exact
  test, the release view's minimum sample sizes, Benjamini-Hochberg over the
  signatures tested tonight);
- ``ongoing``: seen tonight otherwise, or seen within the last
  ``ABSENT_NIGHTS`` nights but not tonight;
- ``resolved``: not seen for at least ``ABSENT_NIGHTS`` nights after being seen.

Nights are calendar days (``run_date``): a night the batch did not run
counts as a night the signature was absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from .release import FDR, MIN_HITS, MIN_UPLOADS, version_order

if TYPE_CHECKING:
    import pandas as pd

TRAILING_NIGHTS = 7
ABSENT_NIGHTS = 7
STATUSES = ("new", "regressed", "escalating", "ongoing", "resolved")


def signature_lifecycle(hits: pd.DataFrame, totals: Mapping[str, int], tonight: str) -> list[dict[str, Any]]:
    """Each signature seen up to ``tonight`` with its status (see the module docstring).

    ``hits`` has the columns ``signature``, ``rule``, ``run_date``, ``upload_id`` and ``version``;
    ``totals`` maps each night to the uploads analysed that night.
    """
    from scipy.stats import false_discovery_control, fisher_exact  # scipy (~0.3 s): only for the fleet report

    today = date.fromisoformat(tonight)
    hits = hits[hits["run_date"] <= tonight]
    trailing = [n for n in totals if 0 < (today - date.fromisoformat(n)).days <= TRAILING_NIGHTS]
    trailing_total = sum(totals[n] for n in trailing)
    total_tonight = totals.get(tonight, 0)
    per_night = hits.groupby(["signature", "run_date"])["upload_id"].nunique()
    rows: list[dict[str, Any]] = []
    candidates: list[tuple[int, float]] = []
    for signature, group in hits.groupby("signature"):
        counts = per_night.loc[signature]
        nights = sorted(str(n) for n in counts.index)
        tonight_uploads = int(counts.get(tonight, 0))
        before = [n for n in nights if n < tonight]
        trailing_uploads = int(sum(int(counts.get(n, 0)) for n in trailing))
        share_tonight = tonight_uploads / total_tonight if total_tonight else 0.0
        share_trailing = trailing_uploads / trailing_total if trailing_total else None
        if tonight_uploads:
            if not before:
                status = "new"
            elif (today - date.fromisoformat(before[-1])).days - 1 >= ABSENT_NIGHTS:
                status = "regressed"
            else:
                status = "ongoing"
                if (
                    tonight_uploads >= MIN_HITS
                    and total_tonight >= MIN_UPLOADS
                    and trailing_total >= MIN_UPLOADS
                    and share_trailing is not None
                    and share_tonight > share_trailing
                ):
                    _, p = fisher_exact(
                        [
                            [tonight_uploads, total_tonight - tonight_uploads],
                            [trailing_uploads, trailing_total - trailing_uploads],
                        ],
                        alternative="greater",
                    )
                    candidates.append((len(rows), float(p)))
        else:
            status = "resolved" if (today - date.fromisoformat(nights[-1])).days >= ABSENT_NIGHTS else "ongoing"
        versions = sorted({str(v) for v in group["version"].dropna()}, key=version_order)
        rows.append(
            {
                "signature": str(signature),
                "rule": str(group["rule"].iloc[0]),
                "status": status,
                "share_tonight": round(share_tonight, 4),
                "share_trailing": round(share_trailing, 4) if share_trailing is not None else None,
                "uploads_tonight": tonight_uploads,
                "first_seen": nights[0],
                "last_seen": nights[-1],
                "versions": versions,
            }
        )
    if candidates:
        adjusted = false_discovery_control([p for _, p in candidates], method="bh")
        for (index, _), q in zip(candidates, adjusted, strict=True):
            if q <= FDR:
                rows[index]["status"] = "escalating"
    return rows
