"""The pipeline end to end: events from a mixed bundle, the line accounting, DataFrame, Parquet and CSV."""

from __future__ import annotations

import codecs
import csv
import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from qoderlog import Accounting, iter_events, load_patterns, read_events
from qoderlog.model import EVENT_COLUMNS
from qoderlog.tables import events_frame, field_types, write_csv, write_parquet

USER = "C:\\Users\\张伟\\AppData"
MAIN_LOG = [
    f"2025-08-22 10:23:45.123 [info] [GoProcessService] Starting go process: {USER}\\Local\\Programs\\Qoder\\"
    f"resources\\app\\resources\\bin\\x86_64_windows\\Qoder.exe start --workDir {USER}\\Roaming\\Qoder\\SharedClientCache",
    "2025-08-22 10:23:50.000 [info] update#something that no pattern knows",
    "2025-08-22 10:23:55.301 [info] [GoProcessService] Read cosy info from .info.json: port=56510, pid=21824, "
    "socketPath=\\\\.\\pipe\\qoder-cc4e6c, isDev=false",
    "2025-08-22 11:02:13.877 [warn] [GoProcessService] Health check failed: read ECONNRESET",
    "    at TCP.onStreamRead (node:internal/stream_base_commons:217:20)",
    "",
    "2025-08-22 11:40:02.112 [error] CodeWindow: renderer process gone (reason: crashed, code: -1073741819)",
]
EXTHOST_LOG = [
    "2026-03-14 08:01:02.009 [info] [IPC] Checking IPC availability...",
    "2026-03-14 08:01:02.016 [info] [IPC] Unix Domain Socket availability check result: true",
    "2026-03-14 08:01:07.018 [info] Connection established using: ipc (/tmp/qoder-3275742.sock)",
]
SNIPPET = [
    "用户 张伟 pasted this:",
    "[GoProcessService] Process PID=17376 no longer exists, cleaning up config files only",
    "  (then nothing happened)",
]
SERVICE_LOG = [
    '{"timestamp":"2025-08-22T02:23:45Z","level":"ERROR","category":"process_management",'
    '"message":"Process startup failed","attempt":3,"error":"fork/exec Qoder.exe: Access is denied."}',
    '{"payload": "not a record"}',
]
OLD_LOG = ["[2021-05-14 09:12:33.420] [main] [info] update#setState checking for updates"]


@pytest.fixture
def bundle(write, tmp_path: Path) -> Path:
    write("bundle/main.log", codecs.BOM_UTF8 + "\r\n".join(MAIN_LOG).encode("utf-8") + b"\r\n")
    write("bundle/window1/exthost/exthost.log", "\n".join(EXTHOST_LOG) + "\n", encoding="utf-16")
    write("bundle/snippet.txt", "\n".join(SNIPPET), encoding="gb18030")
    write("bundle/service.log", "\n".join(SERVICE_LOG) + "\n")
    write("bundle/old/main.log.1", "\n".join(OLD_LOG) + "\n")
    write("bundle/screenshot.png", b"\x89PNG\r\n\x1a\n")
    return tmp_path / "bundle"


