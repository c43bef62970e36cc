"""Lines → records: each framing's header, levels, components, continuation lines, bare snippets, counts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from qoderlog.model import Framing, LineKind, Record
from qoderlog.patterns import load_patterns
from qoderlog.read.framing import (
    MAX_DETAIL_CHARS,
    MAX_DETAIL_LINES,
    frame_lines,
    make_record,
    match_header,
    normalise_level,
    parse_json_record,
    parse_timestamp,
    split_component,
)

LIBRARY = load_patterns()


def header(text: str) -> Record:
    found = match_header(text)
    assert found is not None, f"not a header: {text!r}"
    framing, match = found
    return make_record(framing, match, source="t.log", line=7, text=text)


def frame(
    lines: list[str],
    *,
    everything: bool = False,
    recognises: Callable[[Record], bool] | None = None,
) -> tuple[list[tuple[Record, tuple[str, ...]]], dict[str, int]]:
    """Records and counts of ``lines``; ``everything`` builds every header (no prefilter)."""
    counts: dict[str, int] = {}
    records = list(
        frame_lines(
            lines,
            source="t.log",
            is_candidate=(lambda _text: True) if everything else LIBRARY.is_candidate,
            recognises=recognises or LIBRARY.recognises,
            counts=counts,
        )
    )
    return records, counts


def assert_all_counted(lines: list[str], records: list, counts: dict[str, int]) -> None:
    assert len(records) + sum(counts.values()) == len(lines)


# --- headers -------------------------------------------------------------------------------


def test_vscode_header() -> None:
    record = header("2025-08-22 10:23:45.123 [info] [GoProcessService] Starting go process: /opt/Qoder start")
    assert record.framing is Framing.VSCODE
    assert record.timestamp == datetime(2025, 8, 22, 10, 23, 45, 123000)
    assert record.timestamp.tzinfo is None
    assert (record.level, record.component, record.logger) == ("info", "GoProcessService", None)
    assert record.message == "Starting go process: /opt/Qoder start"
    assert (record.source, record.line) == ("t.log", 7)
    assert record.text.startswith("2025-08-22 10:23:45.123 [info] [GoProcessService]")


def test_spdlog_header() -> None:
    record = header("[2021-05-14 09:12:33.420] [main] [warning] update#setState checking for updates")
    assert record.framing is Framing.SPDLOG
    assert record.timestamp == datetime(2021, 5, 14, 9, 12, 33, 420000)
    assert (record.level, record.logger, record.component) == ("warning", "main", "update")
    assert record.message == "update#setState checking for updates"


def test_console_header_with_z_is_aware_utc() -> None:
    record = header("[main 2019-09-03T15:29:47.100Z] update#setState idle")
    assert record.framing is Framing.CONSOLE
    assert record.timestamp == datetime(2019, 9, 3, 15, 29, 47, 100000, tzinfo=UTC)
    assert record.timestamp.utcoffset().total_seconds() == 0
    assert (record.level, record.logger, record.component) == (None, "main", "update")
    assert record.message == "update#setState idle"


def test_console_header_without_z_is_naive() -> None:
    record = header("[sharedprocess 2019-09-03T15:29:47.100] CodeWindow: detected unresponsive")
    assert record.timestamp == datetime(2019, 9, 3, 15, 29, 47, 100000)
    assert record.timestamp.tzinfo is None
    assert (record.logger, record.component) == ("sharedprocess", "CodeWindow")
    assert record.message == "CodeWindow: detected unresponsive"


def test_json_header() -> None:
    line = json.dumps(
        {
            "timestamp": "2025-08-22T02:23:45Z",
            "level": "ERROR",
            "category": "process_management",
            "message": "Process startup failed",
            "attempt": 3,
            "error": "fork/exec Qoder.exe: Access is denied.",
        }
    )
    record = header(line)
    assert record.framing is Framing.JSON
    assert record.timestamp == datetime(2025, 8, 22, 2, 23, 45, tzinfo=UTC)
    assert (record.level, record.logger, record.component) == ("error", "process_management", None)
    assert record.message == "Process startup failed"
    assert record.fields == {
        "category": "process_management",
        "attempt": 3,
        "error": "fork/exec Qoder.exe: Access is denied.",
    }
    assert record.text == line


def test_json_message_tag_and_component_key() -> None:
    tagged = header('{"time": "2025-08-22T02:23:45Z", "lvl": "warn", "msg": "[IPC] Checking IPC availability..."}')
    assert (tagged.component, tagged.message, tagged.level) == ("IPC", "Checking IPC availability...", "warning")
    named = header('{"level": "info", "message": "ready", "logger": "cosy"}')
    assert (named.component, named.timestamp) == ("cosy", None)


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        (1755829425, datetime(2025, 8, 22, 2, 23, 45, tzinfo=UTC)),
        (1755829425123, datetime(2025, 8, 22, 2, 23, 45, 123000, tzinfo=UTC)),
        ("2025-08-22T10:23:45+08:00", datetime(2025, 8, 22, 2, 23, 45, tzinfo=UTC)),
        ("not a time", None),
        (1e300, None),
        (True, None),
    ],
    ids=["seconds", "milliseconds", "offset", "text", "huge", "bool"],
)
def test_json_timestamps(stamp: object, expected: datetime | None) -> None:
    record = header(json.dumps({"timestamp": stamp, "level": "info", "message": "x"}))
    assert record.timestamp == expected


def test_zoned_timestamps_are_kept_in_utc() -> None:
    """Regression: a +08:00 stamp stayed in +08:00, so tables showed local wall time flagged as UTC."""
    stamp = parse_timestamp("2025-08-22T10:23:45.5+08:00")
    assert stamp == datetime(2025, 8, 22, 2, 23, 45, 500000, tzinfo=UTC)
    assert stamp.utcoffset().total_seconds() == 0
    assert parse_timestamp("0001-01-01T00:00:00+01:00") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-08-22 10:23:45.123", datetime(2025, 8, 22, 10, 23, 45, 123000)),
        ("2025-08-22 10:23:45,123", datetime(2025, 8, 22, 10, 23, 45, 123000)),
        ("2025-08-22T10:23:45", datetime(2025, 8, 22, 10, 23, 45)),
        ("2025-08-22T10:23:45Z", datetime(2025, 8, 22, 10, 23, 45, tzinfo=UTC)),
        ("2025-13-45 10:23:45", None),
        ("2025-08-22 25:00:00", None),
    ],
)
def test_parse_timestamp(text: str, expected: datetime | None) -> None:
    assert parse_timestamp(text) == expected


def test_invalid_date_in_a_header_gives_no_timestamp() -> None:
    record = header("2025-02-30 10:23:45.123 [info] [IPC] Checking IPC availability...")
    assert record.timestamp is None
    assert record.message == "Checking IPC availability..."


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("warn", "warning"),
        ("WARN", "warning"),
        ("warning", "warning"),
        ("ERROR", "error"),
        ("err", "error"),
        ("Information", "info"),
        ("trace", "trace"),
        ("fatal", "critical"),
        ("CRITICAL", "critical"),
        ("Verbose", "verbose"),
        (None, None),
    ],
)
def test_levels_are_normalised(level: str | None, expected: str | None) -> None:
    assert normalise_level(level) == expected


def test_header_level_is_normalised() -> None:
    assert header("2025-08-22 10:23:45.123 [warn] x").level == "warning"
    assert header("[2021-05-14 09:12:33.420] [main] [ERROR] x").level == "error"


@pytest.mark.parametrize(
    ("rest", "component", "message"),
    [
        ("[GoProcessService] Process PID=1 no longer exists", "GoProcessService", "Process PID=1 no longer exists"),
        ("[IPC] Checking IPC availability...", "IPC", "Checking IPC availability..."),
        ("[IPC]: Checking", "IPC", "Checking"),
        ("update#setState idle", "update", "update#setState idle"),
        (
            "CodeWindow: renderer process gone (reason: oom, code: 1)",
            "CodeWindow",
            "CodeWindow: renderer process gone (reason: oom, code: 1)",
        ),
        ("check start cosy async", None, "check start cosy async"),
        ("[uncaught exception in main]: Error: x", None, "[uncaught exception in main]: Error: x"),
    ],
)
def test_split_component(rest: str, component: str | None, message: str) -> None:
    assert split_component(rest) == (component, message)


def test_lines_that_are_not_headers() -> None:
    for text in ("", "   at foo", "plain text", "{", "[not a header]", "2025 is a year", '{"a": 1}', "<3> sample"):
        assert match_header(text) is None, text


# --- JSON lines: records or payloads -------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        '{"command": "ls -la", "cwd": "/root"}',
        '{"message": "no level or time here"}',
        '{"level": "info", "message": 42}',
        '["message", "level"]',
        '{"message": "x", "level": "info"',
        "{" * 10_000,
        '{"message": ' * 5_000 + '"x"' + "}" * 5_000,
    ],
    ids=["payload", "message-only", "message-not-text", "array", "broken", "deep-braces", "deep-message"],
)
def test_json_lines_that_are_not_records(line: str) -> None:
    assert parse_json_record(line) is None
    assert match_header(line) is None


def test_json_record_needs_message_and_level_or_time() -> None:
    assert parse_json_record('{"level": "INFO", "message": "x"}') == {"level": "INFO", "message": "x"}
    assert parse_json_record('{"ts": 1, "msg": "x"}') == {"ts": 1, "msg": "x"}


def test_json_payload_lines_continue_the_record_before() -> None:
    lines = [
        "2025-08-22 10:23:45.123 [info] ToolInvoke : run_in_terminal",
        "{",
        '  "command": "npm test",',
        '  "message": "not a record, no level"',
        "}",
        '{"timestamp": "2025-08-22T02:23:46Z", "level": "INFO", "message": "a JSON record"}',
        '{"command": "ls"}',
    ]
    records, counts = frame(lines, everything=True)
    assert [(r.line, r.framing, r.message) for r, _ in records] == [
        (1, Framing.VSCODE, "ToolInvoke : run_in_terminal"),
        (6, Framing.JSON, "a JSON record"),
    ]
    assert records[0][1] == tuple(lines[1:5])
    assert records[1][1] == ('{"command": "ls"}',)
    assert counts[LineKind.CONTINUATION] == 5
    assert_all_counted(lines, records, counts)


def test_deeply_nested_braces_do_not_crash_framing() -> None:
    lines = ["2025-08-22 10:23:45.123 [info] [GoProcessService] Health check failed: x", "{" * 10_000, "[" * 10_000]
    records, counts = frame(lines)
    assert len(records) == 1
    assert records[0][1] == ("{" * MAX_DETAIL_CHARS, "[" * MAX_DETAIL_CHARS)
    assert counts[LineKind.CONTINUATION] == 2


# --- continuation lines ---------------------------------------------------------------------


def test_stack_traces_and_sample_markers_attach_to_the_record_before() -> None:
    lines = [
        "2025-08-22 10:23:45.123 [error] [GoProcessService] Health check failed: read ECONNRESET",
        "Error: read ECONNRESET",
        "    at TCP.onStreamRead (node:internal/stream_base_commons:217:20)",
        "\tat process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
        "<3> sample 1",
        "",
        "2025-08-22 10:23:46.000 [info] [IPC] Checking IPC availability...",
    ]
    records, counts = frame(lines)
    assert [(r.line, r.message) for r, _ in records] == [
        (1, "Health check failed: read ECONNRESET"),
        (7, "Checking IPC availability..."),
    ]
    assert records[0][1] == tuple(lines[1:5])
    assert records[1][1] == ()
    assert counts == {LineKind.UNRECOGNISED: 0, LineKind.CONTINUATION: 4, LineKind.BLANK: 1}
    assert_all_counted(lines, records, counts)


def test_continuations_of_a_noise_header_are_counted_not_kept() -> None:
    lines = ["2025-08-22 10:23:45.123 [info] some other extension", "    at x", "more"]
    records, counts = frame(lines)
    assert records == []
    assert counts == {LineKind.UNRECOGNISED: 1, LineKind.CONTINUATION: 2, LineKind.BLANK: 0}


def test_detail_is_capped() -> None:
    lines = ["2025-08-22 10:23:45.123 [error] [GoProcessService] Health check failed: x"]
    lines += [f"    at frame{i} " + "z" * (MAX_DETAIL_CHARS + 10) for i in range(MAX_DETAIL_LINES + 5)]
    ((_record, detail),), counts = frame(lines)
    assert len(detail) == MAX_DETAIL_LINES
    assert {len(line) for line in detail} == {MAX_DETAIL_CHARS}
    assert counts[LineKind.CONTINUATION] == MAX_DETAIL_LINES + 5


# --- bare snippets --------------------------------------------------------------------------


def test_bare_snippet_gives_one_record_per_unindented_line() -> None:
    lines = [
        "[GoProcessService] Starting go process: C:\\Users\\张伟\\Qoder.exe start",
        "[GoProcessService] Read cosy info from .info.json: port=56510, pid=21824",
        "    at something (x.js:1:1)",
        "",
        "a line of the ticket text",
        "update#setState idle",
    ]
    records, counts = frame(lines)
    assert [(r.line, r.framing, r.component, r.timestamp, r.level) for r, _ in records] == [
        (1, Framing.BARE, "GoProcessService", None, None),
        (2, Framing.BARE, "GoProcessService", None, None),
        (6, Framing.BARE, "update", None, None),
    ]
    assert records[1][1] == ("    at something (x.js:1:1)",)
    assert counts == {LineKind.UNRECOGNISED: 1, LineKind.CONTINUATION: 1, LineKind.BLANK: 1}
    assert_all_counted(lines, records, counts)


def test_every_unindented_snippet_line_is_a_record_when_everything_is_a_candidate() -> None:
    lines = ["one", "two", "  indented", "three"]
    records, counts = frame(lines, everything=True)
    assert [r.text for r, _ in records] == ["one", "two", "three"]
    assert records[1][1] == ("  indented",)
    assert counts[LineKind.CONTINUATION] == 1


def test_recognised_bare_line_amid_framed_lines_stands_alone() -> None:
    lines = [
        "2025-08-22 10:23:45.123 [info] [GoProcessService] Starting go process: /opt/Qoder start",
        "[GoProcessService] Process PID=17376 no longer exists, cleaning up config files only",
        "Process PID=17376 is mentioned but not recognised",
        "2025-08-22 10:23:46.000 [info] update#setState idle",
    ]
    records, counts = frame(lines)
    assert [(r.line, r.framing) for r, _ in records] == [
        (1, Framing.VSCODE),
        (2, Framing.BARE),
        (4, Framing.VSCODE),
    ]
    assert records[0][1] == ()
    assert records[1][1] == ("Process PID=17376 is mentioned but not recognised",)
    assert LIBRARY.match(records[1][0]).type == "process.gone"
    assert_all_counted(lines, records, counts)


def test_unrecognised_candidate_amid_framed_lines_is_a_continuation() -> None:
    lines = ["2025-08-22 10:23:45.123 [info] [IPC] Checking IPC availability...", "exited with code but not a pattern"]
    records, counts = frame(lines)
    assert len(records) == 1
    assert records[0][1] == ("exited with code but not a pattern",)
    assert counts[LineKind.CONTINUATION] == 1


def test_counts_add_to_existing_totals_and_span_is_reported() -> None:
    counts = {LineKind.BLANK: 10}
    span: dict[str, datetime | None] = {}
    lines = [
        "2025-08-22 10:23:45.123 [info] noise",
        "",
        "[main 2019-09-03T15:29:47.100Z] update#setState idle",
        "2025-08-22 11:00:00.000 [info] noise again",
    ]
    records = list(
        frame_lines(
            lines,
            source="t.log",
            is_candidate=LIBRARY.is_candidate,
            recognises=LIBRARY.recognises,
            counts=counts,
            span=span,
        )
    )
    assert len(records) == 1
    assert counts == {LineKind.BLANK: 11, LineKind.UNRECOGNISED: 2, LineKind.CONTINUATION: 0}
    assert span == {"first": datetime(2025, 8, 22, 10, 23, 45, 123000), "last": datetime(2025, 8, 22, 11)}


def test_counts_are_kept_when_the_iteration_is_abandoned() -> None:
    counts: dict[str, int] = {}
    lines = ["2025-08-22 10:23:45.123 [info] update#setState idle", "", "", "update#setState idle"]
    iterator = frame_lines(
        iter(lines), source="t.log", is_candidate=LIBRARY.is_candidate, recognises=LIBRARY.recognises, counts=counts
    )
    next(iterator)
    iterator.close()
    assert counts[LineKind.BLANK] == 2
