"""Lines → records (read.framing, read.headers): each header, levels, components, continuation lines, snippets, counts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from qoderlog.model import Framing, LineKind, Record
from qoderlog.patterns import load_patterns
from qoderlog.read.framing import MAX_DETAIL_CHARS, MAX_DETAIL_LINES, frame_lines
from qoderlog.read.headers import (
    bare_level,
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


# --- the framings real pastes bring (issue 13) ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "framing", "level", "logger", "message"),
    [
        (
            "[12345:67890:0903/152947.123456:ERROR:gpu_process_host.cc(1007)] GPU process exited unexpectedly: "
            "exit_code=139",
            Framing.CHROMIUM,
            "error",
            "gpu_process_host.cc(1007)",
            "GPU process exited unexpectedly: exit_code=139",
        ),
        ("[4242:0903/152947.1:WARNING:x.cc(2)] w", Framing.CHROMIUM, "warning", "x.cc(2)", "w"),
        ("[0903/152947.123:FATAL:crashpad_client.cc(9)] f", Framing.CHROMIUM, "critical", "crashpad_client.cc(9)", "f"),
        ("[1:2:0903/152947.123456:VERBOSE1:y.cc(2)] v", Framing.CHROMIUM, "debug", "y.cc(2)", "v"),
        # Chromium since 2024 (Electron 30 on): the place as path:line, the path from the source root
        (
            "[0531/122942.115822:FATAL:electron/shell/app/electron_main_delegate_mac.mm:72] Unable to find helper app",
            Framing.CHROMIUM,
            "critical",
            "electron/shell/app/electron_main_delegate_mac.mm:72",
            "Unable to find helper app",
        ),
        (
            "[63276:21527784:1104/194243.633835:ERROR:net/socket/ssl_client_socket_impl.cc:916] handshake failed",
            Framing.CHROMIUM,
            "error",
            "net/socket/ssl_client_socket_impl.cc:916",
            "handshake failed",
        ),
        (
            "[8324:0821/124734.642:ERROR:content\\browser\\gpu\\gpu_process_host.cc:999] GPU process exited",
            Framing.CHROMIUM,
            "error",
            "content\\browser\\gpu\\gpu_process_host.cc:999",
            "GPU process exited",
        ),
        ("E0628 12:37:38.181530 15509 file.go:60] could not", Framing.GLOG, "error", "file.go:60", "could not"),
        ("F0101 00:00:00.000001    7 main.cc:1] fatal", Framing.GLOG, "critical", "main.cc:1", "fatal"),
        (
            "[Error - 9:21:56 AM] Connection to server got closed.",
            Framing.LSP,
            "error",
            "lsp",
            "Connection to server got closed.",
        ),
        ("[Info  - 10:20:30 PM] Starting", Framing.LSP, "info", "lsp", "Starting"),
        ("[Warn  - 21:20:30] w", Framing.LSP, "warning", "lsp", "w"),
        (
            "panic: runtime error: index out of range",
            Framing.GO_PANIC,
            "critical",
            None,
            "panic: runtime error: index out of range",
        ),
        (
            "fatal error: concurrent map writes",
            Framing.GO_PANIC,
            "critical",
            None,
            "fatal error: concurrent map writes",
        ),
        (
            "[main 3:45:14 PM] TypeError: x is not a function",
            Framing.CLOCK,
            "error",
            "main",
            "TypeError: x is not a function",
        ),
        ("SIGABRT: abort", Framing.GO_PANIC, "critical", None, "SIGABRT: abort"),
        ("SIGSEGV: segmentation violation", Framing.GO_PANIC, "critical", None, "SIGSEGV: segmentation violation"),
        (
            "runtime/cgo: pthread_create failed: Resource temporarily unavailable",
            Framing.GO_PANIC,
            "critical",
            None,
            "runtime/cgo: pthread_create failed: Resource temporarily unavailable",
        ),
        ("SyntaxError: Unexpected token ','", Framing.STACK, "error", None, "SyntaxError: Unexpected token ','"),
        ("Error: spawn /x/Qoder ENOENT", Framing.STACK, "error", None, "Error: spawn /x/Qoder ENOENT"),
        (
            "TypeError: Cannot read properties of undefined",
            Framing.STACK,
            "error",
            None,
            "TypeError: Cannot read properties of undefined",
        ),
        (
            "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'x'",
            Framing.STACK,
            "error",
            None,
            "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'x'",
        ),
    ],
)
def test_headers_without_a_date(text: str, framing: Framing, level: str, logger: str | None, message: str) -> None:
    record = header(text)
    assert (record.framing, record.level, record.logger, record.message) == (framing, level, logger, message)
    assert record.timestamp is None  # no year (or no date at all): never a guessed time


@pytest.mark.parametrize(
    ("message", "level"),
    [
        ("Error: EPERM: operation not permitted, rename 'a' -> 'b'", "error"),
        ("Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'x'", "error"),
        ("TypeError: x is not a function", "error"),
        ("Errors: 0", None),
        ("update#setState idle", None),
        ("MyError: not a known name", None),
    ],
)
def test_a_console_line_whose_message_is_a_javascript_error_is_an_error(message: str, level: str | None) -> None:
    record = header(f"[main 2023-06-20T08:33:18.000Z] {message}")
    assert (record.framing, record.level, record.message) == (Framing.CONSOLE, level, message)
    assert header(f"2023-06-20 08:33:18.000 [info] {message}").level == "info"  # a level of its own stays


@pytest.mark.parametrize(
    "text",
    [
        "E9999 not glog",
        "E0628 12:37:38 15509 file.go:60] no fraction",
        "[Error] not a language client",
        "[1:2:1399/152947.123456:ERROR:x.cc(1)] month 13",
        "[0531/122942.115822:FATAL:electron_main_delegate_mac] no line",
        "[0531/122942.115822:ERROR:file.cc:] no number",
        "[0531/122942.115822:ERROR:line:72] no file name",
        "panicked: no",
        "Errors: plural",
        "MyError: not a known name",
        "SIGTERM: received, shutting down",
        "SIGSEGV handler installed",
        "SIGABRT: ABORT",
        "runtime/cgo is not used",
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x0]",
        "thread 'main' finished",
        "thread main panicked at src/main.rs:2:5:",
        "the thread 'worker' panicked at x.rs:1",
        "thread '' panicked at x.rs:1",
    ],
)
def test_near_misses_of_the_new_headers_are_not_headers(text: str) -> None:
    assert match_header(text) is None


def test_chromium_lines_in_a_console_capture_are_records_not_continuations() -> None:
    lines = [
        "[main 2019-09-03T15:29:47.100Z] Starting go process: /x/Qoder start",
        "[12345:67890:0903/152947.123456:ERROR:gpu_process_host.cc(1007)] GPU process exited unexpectedly: exit_code=139",
        "[main 2019-09-03T15:29:48.000Z] update#setState idle",
    ]
    records, counts = frame(lines, everything=True)
    assert [(r.line, r.framing) for r, _ in records] == [
        (1, Framing.CONSOLE),
        (2, Framing.CHROMIUM),
        (3, Framing.CONSOLE),
    ]
    assert [d for _, d in records] == [(), (), ()]
    assert counts[LineKind.CONTINUATION] == 0


def test_a_go_panic_is_one_record_with_its_goroutine_dump() -> None:
    lines = [
        "[Info  - 9:21:55 AM] Starting gopls",
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a2b3c]",
        "",
        "goroutine 1 [running]:",
        "main.main()",
        "\t/home/u/main.go:12 +0x1d",
        "exit status 2",
    ]
    records, counts = frame(lines, everything=True)
    assert [(r.line, r.framing, r.level) for r, _ in records] == [
        (1, Framing.LSP, "info"),
        (2, Framing.GO_PANIC, "critical"),
    ]
    assert records[1][1] == (lines[2], *lines[4:])
    assert counts == {LineKind.UNRECOGNISED: 0, LineKind.CONTINUATION: 5, LineKind.BLANK: 1}


@pytest.mark.parametrize(
    "first",
    [
        "thread 'main' (2746573) panicked at /home/u/.cargo/registry/src/jod-thread-1.0.0/src/lib.rs:33:22:",
        "thread 'main' panicked at crates/ide/src/lib.rs:12:5:",
        "thread '<unnamed>' panicked at 'called `Option::unwrap()` on a `None` value', src/libcore/option.rs:323",
        "thread 'Worker' panicked at 'index out of bounds: the len is 3 but the index is 3', src/x.rs:9:5",
    ],
)
def test_a_rust_panic_is_one_critical_record_with_its_message_and_backtrace(first: str) -> None:
    lines = [
        "[Info  - 7:00:40 PM] rust-analyzer started",
        first,
        "called `Result::unwrap()` on an `Err` value: Any { .. }",
        "stack backtrace:",
        "   0: __rustc::rust_begin_unwind",
        "   1: core::panicking::panic_fmt",
        "note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.",
        "[Error - 7:00:44 PM] Server process exited with code 101.",
    ]
    records, counts = frame(lines, everything=True)
    assert [(r.line, r.framing, r.level) for r, _ in records] == [
        (1, Framing.LSP, "info"),
        (2, Framing.RUST_PANIC, "critical"),
        (8, Framing.LSP, "error"),
    ]
    assert records[1][0].message == first
    assert records[1][1] == tuple(lines[2:7])
    assert counts[LineKind.CONTINUATION] == 5


def test_bare_errors_are_records_in_a_snippet_but_stacks_in_a_framed_log() -> None:
    lines = [
        "Error: spawn /x/Qoder ENOENT",
        "    at ChildProcess._handle.onexit (node:internal/child_process:284:19)",
        "TypeError: x",
        "2025-08-22 10:23:45.123 [error] [GoProcessService] Health check failed: read ECONNRESET",
        "Error: read ECONNRESET",
        "    at TCP.onStreamRead (node:internal/stream_base_commons:217:20)",
    ]
    records, _counts = frame(lines, everything=True)
    assert [(r.line, r.framing, r.level) for r, _ in records] == [
        (1, Framing.STACK, "error"),
        (3, Framing.STACK, "error"),
        (4, Framing.VSCODE, "error"),
    ]
    assert records[0][1] == (lines[1],)
    assert records[2][1] == tuple(lines[4:])  # the stack a framed record printed stays its continuation


def test_kept_levels_of_the_new_framings() -> None:
    lines = [
        "[1:2:0903/152947.123456:ERROR:gpu_process_host.cc(1)] e",
        "[1:2:0903/152947.123456:INFO:gpu_process_host.cc(1)] i",
        "E0628 12:37:38.181530 15509 file.go:60] e",
        "I0628 12:37:38.181530 15509 file.go:60] i",
        "[Error - 9:21:56 AM] e",
        "[Info  - 9:21:56 AM] i",
        "panic: boom",
    ]
    counts: dict[str, int] = {}
    records = list(
        frame_lines(
            lines,
            source="t.log",
            is_candidate=lambda _text: False,
            recognises=lambda _record: False,
            counts=counts,
            keep_levels={"error", "critical"},
        )
    )
    assert [r.line for r, _ in records] == [1, 3, 5, 7]
    assert counts[LineKind.UNRECOGNISED] == 3


# --- pastes: indentation, quote marks and gutters are stripped first ------------------------


def frame_pasted(lines: list[str]) -> tuple[list[tuple[Record, tuple[str, ...]]], dict[str, int], int]:
    counts: dict[str, int] = {}
    pasted: dict[str, int] = {}
    records = list(
        frame_lines(
            lines,
            source="t.log",
            is_candidate=lambda _text: True,
            recognises=LIBRARY.recognises,
            counts=counts,
            pasted=pasted,
        )
    )
    assert len(records) + sum(counts.values()) == len(lines)
    return records, counts, pasted.get("lines", 0)


def test_an_indented_paste_is_framed_as_the_log_it_was() -> None:
    lines = [
        "    2025-08-22 11:40:02.112 [error] CodeWindow: renderer process gone (reason: oom, code: -536870904)",
        "    2025-08-22 11:40:03.000 [info] Extension host with pid 4242 exited with code: 0, signal: unknown.",
        "        at frame (x.js:1:1)",
        "",
        "    2025-08-22 11:40:04.000 [info] update#setState idle",
    ]
    records, counts, stripped = frame_pasted(lines)
    assert [(r.line, r.framing, r.text[:23]) for r, _ in records] == [
        (1, Framing.VSCODE, "2025-08-22 11:40:02.112"),
        (2, Framing.VSCODE, "2025-08-22 11:40:03.000"),
        (5, Framing.VSCODE, "2025-08-22 11:40:04.000"),
    ]
    assert records[1][1] == ("    at frame (x.js:1:1)",)  # indentation beyond the block's is kept
    assert stripped == 4 and counts[LineKind.BLANK] == 1


def test_a_quoted_paste_after_prose_and_a_tab_indented_block() -> None:
    lines = [
        "My log:",
        "> [main 2019-09-03T15:29:47.100Z] Starting go process: /x/Qoder start",
        ">",
        "> [1:2:0903/152947.123456:ERROR:gpu_process_host.cc(1007)] GPU process exited unexpectedly: exit_code=139",
        "thanks",
        "\t2025-01-01 10:00:00.000 [info] update#setState idle",
        "\t  at x",
    ]
    records, counts, stripped = frame_pasted(lines)
    assert [(r.line, r.framing) for r, _ in records] == [
        (1, Framing.BARE),
        (2, Framing.CONSOLE),
        (4, Framing.CHROMIUM),
        (6, Framing.VSCODE),
    ]
    assert records[2][1] == ("thanks",)
    assert records[3][1] == ("  at x",)
    assert stripped == 5 and counts[LineKind.BLANK] == 1  # ">" alone is a blank line of the quote


def test_a_gutter_paste() -> None:
    lines = [
        "  1 | 2025-01-01 10:00:00.000 [info] update#setState idle",
        "  2 |     at x",
        " 10 \u2502 2025-01-01 10:00:01.000 [error] boom",
    ]
    records, _counts, stripped = frame_pasted(lines)
    assert [(r.line, r.framing, r.message) for r, _ in records] == [
        (1, Framing.VSCODE, "update#setState idle"),
        (3, Framing.VSCODE, "boom"),
    ]
    assert records[0][1] == ("    at x",) and stripped == 3


def test_an_indented_snippet_of_bare_lines_gives_one_record_per_line() -> None:
    lines = [
        "    [GoProcessService] Starting go process: /x/Qoder start --workDir /w",
        "    [GoProcessService] Process PID=17376 no longer exists, cleaning up config files only",
    ]
    records, _counts, stripped = frame_pasted(lines)
    assert [(r.line, r.component) for r, _ in records] == [(1, "GoProcessService"), (2, "GoProcessService")]
    assert stripped == 2


def test_indented_lines_of_a_log_that_is_not_pasted_stay_continuations() -> None:
    lines = [
        "2025-08-22 10:23:45.123 [error] boom",
        "    2025-08-22 10:23:46.000 [info] an indented line inside a framed log is part of the record",
        "> not a quote either",
    ]
    records, _counts, stripped = frame_pasted(lines)
    assert [r.line for r, _ in records] == [1]
    assert records[0][1] == tuple(lines[1:]) and stripped == 0


@pytest.mark.parametrize(
    ("text", "level", "logger", "message"),
    [
        (
            "2025-05-07 20:29:57,903 [ 339279]   WARN - #com.codeium.intellij.language_server.LanguageServerService"
            " - Error refreshing context",
            "warning",
            "#com.codeium.intellij.language_server.LanguageServerService",
            "Error refreshing context",
        ),
        (
            "2019-09-03 15:29:47,100 [-------]   INFO - c.i.i.p.PluginManager - Loaded bundled plugins",
            "info",
            "c.i.i.p.PluginManager",
            "Loaded bundled plugins",
        ),
        ("2019-09-03 15:29:47,100 [12345678] SEVERE - #c.q.Plugin - boom", "error", "#c.q.Plugin", "boom"),
        ("2019-09-03 15:29:47,100 [   1234]  ERROR - #c.q.Plugin - ", "error", "#c.q.Plugin", ""),
        # A JetBrains plugin relays its language server's stderr: the glog E-line is the level the record has.
        (
            "2025-05-07 20:29:57,902 [ 339278]   INFO - #c.c.i.l.LanguageServerProcessHandler - [Language Server]:"
            " E0507 20:29:57.902535 33412 interceptor.go:70] invalid document",
            "error",
            "#c.c.i.l.LanguageServerProcessHandler",
            "[Language Server]: E0507 20:29:57.902535 33412 interceptor.go:70] invalid document",
        ),
    ],
)
def test_idea_log_headers(text: str, level: str, logger: str, message: str) -> None:
    record = header(text)
    assert (record.framing, record.level, record.logger, record.message) == (Framing.IDEA, level, logger, message)
    assert record.timestamp is not None and record.timestamp.microsecond % 1000 == 0 and record.timestamp.year > 2000


def test_an_idea_log_record_keeps_its_java_stack_and_a_digit_level_is_no_vscode_header() -> None:
    lines = [
        "2025-05-07 20:29:57,903 [ 339279]  ERROR - #c.q.Service - Starting go process failed",
        "java.lang.IllegalStateException: x",
        "\tat com.qoder.A.b(A.java:1)",
        "2025-05-07 20:29:58,000 [1234567]   INFO - #c.q.Service - noise",
    ]
    records, counts = frame(lines, everything=True)
    assert [(r.line, r.framing, r.level) for r, _ in records] == [(1, Framing.IDEA, "error"), (4, Framing.IDEA, "info")]
    assert records[0][1] == tuple(lines[1:3]) and counts[LineKind.CONTINUATION] == 2
    assert match_header("2025-05-07 20:29:58.000 [1234567] x") is None  # a number is not a VS Code level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("2024-01-01 12:00:00.123 ERROR [main] com.qoder.Agent - connection refused", "error"),
        ("2024-01-01 12:00:02 FATAL [main] com.qoder.Agent - giving up", "critical"),
        ("[ERROR] boom", "error"),
        ("<WARN> low disk", "warning"),
        ("12345 2024-01-01T12:00:00 SEVERE x", "error"),
        # slog's four letters (VS Code's vscode-inno-updater.log), logrus's on a terminal (Docker's CLI, Go services)
        ("Jul 12 08:57:35.019 ERRO Access is denied. (os error 5)", "error"),
        (
            "Jul 11 13:27:03.155 WARN Kill error Failed to get process file name: Only part of a ReadProcessMemory",
            "warning",
        ),
        ("ERRO[0000] error waiting for container: context canceled", "error"),
        ("FATA[0001] failed to start daemon: pid file found, ensure docker is not running", "critical"),
        ("PANI[0000] runtime error", "critical"),
        # logfmt: logrus without a terminal, slog's text handler, behind a journald prefix or not
        (
            'Nov 23 15:00:08 host docker[13777]: time="2015-11-23T15:00:08.18Z" level=fatal msg="No sockets found"',
            "critical",
        ),
        ('time=2023-01-01T10:00:00.000Z level=ERROR msg="listen failed" err="bind: address already in use"', "error"),
        ('time="2018-02-06T18:53:08.56Z" level=warning msg="mountpoint for pids not found"', "warning"),
        ('time="2024-01-01T00:00:00Z" level=panic msg="runtime error: index out of range"', "critical"),
        # Behind the prefix syslog and journald put before a program's line
        (
            "Aug 02 18:45:31 localhost zincati[750]: [ERROR] failed to check for updates: failed to query Cincinnati",
            "error",
        ),
        ("Jun  1 02:53:46 ib17b04 systemd[1]: Failed to start Docker Application Container Engine.", "error"),
        ("2019-08-02T18:45:31+0000 host sshd[42]: error: kex_exchange_identification: Connection closed", "error"),
        ("Dec 01 10:00:00 box qoder-server: WARN: low disk", "warning"),
        # OpenSSH's client on why a connection failed or dropped, in a terminal or relayed by Remote-SSH
        ("[16:37:31.969] stderr> bind [::1]:58060: Address already in use", "error"),
        ("[16:37:31.970] stderr> channel_setup_fwd_listener_tcpip: cannot listen to port: 58060", "error"),
        ("[16:37:31.970] stderr> Could not request local forwarding.", "error"),
        ("[16:09:55.266] stderr> client_loop: send disconnect: Broken pipe", "error"),
        ("ssh: connect to host 10.0.0.5 port 22: Connection refused", "error"),
        ("ssh: Could not resolve hostname devbox: Name or service not known", "error"),
        ("git@github.com: Permission denied (publickey).", "error"),
        ("user@10.0.0.5: Permission denied (publickey,password).", "error"),
        ("kex_exchange_identification: read: Connection reset by peer", "error"),
        ("Connection closed by 10.0.0.5 port 22", "error"),
        ("Host key verification failed.", "error"),
        ("Bad owner or permissions on /home/u/.ssh/config", "error"),
        # Python's logging in the cookbook's format (pyls, pylsp, jedi-language-server), relayed by a client or not
        ("2018-12-19 18:16:13,185 UTC - ERROR - jsonrpc.endpoint - Failed to handle request 645", "error"),
        ("[lsc:Error] StdErr from pyls: 2018-12-19 18:16:13,185 UTC - ERROR - jsonrpc.endpoint - Failed", "error"),
        (
            "2023-09-10 05:07:14,327 Jerusalem Summer Time - WARNING - pylsp.config.config - Failed to load hook",
            "warning",
        ),
        ("2024-01-01 10:00:00,123 - jedi_language_server - CRITICAL - server stopped", "critical"),
        # Go's default date before slog's four letters (charmbracelet/log)
        ('2025/08/09 23:23:57 ERRO LSP Server err="pylsp_jsonrpc.exceptions.JsonRpcMethodNotFound"', "error"),
        # .NET's logger (OmniSharp's bracketed levels, the console's), PowerShell's error record
        ("[fail]: OmniSharp.MSBuild.ProjectManager", "error"),
        ("[warn]: OmniSharp.MSBuild.ProjectLoader", "warning"),
        ("fail: Microsoft.CodeAnalysis.LanguageServer.LanguageServerHost[0]", "error"),
        ("crit: Microsoft.AspNetCore.Hosting.Diagnostics[6]", "critical"),
        ("code : The term 'code' is not recognized as the name of a cmdlet, function, script file, or", "error"),
        (
            "qoder: The term 'qoder' is not recognized as a name of a cmdlet, function, script file, or executable",
            "error",
        ),
        ("    + CategoryInfo          : ObjectNotFound: (code:String) [], CommandNotFoundException", "error"),
        ("    + FullyQualifiedErrorId : CommandNotFoundException", "error"),
        ("'node' is not recognized as an internal or external command,", "error"),
        # npm's and node-gyp's own prefixes (npm 6-9 upper case, npm 10 on lower case)
        ("npm ERR! code 1", "error"),
        (
            "npm error path C:\\Users\\USER\\AppData\\Roaming\\npm\\node_modules\\code-server\\node_modules\\argon2",
            "error",
        ),
        ("gyp ERR! stack Error: not found: make", "error"),
        ("npm WARN deprecated node-pre-gyp@0.13.0: Please upgrade to @mapbox/node-pre-gyp", "warning"),
        ("npm warn cleanup Failed to remove some directories [", "warning"),
        ("Cannot update to 0.10.11 - Setup aborted; Error 5: Access is denied", "error"),
        ("Access is denied.", "error"),
        ("会出现提示——“inno_updater.exe尝试在目标目录创建文件时发生一个错误\uff1a拒绝访问。.”", "error"),
        ("code. : 无法将“code.”项识别为 cmdlet、函数、脚本文件或可运行程序的名称。请检", "error"),
        ("'userid' 不是内部或外部命令\uff0c也不是可运行的程序", "error"),  # cmd.exe's full-width comma
        ('WARN[0000] The "TAG" variable is not set. Defaulting to a blank string.', "warning"),
        # A language client that gave its server up, its notification pasted (every vscode-languageclient wording)
        (
            "The JSON Language Server server crashed 5 times in the last 3 minutes. The server will not be restarted.",
            "error",
        ),
        (
            " The CSS Language Server server crashed 5 times in the last 3 minutes. The server will not be restarted.",
            "error",
        ),
        ("The language server crashed 5 times in the last 3 minutes. It will not be restarted.", "error"),
        (
            "Pylance server crashed 5 times in the last 3 minutes. The server will not be restarted. See the output",
            "error",
        ),
        ("Connection to server got closed. Server will not be restarted.", "error"),
        # An error message pasted as text: a notification, a dialog, a bare error string; winston's line
        (
            "Failed to save 'parser.py': Unable to write file 'vscode-remote://x/p.py' (Unknown (FileSystemError): "
            "Error: ENOSPC: no space left on device, write)",
            "error",
        ),
        ('"Failed to install VS Code update. Please download and reinstall VS Code. ', "error"),
        ("failed to create shim task: OCI runtime create failed: unable to start container process", "error"),
        ('There was an error while Opening file handle: "C:\\Users\\u\\bootstrap-amd.js":', "error"),
        ("2017-11-06T13:26:09.907Z - error: [ui] Error checking for updates", "error"),
        ("2021-03-01 10:00:00.123 - warn: [main] proxy not reachable", "warning"),
        ('Error installing the "SQLTools" extension. Please check the [log] for more details.', "error"),
        ("Error while installing 'Python' extension. Please check the log for more details.", "error"),
        ("Unable to write into user settings. Please open the user settings to correct errors/warnings in it", "error"),
        ('Could not establish connection to "devbox": Permission denied', "error"),
        (
            "Cannot activate the 'Python' extension because it depends on an unknown 'ms-toolsai.jupyter' extension.",
            "error",
        ),
        ("we cannot connect to the extensions marketplace at this time please try again later", "error"),
        ("connection to server got closed. server will not be restarted.", "error"),
        ("Error 2021-11-04 21:16:31: Failed to start language server", "error"),  # the Python extension's channel
        ("Warn 10:01 retrying", "warning"),
        ("fatal: not a git repository (or any of the parent directories): .git", "critical"),
        ("warning: LF will be replaced by CRLF", "warning"),
        ("java.net.ConnectException: Connection refused", "error"),
        ("ValueError: bad thing", "error"),
        ('Exception in thread "main" java.lang.OutOfMemoryError: Java heap space', "error"),
        ("Traceback (most recent call last):", "error"),
        # Windows' record of a crash copied from the Event Viewer or the Reliability Monitor
        ("Faulting application name: Files.exe, version: 1.0.0.0, time stamp:", "error"),
        ("Exception code: 0xc0000409", "error"),
        ("Problem Event Name:\tAPPCRASH", "error"),
        ("Event Name: APPCRASH", "error"),
        ('<Provider Name="Application Error" />', "error"),
        # macOS's crash report pasted as text
        ("Exception Type:        EXC_BAD_ACCESS (SIGBUS)", "error"),
        ("Exception Type:  EXC_CRASH (SIGKILL (Code Signature Invalid))", "error"),
        ("Termination Reason:    Namespace CODESIGNING, Code 1 Taskgated Invalid Signature", "error"),
        ("Termination Reason: CODESIGNING 1 ", "error"),
        ("Termination Reason:    Namespace SIGNAL, Code 0xa", "error"),
        # Loaders that cannot start a program: macOS's dyld, Windows' dialog
        ("dyld: Library not loaded: @rpath/libffmpeg.dylib", "error"),
        ("dyld[61326]: Library not loaded: '@rpath/Electron Framework.framework/Electron Framework'", "error"),
        ("  Library not loaded: @rpath/libnode.dylib", "error"),
        ("The application was unable to start correctly (0xc000007b). Click OK to close the application.", "error"),
        # The Linux kernel's, behind a dmesg or syslog prefix
        ("[ 5120.913442] Out of memory: Killed process 2345 (qoder) total-vm:8123456kB, anon-rss:4012345kB", "error"),
        ("Dec  1 10:00:00 host kernel: [ 5120.9] oom-kill:constraint=CONSTRAINT_NONE,task=qoder,pid=2345", "error"),
        ("[ 77.1] code[4321]: segfault at 0 ip 00007f1c2a3b4c5d sp 00007ffd1e2f3a40 error 4 in libc.so.6", "error"),
        # A shell's report that the program it ran died of a signal (bash on Linux and macOS, a job, zsh, fish)
        ("Segmentation fault (core dumped)", "error"),
        ("Trace/breakpoint trap (core dumped)", "error"),
        ("Trace/breakpoint trap", "error"),
        ("Killed", "error"),
        ("Killed: 9", "error"),
        ("Trace/BPT trap: 5", "error"),
        ("Abort trap: 6", "error"),
        ("Aborted (core dumped)", "error"),
        ("段错误 (核心已转储)", "error"),
        ("[1]+  Killed                  code --verbose", "error"),
        ("./start.sh: line 12: 40713 Segmentation fault      (core dumped) ./code", "error"),
        ("zsh: killed     code", "error"),
        ("[1]    22648 segmentation fault (core dumped)  vscode", "error"),
        ("[2]  + 4242 killed     code --verbose", "error"),
        ("zsh: segmentation fault (core dumped)  WAYLAND_DISPLAY= wire-desktop", "error"),
        ("fish: Job 1, './TerminalOne-1.3.1.AppImage' terminated by signal SIGSEGV (Address boundary error)", "error"),
        # An output channel's time of day before the line (Remote-SSH), a capitalised word before the level
        ("[20:25:59.944] Resolver error: Error: ", "error"),
        ("[13:18:36.373] Error: Connecting with SSH timed out", "error"),
        ("Resolver error: Error: Connecting with SSH timed out", "error"),
        # VS Code's notice of a terminal that failed, as pasted (the path may push the words onto the next line)
        (
            'The terminal process "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" terminated with exit code: 2.',
            "error",
        ),
        ('"terminated with exit code: 3221225477.', "error"),
        ("The terminal process terminated with exit code: 4294901760", "error"),
        ('The terminal process failed to launch: Path to shell executable "cmd.exe" does not exist.', "error"),
        ("The terminal process failed to launch (exit code: 1).", "error"),
        # GLib's messages: an ERROR aborts, a CRITICAL or WARNING does not
        ("(process:57405): Gtk-ERROR **: 11:12:02.796: GTK 2/3 symbols detected.", "critical"),
        ("Gtk-ERROR **: GTK+ 2.x symbols detected.", "critical"),
        ("(code:4242): Gtk-CRITICAL **: 10:00:00.000: gtk_widget_get_scale_factor: assertion failed", "warning"),
        ("(code:10267): GLib-GObject-WARNING **: 13:04:31.873: invalid cast", "warning"),
        # WSL: wsl.exe's error code, an error relayed in the WSL extension's output channel (a date before the time)
        ("Error code: Wsl/Service/CreateInstance/CreateVm/E_INVALIDARG", "error"),
        (
            "[2024-06-05 14:18:35.775] <3>WSL (23702) ERROR: CreateProcessEntryCommon:496: chdir(/mnt/c/x) failed 5",
            "error",
        ),
        # Node's process warnings: an unhandled rejection is an error, the rest warnings
        ("(node:1234) UnhandledPromiseRejectionWarning: Error: EMFILE: too many open files, open '/x/y'", "error"),
        (
            "(node:5120) [DEP0005] DeprecationWarning: Buffer() is deprecated due to security and usability issues.",
            "warning",
        ),
        (
            "(node:5120) Warning: Accessing non-existent property 'x' of module exports inside circular dependency",
            "warning",
        ),
    ],
)
def test_lines_in_no_known_framing_that_read_as_errors(text: str, level: str) -> None:
    assert match_header(text, unframed=False) is None  # no framing reads it
    assert bare_level(text) == level


@pytest.mark.parametrize(
    "text",
    [
        "Errors were found",
        "the error was",
        "INFO all good",
        "ERRORS: 3",
        "Error handling is fine",
        "ErrorHandler initialised",
        "Experiment 'pythonaa' is active",
        "  ERROR indented: a continuation line, not a record",
        "one two three four ERROR: too far in to be a level",
        "Exception code is fine",
        "Event Name: Something",
        '<Provider Name="Microsoft-Windows-Kernel-General" />',
        "[ 12.5] Out of memory is a phrase, no process killed",
        "dyld: launch, loading dependent libraries",
        "Library not loaded: yet",
        "The application was unable to start correctly, it said",
        # A crash report's other lines, and the words in prose
        "Exception Codes:       KERN_PROTECTION_FAILURE at 0x0000700009585f88",
        "Exception Type: unknown",
        "Termination Reason: the user quit",
        "Process:               Code Helper [1455]",
        # Words of a signal's report in a sentence, or a shell's other complaints
        "Killed process 42 is a sentence, not a report",
        "Aborted.",
        "Terminated the old server",
        "Segmentation fault handler installed",
        "Killed: nine",
        "zsh: command not found: code",
        "[1]    22648 done       code",
        "[1]  + 4242 running    code --verbose",
        "fish: Unknown command: code",
        # An output channel's lines that say nothing is wrong, and the words that are no level
        "[20:25:59.943] Terminating local server",
        "[19:27:22.393] Got error from ssh: spawn ssh ENOENT",
        "[12:00:00.000] No error: the connection is fine",
        "Not error: fine",
        "(node:1234) ExperimentalWarning is a phrase",
        "The terminal process terminated with exit code: 0.",
        "[2025-09-23 02:00:29.039] Starting VS Code Server inside WSL (wsl2)",
        "[2025-10-07 16:05:11.212] WSL feature installed: true (wsl --status)",
        "Error codes are listed in the WSL documentation",
        '(code:10267): Gtk-Message: 13:04:31.873: Failed to load module "canberra-gtk-module"',
        "Gtk-ERROR is a word, not a message",
        "Terminal will be reused by tasks, press any key to close it.",
        "The terminal process launched fine",
        # slog's and logrus's other levels, and words that only start like theirs
        "Jul 12 08:57:35.019 INFO Update was successful!",
        "Sep 12 09:59:55.769 DEBG All files deleted",
        "INFO[0000] Starting container",
        "ERRONEOUS input ignored",
        "ERRORS[0000] is no level",
        "ERRO[x] no seconds",
        'time="2015-11-23T15:00:08.12Z" level=info msg="error: none, all good"',
        'time=2023-01-01T10:00:00Z level=DEBUG msg="retrying after error"',
        "set the log level=error to quiet it",
        # Words of an error message elsewhere in a line, or not followed by a verb; winston's other levels
        "Nothing failed to start",
        "Failed: 0, passed: 12",
        "Failed to",
        "Failed tests: none",
        "Error handling improved in this release",
        "Unable to",
        "Cannot: a word",
        "Could not-so-fast be a word",
        "There was an error earlier, fixed now",
        "2017-11-06T13:25:59.316Z - info: [ui] launching: 0.2.10 (Mac OS 10.13.2)",
        "2017-11-06T13:25:59.316Z - debug: [ui] no error: fine",
        "level=error",
        "Aug 02 18:45:31 localhost zincati[750]: [TRACE] update agent started",
        "Jun  1 02:53:46 ib17b04 systemd[1]: Started Docker Application Container Engine.",
        "Jun 01 02:53:46 ib17b04 dockerd[20741]: main.main()",
        "Aug 02 18:45:31 localhost zincati[750]: the previous run had an ERROR: fixed",
        # OpenSSH's other stderr lines, and Remote-SSH's own words around them
        '[16:37:31.376] stderr> Authenticated to denbi-jumphost-01.bihealth.org ([141.80.173.4]:22) using "publickey".',
        "[16:37:30.946] stderr> debug1: Server host key: ssh-ed25519 SHA256:8ojvA8rKjb3wno5y5jumAmsWdNkHeuH",
        "[16:09:55.276] > local-server-4> ssh child died, shutting down",
        "debug1: channel 2: new [port listener]",
        "Connection closed",
        "mesg: /dev/pts/3: Permission denied",
        # Python's other levels, a level word too far in, dashes around a lower-case word
        "2019-05-11 11:51:24,524 UTC - DEBUG - pyls_jsonrpc.endpoint - Handling request from client",
        "2019-05-11 11:51:24,524 UTC - INFO - pyls.python_ls - Starting",
        "a - b - c - d - e - f - g - h - i - ERROR - too far in",
        "2024-01-01 10:00:00,123 - error - not the cookbook's upper case",
        # .NET's other levels, a lower-case word after the level; PowerShell's position lines
        "[info]: OmniSharp.Stdio.Host",
        "dbug: Microsoft.CodeAnalysis.LanguageServer[0]",
        "fail: not a category",
        "At line:1 char:1",
        "+ code",
        "The term 'frobnicate' is a word we use",
        "operable program or batch file.",
        "或批处理文件。",
        "所在位置 行:1 字符: 1",
        "Access is denied to guests, the README says; members may edit",
        "npm notice New minor version of npm available! 10.2.4 -> 10.8.1",
        "npm info ok",
        "npm ERR!code without a space",
        # A language client that restarts its server, or prose about crashes
        "The server crashed 2 times in the last 3 minutes",
        "Connection to server got closed. Server will restart.",
        "The server crashed once and was restarted",
    ],
)
def test_lines_that_do_not_read_as_errors(text: str) -> None:
    assert bare_level(text) is None


def test_an_unframed_error_line_is_kept_with_its_indented_lines_only_when_levels_are_kept() -> None:
    lines = [
        "Experiment 'pythonaa' is active",
        "Traceback (most recent call last):",
        '  File "x.py", line 1, in <module>',
        "ValueError: bad thing",
        "all good",
    ]
    kept = list(
        frame_lines(
            lines,
            source="t.log",
            is_candidate=lambda _t: False,
            recognises=LIBRARY.recognises,
            counts={},
            keep_levels={"warning", "error", "critical"},
        )
    )
    assert [(r.line, r.framing, r.level, d) for r, d in kept] == [
        (2, Framing.BARE, "error", (lines[2],)),
        (4, Framing.BARE, "error", ()),
    ]
    counts: dict[str, int] = {}
    assert (
        list(
            frame_lines(
                lines, source="t.log", is_candidate=lambda _t: False, recognises=LIBRARY.recognises, counts=counts
            )
        )
        == []
    )
    assert counts[LineKind.UNRECOGNISED] == 4 and counts[LineKind.CONTINUATION] == 1


def test_an_indented_error_line_after_one_that_was_not_kept_is_a_record_with_its_own_lines() -> None:
    # The Reliability Monitor's "Problem signature" block (https://github.com/chmistry/ing2ofx/issues/4).
    lines = [
        "Problem signature:",
        "  Problem Event Name:\tAPPCRASH",
        "  Application Name:\ting2ofx.exe",
        "  Exception Code:\tc0000005",
    ]
    kept = list(
        frame_lines(
            lines,
            source="t.log",
            is_candidate=lambda _t: False,
            recognises=LIBRARY.recognises,
            counts={},
            keep_levels={"warning", "error", "critical"},
        )
    )
    assert [(r.line, r.level, d) for r, d in kept] == [(2, "error", (lines[2], lines[3]))]
