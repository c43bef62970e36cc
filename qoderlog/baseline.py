"""One bundle's fleet context (``analyze --baseline``) as plain sentences, for every format.

Pure functions of the baseline dict that ``nightly.fleet.baseline_context``
computes from a warehouse; the engine's JSON document, the view model and the
text report all word the context the same way through them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MIN_BASELINE_UPLOADS = 5
"""With fewer analysed uploads in the warehouse, no anomaly verdict is given."""


def anomaly_sentences(baseline: Mapping[str, Any]) -> list[str]:
    """Plain sentences for the anomaly score of ``analyze --baseline`` (empty without one)."""
    found = baseline.get("anomaly")
    if not found:
        return []
    if found["unusual"] is None:
        return [f"no anomaly score: the warehouse has fewer than {MIN_BASELINE_UPLOADS} comparable uploads"]
    sentences = []
    for check in found["checks"]:
        if check["z"] is None:
            continue
        verdict = "UNUSUAL, far above" if check["unusual"] else "within"
        sentences.append(
            f"{check['label']}: {check['value']:g} — {verdict} the fleet (median {check['median']:g}, "
            f"robust z {check['z']:g} over {check['uploads']} uploads)"
        )
    return sentences


def context_sentences(finding: Mapping[str, Any], baseline: Mapping[str, Any]) -> list[str]:
    """Plain sentences that put one finding of a bundle in fleet context (``analyze --baseline``)."""
    nights = baseline.get("nights", 0)
    sentences = []
    session = baseline.get("sessions", {}).get(finding.get("session") or "")
    if session is not None:
        sentences.append(
            f"startup {session['latency_s']:.1f} s — slower than {session['latency_percentile']:.0f}% of "
            f"{session['fleet_sessions']} starts in the last {nights} night(s)"
        )
    history = baseline.get("signatures", {}).get(finding.get("signature") or "")
    if history is not None:
        if history["uploads"]:
            ago = history["nights_ago"]
            when = "tonight" if ago == 0 else f"{ago} night(s) ago"
            sentences.append(
                f"this signature was first seen {when} ({history['first_seen']}), "
                f"{history['uploads']} upload(s) in the last {nights} night(s)"
            )
        else:
            sentences.append(f"this signature is new: not seen in the fleet in the last {nights} night(s)")
    return sentences
