"""analyze end to end: JSON document and schema, exit codes, config files, DataFrames."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from qoderlog import analysis as analysis_module
from qoderlog.config import load_config
from qoderlog.errors import ConfigError
from qoderlog.testing import analyze_text, rule_cases

SCHEMA = json.loads((Path(analysis_module.__file__).parent / "schemas" / "analysis.schema.json").read_text())
SLOW = next(c.log for c in rule_cases() if c.rule == "startup-slow" and "10.2 s" in c.name)


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qoderlog", *args], capture_output=True, text=True, input=stdin, timeout=120
    )


def test_json_of_every_rule_case_validates_against_the_schema() -> None:
    for case in rule_cases():
        jsonschema.validate(json.loads(analyze_text(case.log).to_json()), SCHEMA)


def test_schema_rejects_a_document_with_a_negative_latency() -> None:
    document = json.loads(analyze_text(SLOW).to_json())
    document["sessions"][0]["startup_latency_s"] = -1.0
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


def test_a_log_without_qoder_lines_has_no_findings_and_full_accounting(tmp_path: Path) -> None:
    log = tmp_path / "main.log"
    log.write_text(
        "2025-08-22 10:00:00.000 [info] Extension host with pid 1 started\n"
        "2025-08-22 10:00:01.000 [error] [Extension Host] boom\n"
        "    at x (y.js:1:1)\n\n",
        encoding="utf-8",
    )
    result = run("analyze", str(log), "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["findings"] == [] and document["sessions"] == []
    assert document["worst_severity"] is None
    assert document["stats"]["lines_read"] == 4
    assert document["stats"]["by_kind"] == {
        "event": 0,
        "unrecognised": 2,
        "continuation": 1,
        "blank": 1,
        "skipped": 0,
    }


def test_fail_on_sets_exit_status_1_only_at_or_above_the_severity(tmp_path: Path) -> None:
    log = tmp_path / "main.log"
    log.write_text(SLOW, encoding="utf-8")
    assert run("analyze", str(log), "--fail-on", "error").returncode == 1
    assert run("analyze", str(log), "--fail-on", "critical").returncode == 0
    assert run("analyze", str(log)).returncode == 0


def test_text_report_states_the_slow_start_and_its_remedy(tmp_path: Path) -> None:
    log = tmp_path / "main.log"
    log.write_text(SLOW, encoding="utf-8")
    out = run("analyze", str(log), "--no-color").stdout
    assert "ERROR" in out and "startup-slow" in out and "10.2 s" in out
    assert "antivirus exclusions" in out
    assert "\x1b[" not in out


def test_unreadable_input_is_reported_and_the_rest_analysed(tmp_path: Path) -> None:
    log = tmp_path / "main.log"
    log.write_text(SLOW, encoding="utf-8")
    missing = tmp_path / "gone.log"
    result = run("analyze", str(log), str(missing), "--format", "json")
    assert result.returncode == 0
    assert "gone.log" in result.stderr
    document = json.loads(result.stdout)
    statuses = {Path(i["source"]).name: i["status"] for i in document["inputs"]}
    assert statuses == {"main.log": "ok", "gone.log": "error"}
    assert [f["rule"] for f in document["findings"]] == ["startup-slow"]


def test_only_unreadable_inputs_exit_3(tmp_path: Path) -> None:
    assert run("analyze", str(tmp_path / "nope.log")).returncode == 3


def test_config_file_overrides_thresholds_toml_and_yaml(tmp_path: Path) -> None:
    log = tmp_path / "main.log"
    log.write_text(SLOW, encoding="utf-8")
    toml = tmp_path / "q.toml"
    toml.write_text("[rules.startup-slow]\nerror_s = 20\n", encoding="utf-8")
    document = json.loads(run("analyze", str(log), "--format", "json", "--config", str(toml)).stdout)
    assert [f["severity"] for f in document["findings"]] == ["warning"]
    yml = tmp_path / "q.yaml"
    yml.write_text("rules:\n  startup-slow:\n    enabled: false\n", encoding="utf-8")
    document = json.loads(run("analyze", str(log), "--format", "json", "--config", str(yml)).stdout)
    assert document["findings"] == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[rules.no-such-rule]\nx = 1\n", "unknown rule 'no-such-rule'"),
        ("[rules.startup-slow]\nwarn = 1\n", "has no threshold 'warn'"),
        ("[rules.startup-slow]\nwarning_s = 'fast'\n", "must be a non-negative number"),
        ("[rules.startup-slow\n", "not valid TOML"),
    ],
)
def test_bad_config_names_the_file_and_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert message in str(error.value) and "bad.toml" in str(error.value)
    log = tmp_path / "main.log"
    log.write_text(SLOW, encoding="utf-8")
    result = run("analyze", str(log), "--config", str(path))
    assert result.returncode == 2 and "bad.toml" in result.stderr


def test_dataframes_have_typed_columns() -> None:
    result = analyze_text(SLOW)
    sessions = result.sessions
    assert list(sessions["startup_latency_s"]) == [10.178]
    assert str(sessions["pid"].dtype) == "Int64"
    assert str(sessions["start_time"].dtype).startswith("datetime64")
    findings = result.findings
    assert list(findings["rule"]) == ["startup-slow"]
    assert findings["severity"].cat.ordered and list(findings["severity"]) == ["error"]
    assert len(result.events) == 3


def test_rules_command_documents_every_rule() -> None:
    out = run("rules", "--format", "markdown").stdout
    for rule_id in ("startup-slow", "stale-pid", "app-crash", "update-stuck"):
        assert f"## `{rule_id}`" in out
    assert "| `warning_s` | 5 |" in out
