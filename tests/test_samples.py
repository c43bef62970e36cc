"""Every sample gives exactly its expected findings (rules, severities, evidence lines).

The expected files in tests/expected/ are regenerated with
``python -m qoderlog.testing sample_logs tests/expected`` and reviewed in the diff,
never edited by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qoderlog.testing import sample_findings, samples

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = samples(ROOT / "sample_logs")
EXPECTED = ROOT / "tests" / "expected"

# What each sample is there to show: a rule that must be among its findings (None: no findings at all).
PURPOSE = {
    "windows-slow-start": ("startup-slow", "error"),
    "windows-gbk-slow-start": ("startup-slow", "warning"),
    "macos-stale-pid": ("stale-pid", "error"),
    "linux-remote-tcp-fallback": ("ipc-failure", "error"),
    "windows-utf16-ipc-reconnect": ("ipc-failure", "critical"),
    "json-start-failure": ("startup-failure", "critical"),
    "windows-restart-loop-rotated": ("restart-loop", "error"),
    "spdlog-update-stuck": ("update-stuck", "warning"),
    "console-update-renderer-oom": ("update-stuck", "error"),
    "bundle-crash.zip": ("app-crash", "error"),
    "snippet.txt": ("cleanup-anomaly", "warning"),
    "linux-remote-healthy": None,
    "no-qoder-lines.log": None,
}


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_sample_gives_exactly_its_expected_findings(sample: Path) -> None:
    expected = json.loads((EXPECTED / f"{sample.name}.json").read_text(encoding="utf-8"))
    assert sample_findings(sample) == expected


@pytest.mark.parametrize("name", sorted(PURPOSE))
def test_sample_shows_what_it_is_there_for(name: str) -> None:
    found = {(f["rule"], f["severity"]) for f in json.loads((EXPECTED / f"{name}.json").read_text(encoding="utf-8"))}
    if PURPOSE[name] is None:
        assert found == set()
    else:
        assert PURPOSE[name] in found


def test_the_healthy_look_alikes_raise_only_the_recovered_ipc_retry() -> None:
    found = json.loads((EXPECTED / "windows-healthy-lookalikes.json").read_text(encoding="utf-8"))
    assert [(f["rule"], f["severity"]) for f in found] == [("ipc-failure", "warning")]


def test_every_sample_has_an_expected_file_and_no_stale_ones() -> None:
    assert {p.stem for p in EXPECTED.glob("*.json")} == {s.name for s in SAMPLES}
