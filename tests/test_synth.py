"""The log generator: determinism, the committed samples and their README, catalog coverage, the corpus."""

from __future__ import annotations

import gzip
import importlib.util
import io
import json
import random
import re
import tomllib
import zipfile
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from qoderlog import analyze, load_patterns, synth
from qoderlog.cli import cli
from qoderlog.model import Framing
from qoderlog.read.framing import frame_lines
from qoderlog.read.headers import make_record, match_header
from qoderlog.read.sources import Discovery, iter_sources
from qoderlog.synth import datafiles, scenarios
from qoderlog.testing import sample_findings

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
REGENERATE = "run `qoderlog synth samples sample_logs` and commit the result"
LIBRARY = load_patterns()

STAMP = re.compile(r"^\[?(?:main )?(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d\.\d{3})")
QODER_LINE = re.compile(
    r"\[GoProcessService\]|\[IPC\]|cosy|\.info\.json|update#|CodeWindow: |\[uncaught exception in main\]"
    r"|Extension host with pid \d+ exited|try to create connection|Connection established using"
    r"|Process path m|Existing process path|Current binary path|IPC connection"
)

# Every line shape of the catalog's §3 to §7, observed lines and variants.
CATALOG = (
    r"\[GoProcessService\] Starting go process: \S+ start --workDir \S",
    r"\[GoProcessService\] Read cosy info from \.info\.json: port=5\d{4}, pid=\d+, socketPath=\S+, isDev=false$",
    r"\[GoProcessService\] Health check IPC connection created successfully: \\\\\.\\pipe\\qoder-[0-9a-f]{6}$",
    r"\[GoProcessService\] Process PID=17376 no longer exists, cleaning up config files only$",
    r"\[GoProcessService\] Health check IPC connection failed: (\\\\\.\\pipe\\qoder-[0-9a-f]{6}), "
    r"error: connect ENOENT \1$",
    r"\[GoProcessService\] Health check failed: read ECONNRESET$",
    r"\[GoProcessService\] Process PID=\d+ exited with code 2$",
    r"\] check start cosy async$",
    r"getExtensionBinPath: multiple versions found \[config\.json, env\.json, extension, x86_64_linux\], "
    r"selected latest: 1\.23\.0$",
    r"extensionBinPath exists, check start cosy async$",
    r"Waiting for \.info\.json file to exist: /root/\.config/Qoder/[0-9a-f]+/SharedClientCache/\.info\.json$",
    r"\.info\.json file exists: /root/\.config/Qoder/[0-9a-f]+/SharedClientCache/\.info\.json$",
    r"Successfully read cosy info from \.info\.json\. pid=\d+, port=\d+, socketPath=/tmp/qoder-\d+\.sock, "
    r"isDev=false$",
    r"Existing process path \(pid=\d+\): /root/\.qoder-server/bin/[0-9a-f]{40}/extensions/aicoding-agent/bin/"
    r"x86_64_linux/Qoder$",
    r"Current binary path: /root/\.qoder-server/bin/[0-9a-f]{40}/extensions/aicoding-agent/bin/x86_64_linux/Qoder$",
    r"Process path matches, no need to restart$",
    r"\[IPC\] Checking IPC availability\.\.\.$",
    r"\[IPC\] Got socketPath from cosyInfo: /tmp/qoder-\d+\.sock$",
    r"\[IPC\] Platform is Unix-like, checking Unix Domain Socket availability\.\.\.$",
    r"\[IPC\] Checking if socket file exists: /tmp/qoder-\d+\.sock$",
    r"\[IPC\] Socket file found after 1ms: /tmp/qoder-\d+\.sock$",
    r"\[IPC\] Socket file exists, attempting to connect: /tmp/qoder-\d+\.sock$",
    r"\[IPC\] Successfully connected to socket: /tmp/qoder-\d+\.sock$",
    r"\[IPC\] Unix Domain Socket availability check result: true$",
    r"IPC connection available at: /tmp/qoder-\d+\.sock$",
    r"Connection established using: ipc \(/tmp/qoder-\d+\.sock\)$",
    r"\.info\.json file not found after 30000ms: \S",
    r"Process path mismatch, need to restart \(existing: /root/\S+/Qoder, current: /root/\S+/Qoder\)$",
    r"\[IPC\] Platform is Windows, checking Named Pipe availability\.\.\.$",
    r"\[IPC\] Socket file not found after 5000ms: /tmp/qoder-\d+\.sock$",
    r"\[IPC\] Failed to connect to socket: (/tmp/qoder-\d+\.sock), error: connect ECONNREFUSED \1$",
    r"\[IPC\] Unix Domain Socket availability check result: false$",
    r"\[IPC\] Named Pipe availability check result: false$",
    r"Connection established using: tcp \(127\.0\.0\.1:5\d{4}\)$",
    r'"message":"Process start attempt 2 failed: fork/exec \S+: permission denied"',
    r'"message":"failed to start process after 3 attempts: ',
    r'"message":"Process not ready after start: timeout waiting for process to be ready"',
    r"\] IPC connection attempt 4 failed: connect ENOENT \\\\\.\\pipe\\qoder-",
    r"Max reconnection attempts reached, initiating process restart$",
    r'"message":"cleanup completed with 2 errors: \[failed to cleanup IPC resources: [^"]+  '
    r'failed to cleanup temp files: [^"]+\]"',
    r'"message":"Components shutdown with errors: ',
    r'"message":"Graceful shutdown timeout, forcing cleanup"',
    r'"level":"ERROR","category":"process_management","message":"Process startup failed","attempt":3,"error":',
    *(
        rf"update#setState {state}$"
        for state in ("idle", "checking for updates", "available for download", "downloading", "downloaded", "ready")
    ),
    r"update#checkForUpdates, state = idle$",
    r"update#ctor - updates are disabled by the environment$",
    r"CodeWindow: detected unresponsive$",
    r"CodeWindow: renderer process gone \(reason: crashed, code: 133\)$",
    r"CodeWindow: renderer process gone \(reason: oom, code: -536870904\)$",
    r"\[uncaught exception in main\]: Error: ",
    r"Extension host with pid 4242 exited with code: 0, signal: unknown\.$",
)

