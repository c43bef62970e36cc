"""Session reconstruction on crafted logs: latencies, starts vs attaches, streams, time order."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from qoderlog.analysis import analyze
from qoderlog.model import Event, Outcome
from qoderlog.read.streams import stream_key
from qoderlog.sessions import order_stream
from qoderlog.testing import analyze_text

WIN_START = (
    "[GoProcessService] Starting go process: C:\\Users\\z\\AppData\\Local\\Programs\\Qoder\\resources\\app\\"
    "resources\\bin\\x86_64_windows\\Qoder.exe start --workDir C:\\Users\\z\\AppData\\Roaming\\Qoder\\SharedClientCache"
)
WIN_READ = (
    "[GoProcessService] Read cosy info from .info.json: port=56510, pid=21824, "
    "socketPath=\\\\.\\pipe\\qoder-cc4e6c, isDev=false"
)

EXTHOST = """\
2026-03-14 08:01:02.000 [info] check start cosy async
2026-03-14 08:01:02.001 [info] getExtensionBinPath: multiple versions found [config.json, env.json, extension, x86_64_linux], selected latest: 1.23.0
2026-03-14 08:01:02.002 [info] extensionBinPath exists, check start cosy async
2026-03-14 08:01:02.003 [info] Waiting for .info.json file to exist: /root/.config/Qoder/h/SharedClientCache/.info.json
2026-03-14 08:01:02.004 [info] .info.json file exists: /root/.config/Qoder/h/SharedClientCache/.info.json
2026-03-14 08:01:02.005 [info] Successfully read cosy info from .info.json. pid=3275742, port=56510, socketPath=/tmp/qoder-3275742.sock, isDev=false
2026-03-14 08:01:02.006 [info] Existing process path (pid=3275742): /root/.qoder-server/bin/c/extensions/aicoding-agent/bin/x86_64_linux/Qoder
2026-03-14 08:01:02.007 [info] Current binary path: /root/.qoder-server/bin/c/extensions/aicoding-agent/bin/x86_64_linux/Qoder
2026-03-14 08:01:02.008 [info] Process path matches, no need to restart
2026-03-14 08:01:02.009 [info] [IPC] Checking IPC availability...
2026-03-14 08:01:02.010 [info] [IPC] Got socketPath from cosyInfo: /tmp/qoder-3275742.sock
2026-03-14 08:01:02.011 [info] [IPC] Platform is Unix-like, checking Unix Domain Socket availability...
2026-03-14 08:01:02.012 [info] [IPC] Checking if socket file exists: /tmp/qoder-3275742.sock
2026-03-14 08:01:02.013 [info] [IPC] Socket file found after 1ms: /tmp/qoder-3275742.sock
2026-03-14 08:01:02.014 [info] [IPC] Socket file exists, attempting to connect: /tmp/qoder-3275742.sock
2026-03-14 08:01:02.015 [info] [IPC] Successfully connected to socket: /tmp/qoder-3275742.sock
2026-03-14 08:01:02.016 [info] [IPC] Unix Domain Socket availability check result: true
2026-03-14 08:01:02.017 [info] IPC connection available at: /tmp/qoder-3275742.sock
2026-03-14 08:01:02.018 [info] try to create connection
2026-03-14 08:01:07.018 [info] Connection established using: ipc (/tmp/qoder-3275742.sock)
"""


def test_field_report_session_has_its_latency_pid_platform_and_transport() -> None:
    text = (
        f"2025-08-22 10:23:45.123 [info] {WIN_START}\n"
        f"2025-08-22 10:23:55.301 [info] {WIN_READ}\n"
        "2025-08-22 10:23:55.420 [info] [GoProcessService] Health check IPC connection created successfully: "
        "\\\\.\\pipe\\qoder-cc4e6c\n"
    )
    (session,) = analyze_text(text).session_list
    assert session.is_start and session.role == "main"
    assert session.startup_latency_s == 10.178
    assert (session.platform, session.arch) == ("windows", "x86_64")
    assert (session.pid, session.port, session.transport) == (21824, 56510, "pipe")
    assert session.outcome is Outcome.READY
    assert session.start_attempts == 1


def test_extension_host_attach_is_not_a_start_and_measures_connect_latency() -> None:
    (session,) = analyze_text(EXTHOST, name="1-Qoder.log").session_list
    assert not session.is_start
    assert session.role == "exthost"
    assert session.startup_latency_s is None
    assert session.connect_latency_s == 5.009
    assert session.transport == "unix"
    assert session.platform == "linux"
    assert session.binary_version == "1.23.0"
    assert session.pid == 3275742
    assert session.outcome is Outcome.READY
    assert session.start_attempts == 0


def test_path_mismatch_restarts_into_a_new_start_session() -> None:
    text = EXTHOST.replace(
        "Process path matches, no need to restart",
        "Process path mismatch, need to restart (existing: /old/x86_64_linux/Qoder, current: /new/x86_64_linux/Qoder)",
    )
    first, second = analyze_text(text).session_list
    assert not first.is_start and first.outcome is Outcome.RESTARTED
    assert second.is_start and second.start_attempts == 1


def test_tcp_fallback_is_the_transport() -> None:
    text = EXTHOST.replace("using: ipc (/tmp/qoder-3275742.sock)", "using: tcp (127.0.0.1:56510)")
    (session,) = analyze_text(text).session_list
    assert session.transport == "tcp"


def test_latency_survives_midnight() -> None:
    text = f"2025-08-22 23:59:58.000 [info] {WIN_START}\n2025-08-23 00:00:03.500 [info] {WIN_READ}\n"
    (session,) = analyze_text(text).session_list
    assert session.startup_latency_s == 5.5


def test_slightly_out_of_order_records_are_put_in_time_order() -> None:
    text = f"2025-08-22 10:00:02.000 [info] {WIN_READ}\n2025-08-22 10:00:00.000 [info] {WIN_START}\n"
    (session,) = analyze_text(text).session_list
    assert session.is_start and session.startup_latency_s == 2.0


def test_rotated_segments_form_one_stream_oldest_first(tmp_path: Path) -> None:
    (tmp_path / "main.log.1").write_text(f"2025-08-22 10:00:00.000 [info] {WIN_START}\n", encoding="utf-8")
    (tmp_path / "main.log").write_text(f"2025-08-22 10:00:07.000 [info] {WIN_READ}\n", encoding="utf-8")
    (session,) = analyze([tmp_path]).session_list
    assert session.startup_latency_s == 7.0
    assert session.stream.endswith("main.log")


def test_sessions_are_not_stitched_across_unrelated_files(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text(f"2025-08-22 10:00:00.000 [info] {WIN_START}\n", encoding="utf-8")
    (tmp_path / "b.log").write_text(f"2025-08-22 10:00:07.000 [info] {WIN_READ}\n", encoding="utf-8")
    sessions = analyze([tmp_path]).session_list
    assert len(sessions) == 2
    assert all(s.startup_latency_s is None for s in sessions)


def test_snippet_without_timestamps_gets_sessions_with_unknown_latencies() -> None:
    text = f"{WIN_START}\n{WIN_READ}\n[GoProcessService] Process PID=17376 no longer exists, cleaning up config files only\n"
    sessions = analyze_text(text, name="snippet.txt").session_list
    started = [s for s in sessions if s.is_start]
    assert len(started) == 1
    assert started[0].pid == 21824
    assert started[0].startup_latency_s is None and started[0].connect_latency_s is None
    gone = [s for s in sessions if s.pid == 17376]
    assert gone and gone[0].outcome is Outcome.DIED


def test_exit_before_ready_belongs_to_the_pending_start() -> None:
    text = (
        f"2025-08-22 10:00:00.000 [info] {WIN_START}\n"
        "2025-08-22 10:00:01.000 [error] [GoProcessService] Process PID=555 exited with code 2\n"
    )
    (session,) = analyze_text(text).session_list
    assert session.outcome is Outcome.NEVER_READY
    assert session.exit_code == 2 and session.pid == 555


def test_retries_of_one_start_are_attempts_of_one_session() -> None:
    text = (
        "2025-08-22 10:00:00.000 [warning] [GoProcessService] Process start attempt 1 failed: boom\n"
        f"2025-08-22 10:00:01.000 [info] {WIN_START}\n"
        f"2025-08-22 10:00:02.000 [info] {WIN_READ}\n"
    )
    (session,) = analyze_text(text).session_list
    assert session.start_attempts == 2
    assert session.startup_latency_s == 2.0
    assert session.outcome is Outcome.READY


def test_a_start_without_info_read_is_never_ready_once_the_log_moved_on_30_s() -> None:
    text = f"2025-08-22 10:00:00.000 [info] {WIN_START}\n2025-08-22 10:00:45.000 [info] later noise\n"
    (session,) = analyze_text(text).session_list
    assert session.outcome is Outcome.NEVER_READY
    short = f"2025-08-22 10:00:00.000 [info] {WIN_START}\n2025-08-22 10:00:05.000 [info] later noise\n"
    (pending,) = analyze_text(short).session_list
    assert pending.outcome is Outcome.UNKNOWN


_NAMES = ["main.log", "main.log.1", "main.log.2.gz"]


def _stream_event(n: int, source: str, minute: int | None) -> Event:
    stamp = datetime(2026, 1, 1, 0, minute) if minute is not None else None
    return Event(
        type="process.start",
        pattern_id="p",
        source=source,
        line=n,
        timestamp=stamp,
        level="info",
        component=None,
        message=f"m{n}",
        text=f"m{n}",
    )


@given(st.lists(st.tuples(st.sampled_from(_NAMES), st.one_of(st.none(), st.integers(0, 5))), max_size=30))
def test_a_stream_is_ordered_as_by_its_sort_key_whether_or_not_it_was_in_order(
    items: list[tuple[str, int | None]],
) -> None:
    events = [_stream_event(n, source, minute) for n, (source, minute) in enumerate(items)]
    keyed, last = [], None
    for seq, event in enumerate(events):  # the reference: older rotations first, then time (inherited when missing)
        stamp = event.timestamp or last
        last = stamp
        keyed.append(((-stream_key(event.source)[1], stamp or datetime.min, seq), event))
    expected = [event for _, event in sorted(keyed, key=lambda item: item[0])]
    assert order_stream(events) == expected


def test_a_stream_in_order_is_kept_and_one_out_of_order_is_sorted() -> None:
    ordered = [_stream_event(1, "main.log.1", 3), _stream_event(2, "main.log", 1), _stream_event(3, "main.log", None)]
    assert order_stream(ordered) == ordered
    late = [_stream_event(1, "main.log", 4), _stream_event(2, "main.log", 2)]
    assert [e.line for e in order_stream(late)] == [2, 1]