def test_events_of_a_mixed_bundle(bundle: Path) -> None:
    accounting = Accounting()
    events = list(iter_events([bundle], accounting=accounting))
    rows = [(os.path.relpath(e.source, bundle), e.line, e.type, e.level, e.component) for e in events]
    assert rows == [
        ("main.log", 1, "process.start", "info", "GoProcessService"),
        ("main.log", 3, "info.read", "info", "GoProcessService"),
        ("main.log", 4, "health.failed", "warning", "GoProcessService"),
        ("main.log", 7, "app.renderer_gone", "error", "CodeWindow"),
        ("service.log", 1, "start.attempt_failed", "error", "GoProcessService"),
        ("snippet.txt", 2, "process.gone", None, "GoProcessService"),
        (os.path.join("old", "main.log.1"), 1, "update.state", "info", "update"),
        (os.path.join("window1", "exthost", "exthost.log"), 1, "ipc.check", "info", "IPC"),
        (os.path.join("window1", "exthost", "exthost.log"), 2, "ipc.availability", "info", "IPC"),
        (os.path.join("window1", "exthost", "exthost.log"), 3, "connection.established", "info", "cosy"),
    ]
    start, read, health, gone_window = events[0], events[1], events[2], events[3]
    assert start.text == MAIN_LOG[0]
    assert start.fields["binary_path"].startswith("C:\\Users\\张伟\\AppData\\Local")
    assert start.timestamp == datetime(2025, 8, 22, 10, 23, 45, 123000)
    assert dict(read.fields) == {
        "port": 56510,
        "pid": 21824,
        "socket_path": "\\\\.\\pipe\\qoder-cc4e6c",
        "is_dev": False,
    }
    assert health.detail == ("    at TCP.onStreamRead (node:internal/stream_base_commons:217:20)",)
    assert gone_window.fields["code"] == -1073741819
    assert events[4].timestamp == datetime(2025, 8, 22, 2, 23, 45, tzinfo=UTC)
    assert dict(events[4].fields) == {"attempt": 3, "error": "fork/exec Qoder.exe: Access is denied."}
    assert events[5].text == SNIPPET[1]
    assert events[5].detail == ("  (then nothing happened)",)
    assert events[6].fields == {"state": "checking for updates"}


def test_accounting_of_a_mixed_bundle(bundle: Path) -> None:
    accounting = Accounting()
    events = list(iter_events(bundle, accounting=accounting))
    reports = {os.path.relpath(r.source, bundle): r for r in accounting.inputs}
    assert list(reports) == [
        "main.log",
        "screenshot.png",
        "service.log",
        "snippet.txt",
        os.path.join("old", "main.log.1"),
        os.path.join("window1", "exthost", "exthost.log"),
    ]
    main = reports["main.log"]
    assert (main.lines, main.encoding, main.status) == (7, "utf-8-sig", "ok")
    assert main.by_kind == {"event": 4, "unrecognised": 1, "continuation": 1, "blank": 1, "skipped": 0}
    assert reports["snippet.txt"].encoding == "gb18030"
    assert reports["snippet.txt"].by_kind == {
        "event": 1,
        "unrecognised": 1,
        "continuation": 1,
        "blank": 0,
        "skipped": 0,
    }
    assert reports["service.log"].by_kind == {
        "event": 1,
        "unrecognised": 0,
        "continuation": 1,
        "blank": 0,
        "skipped": 0,
    }
    assert reports[os.path.join("window1", "exthost", "exthost.log")].encoding == "utf-16"
    for report in accounting.inputs:
        assert sum(report.by_kind.values()) == report.lines, report.source
    totals = accounting.by_kind()
    assert sum(totals.values()) == accounting.lines_read == 7 + 2 + 3 + 1 + 3
    assert totals["event"] == len(events) == 10
    assert accounting.discovery.ignored == [
        (str(bundle / "screenshot.png"), "image (a screenshot?): not a log, not read")
    ]
    assert [(r.source, r.status) for r in accounting.ignored()] == [(str(bundle / "screenshot.png"), "ignored")]
    assert accounting.problems() == []
    stats = accounting.to_dict()
    assert sum(stats["by_kind"].values()) == stats["lines_read"]
    assert main.first_time == datetime(2025, 8, 22, 10, 23, 45, 123000)
    assert main.last_time == datetime(2025, 8, 22, 11, 40, 2, 112000)


def test_log_without_qoder_lines_gives_no_events_and_counts_every_line(write) -> None:
    path = write(
        "renderer.log",
        "2025-08-22 10:23:45.123 [info] Started local extension host with pid 4242.\n"
        "2025-08-22 10:23:45.200 [error] Error: something else\n"
        "    at a (b.js:1:1)\n"
        "\n"
        "unframed trailing text\n",
    )
    accounting = Accounting()
    assert list(iter_events(path, accounting=accounting)) == []
    (report,) = accounting.inputs
    assert report.lines == accounting.lines_read == 5
    assert report.by_kind == {"event": 0, "unrecognised": 2, "continuation": 2, "blank": 1, "skipped": 0}


