"""A synthetic inbox: zipped upload bundles, one scenario each, with a known scenario and platform mix.

Takes a folder, a number of uploads and a seed, and gives the files plus the
counts of what was injected, so a fleet report can be checked against them.
The mixes are in ``data/mixes.yaml``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .corpus import scenario_lines
from .datafiles import load
from .encodings import zip_bytes

_MIXES = load("mixes")["inbox"]

INBOX_MIX: dict[str, float] = dict(_MIXES["scenarios"])
"""The scenario mix of a synthetic inbox (shares of uploads)."""

INBOX_PLATFORMS: dict[str, float] = dict(_MIXES["platforms"])
"""The platform mix of a synthetic inbox (shares of uploads)."""


def write_inbox(folder: Path, *, uploads: int, seed: int = 0) -> dict[str, Any]:
    """Write ``uploads`` zipped log bundles with a known scenario and platform mix; return that mix.

    Each upload is ``upload-NNNNN.zip`` holding ``logs/<stamp>/main.log`` with
    one scenario amid noise; the returned dict counts uploads per scenario,
    per platform and per (scenario, platform), so a fleet report can be
    checked against what was injected.
    """
    rng = random.Random(f"inbox:{seed}")
    folder.mkdir(parents=True, exist_ok=True)
    names, weights = zip(*INBOX_MIX.items(), strict=True)
    platforms, platform_weights = zip(*INBOX_PLATFORMS.items(), strict=True)
    counts: dict[str, Any] = {"uploads": uploads, "scenarios": {}, "platforms": {}, "pairs": {}}
    for index in range(uploads):
        scenario = rng.choices(names, weights)[0]
        platform = rng.choices(platforms, platform_weights)[0]
        start = datetime(2026, 11, 1, 8, 0, 0) + timedelta(minutes=rng.randrange(0, 60 * 24 * 20))
        lines = scenario_lines(
            scenario, platform=platform, framing="vscode", seed=f"{seed}:{index}", start=start, noise_lines=120
        )
        stamp = start.strftime("%Y%m%dT%H%M%S")
        member = (f"logs/{stamp}/main.log", ("\n".join(lines) + "\n").encode("utf-8"), start)
        (folder / f"upload-{index:05d}.zip").write_bytes(zip_bytes([member]))
        counts["scenarios"][scenario] = counts["scenarios"].get(scenario, 0) + 1
        counts["platforms"][platform] = counts["platforms"].get(platform, 0) + 1
        key = f"{scenario}/{platform}"
        counts["pairs"][key] = counts["pairs"].get(key, 0) + 1
    return counts
