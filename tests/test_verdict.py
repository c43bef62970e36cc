"""The verdict: four kinds, only one an all-clear; unexplained errors listed worst first, explained ones not."""

from __future__ import annotations

from pathlib import Path

from qoderlog.engine import Result, analyze
from qoderlog.testing import analyze_text
from qoderlog.verdict import MAX_UNREAD_NAMED, NO_COVERAGE, VerdictKind

SIDECAR_OK = (
    "2025-08-22 10:23:45.123 [info] [GoProcessService] Starting go process: C:\\Q\\bin\\x86_64_windows\\Qoder.exe"
    " start --workDir C:\\Q\\SharedClientCache\n"
    "2025-08-22 10:23:46.000 [info] [GoProcessService] Read cosy info from .info.json: port=56510, pid=21824,"
    " socketPath=\\\\.\\pipe\\qoder-cc4e6c, isDev=false\n"
)


def test_a_healthy_sidecar_is_all_clear_and_known_noise_is_set_aside() -> None:
    noise = "2025-08-22 10:24:00.000 [error] [Extension Host] DeprecationWarning: The `punycode` module is deprecated\n"
    verdict = analyze_text(SIDECAR_OK + noise).verdict
    assert verdict.kind is VerdictKind.ALL_CLEAR and verdict.headline == "No problems found"
    assert verdict.unexplained == () and verdict.known_noise == {"noise.node_deprecation": 1}
    assert verdict.sidecar_records == 2


def test_an_error_no_rule_explains_is_never_an_all_clear() -> None:
    log = SIDECAR_OK + "panic: runtime error: index out of range\n\ngoroutine 1 [running]:\nmain.main()\n"
    verdict = analyze_text(log).verdict
    assert verdict.kind is VerdictKind.UNEXPLAINED
    (panic,) = verdict.unexplained
    assert (panic.level, panic.count, panic.example.line) == ("critical", 1, 3)
    assert panic.detail == ("goroutine 1 [running]:", "main.main()")  # a panic keeps its goroutine dump


def test_no_sidecar_line_and_nothing_wrong_is_nothing_to_diagnose() -> None:
    result = analyze_text("2025-08-22 10:23:45.123 [info] update#setState idle\n")
    assert result.verdict.kind is VerdictKind.NOTHING_TO_DIAGNOSE
    assert "%APPDATA%\\Qoder\\logs" in result.verdict.sentence and "~/.qoder-server" in result.verdict.sentence
    assert result.coverage is None and NO_COVERAGE.startswith("—")


def test_lines_of_a_finding_it_does_not_show_are_explained_too() -> None:
    crash = (
        "[1:2:0101/1000{:02d}.000001:ERROR:gpu_process_host.cc(991)] GPU process exited unexpectedly: exit_code=139\n"
    )
    result = analyze_text("".join(crash.format(i) for i in range(20)))
    (finding,) = [f for f in result.finding_list if f.rule == "app-crash"]
    assert finding.metrics["count"] == 20 and len(finding.evidence) < 20
    assert result.verdict.kind is VerdictKind.PROBLEMS and result.verdict.unexplained == ()


def _analyze_files(tmp_path: Path, files: dict[str, bytes | None]) -> Result:
    """``analyze`` of the named files in ``tmp_path`` (``None``: a name given but no file written)."""
    paths = []
    for name, data in files.items():
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        paths.append(path)
    return analyze(paths)


def test_a_missing_file_reads_as_nothing_read_and_says_why_never_no_error(tmp_path: Path) -> None:
    verdict = _analyze_files(tmp_path, {"main.log": None}).verdict
    assert verdict.kind is VerdictKind.NOTHING_TO_DIAGNOSE
    assert verdict.headline == "Nothing read: 1 input(s) could not be read"
    assert f"{tmp_path / 'main.log'}: cannot read" in verdict.sentence and "No such file" in verdict.sentence
    assert "no error" not in verdict.sentence and verdict.unread == (verdict.unread[0],)
    assert verdict.to_dict()["unread"] == list(verdict.unread)


def test_a_binary_file_is_not_a_line_read(tmp_path: Path) -> None:
    verdict = _analyze_files(tmp_path, {"renderer.log": b"\x00\x01\x02\x00 binary\n"}).verdict
    assert verdict.headline.startswith("Nothing read: 1 input") and "binary" in verdict.sentence


def test_an_all_clear_over_unreadable_inputs_says_so(tmp_path: Path) -> None:
    result = _analyze_files(tmp_path, {"main.log": SIDECAR_OK.encode(), "renderer.log": b"\x00\x00\x00\x00\n"})
    verdict = result.verdict
    assert verdict.kind is VerdictKind.ALL_CLEAR and verdict.headline == "No problems found in what could be read"
    assert "renderer.log: binary file" in verdict.sentence and verdict.sentence.endswith("they may hold the problem.")
    # Every input read: the all-clear's own words.
    assert _analyze_files(tmp_path, {"main.log": SIDECAR_OK.encode()}).verdict.headline == "No problems found"


def test_a_problem_over_unreadable_inputs_names_them_and_counts_past_the_first_few(tmp_path: Path) -> None:
    crash = b"[1:2:0101/100000.000001:ERROR:gpu_process_host.cc(991)] GPU process exited unexpectedly: exit_code=139\n"
    missing: dict[str, bytes | None] = {f"gone{i}.log": None for i in range(MAX_UNREAD_NAMED + 2)}
    verdict = _analyze_files(tmp_path, {"main.log": crash, **missing}).verdict
    assert verdict.kind is VerdictKind.PROBLEMS and verdict.headline.startswith("1 problem(s) found")
    assert f"Also, {MAX_UNREAD_NAMED + 2} input(s) could not be read (" in verdict.sentence
    assert "; and 2 more)." in verdict.sentence and "gone0.log" in verdict.sentence
    assert "gone4.log" not in verdict.sentence and len(verdict.unread) == MAX_UNREAD_NAMED + 2