def test_skipped_and_unreadable_inputs_are_accounted(write, tmp_path: Path) -> None:
    binary = write("dump.log", b"MDMP" + b"\x00\x01\n" * 30)
    good = write("main.log", "[GoProcessService] Process PID=1 exited with code 2\n")
    accounting = Accounting()
    events = list(iter_events([binary, tmp_path / "missing.log", good], accounting=accounting))
    assert [e.type for e in events] == ["process.exit"]
    by_source = {r.source: r for r in accounting.inputs}
    assert by_source[str(binary)].status == "skipped"
    assert by_source[str(binary)].by_kind["skipped"] == by_source[str(binary)].lines == 30
    missing = by_source[str(tmp_path / "missing.log")]
    assert (missing.status, missing.lines) == ("error", 0)
    assert "No such file" in missing.reason
    assert [r.source for r in accounting.problems()] == [str(binary), str(tmp_path / "missing.log")]
    assert sum(accounting.by_kind().values()) == accounting.lines_read == 31


# --- tables ----------------------------------------------------------------------------------


def test_read_events_gives_a_typed_frame(bundle: Path) -> None:
    frame = read_events(bundle)
    assert len(frame) == 10
    assert list(frame.columns[: len(EVENT_COLUMNS)]) == list(EVENT_COLUMNS)
    assert frame["timestamp"].dtype.kind == "M"
    for name in ("type", "level", "component", "pattern_id"):
        assert isinstance(frame[name].dtype, pd.CategoricalDtype), name
    assert str(frame["pid"].dtype) == "Int64"
    assert str(frame["port"].dtype) == "Int64"
    assert str(frame["code"].dtype) == "Int64"
    assert str(frame["is_dev"].dtype) == "boolean"
    assert str(frame["waited"].dtype) == "Float64"
    assert frame["line"].tolist() == [1, 3, 4, 7, 1, 2, 1, 1, 2, 3]
    read_row = frame.iloc[1]
    assert (read_row["type"], read_row["pid"], read_row["port"], read_row["is_dev"]) == (
        "info.read",
        21824,
        56510,
        False,
    )
    assert frame["pid"].dropna().tolist() == [21824, 17376]
    assert frame["timestamp"].iloc[4] == pd.Timestamp("2025-08-22 02:23:45")
    assert frame["timestamp_utc"].tolist() == [False] * 4 + [True] + [False] * 5
    assert pd.isna(frame["timestamp"].iloc[5])  # the bare snippet line has no time