SEED_SNIPPET = [
    r"[GoProcessService] Starting go process: C:\Users\zhanghui\AppData\Local\Programs\Qoder\resources\app\resources"
    r"\bin\x86_64_windows\Qoder.exe start --workDir C:\Users\zhanghui\AppData\Roaming\Qoder\SharedClientCache",
    "...",
    r"[GoProcessService] Read cosy info from .info.json: port=56510, pid=21824, socketPath=\\.\pipe\qoder-cc4e6c, "
    "isDev=false",
    r"[GoProcessService] Health check IPC connection created successfully: \\.\pipe\qoder-cc4e6c",
    "[GoProcessService] Process PID=17376 no longer exists, cleaning up config files only",
    "update#setState checking for updates",
    "update#setState idle",
]


# --------------------------------------------------------------------------- helpers


def _tree(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def _comparable(name: str, data: bytes) -> object:
    """Archives by content (names, times, bytes), so that another zlib build cannot fail the comparison."""
    if name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as bundle:
            return [(info.filename, info.date_time, bundle.read(info)) for info in bundle.infolist()]
    if name.endswith(".gz"):
        return gzip.decompress(data)
    return data


def _raw(relative: str) -> bytes:
    """The bytes of a sample file, ``bundle.zip!member`` for archive members, decompressed for ``.gz``."""
    if "!" in relative:
        archive, member = relative.split("!", 1)
        with zipfile.ZipFile(SAMPLES / archive) as bundle:
            return bundle.read(member)
    data = (SAMPLES / relative).read_bytes()
    return gzip.decompress(data) if relative.endswith(".gz") else data


def _decode(data: bytes) -> str:
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _lines(text: str) -> list[str]:
    parts = re.split(r"\r\n|\r|\n", text)
    return parts[:-1] if parts and parts[-1] == "" else parts


def _text(relative: str) -> str:
    return _decode(_raw(relative))


def _all_log_texts() -> dict[str, str]:
    texts = {}
    for relative in _tree(SAMPLES):
        if relative.endswith(".zip"):
            with zipfile.ZipFile(SAMPLES / relative) as bundle:
                for member in bundle.namelist():
                    if member.endswith(".log"):
                        texts[f"{relative}!{member}"] = _text(f"{relative}!{member}")
        elif relative != "README.md":
            texts[relative] = _text(relative)
    return texts


def _times(lines: list[str], needle: str) -> list[datetime]:
    found = []
    for line in lines:
        if needle in line:
            match = STAMP.match(line)
            assert match, f"no timestamp on {line!r}"
            found.append(datetime.fromisoformat(match[1]))
    return found


def _stamps(lines: list[str]) -> list[datetime]:
    return [datetime.fromisoformat(match[1]) for line in lines if (match := STAMP.match(line))]


def _seconds(later: datetime, earlier: datetime) -> float:
    return round((later - earlier).total_seconds(), 3)


def _readme_files() -> list[tuple[str, str, str]]:
    """``(path, encoding, lines)`` of every row of the README's Files table."""
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Files", 1)[1]
    rows = re.findall(r"^\| `([^`]+)` \| ([^|]+) \| ([^|]+) \| \d+ \|$", table, flags=re.MULTILINE)
    return [(path, encoding.strip(), lines.strip()) for path, encoding, lines in rows]


# --------------------------------------------------------------------------- determinism and the committed samples


def test_two_runs_write_byte_identical_samples(tmp_path: Path) -> None:
    first = synth.write_samples(tmp_path / "a")
    second = synth.write_samples(tmp_path / "b")
    assert [p.relative_to(tmp_path / "a") for p in first] == [p.relative_to(tmp_path / "b") for p in second]
    assert first[-1].name == "README.md"
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def test_committed_samples_equal_a_fresh_regeneration(tmp_path: Path) -> None:
    synth.write_samples(tmp_path)
    fresh, committed = _tree(tmp_path), _tree(SAMPLES)
    assert sorted(committed) == sorted(fresh), REGENERATE
    for name, data in fresh.items():
        assert _comparable(name, committed[name]) == _comparable(name, data), f"{name}: {REGENERATE}"


def test_there_are_enough_samples_and_they_stay_small() -> None:
    tree = _tree(SAMPLES)
    assert len(synth.SAMPLES) >= 14
    assert all(len(data) < 200_000 for data in tree.values()), {k: len(v) for k, v in tree.items()}
    assert sum(len(data) for data in tree.values()) < 2_000_000


_LABEL = re.compile(
    r"^(?P<gzip>gzip of )?(?P<codec>UTF-8|UTF-16LE|GB18030 \(GBK-compatible\))(?P<bom> with BOM)?, "
    r"(?P<newline>CRLF|LF)(?:; lines (?P<cr_from>\d+)-(?P<cr_to>\d+) end in a lone CR)?$"
)
_CODECS = {"UTF-8": "utf-8", "UTF-16LE": "utf-16-le", "GB18030 (GBK-compatible)": "gb18030"}
_BOMS = {"utf-8": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe"}


def test_every_file_has_the_encoding_and_line_count_the_readme_states() -> None:
    rows = _readme_files()
    assert len(rows) >= 20
    labels = {encoding for _, encoding, _ in rows}
    for wanted in ("UTF-16LE with BOM, CRLF", "GB18030 (GBK-compatible), CRLF", "UTF-8 with BOM, CRLF"):
        assert wanted in labels
    assert any(label.startswith("gzip of ") for label in labels)
    assert any("lone CR" in label for label in labels)
    for path, encoding, count in rows:
        if encoding == "zip (deflate)":
            assert zipfile.is_zipfile(SAMPLES / path)
            continue
        data = _raw(path)
        if encoding == "binary minidump (MDMP)":
            assert data.startswith(b"MDMP") and path.endswith(".dmp")
            continue
        label = _LABEL.match(encoding)
        assert label, f"{path}: unknown encoding label {encoding!r}"
        assert bool(label["gzip"]) == path.endswith(".gz")
        codec = _CODECS[label["codec"]]
        bom = _BOMS.get(codec, b"")
        assert data.startswith(bom) if label["bom"] else not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe")), path
        text = data[len(bom) if label["bom"] else 0 :].decode(codec)
        if codec == "gb18030":
            assert data.decode("gbk") == text, f"{path}: GBK readers must read it too"
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
            assert not text.isascii()
        pieces = re.split(r"(\r\n|\r|\n)", text)
        assert pieces[-1] == "", f"{path}: the last line must end with a line break"
        endings = pieces[1::2]
        assert str(len(endings)) == count
        lone = range(int(label["cr_from"]) - 1, int(label["cr_to"])) if label["cr_from"] else range(0)
        newline = "\r\n" if label["newline"] == "CRLF" else "\n"
        assert [i for i, end in enumerate(endings) if end == "\r"] == list(lone), path
        assert all(end == newline for i, end in enumerate(endings) if i not in lone), path


def test_every_catalog_line_appears_in_some_sample() -> None:
    texts = _all_log_texts()
    lines = [line for text in texts.values() for line in _lines(text)]
    missing = [shape for shape in CATALOG if not any(re.search(shape, line) for line in lines)]
    assert missing == []


def test_non_ascii_user_names_are_in_the_windows_paths() -> None:
    utf16 = _text("windows-utf16-ipc-reconnect/main.log")
    gbk = _text("windows-gbk-slow-start/main.log")
    assert "Starting go process: C:\\Users\\\u5f20\u4f1f\\AppData\\Local\\Programs\\Qoder" in utf16
    assert "Starting go process: C:\\Users\\\u674e\u5a1c\\AppData\\Local\\Programs\\Qoder" in gbk
    assert "\u4e0d\u662f\u5185\u90e8\u6216\u5916\u90e8\u547d\u4ee4" in gbk


def test_no_qoder_lines_sample_has_none() -> None:
    lines = _lines(_text("no-qoder-lines.log"))
    assert len(lines) > 300
    assert [line for line in lines if QODER_LINE.search(line)] == []


# --------------------------------------------------------------------------- the key facts of each sample


def test_field_report_slow_start_timings() -> None:
    lines = _lines(_text("windows-slow-start/main.log"))
    [start] = _times(lines, "Starting go process")
    [read] = _times(lines, "Read cosy info from .info.json: port=56510, pid=21824")
    [health] = _times(lines, r"Health check IPC connection created successfully: \\.\pipe\qoder-cc4e6c")
    [gone] = _times(lines, "Process PID=17376 no longer exists, cleaning up config files only")
    [checking] = _times(lines, "update#setState checking for updates")
    [idle] = _times(lines, "update#setState idle")
    assert start == datetime(2025, 8, 22, 10, 23, 45, 123000)
    assert _seconds(read, start) == 10.2
    assert _seconds(health, read) == 0.317
    assert health < gone < checking
    assert _seconds(idle, checking) == 2.845
    assert len(lines) > 400


def test_snippet_is_the_seed_excerpt() -> None:
    assert _lines(_text("snippet.txt")) == SEED_SNIPPET


def test_remote_healthy_connect_latency_is_five_seconds() -> None:
    lines = _lines(_text(next(p for p in _tree(SAMPLES) if p.startswith("linux-remote-healthy/"))))
    [tried] = _times(lines, "] try to create connection")
    [established] = _times(lines, "Connection established using: ipc (/tmp/qoder-3275742.sock)")
    assert _seconds(established, tried) == 5.0
    assert not any("Failed to connect" in line or "result: false" in line for line in lines)


@pytest.mark.parametrize(
    ("relative", "seconds"),
    [("windows-gbk-slow-start/main.log", 6.0), ("windows-healthy-lookalikes/main.log", 4.9)],
)
def test_start_to_info_read(relative: str, seconds: float) -> None:
    lines = _lines(_text(relative))
    [start] = _times(lines, "Starting go process")
    [read] = _times(lines, "Read cosy info from .info.json")
    assert _seconds(read, start) == seconds


def test_stale_pid_read_names_the_pid_reported_gone() -> None:
    lines = _lines(_text("macos-stale-pid/main.log"))
    gone = [re.search(r"Process PID=(\d+) no longer exists", line) for line in lines]
    gone_pid = next(match[1] for match in gone if match)
    last_start = max(i for i, line in enumerate(lines) if "Starting go process" in line)
    reads = [re.search(r"Read cosy info from \.info\.json: port=\d+, pid=(\d+)", line) for line in lines[last_start:]]
    assert next(match[1] for match in reads if match) == gone_pid


def test_restart_loop_spans_the_rotation() -> None:
    older = _lines(_text("windows-restart-loop-rotated/main.log.1.gz"))
    newer = _lines(_text("windows-restart-loop-rotated/main.log"))
    assert _stamps(older)[-1] <= _stamps(newer)[0]
    starts = _times(older, "Starting go process") + _times(newer, "Starting go process")
    exits = _times(older, "exited with code 2") + _times(newer, "exited with code 2")
    assert len(starts) >= 3 and len(_times(older, "Starting go process")) >= 1 and len(_times(newer, "Starting go"))
    assert (starts[-1] - starts[0]).total_seconds() < 300
    bounds = [*starts[1:], datetime.max]
    assert all(any(s < e < nxt for e in exits) for s, nxt in zip(starts, bounds, strict=True))


def test_spdlog_update_stays_downloading_while_the_log_goes_on() -> None:
    lines = _lines(_text("spdlog-update-stuck/main.log"))
    assert all(line.startswith("[2021-05-14 ") or line == "" or not STAMP.match(line) for line in lines)
    [downloading] = _times(lines, "update#setState downloading")
    later_states = [t for t in _times(lines, "update#setState") if t > downloading]
    assert later_states == []
    assert (_stamps(lines)[-1] - downloading).total_seconds() > 600


def test_console_update_ready_then_renderer_oom_within_five_minutes() -> None:
    lines = _lines(_text("console-update-renderer-oom/console.txt"))
    states = [line.split("update#setState ", 1)[1] for line in lines if "update#setState " in line]
    assert states == ["checking for updates", "available for download", "downloading", "downloaded", "ready"]
    [ready] = _times(lines, "update#setState ready")
    [oom] = _times(lines, "renderer process gone (reason: oom, code: -536870904)")
    assert 0 < (oom - ready).total_seconds() < 300
    assert all(line.startswith("[main 2019-09-03T") and "Z] " in line for line in lines if "update#" in line)


def test_crash_bundle_layout_and_minidump_time() -> None:
    with zipfile.ZipFile(SAMPLES / "bundle-crash.zip") as bundle:
        names = bundle.namelist()
        dump = next(info for info in bundle.infolist() if info.filename.endswith(".dmp"))
    for member in (
        "main.log",
        "sharedprocess.log",
        "window1/renderer.log",
        "window1/exthost/exthost.log",
        "window1/exthost/output_logging_20250822T102347/1-Qoder.log",
    ):
        assert f"logs/20250822T102345/{member}" in names
    assert re.fullmatch(r"Crashpad/completed/[0-9a-f-]{36}\.dmp", dump.filename)
    [crash] = _times(
        _lines(_text("bundle-crash.zip!logs/20250822T102345/main.log")),
        "renderer process gone (reason: crashed, code: 133)",
    )
    assert timedelta(0) < datetime(*dump.date_time) - crash < timedelta(seconds=5)


def test_json_sample_mixes_framings() -> None:
    lines = _lines(_text("json-start-failure/qoder-service.log"))
    assert sum(line.startswith('{"timestamp":"2025-08-22T') for line in lines) > 300
    assert sum(bool(re.match(r"2025-08-22 \d\d:\d\d:\d\d\.\d{3} \[", line)) for line in lines) > 20


def _unpasted(relative: str, prefix: str) -> list[str]:
    lines = _lines(_text(relative))
    assert all(line.startswith(prefix) or line == prefix.rstrip() for line in lines), relative
    return [line[len(prefix) :] for line in lines]


def test_quoted_renderer_oom_paste_has_chromium_lines_and_the_v8_oom_before_the_crash() -> None:
    lines = _unpasted("pasted-renderer-oom/ticket.txt", "> ")
    framings = Counter(found[0] for line in lines if (found := match_header(line)) is not None)
    assert set(framings) == {Framing.VSCODE, Framing.CHROMIUM} and framings[Framing.CHROMIUM] >= 5
    [oom] = [i for i, line in enumerate(lines) if "V8 javascript OOM (CALL_AND_RETRY_LAST)." in line]
    assert lines[oom].startswith("[20916:20920:0612/143751.208000:ERROR:v8_initializer.cc(811)] ")
    [gone] = _times(lines, "renderer process gone (reason: oom, code: -536870904)")
    assert gone == datetime(2026, 6, 12, 14, 37, 51, 620000)
    assert oom == next(i for i, line in enumerate(lines) if "renderer process gone" in line) - 1
    assert sum("[GoProcessService]" in line for line in lines) == 3


def test_gopls_output_channel_has_no_dates_two_glog_errors_and_a_panic_with_its_goroutines() -> None:
    [relative] = [path for path in _tree(SAMPLES) if path.startswith("gopls-panic-output/")]
    assert relative.endswith("/output_logging_20260628T093701/2-gopls (server).log")
    lines = _lines(_text(relative))
    framings = Counter(found[0] for line in lines if (found := match_header(line, unframed=False)) is not None)
    assert set(framings) == {Framing.LSP, Framing.GLOG, Framing.GO_PANIC} and framings[Framing.LSP] > 150
    assert framings[Framing.GLOG] == 2 and all(line.startswith("E0628 09:41:0") for line in lines if line[:1] == "E")
    panic = lines.index("panic: runtime error: invalid memory address or nil pointer dereference")
    assert lines[panic + 1].startswith("[signal SIGSEGV: segmentation violation") and lines[panic + 3] == (
        "goroutine 8222 [running]:"
    )
    assert lines[panic + 12] == "[Error - 9:41:07 AM] Connection to server got closed. Server will restart."
    assert not any(QODER_LINE.search(line) or STAMP.match(line) for line in lines)


def test_indented_paste_is_dateless_and_its_stale_read_names_the_gone_pid() -> None:
    lines = _unpasted("indented-stale-pid.txt", "    ")
    assert all(re.match(r"\d\d:\d\d:\d\d\.\d{3} \[\w+\] ", line) for line in lines if line[:1].isdigit())
    qoder = [line[13:] for line in lines if "[GoProcessService]" in line]
    assert [line.split("] ", 2)[-1].split(":")[0] for line in qoder] == [
        "Starting go process",
        "Read cosy info from .info.json",
        "Health check IPC connection created successfully",
        "Process PID=48211 no longer exists, cleaning up config files only",
        "Starting go process",
        "Read cosy info from .info.json",
        "Health check IPC connection failed",
    ]
    assert "pid=48211, socketPath=/tmp/qoder-48211.sock" in qoder[5]


def test_gutter_paste_numbers_every_line_from_one() -> None:
    lines = _lines(_text("gutter-tcp-fallback.txt"))
    assert [line[:6] for line in lines] == [f"  {number:>2} |" for number in range(1, len(lines) + 1)] != []
    assert all(line[6:7] == " " for line in lines if len(line) > 6)
    assert any(line.endswith("[IPC] Socket file not found after 5000ms: /tmp/qoder-3921844.sock") for line in lines)


PASTE_SAMPLES = {
    "pasted-renderer-oom/ticket.txt": "quote",
    "indented-stale-pid.txt": "indent",
    "gutter-tcp-fallback.txt": "gutter",
}


@pytest.mark.parametrize("relative", sorted(PASTE_SAMPLES))
def test_the_reader_strips_each_paste_samples_prefix_from_every_line_that_has_one(relative: str) -> None:
    lines = _lines(_text(relative))
    [source] = list(iter_sources([SAMPLES / relative], Discovery()))
    pasted: dict[str, int] = {}
    records = list(
        frame_lines(
            source.lines(),
            source=source.name,
            is_candidate=LIBRARY.gate_with(()),
            recognises=LIBRARY.recognises,
            counts={},
            pasted=pasted,
        )
    )
    assert pasted["lines"] == sum(bool(line) for line in lines) > 30
    assert all(record.text[:1] not in "> " for record, _ in records) and len(records) > 5


def test_the_scanner_comparison_reads_every_new_sample() -> None:
    """tests/test_scan.py compares the scanner with the reference on every source of sample_logs/: these among them."""
    discovery = Discovery()
    names = {Path(source.name).relative_to(SAMPLES).as_posix() for source in iter_sources([SAMPLES], discovery)}
    assert {*PASTE_SAMPLES, next(p for p in _tree(SAMPLES) if p.startswith("gopls-panic-output/"))} <= names
    assert [label for label, _ in discovery.ignored] == [str(SAMPLES / "README.md")]


def _analysis(relative: str) -> dict[str, Any]:
    return analyze([SAMPLES / relative]).to_dict()


def test_the_quoted_renderer_oom_is_a_renderer_crash_from_memory_with_no_gpu_advice() -> None:
    document = _analysis("pasted-renderer-oom")
    [finding] = document["findings"]
    assert (finding["rule"], finding["metrics"]["process"], finding["metrics"]["cause"]) == (
        "app-crash",
        "renderer",
        "memory",
    )
    assert [item["line"] for item in finding["evidence"]] == [187, 186]
    assert "GPU" not in json.dumps(finding["remediation"]) and document["verdict"]["kind"] == "problems"
    assert [item["prefix_stripped"] for item in document["inputs"]] == [190]


def test_the_gopls_panic_is_unexplained_worst_first_with_no_finding() -> None:
    document = _analysis("gopls-panic-output")
    verdict = document["verdict"]
    assert document["findings"] == [] and verdict["kind"] == "unexplained"
    templates = [item["template"] for item in verdict["unexplained"]]
    assert templates[0] == "panic: runtime error: invalid memory address or nil pointer dereference"
    assert "fsnotify: watch <PATH> too many open files" in templates and verdict["sidecar_records"] == 0


def test_a_dateless_stale_pid_paste_gives_no_startup_failure() -> None:
    rules = {finding["rule"] for finding in sample_findings(SAMPLES / "indented-stale-pid.txt")}
    assert "stale-pid" in rules and "startup-failure" not in rules


# --------------------------------------------------------------------------- the building blocks


def test_frame_writes_every_framing() -> None:
    entry = synth.Entry(
        at=datetime(2025, 8, 22, 10, 23, 45, 123456),
        level="error",
        message="Process startup failed: boom",
        component="GoProcessService",
        fields=(("attempt", 3), ("error", "boom")),
        json_message="Process startup failed",
        detail=("    at x (y.js:1:2)",),
    )
    assert synth.frame(entry, "vscode") == [
        "2025-08-22 10:23:45.123 [error] [GoProcessService] Process startup failed: boom",
        "    at x (y.js:1:2)",
    ]
    assert synth.frame(entry, "spdlog")[0] == (
        "[2025-08-22 10:23:45.123] [main] [error] [GoProcessService] Process startup failed: boom"
    )
    assert synth.frame(entry, "console", utc_offset_h=8)[0] == (
        "[main 2025-08-22T02:23:45.123Z] [GoProcessService] Process startup failed: boom"
    )
    assert synth.frame(entry, "json", utc_offset_h=8)[0] == (
        '{"timestamp":"2025-08-22T02:23:45Z","level":"ERROR","category":"process_management",'
        '"message":"Process startup failed","attempt":3,"error":"boom"}'
    )
    assert synth.frame(entry, "bare")[0] == "[GoProcessService] Process startup failed: boom"
    with pytest.raises(ValueError, match="unknown framing"):
        synth.frame(entry, "xml")  # type: ignore[arg-type]


def _paste_entry(**changes: object) -> synth.Entry:
    entry = synth.Entry(
        at=datetime(2026, 6, 28, 9, 41, 6, 903114),
        level="error",
        message="fsnotify: too many open files",
        origin="watcher.go:74",
        thread="15509",
    )
    return replace(entry, **changes)  # type: ignore[arg-type]


def test_frame_writes_the_framings_real_pastes_add() -> None:
    entry = _paste_entry()
    assert synth.frame(entry, "glog") == ["E0628 09:41:06.903114 15509 watcher.go:74] fsnotify: too many open files"]
    assert synth.frame(replace(entry, thread="7"), "glog")[0].startswith("E0628 09:41:06.903114     7 watcher.go:74] ")
    oom = replace(entry, thread="20916:20920", origin="v8_initializer.cc(811)", message="V8 javascript OOM (x).")
    assert synth.frame(oom, "chromium") == [
        "[20916:20920:0628/094106.903114:ERROR:v8_initializer.cc(811)] V8 javascript OOM (x)."
    ]
    assert synth.frame(replace(oom, thread=""), "chromium")[0].startswith("[0628/094106.903114:ERROR:v8_")
    assert synth.frame(entry, "lsp") == ["[Error - 9:41:06 AM] fsnotify: too many open files"]
    assert synth.frame(entry, "clock") == ["09:41:06.903 [error] fsnotify: too many open files"]


@pytest.mark.parametrize(
    ("level", "chromium", "glog", "lsp"),
    [
        ("trace", "VERBOSE1", "I", "[Trace - "),
        ("debug", "VERBOSE1", "I", "[Debug - "),
        ("info", "INFO", "I", "[Info  - "),
        ("warning", "WARNING", "W", "[Warn  - "),
        ("error", "ERROR", "E", "[Error - "),
        ("critical", "FATAL", "F", "[Error - "),
    ],
)
def test_each_level_gets_the_word_its_framing_prints(level: str, chromium: str, glog: str, lsp: str) -> None:
    entry = _paste_entry(level=level)
    assert synth.frame(replace(entry, origin="disk_cache.cc(205)"), "chromium")[0].split(":")[2] == chromium
    assert synth.frame(entry, "glog")[0][0] == glog
    assert synth.frame(entry, "lsp")[0].startswith(lsp)
    assert synth.frame(entry, "clock")[0].startswith(f"09:41:06.903 [{level}] ")


@pytest.mark.parametrize(
    ("hour", "clock"), [(0, "12:05:09 AM"), (9, "9:05:09 AM"), (12, "12:05:09 PM"), (23, "11:05:09 PM")]
)
def test_the_language_client_prints_a_twelve_hour_clock(hour: int, clock: str) -> None:
    entry = _paste_entry(at=datetime(2026, 6, 28, hour, 5, 9), level="info")
    assert synth.frame(entry, "lsp")[0] == f"[Info  - {clock}] fsnotify: too many open files"


@pytest.mark.parametrize("framing", ["chromium", "glog", "lsp", "clock"])
@pytest.mark.parametrize("level", ["info", "warning", "error", "critical"])
def test_the_reader_takes_each_new_framing_back_with_its_level_and_component(
    framing: synth.Framing, level: str
) -> None:
    origin = "disk_cache.cc(205)" if framing == "chromium" else "watcher.go:74"
    entry = _paste_entry(level=level, component="GoProcessService", message="Health check failed: read ECONNRESET")
    entry = replace(entry, origin=origin)
    [line] = synth.frame(entry, framing)
    found = match_header(line, unframed=False)
    assert found is not None and found[0] is Framing(framing)
    record = make_record(*found, source="t", line=1, text=line)
    wanted = "error" if framing == "lsp" and level == "critical" else level  # a client has no level above Error
    assert (record.level, record.component, record.message) == (wanted, "GoProcessService", entry.message)


def test_an_entry_in_a_framing_of_its_own_keeps_it_in_any_file() -> None:
    chromium = _paste_entry(
        framing="chromium", origin="disk_cache.cc(205)", thread="4:8", message="Unable to create cache"
    )
    for framing in ("vscode", "console", "lsp"):
        assert synth.frame(chromium, framing) == [
            "[4:8:0628/094106.903114:ERROR:disk_cache.cc(205)] Unable to create cache"
        ]
    assert synth.frame(replace(chromium, raw=True), "vscode") == ["Unable to create cache"]


def test_chromium_and_glog_lines_need_their_source_and_thread() -> None:
    with pytest.raises(ValueError, match="chromium line names its source location"):
        synth.frame(_paste_entry(origin=""), "chromium")
    with pytest.raises(ValueError, match="glog line names its thread"):
        synth.frame(_paste_entry(thread=""), "glog")
    with pytest.raises(ValueError, match="unknown framing 'syslog'"):
        scenarios.steps_from([{"kind": "go", "delay": 0.0, "text": "x", "framing": "syslog"}], where="here")


def test_paste_puts_the_prefix_a_ticket_shows_in_front_of_every_line() -> None:
    lines = ["2025-08-22 10:23:45.123 [error] boom", "    at x (y.js:1:2)", "", *(f"line {n}" for n in range(4, 11))]
    assert synth.paste(lines, "quote")[:4] == [
        "> 2025-08-22 10:23:45.123 [error] boom",
        ">     at x (y.js:1:2)",
        ">",
        "> line 4",
    ]
    assert synth.paste(lines, "indent")[:3] == [
        "    2025-08-22 10:23:45.123 [error] boom",
        "        at x (y.js:1:2)",
        "",
    ]
    gutter = synth.paste(lines, "gutter")
    assert gutter[:3] == ["   1 | 2025-08-22 10:23:45.123 [error] boom", "   2 |     at x (y.js:1:2)", "   3 |"]
    assert gutter[-1] == "  10 | line 10"
    with pytest.raises(ValueError, match="unknown paste style 'html'"):
        synth.paste(lines, "html")  # type: ignore[arg-type]


@pytest.mark.parametrize("style", synth.PASTE_STYLES)
def test_a_pasted_log_reads_as_the_log_it_was(style: synth.PasteStyle) -> None:
    lines = synth.scenario_lines("app_crash", platform="linux", framing="vscode", seed=11, noise_lines=80)

    def read(text: list[str]) -> tuple[list[object], int]:
        pasted: dict[str, int] = {}
        gate = LIBRARY.gate_with(())
        got = frame_lines(
            iter(text), source="t", is_candidate=gate, recognises=LIBRARY.recognises, counts={}, pasted=pasted
        )
        return list(got), pasted.get("lines", 0)

    plain, none = read(lines)
    records, stripped = read(synth.paste(lines, style))
    assert records == plain and len(plain) > 5 and none == 0
    assert stripped == (sum(bool(line) for line in lines) if style == "indent" else len(lines))


@pytest.mark.parametrize("platform", synth.PLATFORMS)
@pytest.mark.parametrize("scenario", sorted(synth.SCENARIOS))
def test_every_scenario_renders_on_every_platform(scenario: str, platform: synth.Platform) -> None:
    host = synth.make_host(platform, rng=random.Random(1))
    start = datetime(2025, 8, 22, 10, 0, 0)
    rendering = synth.render_scenario(scenario, host=host, start=start, rng=random.Random(2))
    entries = rendering.entries
    assert entries
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    assert start <= entries[0].at and entries[-1].at <= rendering.end
    messages = [e.message or "" for e in entries]
    assert not any(re.search(r"\{\w+\}", m) for m in messages), messages
    named_pipe = any("Named Pipe" in m for m in messages)
    socket_file = any("socket file" in m.lower() for m in messages)
    assert not (named_pipe and socket_file)
    if platform == "windows":
        assert not socket_file
        assert all("/tmp/qoder-" not in m for m in messages)
    else:
        assert not named_pipe
        assert all("\\\\.\\pipe\\" not in m for m in messages)


def test_timings_are_exact_by_default_fixable_and_varied_within_bounds() -> None:
    host = synth.make_host("windows", user="zhanghui")
    start = datetime(2025, 8, 22, 10, 0, 0)

    def ready(**kw: object) -> float:
        rendering = synth.render_scenario("slow_start", host=host, start=start, **kw)  # type: ignore[arg-type]
        [started] = [e.at for e in rendering.entries if "Starting go process" in (e.message or "")]
        [read] = [e.at for e in rendering.entries if (e.message or "").startswith("Read cosy info")]
        return (read - started).total_seconds()

    assert ready(rng=random.Random(1)) == 10.2
    assert ready(rng=random.Random(1), timings={"ready_s": 7.5}) == 7.5
    varied = {ready(rng=random.Random(seed), vary=True) for seed in range(20)}
    assert len(varied) == 20 and all(5.5 <= value <= 25.0 for value in varied)


def test_drift_changes_the_wording_only_where_a_step_has_a_later_one() -> None:
    host = synth.make_host("linux", rng=random.Random(3))
    start = datetime(2025, 8, 22, 10, 0, 0)
    plain = synth.render_scenario("restart_loop", host=host, start=start, rng=random.Random(4))
    drifted = synth.render_scenario("restart_loop", host=host, start=start, rng=random.Random(4), drift=True)
    assert [e.at for e in plain.entries] == [e.at for e in drifted.entries]
    assert sum("Process PID=" in (e.message or "") for e in plain.entries) == 4
    assert sum("Process pid=" in (e.message or "") for e in drifted.entries) == 4
    assert all(", version=" in (e.message or "") for e in drifted.entries if "Read cosy" in (e.message or ""))


def test_a_shared_sidecar_carries_the_pid_into_the_next_scenario() -> None:
    host = synth.make_host("macos", rng=random.Random(5))
    rng = random.Random(6)
    sidecar = synth.Sidecar(host, rng, pids=(48211, 51877))
    start = datetime(2025, 9, 3, 9, 0, 0)
    synth.render_scenario("healthy", host=host, start=start, rng=rng, sidecar=sidecar)
    stale = synth.render_scenario("stale_pid", host=host, start=start + timedelta(hours=2), rng=rng, sidecar=sidecar)
    messages = [e.message or "" for e in stale.entries]
    assert messages[0] == "Process PID=48211 no longer exists, cleaning up config files only"
    assert "pid=48211, socketPath=/tmp/qoder-48211.sock" in messages[2]


def test_update_stuck_keeps_the_log_going_after_its_last_line() -> None:
    host = synth.make_host("macos", rng=random.Random(7))
    start = datetime(2021, 5, 14, 9, 0, 0)
    rendering = synth.render_scenario("update_stuck", host=host, start=start, rng=random.Random(8))
    assert (rendering.end - rendering.entries[-1].at).total_seconds() == 900.0


def test_scenario_lines_interleave_noise_in_the_requested_framing() -> None:
    lines = synth.scenario_lines("ipc_failure", platform="windows", framing="spdlog", seed=9, noise_lines=150)
    assert lines == synth.scenario_lines("ipc_failure", platform="windows", framing="spdlog", seed=9, noise_lines=150)
    qoder = [line for line in lines if "[GoProcessService]" in line]
    assert len(qoder) == 10 and len(lines) >= 160
    assert all(re.match(r"\[2025-08-22 \d\d:\d\d:\d\d\.\d{3}\] \[main\] \[\w+\] ", line) for line in qoder)
    assert "Max reconnection attempts reached, initiating process restart" in "\n".join(qoder)


def test_unknown_names_are_rejected() -> None:
    host = synth.make_host("linux")
    with pytest.raises(ValueError, match="unknown scenario"):
        synth.render_scenario("no_such", host=host, start=datetime(2025, 1, 1), rng=random.Random(0))
    with pytest.raises(ValueError, match="unknown platform"):
        synth.make_host("beos")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="only a Linux host"):
        synth.make_host("windows", remote=True)
    with pytest.raises(ValueError, match="unknown noise flavours"):
        synth.Noise(host, random.Random(0), {"nope": 1})


# --------------------------------------------------------------------------- the corpus


def _corpus(tmp_path: Path, **kw: object) -> bytes:
    out = tmp_path / f"corpus-{len(list(tmp_path.iterdir()))}.log"
    synth.write_corpus(out, **kw)  # type: ignore[arg-type]
    return out.read_bytes()


@pytest.mark.parametrize(
    ("lines", "share", "low", "high"),
    [(1000, 0.02, 0.01, 0.035), (1000, 0.2, 0.15, 0.25), (20000, 0.1, 0.085, 0.115)],
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_corpus_has_the_requested_lines_and_share(
    tmp_path: Path, seed: int, lines: int, share: float, low: float, high: float
) -> None:
    data = _corpus(tmp_path, lines=lines, seed=seed, qoder_share=share)
    assert data.endswith(b"\n") and data.count(b"\n") == lines
    qoder = sum(bool(QODER_LINE.search(line)) for line in data.decode("utf-8").split("\n")[:-1])
    assert low <= qoder / lines <= high


def test_corpus_is_deterministic_per_seed(tmp_path: Path) -> None:
    first = _corpus(tmp_path, lines=3000, seed=3)
    assert first == _corpus(tmp_path, lines=3000, seed=3)
    assert first != _corpus(tmp_path, lines=3000, seed=4)


def test_corpus_noise_is_varied_and_multi_line(tmp_path: Path) -> None:
    lines = _corpus(tmp_path, lines=20000, seed=5).decode("utf-8").split("\n")[:-1]
    stamps = [m[1] for line in lines if (m := STAMP.match(line))]
    assert stamps == sorted(stamps)
    assert sum(line.startswith("    at ") for line in lines) > 200
    assert lines.count("") > 20
    assert sum(not line.isascii() for line in lines) > 100
    payload = [i for i, line in enumerate(lines) if line.endswith("] ToolInvoke : run_in_terminal")]
    assert payload and all(lines[i + 1] == "{" for i in payload if i + 1 < len(lines))
    levels = {m[1] for line in lines if (m := re.match(r"\S+ \S+ \[(\w+)\] ", line))}
    assert levels >= {"trace", "debug", "info", "warning", "error", "critical"}
    kinds = {re.sub(r"[^A-Za-z#\[\] ]", "", line[24:70]) for line in lines if STAMP.match(line)}
    assert len(kinds) > 60
    assert sum("Starting go process" in line for line in lines) >= 5


def test_corpus_without_qoder_share_is_pure_noise(tmp_path: Path) -> None:
    lines = _corpus(tmp_path, lines=5000, seed=6, qoder_share=0.0).decode("utf-8").split("\n")[:-1]
    assert len(lines) == 5000
    assert [line for line in lines if QODER_LINE.search(line)] == []


# --------------------------------------------------------------------------- the command line


def _synth(*args: str) -> Result:
    return CliRunner().invoke(cli, ["synth", *args], catch_exceptions=False)


def test_command_line_writes_the_corpus_write_corpus_writes(tmp_path: Path) -> None:
    out = tmp_path / "c.log"
    result = _synth("corpus", str(out), "--lines", "150", "--seed", "2", "--qoder-share", "0.2")
    assert result.exit_code == 0, result.output
    assert out.read_bytes().count(b"\n") == 150
    assert out.read_bytes() == _corpus(tmp_path, lines=150, seed=2, qoder_share=0.2)


def test_command_line_rejects_a_share_above_one(tmp_path: Path) -> None:
    result = _synth("corpus", str(tmp_path / "c.log"), "--qoder-share", "1.5")
    assert result.exit_code == 2
    assert "1.5" in result.output and not (tmp_path / "c.log").exists()


def test_command_line_writes_the_samples_and_lists_them_readme_last(tmp_path: Path) -> None:
    result = _synth("samples", str(tmp_path / "cli"))
    assert result.exit_code == 0, result.output
    listed = result.output.splitlines()
    assert listed[-1] == str(tmp_path / "cli" / "README.md")
    written = synth.write_samples(tmp_path / "api")
    assert [Path(line).relative_to(tmp_path / "cli") for line in listed] == [
        path.relative_to(tmp_path / "api") for path in written
    ]
    assert _tree(tmp_path / "cli") == _tree(tmp_path / "api")


def test_the_click_command_is_the_only_entry_point() -> None:
    assert importlib.util.find_spec("qoderlog.synth.__main__") is None
    assert not hasattr(synth, "main")


# --------------------------------------------------------------------------- the data files


def test_a_misspelt_step_key_is_an_error_naming_the_item() -> None:
    with pytest.raises(ValueError, match=r"here\[1\]: missing \[\], unknown \['txt'\]"):
        scenarios.steps_from([{"kind": "go", "delay": 0.0}, {"kind": "go", "delay": 1.0, "txt": "x"}], where="here")
    with pytest.raises(ValueError, match=r"here\[0\]: missing \['delay'\]"):
        scenarios.steps_from([{"kind": "go", "text": "x"}], where="here")


def test_an_unknown_kind_or_block_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown kind 'cosy'"):
        scenarios.steps_from([{"kind": "cosy", "delay": 0.0}], where="here")
    with pytest.raises(ValueError, match="unknown block 'nope'"):
        scenarios.steps_from([{"use": "nope"}], where="here")


def test_a_block_use_replaces_the_first_step_and_repeats() -> None:
    plain = scenarios.steps_from([{"use": "loop_cycle"}], where="t")
    moved = scenarios.steps_from([{"use": "loop_cycle", "delay": 7.5, "after": "x", "times": 2}], where="t")
    assert len(moved) == 2 * len(plain) == 6
    assert moved[0].delay == 7.5 and moved[0].after == "x" and moved[0].text == plain[0].text
    assert moved[3].delay == 7.5 and moved[1:3] == plain[1:3] == moved[4:6]
    assert plain[0].delay == "backoff_s" and plain[0].after is None


def test_kinds_set_component_channel_and_category() -> None:
    go, ipc, app = scenarios.steps_from(
        [
            {"kind": "go", "delay": 0.0, "text": "a"},
            {"kind": "ipc", "delay": 0.0, "text": "b", "level": "error"},
            {"kind": "app", "delay": 0.0, "text": "c", "category": "shutdown"},
        ],
        where="t",
    )
    assert (go.component, go.channel, go.category, go.level) == (
        "GoProcessService",
        "main",
        "process_management",
        "info",
    )
    assert (ipc.component, ipc.channel, ipc.category, ipc.level) == ("IPC", "exthost", "ipc", "error")
    assert (app.component, app.channel, app.category) == (None, "main", "shutdown")


def test_every_data_file_is_read_and_carried_by_the_wheel() -> None:
    data = Path(synth.__file__).parent / "data"
    names = sorted(path.name for path in data.iterdir())
    assert names == ["hosts.yaml", "mixes.yaml", "noise.yaml", "samples.yaml", "scenarios.yaml"]
    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"]["qoderlog"]
    package = data.parents[1]
    assert all(any((data / name).relative_to(package).match(glob) for glob in globs) for name in names)
    assert all(isinstance(datafiles.load(path.stem), dict) for path in data.iterdir())


def test_the_gopls_panic_is_listed_with_its_first_continuation_lines() -> None:
    [panic] = [
        item for item in _analysis("gopls-panic-output")["verdict"]["unexplained"] if item["level"] == "critical"
    ]
    assert panic["detail"][:1] == ["[signal SIGSEGV: segmentation violation code=0x1 addr=0x20 pc=0x9c2f4b]"]


def test_the_gutter_paste_counts_warnings_apart_and_its_one_error_as_known_noise() -> None:
    # Regression: the miner's template mixed four warnings with one error and counted all five as errors.
    verdict = _analysis("gutter-tcp-fallback.txt")["verdict"]
    assert verdict["unexplained_records"] == 0 and verdict["unexplained"] == []
    assert verdict["known_noise"] == {"noise.request_context_canceled": 1}  # line 39: a chat request cancelled


def _loud_lines(data: bytes) -> float:
    lines = data.decode("utf-8").splitlines()
    loud = [line for line in lines if re.match(r"\d{4}-\d\d-\d\d [\d:.]+ \[(warning|error|critical)\]", line)]
    return len(loud) / len(lines)


@pytest.mark.parametrize(("share", "low", "high"), [(0.0, 0.0, 0.01), (0.2, 0.13, 0.17), (0.5, 0.27, 0.37)])
def test_corpus_loud_share_sets_the_share_of_warning_and_above_noise(tmp_path: Path, share, low, high) -> None:
    data = _corpus(tmp_path, lines=20000, seed=3, qoder_share=0.0, loud_share=share)
    assert data.count(b"\n") == 20000
    assert low <= _loud_lines(data) <= high


def test_corpus_without_loud_share_is_the_noise_mix_as_before(tmp_path: Path) -> None:
    default = _corpus(tmp_path, lines=5000, seed=4)
    assert _corpus(tmp_path, lines=5000, seed=4, loud_share=None) == default
    assert 0.1 <= _loud_lines(default) <= 0.2  # the mix's own share, ~15% of lines
    with pytest.raises(ValueError, match="loud_share"):
        _corpus(tmp_path, lines=10, loud_share=1.5)
