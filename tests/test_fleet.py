"""Fleet report: states the injected mix, finds new and regressed signatures, renders safely."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from qoderlog.nightly.fleet import baseline_context, fleet_model
from qoderlog.nightly.runners import run_batch
from qoderlog.nightly.warehouse import open_warehouse
from qoderlog.synth import write_inbox


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("fleet")
    mix = write_inbox(root / "inbox", uploads=160, seed=3)
    run_batch(root / "inbox", root / "wh", workers=2, run_date=date(2026, 11, 29))
    return root, mix


def test_fleet_states_the_injected_share_of_slow_starts_per_platform(fleet: tuple[Path, dict]) -> None:
    root, mix = fleet
    model = fleet_model(open_warehouse(root / "wh"))
    assert model["per_night"] == [{"night": "2026-11-29", "uploads": 160, "done": 160, "failed": 0, "quarantined": 0}]
    slow = {r["platform"]: r for r in model["rules_by_platform"] if r["rule"] == "startup-slow"}
    for platform in mix["platforms"]:
        injected = mix["pairs"].get(f"slow_start/{platform}", 0)
        found = slow.get(platform, {"uploads": 0})["uploads"]
        assert found == injected, platform
    rules = {r["rule"]: r for r in model["rules"]}
    assert rules["startup-slow"]["uploads_tonight"] == mix["scenarios"]["slow_start"]
    assert model["latency"]["overall"]["count"] > 0
    assert model["latency"]["overall"]["p99"] >= model["latency"]["overall"]["p50"]


def test_new_and_ongoing_signatures_across_nights(tmp_path: Path) -> None:
    cases = Path(__file__).parent.parent / "qoderlog" / "rules" / "cases"
    from qoderlog.testing import rule_cases

    slow = [c for c in rule_cases(cases) if c.rule == "startup-slow" and c.expect]
    ipc = [c for c in rule_cases(cases) if c.rule == "ipc-failure" and c.expect]
    healthy = [c for c in rule_cases(cases) if not c.expect]

    def night(name: str, logs: list[str]) -> Path:
        inbox = tmp_path / name
        inbox.mkdir()
        for index, log in enumerate(logs):
            (inbox / f"{name}-{index}.log").write_text(log + f"    {name} {index}\n", encoding="utf-8")
        return inbox

    first = night("n1", [slow[0].log] + [c.log for c in healthy[:9]])
    run_batch(first, tmp_path / "wh", workers=1, run_date=date(2026, 11, 27))
    second = night("n2", [slow[0].log] * 4 + [ipc[0].log] + [c.log for c in healthy[:5]])
    run_batch(second, tmp_path / "wh", workers=1, run_date=date(2026, 11, 28))
    model = fleet_model(open_warehouse(tmp_path / "wh"))
    signatures = {s["signature"]: s for s in model["signatures"]}
    assert signatures["ipc-failure:tcp-fallback"]["status"] == "new"
    windows = signatures["startup-slow:windows"]
    # 4 in 10 tonight against 1 in 10 the night before: ten uploads a night is below the minimum sample for
    # "escalating", so it is ongoing (the statistics are tested in test_release).
    assert windows["status"] == "ongoing" and (windows["share_tonight"], windows["share_trailing"]) == (0.4, 0.1)
    assert (windows["first_seen"], windows["uploads_tonight"], windows["uploads"]) == ("2026-11-27", 4, 5)
    assert windows["examples"] and windows["examples"][0]["path"].endswith(".log")


def test_fleet_cli_writes_safe_self_contained_html_and_markdown(fleet: tuple[Path, dict]) -> None:
    root, _ = fleet
    html = subprocess.run(
        [sys.executable, "-m", "qoderlog", "fleet", str(root / "wh")], capture_output=True, text=True, timeout=120
    )
    assert html.returncode == 0, html.stderr
    assert "Content-Security-Policy" in html.stdout and "<script" not in html.stdout
    assert "startup-slow" in html.stdout and "data:image/svg+xml;base64," in html.stdout
    markdown = subprocess.run(
        [sys.executable, "-m", "qoderlog", "fleet", str(root / "wh"), "--format", "markdown"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "## Share of uploads hit by each rule" in markdown.stdout
    assert "| `startup-slow` |" in markdown.stdout


def test_batch_writes_the_fleet_report_into_the_warehouse(tmp_path: Path) -> None:
    write_inbox(tmp_path / "inbox", uploads=5, seed=9)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "qoderlog",
            "batch",
            str(tmp_path / "inbox"),
            "--out",
            str(tmp_path / "wh"),
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "5 done" in result.stderr
    assert "<h1>Fleet report" in (tmp_path / "wh" / "fleet.html").read_text(encoding="utf-8")


def test_baseline_places_a_latency_among_the_fleet(fleet: tuple[Path, dict]) -> None:
    root, _ = fleet
    document = {
        "sessions": [{"id": "s1", "startup_latency_s": 1000.0}, {"id": "s2", "startup_latency_s": 0.0}],
        "findings": [{"signature": "startup-slow:windows"}, {"signature": "never-seen"}],
    }
    context = baseline_context(open_warehouse(root / "wh"), document)
    assert context["sessions"]["s1"]["latency_percentile"] == 100.0
    assert context["sessions"]["s2"]["latency_percentile"] == 0.0
    assert context["signatures"]["startup-slow:windows"]["uploads"] > 0
    assert context["signatures"]["never-seen"]["uploads"] == 0


def test_analyze_with_baseline_puts_findings_in_fleet_context_in_every_format(fleet: tuple[Path, dict]) -> None:
    import json

    import jsonschema

    root, _ = fleet
    sample = Path(__file__).parent.parent / "sample_logs" / "windows-slow-start"
    schema = json.loads((Path(__file__).parent.parent / "qoderlog" / "schemas" / "analysis.schema.json").read_text())
    outputs = {}
    for fmt in ("json", "text", "markdown", "html"):
        command = [sys.executable, "-m", "qoderlog", "analyze", str(sample), "--baseline", str(root / "wh")]
        result = subprocess.run([*command, "--format", fmt], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        outputs[fmt] = result.stdout
    document = json.loads(outputs["json"])
    jsonschema.validate(document, schema)
    slow = next(f for f in document["findings"] if f["rule"] == "startup-slow")
    assert slow["fleet_context"][0].startswith("startup 10.2 s — slower than ")
    assert "of the last" not in slow["fleet_context"][0]
    for fmt in ("text", "markdown", "html"):
        assert "startup 10.2 s — slower than" in outputs[fmt], fmt


def test_fleet_html_of_a_night_without_findings_renders(tmp_path: Path) -> None:
    """Regression: the template's strict undefined failed on ``images.rules`` when no rule had fired (found by
    the hostile-input corpus: ``qoderlog batch`` on an inbox of healthy or empty uploads crashed at the end)."""
    import io

    from qoderlog.reporters.fleet_report import render_fleet

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "main.log").write_text("2025-08-22 10:23:45.120 [info] nothing to see\n", encoding="utf-8")
    run_batch(inbox, tmp_path / "wh", workers=1)
    store = open_warehouse(tmp_path / "wh")
    try:
        out = io.StringIO()
        render_fleet(store, out, fmt="html")
    finally:
        store.close()
    assert "<html" in out.getvalue()
    assert "Rule share per night" not in out.getvalue()
