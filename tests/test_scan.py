"""The fast block scanner gives exactly what the line-by-line reference gives: records, details, counts, state."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qoderlog import Accounting, analyze, iter_events, load_patterns
from qoderlog.mining.miner import QODER_LITERALS
from qoderlog.read.framing import frame_lines
from qoderlog.read.scan import scan_records
from qoderlog.read.sources import Discovery, iter_sources
from qoderlog.synth import write_corpus

LIBRARY = load_patterns()
SAMPLES = Path(__file__).parent.parent / "sample_logs"
Keep = tuple[frozenset[str], tuple[str, ...]]
KEEPS: list[Keep] = [(frozenset(), ()), (frozenset({"warning", "error", "critical"}), QODER_LITERALS)]
"""Plain reading, and reading for the template miner: warnings and up, and every line naming a Qoder part."""


def both_ways(path: Path, keep: Keep, max_line: int = 1 << 20) -> tuple[list[Any], list[Any]]:
    """Per source: (records with details, counts, span, state) from the reference and from the scanner."""
    results: list[list[Any]] = [[], []]
    for index, fast in enumerate((False, True)):
        for source in iter_sources([path], Discovery(), max_line=max_line):
            counts: dict[str, int] = {}
            span: dict[str, Any] = {}
            pasted: dict[str, int] = {}
            if fast:
                records = scan_records(
                    source,
                    LIBRARY,
                    counts=counts,
                    span=span,
                    keep_levels=keep[0],
                    keep_literals=keep[1],
                    pasted=pasted,
                )
            else:
                records = frame_lines(
                    source.lines(),
                    source=source.name,
                    is_candidate=LIBRARY.gate_with(keep[1]),
                    recognises=LIBRARY.recognises,
                    counts=counts,
                    span=span,
                    keep_levels=keep[0],
                    pasted=pasted,
                )
            got = list(records)
            state = source.state
            results[index].append(
                (
                    source.name,
                    got,
                    counts,
                    span,
                    (
                        state.encoding,
                        state.lines,
                        state.replacements,
                        state.cut_lines,
                        state.status,
                        state.reason,
                        state.longest_line,
                        [hit.to_dict() for hit in state.limits],
                        pasted.get("lines", 0),
                    ),
                )
            )
    return results[0], results[1]


def assert_same(path: Path, keep: Keep = KEEPS[0], max_line: int = 1 << 20) -> list[Any]:
    slow, fast = both_ways(path, keep, max_line)
    assert len(slow) == len(fast)
    for one, two in zip(slow, fast, strict=True):
        assert one[0] == two[0]
        assert one[4] == two[4], one[0]  # source state
        assert one[2] == two[2], one[0]  # line counts
        assert one[3] == two[3], one[0]  # span
        assert len(one[1]) == len(two[1]), one[0]
        for a, b in zip(one[1], two[1], strict=True):
            assert a == b
    return slow


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "main.log"
    write_corpus(path, lines=60_000, seed=3)
    return path


@pytest.mark.parametrize("keep", KEEPS, ids=["plain", "keep-warnings"])
def test_the_scanner_equals_the_reference_on_the_corpus(corpus: Path, keep: Keep) -> None:
    slow = assert_same(corpus, keep)
    records = slow[0][1]
    assert len(records) > 1000 and slow[0][4][1] == 60_000  # a real workload: many records, every line read
    if keep[0]:
        assert any(record.level == "error" and not LIBRARY.is_candidate(record.text) for record, _ in records)


@pytest.mark.parametrize("keep", KEEPS, ids=["plain", "keep-warnings"])
def test_the_scanner_equals_the_reference_on_every_sample(keep: Keep) -> None:
    slow = assert_same(SAMPLES, keep)
    assert len(slow) >= 14


def test_events_and_accounting_are_the_same_through_iter_events(corpus: Path) -> None:
    results = []
    for fast in (False, True):
        accounting = Accounting()
        events = [event.to_dict() for event in iter_events([corpus, SAMPLES], accounting=accounting, fast=fast)]
        results.append((events, accounting.to_dict()))
    assert results[0] == results[1]
    assert len(results[0][0]) > 500


EDGE_CASES: dict[str, bytes] = {
    "crlf.log": b"2025-01-01 10:00:00.000 [info] GoProcessService: Starting go process\r\n  at x\r\n\r\n"
    b"2025-01-01 10:00:01.000 [info] noise\r\n",
    "lone-cr.log": b"2025-01-01 10:00:00.000 [info] noise\r  detail\r2025-01-01 10:00:01.000 [error] boom\r",
    "no-final-newline.log": b"2025-01-01 10:00:00.000 [info] noise\n2025-01-01 10:00:01.000 [info] [IPC] Checking IPC"
    b" availability",
    "bom.log": b"\xef\xbb\xbf2025-01-01 10:00:00.000 [info] Starting go process\n  x\n",
    "invalid-utf8.log": b"2025-01-01 10:00:00.000 [info] caf\xe9 \xff\xfe noise\n2025-01-01 10:00:01.000 [warning]"
    b" bad \xc3\n  \xe2\x82 detail\n" * 50,
    "unicode-spaces.log": "2025-01-01 10:00:00.000 [info] Starting go process\n\u3000\u2003 \t\n\x1c\n\u00a0\n"
    "\u0085\n  \n\n2025-01-01 10:00:01.000 [info] x\n\u3000\n".encode(),
    "unicode-digits.log": "\u0663025-01-01 10:00:00.000 [info] x\n2025-01-01 10:00:00.000 [\u00e9rror] Starting go"
    " process\n2025-01-01 10:00:00.000 [ERROR] up\n2025-01-01 10:00:00.000 [Error] up\n2025-01-01 10:00:00.000"
    " [eRRor] up\n".encode(),
    "json.log": b'{"timestamp": "2025-01-01T10:00:00Z", "level": "error", "message": "\\u0053tarting go process"}\n'
    b'{"level": "warn", "msg": "plain noise"}\n{"command": "x"}\n  {"message": "indented"}\n'
    b'{"level": "info", "message": "IPC connection attempt 1"}\n' + b'{"a": ' * 3000 + b"1" + b"}" * 3000 + b"\n",
    "snippet.log": b"GoProcessService: Starting go process\nnoise line\n  indented\n\nChecking IPC availability\n"
    b"2025-01-01 10:00:00.000 [info] now framed\nStarting go process\nbare noise\n",
    "spdlog-console.log": b"[2025-01-01 10:00:00.000] [main] [error] boom\n[main 2025-01-01T10:00:00.000Z] Starting"
    b" go process\n[main 2025-01-01T10:00:00.000Z] x\n[not a header\n[2025-01-01 10:00:00] [a]b] [info] x\n",
    "gb18030.log": "2025-01-01 10:00:00.000 [info] 启动 Starting go process\n  详情\n".encode("gb18030") * 40,
    "utf16.log": "2025-01-01 10:00:00.000 [info] Starting go process\n".encode("utf-16-le") * 10,
    "empty.log": b"",
    "binary.log": b"\xbd\x0b",  # found by fuzz/fuzz_scan.py: a skipped file must settle the counts as the reference does
    "blank-only.log": b"\n\n   \n",
    # The framings real pastes add (issue 13): Chromium, glog, language clients, Go panics, bare JS errors.
    "chromium-in-console.log": b"[main 2019-09-03T15:29:47.100Z] update#setState idle\n"
    b"[12345:67890:0903/152947.123456:ERROR:gpu_process_host.cc(1007)] GPU process exited unexpectedly: exit_code=139\n"
    b"  detail\n[12345:0903/152947.1:WARNING:x.cc(1)] w\n[0903/152947.123:FATAL:crashpad.cc(9)] f\n"
    b"[1:2:0903/152947.123456:VERBOSE1:y.cc(2)] v\n[main 2019-09-03T15:29:48.000Z] Starting go process\n  at x\n"
    b"[1:2:0903/152947.123456:INFO:y.cc(2)] [IPC] Checking IPC availability\n",
    "glog-lsp.log": b"[Info  - 9:21:55 AM] Starting gopls\nE0628 12:37:38.181530 15509 file.go:60] boom\n"
    b"W0628 12:37:38.181530 15509 file.go:61] warn\nI0628 12:37:38.2 1 f.go:1] Starting go process\n"
    b"[Error - 9:21:56 AM] Connection to server got closed.\n  Message: x\n[Warn  - 9:21:57 PM] w\n"
    b"[Trace - 21:21:57] t\nE9999 not glog\nF0101 00:00:00.000001 1 f.cc:1] fatal\n",
    "go-panic.log": b"2025-01-01 10:00:00.000 [info] noise\npanic: runtime error: index out of range [3] with length 3\n"
    b"\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:12 +0x1d\nexit status 2\n"
    b"fatal error: concurrent map writes\n\ngoroutine 7 [running]:\n2025-01-01 10:00:01.000 [info] Starting go process\n",
    "rust-panic.log": b"[Info  - 7:00:40 PM] rust-analyzer started\nthread 'main' panicked at crates/ide/src/lib.rs:12:5:\n"
    b"called `Option::unwrap()` on a `None` value\nstack backtrace:\n   0: rust_begin_unwind\n"
    b"thread 'Worker' (42) panicked at 'index out of bounds', src/x.rs:9:5\nthe thread 'x' panicked at y\n"
    b"[Error - 7:00:44 PM] Server process exited with code 101.\n",
    "bare-errors.log": b"Error: spawn /x/Qoder ENOENT\n    at ChildProcess._handle.onexit (node:internal/child_process:284:19)\n"
    b"TypeError: Cannot read properties of undefined (reading 'x')\n    at f (a.js:1:1)\nnoise\n"
    b"Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'x'\n2025-01-01 10:00:00.000 [error] framed now\n"
    b"Error: read ECONNRESET\n    at TCP.onStreamRead\nError: again\n",
    "indented-paste.log": b"    2025-01-01 10:00:00.000 [error] CodeWindow: renderer process gone (reason: oom, code: -536870904)\n"
    b"    2025-01-01 10:00:01.000 [info] noise\n        at frame (x.js:1)\n\n"
    b"    2025-01-01 10:00:02.000 [info] Starting go process\nprose after the block\n"
    b"2025-01-01 10:00:03.000 [info] a header of its own\n    2025-01-01 10:00:04.000 [info] Starting go process\n",
    "quoted-paste.log": b"My log:\n> [main 2019-09-03T15:29:47.100Z] Starting go process\n>\n"
    b"> [1:2:0903/152947.123456:ERROR:gpu_process_host.cc(1007)] GPU process exited unexpectedly: exit_code=139\n"
    b"> > nested\nthanks\n\t2025-01-01 10:00:00.000 [info] tab-indented block\n\t  at x\n",
    "gutter-paste.log": b"  1 | 2025-01-01 10:00:00.000 [info] Starting go process\n  2 |     at x\n  3 |\n"
    b" 10 \xe2\x94\x82 2025-01-01 10:00:01.000 [error] boom\n 11 | [IPC] Checking IPC availability\n",
    # Regression (hypothesis): an undated header frames the file, so its first date is in a line counted in bulk.
    "undated-first.log": b"[1:2:0101/100000.123456:ERROR:gpu_process_host.cc(1)] GPU process exited unexpectedly\n"
    b"2025-01-01 09:00:00.000 [info] noise\n2025-01-01 10:00:00.000 [info] Starting go process\n",
    "idea.log": b"2025-05-07 20:29:57,902 [ 339278]   INFO - #c.q.LanguageServerProcessHandler - [Language Server]: "
    b"E0507 20:29:57.902535 33412 interceptor.go:70] boom\n2025-05-07 20:29:57,903 [ 339279]   WARN - #c.q.Service -"
    b" Error refreshing context\njava.lang.IllegalStateException: x\n\tat com.qoder.A.b(A.java:1)\n"
    b"2025-05-07 20:29:58,000 [-------] SEVERE - c.i.o.a.Foo - Starting go process\n2025-05-07 20:29:58,001"
    b" [12345678]  ERROR - #c.q.X - [Language Server]: W0507 20:29:58.1 1 a.go:1] w\n",
    # A console line whose message is a JavaScript error (its level), a Go runtime's death by a signal.
    "console-errors.log": b"[main 2023-06-20T08:33:17.626Z] update#setState idle\n"
    b"[main 2023-06-20T08:33:18.000Z] Error: EPERM: operation not permitted, rename 'a' -> 'b'\n    at x (y.js:1)\n"
    b"[main 2023-06-20T08:33:18.100Z] Errors: 0\n[main 3:45:14 PM] TypeError: x is not a function\n"
    b"[main 2023-06-20T08:33:19.000Z] Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'x'\n"
    b"runtime/cgo: pthread_create failed: Resource temporarily unavailable\nSIGABRT: abort\nPC=0x1 m=0\n\n"
    b"goroutine 0 [idle]:\n[main 2023-06-20T08:33:20.000Z] [info] Error: not the console's own level\n",
    "indented-bare-snippet.log": b"    [GoProcessService] Starting go process: /x/Qoder start\n"
    b"    [GoProcessService] Process PID=1 no longer exists, cleaning up config files only\n    noise\n",
}


@pytest.mark.parametrize("keep", KEEPS, ids=["plain", "keep-warnings"])
@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_cases_read_the_same(tmp_path: Path, name: str, keep: Keep) -> None:
    path = tmp_path / name
    path.write_bytes(EDGE_CASES[name])
    assert_same(path, keep)


def test_long_lines_are_cut_the_same_and_blocks_split_anywhere(tmp_path: Path) -> None:
    head = b"2025-01-01 10:00:00.000 [info] noise\n"
    long = b"2025-01-01 10:00:01.000 [info] Starting go process " + "é".encode() * 1_100_000 + b"\n"
    path = tmp_path / "long.log"
    path.write_bytes(head * 3000 + long + b"  continued\n" + head * 40_000 + long.rstrip(b"\n"))
    slow = assert_same(path, max_line=1 << 20)
    assert slow[0][4][3] == 2  # both long lines cut


def test_gzip_zip_and_a_truncated_stream_read_the_same(tmp_path: Path, corpus: Path) -> None:
    data = corpus.read_bytes()[:3_000_000]
    (tmp_path / "main.log.gz").write_bytes(gzip.compress(data))
    packed = gzip.compress(data)
    (tmp_path / "cut.log.gz").write_bytes(packed[: len(packed) // 2])
    with zipfile.ZipFile(tmp_path / "bundle.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("logs/main.log", data)
    slow = assert_same(tmp_path)
    states = {name: state for name, _, _, _, state in slow}
    cut = next(state for name, state in states.items() if name.endswith("cut.log.gz"))
    assert cut[4] == "error" and "read stopped after line" in cut[5]


LINES = st.sampled_from(
    [
        "2025-01-01 10:00:00.000 [info] noise",
        "2025-01-01 10:00:00.000 [error] failed",
        "2025-01-01 10:00:00.000 [info] [IPC] Checking IPC availability",
        "2025-01-01 10:00:00.000 [info] GoProcessService: Starting go process",
        "Starting go process",
        "Checking if socket file exists: /tmp/x.sock",
        "  at frame (x.js:1)",
        "bare noise",
        "",
        "   ",
        "\u3000",
        '{"level": "error", "message": "x"}',
        '{"level": "info", "msg": "start attempt 1"}',
        "[main 2025-01-01T10:00:00.000Z] update#setState idle",
        "[2025-01-01 10:00:00.000] [cosy] [warning] cosy info from x",
        "caf\udce9",
        "[1:2:0101/100000.123456:ERROR:gpu_process_host.cc(1)] GPU process exited unexpectedly: exit_code=139",
        "[1:0101/100000.1:WARNING:x.cc(2)] Starting go process",
        "E0101 10:00:00.000001 1 f.go:1] failed",
        "I0101 10:00:00.000001 1 f.go:1] noise",
        "[Error - 9:21:56 AM] closed",
        "[Info  - 9:21:56 AM] Checking IPC availability",
        "panic: boom",
        "goroutine 1 [running]:",
        "\t/src/main.go:12 +0x1d",
        "Error: spawn ENOENT",
        "TypeError: x",
        "[main 2025-01-01T10:00:00.000Z] Error: EPERM",
        "[main 2025-01-01T10:00:00.000Z] Errors: none",
        "SIGSEGV: segmentation violation",
        "runtime/cgo: pthread_create failed",
        "    2025-01-01 10:00:00.000 [error] indented",
        "> 2025-01-01 10:00:00.000 [info] quoted Starting go process",
        ">",
        "  3 | 2025-01-01 10:00:00.000 [info] gutter",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(LINES, max_size=40),
    ending=st.sampled_from(["\n", "\r\n", "\r"]),
    last=st.booleans(),
    keep=st.sampled_from(KEEPS),
)
def test_any_mix_of_lines_reads_the_same(tmp_path: Path, lines: list[str], ending: str, last: bool, keep: Any) -> None:
    path = tmp_path / "mix.log"
    text = ending.join(lines) + (ending if last else "")
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    assert_same(path, keep)


def test_a_million_line_corpus_gives_the_same_analysis_both_ways(tmp_path: Path) -> None:
    """Issue 6's acceptance check at full size: stats, events, sessions, findings and templates are identical."""
    path = tmp_path / "c1m.log"
    write_corpus(path, lines=1_000_000, seed=0)
    reference = analyze(path, fast=False)
    fast = analyze(path)
    assert fast.to_dict() == reference.to_dict()
    assert [e.to_dict() for e in fast.event_list] == [e.to_dict() for e in reference.event_list]
    assert reference.accounting.lines_read == 1_000_000 and len(reference.event_list) > 10_000
    assert reference.finding_list and reference.to_dict()["unknown_templates"]