def test_read_events_of_nothing_has_the_columns(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    frame = read_events(tmp_path / "empty")
    assert len(frame) == 0
    assert frame["timestamp"].dtype.kind == "M"
    assert str(frame["pid"].dtype) == "Int64"


def test_timestamps_outside_the_nanosecond_range_do_not_break_the_frame(write) -> None:
    """Regression: a year-0001 or year-9999 stamp raised OutOfBoundsDatetime in read_events."""
    path = write(
        "odd.log",
        "0001-01-01 00:00:00.000 [info] [GoProcessService] Process PID=1 exited with code 2\n"
        "9999-12-31 23:59:59.999 [info] [GoProcessService] Process PID=2 exited with code 2\n",
    )
    frame = read_events(path)
    assert frame["timestamp"].tolist() == [pd.Timestamp("0001-01-01"), pd.Timestamp("9999-12-31 23:59:59.999")]


def test_parquet_round_trip_keeps_the_rows(bundle: Path, tmp_path: Path) -> None:
    library = load_patterns()
    events = list(iter_events(bundle, patterns=library))
    target = tmp_path / "events.parquet"
    assert write_parquet(events, target, library) == 10
    back = pd.read_parquet(target, dtype_backend="numpy_nullable")
    frame = events_frame(events, library)
    assert list(back.columns) == list(frame.columns)
    pd.testing.assert_frame_equal(back, frame, check_dtype=False, check_categorical=False)
    plain = pd.read_parquet(target)
    assert plain["pid"].iloc[1] == 21824
    assert plain["type"].astype(str).tolist() == frame["type"].astype(str).tolist()


def test_parquet_of_no_events_has_the_schema(tmp_path: Path) -> None:
    library = load_patterns()
    target = tmp_path / "none.parquet"
    assert write_parquet([], target, library) == 0
    back = pd.read_parquet(target)
    assert len(back) == 0
    assert list(back.columns) == [*EVENT_COLUMNS, *field_types(library)]


def test_parquet_with_a_field_typed_differently_by_two_patterns(write, tmp_path: Path) -> None:
    """Regression: a field declared int in one pattern and str in another crashed the Parquet writer."""
    write(
        "user/a.yaml",
        "patterns:\n"
        "  - id: user.numbered\n    type: user.numbered\n    prefilter: 'ticket no'\n"
        "    regex: '^ticket no (?P<ticket>\\d+)'\n    fields: {ticket: int}\n"
        "    examples:\n      - line: 'ticket no 12'\n        fields: {ticket: 12}\n"
        "  - id: user.named\n    type: user.named\n    prefilter: 'ticket name'\n"
        "    regex: '^ticket name (?P<ticket>\\w+)'\n    fields: {ticket: str}\n"
        "    examples:\n      - line: 'ticket name abc'\n        fields: {ticket: abc}\n",
    )
    log = write("t.log", "ticket no 12\nticket name abc\n")
    library = load_patterns([tmp_path / "user"])
    assert field_types(library)["ticket"] == "str"
    events = list(iter_events(log, patterns=library))
    assert write_parquet(events, tmp_path / "t.parquet", library) == 2
    assert pd.read_parquet(tmp_path / "t.parquet")["ticket"].tolist() == ["12", "abc"]
    assert events_frame(events, library)["ticket"].tolist() == ["12", "abc"]


def test_csv_has_one_column_per_field(bundle: Path) -> None:
    library = load_patterns()
    out = io.StringIO()
    assert write_csv(iter_events(bundle, patterns=library), out, library) == 10
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    header, body = rows[0], rows[1:]
    assert header == [*EVENT_COLUMNS, *field_types(library)]
    assert len(set(header)) == len(header)
    assert len(body) == 10
    assert all(len(row) == len(header) for row in body)
    read_row = dict(zip(header, body[1], strict=True))
    assert (read_row["pid"], read_row["port"], read_row["is_dev"], read_row["code"]) == ("21824", "56510", "false", "")
    assert read_row["timestamp"] == "2025-08-22T10:23:55.301000"
    assert read_row["timestamp_utc"] == "false"
    health = dict(zip(header, body[2], strict=True))
    assert health["detail"] == "    at TCP.onStreamRead (node:internal/stream_base_commons:217:20)"


def test_messages_no_pattern_matched_are_not_tried_again_and_nothing_changes(tmp_path: Path, monkeypatch) -> None:
    from qoderlog.mining.miner import QODER_LITERALS, WARNING_LEVELS
    from qoderlog.patterns import PatternSet
    from qoderlog.read.framing import frame_lines
    from qoderlog.synth import write_corpus

    corpus = tmp_path / "main.log"
    write_corpus(corpus, lines=20_000, seed=5, qoder_share=0.03, loud_share=0.2)
    library = load_patterns()
    kept = {"keep_levels": WARNING_LEVELS, "keep_literals": QODER_LITERALS}
    # Every record as the line reader frames it, each matched on its own: what the stream must give.
    framed = frame_lines(
        corpus.read_text(encoding="utf-8").splitlines(),
        source=str(corpus),
        is_candidate=library.gate_with(QODER_LITERALS),
        recognises=library.recognises,
        counts={},
        keep_levels=WARNING_LEVELS,
    )
    expected, missed = [], []
    for record, detail in framed:
        event = library.match(record, detail)
        (missed if event is None else expected).append(record if event is None else event)
    tried: list[str] = []
    real_match = PatternSet.match

    def counting(self, record, detail=(), timeouts=None):
        tried.append(record.message)
        return real_match(self, record, detail, timeouts)

    monkeypatch.setattr(PatternSet, "match", counting)
    unknown: list[int] = []
    for fast in (True, False):
        tried.clear()
        unknown.clear()
        events = list(
            iter_events([corpus], patterns=library, fast=fast, unknown=lambda r, d: unknown.append(r.line), **kept)
        )
        assert [e.to_dict() for e in events] == [e.to_dict() for e in expected]
        assert unknown == [r.line for r in missed]
        distinct_misses = {r.message for r in missed}
        assert len(missed) > 2 * len(distinct_misses)  # the loud mix repeats its warnings
        assert len(tried) == len(expected) + len(distinct_misses)
