"""Release health: manifest metadata, per (version, platform) rates, regressions with tests, signature lifecycle."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import jsonschema
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qoderlog.nightly.fleet import fleet_model
from qoderlog.nightly.lifecycle import signature_lifecycle
from qoderlog.nightly.release import baselines, release_health
from qoderlog.nightly.runners import run_batch
from qoderlog.nightly.warehouse import open_warehouse
from qoderlog.synth import scenario_lines

SCHEMA = json.loads((Path(__file__).parent.parent / "qoderlog" / "schemas" / "fleet.schema.json").read_text())

# uploads with a slow start of 40 per (version, platform): several times the share on Windows in 1.5.0, the same
# share on Linux in both versions.
PLAN = {("1.4.2", "windows"): 2, ("1.5.0", "windows"): 16, ("1.4.2", "linux"): 3, ("1.5.0", "linux"): 3}
PER_GROUP = 40


def write_release_inbox(root: Path) -> Path:
    """An inbox of small logs and a manifest naming each upload's app version (the platform is left to the logs)."""
    inbox = root / "inbox"
    inbox.mkdir(parents=True)
    rows = ["path,app_version,channel,ticket"]
    for (version, platform), slow in PLAN.items():
        for index in range(PER_GROUP):
            scenario = "slow_start" if index < slow else "healthy"
            lines = scenario_lines(
                scenario, platform=platform, framing="vscode", seed=f"{version}:{platform}:{index}", noise_lines=10
            )
            name = f"{version}-{platform}-{index:02d}.log"
            (inbox / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
            rows.append(f"inbox/{name},{version},stable,T-{index}")
    manifest = root / "manifest.csv"
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return manifest


@pytest.fixture(scope="module")
def release_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("release")
    summary = run_batch(write_release_inbox(root), root / "wh", workers=2, run_date=date(2026, 11, 29))
    assert summary.done == len(PLAN) * PER_GROUP
    return root / "wh"


def test_manifest_metadata_is_stored_with_each_upload(release_warehouse: Path) -> None:
    uploads = open_warehouse(release_warehouse).uploads
    assert sorted(uploads["app_version"].value_counts().items()) == [("1.4.2", 80), ("1.5.0", 80)]
    assert set(uploads["channel"]) == {"stable"}
    assert uploads["ticket"].str.startswith("T-").all()
    assert uploads["platform"].isna().all()  # not in the manifest: release health takes it from the logs


def test_fleet_json_reports_the_regression_on_one_platform_and_none_on_the_other(release_warehouse: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "qoderlog", "fleet", str(release_warehouse), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    releases = {(r["version"], r["platform"]): r for r in document["releases"]}
    assert set(releases) == set(PLAN)
    windows = releases[("1.5.0", "windows")]
    assert (windows["uploads"], windows["sessions"]) == (40, 80)
    shares = {s["signature"]: s["share"] for s in windows["signatures"]}
    assert shares["startup-slow:windows"] == 0.4
    assert releases[("1.4.2", "windows")]["signatures"][0]["share"] == 0.05
    assert windows["startup_latency_p95_s"] > releases[("1.4.2", "windows")]["startup_latency_p95_s"]
    regressions = {(r["platform"], r["what"]): r for r in document["regressions"]}
    slow = regressions[("windows", "startup-slow:windows")]
    assert (slow["version"], slow["baseline_version"]) == ("1.5.0", "1.4.2")
    assert (slow["value"], slow["baseline_value"], slow["uploads"], slow["baseline_uploads"]) == (0.4, 0.05, 40, 40)
    # Fisher's exact test, one-sided, on [[16, 24], [2, 38]]: p = 1.48e-4.
    assert slow["p_value"] == pytest.approx(1.48e-4, rel=0.01)
    assert slow["p_adjusted"] >= slow["p_value"]
    assert ("windows", "startup_latency_p95_s") in regressions
    assert not [r for r in document["regressions"] if r["platform"] == "linux"]


def test_the_baseline_is_the_previous_version_in_version_order_not_by_name() -> None:
    assert baselines(["1.10.0", "1.9.2", "1.9.10", "unknown", "2.0.0rc1", "2.0.0"]) == {
        "1.9.10": "1.9.2",
        "1.10.0": "1.9.10",
        "2.0.0rc1": "1.10.0",
        "2.0.0": "2.0.0rc1",
    }


def _frames(groups: dict[tuple[str, str], tuple[int, dict[str, int]]]) -> tuple[pd.DataFrame, ...]:
    """Uploads, sessions and findings for (version, platform) → (uploads, {signature: uploads hit})."""
    uploads, sessions, findings = [], [], []
    for (version, platform), (count, hits) in groups.items():
        for index in range(count):
            upload = f"{version}-{platform}-{index}"
            uploads.append({"upload_id": upload, "app_version": version, "platform": platform})
            sessions.append(
                {
                    "upload_id": upload,
                    "platform": platform,
                    "binary_version": None,
                    "is_start": True,
                    "startup_latency_s": 1.0 + index % 5,
                    "outcome": "ready",
                    "ipc_failures": 0,
                }
            )
            for signature, hit in hits.items():
                if index < hit:
                    findings.append({"upload_id": upload, "signature": signature, "rule": signature.split(":")[0]})
    return pd.DataFrame(uploads), pd.DataFrame(sessions), pd.DataFrame(findings)


def test_sixty_unchanged_signatures_and_small_samples_raise_no_regression() -> None:
    same = {f"rule-{n}:x": 4 + n % 7 for n in range(60)}
    groups = {("1.0.0", "linux"): (60, same), ("1.1.0", "linux"): (60, same), ("1.0.0", "mac"): (10, {})}
    groups[("1.1.0", "mac")] = (10, {"crash:x": 8})  # eight in ten, but ten uploads is below the minimum sample
    releases, regressions = release_health(*_frames(groups))
    assert regressions == []
    assert [(r["version"], r["platform"]) for r in releases] == [
        ("1.0.0", "linux"),
        ("1.1.0", "linux"),
        ("1.0.0", "mac"),
        ("1.1.0", "mac"),
    ]
    # With a real jump in one of the sixty, only that one is reported.
    jumped = dict(same, **{"rule-3:x": 30})
    _, regressions = release_health(*_frames({**groups, ("1.1.0", "linux"): (60, jumped)}))
    assert [(r["what"], r["value"], r["baseline_value"]) for r in regressions] == [("rule-3:x", 0.5, 0.1167)]


def test_a_parquet_manifest_is_read_like_a_csv_one(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for index in range(3):
        lines = scenario_lines("healthy", platform="macos", framing="vscode", seed=index, noise_lines=5)
        (inbox / f"u{index}.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = pa.table(
        {
            "path": [f"inbox/u{i}.log" for i in range(3)],
            "upload_id": ["a", "b", "c"],
            "app_version": ["2.0.0", None, "2.0.1"],
            "platform": ["darwin", "darwin", None],
        }
    )
    pq.write_table(table, tmp_path / "manifest.parquet")
    summary = run_batch(tmp_path / "manifest.parquet", tmp_path / "wh", workers=1)
    assert summary.done == 3
    uploads = open_warehouse(tmp_path / "wh").uploads.sort_values("upload_id")
    assert list(uploads["upload_id"]) == ["a", "b", "c"]
    assert list(uploads["app_version"].fillna("-")) == ["2.0.0", "-", "2.0.1"]
    releases = fleet_model(open_warehouse(tmp_path / "wh"))["releases"]
    labels = sorted((r["version"], r["platform"], r["uploads"]) for r in releases)
    # The manifest's platform wins; without it the logs' (macos); without a version the sidecar's own.
    assert ("2.0.0", "darwin", 1) in labels and ("2.0.1", "macos", 1) in labels
    assert len(labels) == 3 and all(v != "unknown" for v, _, _ in labels)


def _night_hits(nights: list[tuple[str, int, int]], signature: str = "ipc-failure:broken-pipe") -> pd.DataFrame:
    rows = []
    for night, total, hit in nights:
        for index in range(hit):
            rows.append(
                {
                    "signature": signature,
                    "rule": "ipc-failure",
                    "run_date": night,
                    "upload_id": f"{night}-{index}",
                    "version": "1.5.0" if night > "2026-11-05" else "1.4.2",
                }
            )
        del total
    return pd.DataFrame(rows, columns=["signature", "rule", "run_date", "upload_id", "version"])


def test_a_signature_that_appears_disappears_for_eight_nights_and_returns() -> None:
    start = date(2026, 11, 1)
    nights = [(start + timedelta(days=n)).isoformat() for n in range(12)]
    present = {0, 1, 10, 11}  # seen on two nights, absent for the eight between, back on the eleventh
    plan = [(night, 50, 2 if n in present else 0) for n, night in enumerate(nights)]
    hits = _night_hits(plan)
    totals = {night: total for night, total, _ in plan}
    statuses = []
    for night in nights:
        rows = signature_lifecycle(hits, totals, night)
        statuses.append(rows[0]["status"] if rows else None)
    assert statuses == [
        "new",
        "ongoing",
        *["ongoing"] * 6,  # absent fewer than 7 nights: still ongoing
        "resolved",  # 7 nights since it was last seen
        "resolved",
        "regressed",  # back after 8 nights away
        "ongoing",
    ]
    back = signature_lifecycle(hits, totals, nights[10])[0]
    assert (back["first_seen"], back["last_seen"]) == (nights[0], nights[10])
    assert back["versions"] == ["1.4.2", "1.5.0"]
    assert back["share_tonight"] == 0.04 and back["share_trailing"] == 0.0


def test_a_signature_whose_share_jumps_above_its_trailing_week_is_escalating() -> None:
    start = date(2026, 11, 1)
    nights = [(start + timedelta(days=n)).isoformat() for n in range(8)]
    plan = [(night, 100, 3) for night in nights[:-1]] + [(nights[-1], 100, 20)]
    hits = _night_hits(plan)
    totals = {night: total for night, total, _ in plan}
    row = signature_lifecycle(hits, totals, nights[-1])[0]
    assert (row["status"], row["share_tonight"], row["share_trailing"]) == ("escalating", 0.2, 0.03)
    steady = [(night, 100, 3) for night in nights]
    assert signature_lifecycle(_night_hits(steady), totals, nights[-1])[0]["status"] == "ongoing"


def test_release_view_html_has_the_regressions_and_trend_charts_and_no_script(release_warehouse: Path) -> None:
    import io

    from qoderlog.reporters.fleet_report import render_fleet
    from qoderlog.rules.registry import startup_thresholds

    out = io.StringIO()
    render_fleet(open_warehouse(release_warehouse), out, fmt="html")
    page = out.getvalue()
    assert "<script" not in page and "Content-Security-Policy" in page
    release = page[page.index('id="releases"') : page.index('id="signatures"')]
    assert "<code>startup-slow:windows</code></td><td><strong>40.0%</strong></td><td>5.0%</td><td>1.4.2</td>" in release
    assert release.count('class="regression"') == 2  # the signature and the p95 on Windows; nothing on Linux
    for title in ("Rates per version, one panel per platform", "Daily share of the top signatures"):
        assert f"<h3>{title}</h3>" in page
    assert page.count("data:image/svg+xml;base64,") == 5
    warning = startup_thresholds()["warning_s"]
    assert f"startup-slow's {warning:g} s warning" in page


def test_markdown_fleet_report_writes_its_charts_as_pngs_beside_it(release_warehouse: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from qoderlog.cli import cli

    target = tmp_path / "fleet.md"
    result = CliRunner().invoke(cli, ["fleet", str(release_warehouse), "--format", "markdown", "-o", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    charts = sorted(p.name for p in (tmp_path / "fleet-charts").iterdir())
    assert charts == ["latency.png", "release_rates.png", "rules.png", "signatures.png", "version_latency.png"]
    for name in charts:
        assert f"](fleet-charts/{name})" in text
        assert (tmp_path / "fleet-charts" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| windows | 1.5.0 | `startup-slow:windows` | 40.0% | 5.0% | 1.4.2 |" in text


def test_a_new_template_without_a_component_shows_no_nan(tmp_path: Path) -> None:
    """Regression: a template whose component was missing read back from Parquet as NaN and the page said "nan"."""
    import io

    from qoderlog.nightly.warehouse import Upload, UploadResult, Warehouse
    from qoderlog.reporters.fleet_report import render_fleet

    store = Warehouse(tmp_path / "wh", create=True)
    template = {
        "template_id": "T1",
        "template": "something <*> odd",
        "count": 2,
        "level": "warning",
        "component": None,
        "qoder_related": True,
        "example": {"source": "main.log", "line": 3, "text": "something 42 odd"},
    }
    result = UploadResult(
        upload=Upload(upload_id="u" * 64, path="bundle.zip", size=1, mtime=0.0),
        status="done",
        reason=None,
        analysed_at="2026-11-29T00:00:00+00:00",
        duration_s=0.1,
        templates=(template,),
    )
    store.commit([result], run_id="r1", run_date="2026-11-29", keep_events=False)
    model = fleet_model(store)
    assert model["new_templates"][0]["component"] is None
    out = io.StringIO()
    render_fleet(store, out, fmt="html")
    row = out.getvalue().split('id="new-templates"')[1].split("</table>")[0]
    assert "something &lt;*&gt; odd" in row and "nan" not in row
    assert "main.log:3" in row


def test_synth_warehouse_has_the_injected_regression_and_the_returning_signature(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from qoderlog.cli import cli
    from qoderlog.synth.warehouse import REGRESSED_PLATFORM, REGRESSED_VERSION, RETURNING

    result = CliRunner().invoke(
        cli, ["synth", "warehouse", str(tmp_path / "wh"), "--nights", "14", "--uploads-per-night", "100"]
    )
    assert result.exit_code == 0, result.output
    made = json.loads(result.output)
    assert made["uploads"] == 1400 and made["returning"]["nights"][-1] == "2026-11-30"
    model = fleet_model(open_warehouse(tmp_path / "wh"))
    jsonschema.validate(model, SCHEMA)
    assert [n["uploads"] for n in model["per_night"]] == [100] * 14
    found = {f"{r['version']}/{r['platform']}": r["uploads"] for r in model["releases"]}
    assert found == made["by_version_platform"]
    regressed = {(r["version"], r["platform"]) for r in model["regressions"] if r["baseline_version"] == "1.4.2"}
    assert regressed == {(REGRESSED_VERSION, REGRESSED_PLATFORM)}
    what = {r["what"] for r in model["regressions"] if r["version"] == REGRESSED_VERSION}
    assert {"startup-slow:windows", "startup_latency_p95_s"} <= what
    statuses = {s["signature"]: s["status"] for s in model["signatures"]}
    assert statuses[RETURNING] == "regressed"
    week = fleet_model(open_warehouse(tmp_path / "wh"), nights=7)
    assert week["nights"] == model["nights"][-7:] and sum(n["uploads"] for n in week["per_night"]) == 700
    # The lifecycle looks at the whole history, not only the nights shown: the signature is still "regressed".
    assert {s["signature"]: s["status"] for s in week["signatures"]}[RETURNING] == "regressed"