def test_a_line_too_long_to_hold_switches_to_reading_text_in_pieces(tmp_path: Path) -> None:
    head = b"2025-01-01 10:00:00.000 [info] Starting go process\n  detail\n"
    huge = b"2025-01-01 10:00:01.000 [error] " + b"\xff" + b"x" * 400_000 + "é".encode() * 1000 + b"\r\n"
    path = tmp_path / "huge.log"
    path.write_bytes(head * 2000 + huge + head * 3000 + huge.rstrip(b"\r\n"))
    slow = assert_same(path, KEEPS[1], max_line=70_000)
    assert slow[0][4][3] == 2 and slow[0][4][2] == 2  # two cut lines, two replacement characters


@pytest.mark.parametrize("repeat", [4000, 16000], ids=["held-in-memory", "read-as-text"])
def test_a_long_line_cut_off_by_a_truncated_stream_is_counted_the_same(tmp_path: Path, repeat: int) -> None:
    lines = b"2025-01-01 10:00:00.000 [info] Starting go process\n" * 500
    # 104 kB or 416 kB with no line end, hardly compressible: cutting the gzip short loses only its last bytes.
    long = (
        b"2025-01-01 10:00:01.000 [error] "
        + "".join(f"{i * 2654435761 % 2**32:08x}" for i in range(repeat * 3)).encode()
    )
    packed = gzip.compress(lines + long)
    (tmp_path / "cut.log.gz").write_bytes(packed[: len(packed) - 200])
    slow = assert_same(tmp_path, KEEPS[1], max_line=70_000)
    state = slow[0][4]
    assert state[4] == "error" and state[3] == 1 and state[1] == 501  # the long line counted, cut, before the error
