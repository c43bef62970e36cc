"""The command line: parse (events, stats, formats, exit codes), patterns list/test, python -m qoderlog."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from tqdm import tqdm

import qoderlog
from qoderlog.cli import cli, show_progress

ROOT = Path(__file__).resolve().parent.parent
LOG = (
    "2025-08-22 10:23:45.123 [info] [GoProcessService] Starting go process: /opt/Qoder/resources/app/resources/bin/"
    "x86_64_linux/Qoder start --workDir /root/.config/Qoder/SharedClientCache\n"
    "2025-08-22 10:23:46.000 [info] an unrelated line\n"
    "2025-08-22 10:23:55.301 [info] [GoProcessService] Read cosy info from .info.json: port=56510, pid=21824, "
    "socketPath=/tmp/qoder-21824.sock, isDev=false\n"
    "\n"
    "[main 2019-09-03T15:29:47.100Z] update#setState idle\n"
)


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def run_module(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "qoderlog", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )


@pytest.fixture
def log(write) -> Path:
    return write("main.log", LOG)


def test_parse_writes_one_json_object_per_event(log: Path) -> None:
    result = run("parse", str(log))
    assert result.exit_code == 0
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(e["type"], e["line"]) for e in events] == [("process.start", 1), ("info.read", 3), ("update.state", 5)]
    assert events[1]["fields"] == {"port": 56510, "pid": 21824, "socket_path": "/tmp/qoder-21824.sock", "is_dev": False}
    assert events[2]["timestamp"] == "2019-09-03T15:29:47.100000+00:00"
    assert {e["source"] for e in events} == {str(log)}
    assert result.stderr == ""


def test_parse_json_array_and_csv(log: Path) -> None:
    array = json.loads(run("parse", str(log), "--format", "json").stdout)
    assert [e["type"] for e in array] == ["process.start", "info.read", "update.state"]
    lines = run("parse", str(log), "--format", "csv").stdout.splitlines()
    assert lines[0].startswith("source,line,timestamp,timestamp_utc,type,")
    assert len(lines) == 4


def test_parse_stats_json_sums_to_lines_read(log: Path) -> None:
    result = run("parse", str(log), "--stats", "--format", "json")
    assert result.exit_code == 0
    (line,) = result.stdout.splitlines()
    stats = json.loads(line)
    assert stats["lines_read"] == 5
    assert stats["by_kind"] == {"event": 3, "unrecognised": 1, "continuation": 0, "blank": 1, "skipped": 0}
    assert sum(stats["by_kind"].values()) == stats["lines_read"]
    (only,) = stats["inputs"]
    assert (only["source"], only["encoding"], only["status"]) == (str(log), "utf-8", "ok")


def test_parse_stats_text(log: Path) -> None:
    result = run("parse", str(log), "--stats")
    assert result.exit_code == 0
    assert result.stdout.startswith("lines read: 5\n")
    assert "  event         3\n" in result.stdout


def test_parse_parquet_to_a_file(log: Path, tmp_path: Path) -> None:
    import pandas as pd

    target = tmp_path / "events.parquet"
    result = run("parse", str(log), "--format", "parquet", "-o", str(target))
    assert result.exit_code == 0
    assert pd.read_parquet(target)["type"].astype(str).tolist() == ["process.start", "info.read", "update.state"]


def test_parse_parquet_without_output_is_a_usage_error(log: Path) -> None:
    done = run_module("parse", str(log), "--format", "parquet")
    assert done.returncode == 2
    assert done.stdout == b""
    assert "parquet output needs a file" in done.stderr.decode()
    assert "-o events.parquet" in done.stderr.decode()


def test_missing_only_input_warns_and_exits_3(tmp_path: Path) -> None:
    missing = tmp_path / "nope.log"
    result = run("parse", str(missing))
    assert result.exit_code == 3
    assert result.stdout == ""
    assert f"qoderlog: warning: {missing}: cannot read" in result.stderr


def test_missing_input_beside_a_readable_one_warns_and_exits_0(log: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.log"
    result = run("parse", str(missing), str(log))
    assert result.exit_code == 0
    assert f"qoderlog: warning: {missing}:" in result.stderr
    assert len(result.stdout.splitlines()) == 3


def test_binary_only_input_is_not_an_error_exit(write) -> None:
    dump = write("dump.log", b"MDMP" + bytes(200))
    result = run("parse", str(dump), "--stats", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["inputs"][0]["status"] == "skipped"
    assert "binary file" in result.stderr


def test_stdin_dash(log: Path) -> None:
    done = run_module("parse", "-", "--stats", "--format", "json", stdin=log.read_bytes())
    assert done.returncode == 0, done.stderr.decode()
    stats = json.loads(done.stdout)
    assert stats["inputs"][0]["source"] == "<stdin>"
    assert stats["by_kind"]["event"] == 3


def test_patterns_test_passes_on_the_builtins() -> None:
    result = run("patterns", "test")
    assert result.exit_code == 0
    assert result.stdout.startswith("ok: ")
    assert "patterns" in result.stdout and "every framing" in result.stdout


def test_patterns_test_names_file_and_line_of_a_broken_example(write, tmp_path: Path) -> None:
    path = write(
        "mine/broken.yaml",
        "patterns:\n"
        "  - id: mine.hello\n"
        "    type: mine.hello\n"
        "    prefilter: hello there\n"
        "    regex: '^hello there (?P<n>\\d+)'\n"
        "    fields: {n: int}\n"
        "    examples:\n"
        "      - line: 'hello there nobody'\n"
        "        fields: {n: 1}\n",
    )
    result = run("patterns", "test", str(tmp_path / "mine"))
    assert result.exit_code == 1
    assert f"{path}:8: pattern 'mine.hello': example does not match its own regex" in result.stderr
    assert "problem(s)" in result.stderr


def test_patterns_test_on_a_malformed_file_is_a_usage_error(write, tmp_path: Path) -> None:
    path = write(
        "mine/bad.yaml", "patterns:\n  - id: mine.bad\n    type: mine.bad\n    prefilter: x\n    regex: '(x'\n"
    )
    done = run_module("patterns", "test", str(tmp_path / "mine"))
    assert done.returncode == 2
    assert f"{path}:2: pattern 'mine.bad'" in done.stderr.decode()


def test_patterns_list() -> None:
    result = run("patterns", "list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[-1].endswith(" patterns")
    count = int(lines[-1].split()[0])
    assert count == len(lines) - 1 >= 40
    assert any(line.startswith("process.gone ") and "'no longer exists'" in line for line in lines)


def test_python_dash_m_help() -> None:
    done = run_module("--help")
    assert done.returncode == 0
    out = done.stdout.decode()
    assert out.startswith("Usage: qoderlog")
    for command in ("parse", "analyze", "patterns"):
        assert command in out


def test_folder_without_log_files_warns_and_exits_3(tmp_path: Path) -> None:
    (tmp_path / "picture.png").write_bytes(b"\x89PNG")
    result = subprocess.run(
        [sys.executable, "-m", "qoderlog", "parse", str(tmp_path), "--stats"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3
    assert "no log files found" in result.stderr and "1 other file(s) ignored" in result.stderr


# --- start-up ----------------------------------------------------------------------------------


def test_version_is_answered_before_click_loads_and_says_what_click_says() -> None:
    shown = run_module("--version")
    assert shown.returncode == 0
    assert shown.stdout.decode() == run("--version").output == f"qoderlog, version {qoderlog.__version__}\n"
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.argv = ['qoderlog', '--version']; import qoderlog.__main__ as m; "
            "m.main(); print(sorted(n for n in sys.modules if n.startswith(('click', 'qoderlog.'))))",
        ],
        capture_output=True,
        check=True,
    )
    assert loaded.stdout.decode().splitlines()[-1] == "['qoderlog.__main__', 'qoderlog.version']"


def test_commands_that_read_no_logs_load_no_reading_stage(tmp_path: Path) -> None:
    stages = ["qoderlog.read.sources", "qoderlog.read.scan", "qoderlog.patterns", "qoderlog.events"]
    stages += ["qoderlog.engine", "pandas", "regex", "drain3", "yaml"]
    code = (
        "import sys; from qoderlog.cli import main; sys.argv = ['qoderlog', 'rules']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print([n for n in {stages!r} if n in sys.modules])"
    )
    env = {**os.environ, "QODERLOG_CACHE_DIR": str(tmp_path / "cache")}  # an empty cache: nothing read from it
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, env=env)
    assert "startup-slow" in loaded.stdout.decode()
    assert loaded.stdout.decode().splitlines()[-1] == "[]"


# --- progress ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wanted", "stderr_tty", "stdout_tty", "output", "streams", "shown"),
    [
        (True, True, True, None, False, True),  # analyze or parse --stats on a terminal
        (True, True, False, None, True, True),  # parse's events piped on, the bar on the terminal
        (True, True, True, "out.jsonl", True, True),  # parse's events to a file
        (True, True, True, None, True, False),  # parse's events on the same terminal: no bar amid them
        (True, False, True, None, False, False),  # stderr a pipe or a file
        (False, True, True, None, False, False),  # --no-progress
    ],
)
def test_show_progress(
    wanted: bool, stderr_tty: bool, stdout_tty: bool, output: str | None, streams: bool, shown: bool
) -> None:
    assert (
        show_progress(wanted=wanted, stderr_tty=stderr_tty, stdout_tty=stdout_tty, output=output, streams=streams)
        is shown
    )


def _run_with_terminal_stderr(*args: str) -> tuple[bytes, bytes]:
    """Run the CLI (its bar delay set to 0) with stderr on a pseudo-terminal: (stdout, what the terminal got)."""
    import fcntl
    import os
    import pty
    import struct
    import termios
    import threading

    leader, follower = pty.openpty()
    # A pseudo-terminal starts 0 columns wide, where tqdm draws nothing; give it a terminal's size.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    got: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                return
            if not chunk:
                return
            got.append(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    code = "import sys, qoderlog.cli as c; c.PROGRESS_DELAY_S = 0.0; sys.argv[0] = 'qoderlog'; c.main()"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=follower, cwd=ROOT, timeout=60
        )
    finally:
        os.close(follower)
        reader.join(timeout=10)
        os.close(leader)
    return done.stdout, b"".join(got)


def test_a_terminal_sees_a_bar_per_input_with_bytes_and_rate_and_the_output_none(write) -> None:
    log = write("main.log", LOG * 200)
    stdout, terminal = _run_with_terminal_stderr("parse", str(log), "--stats", "--format", "json")
    assert json.loads(stdout)["lines_read"] == LOG.count("\n") * 200
    size = tqdm.format_sizeof(log.stat().st_size, divisor=1024)
    assert b"main.log:   0%|" in terminal and f"/{size} [".encode() in terminal and b"B/s]" in terminal


def test_progress_is_told_the_stored_bytes_read_of_each_source(write, tmp_path: Path) -> None:
    import gzip
    from contextlib import contextmanager

    from qoderlog.events import iter_events

    plain = write("logs/main.log", LOG * 3000)
    packed = write("logs/old/main.log.1.gz", gzip.compress((LOG * 3000).encode()))
    told: dict[str, list[int]] = {}
    sizes: dict[str, int | None] = {}

    @contextmanager
    def progress(name: str, total: int | None):
        sizes[name] = total
        yield told.setdefault(name, []).append

    with_bars = list(iter_events([str(tmp_path / "logs")], progress=progress))
    assert [e.to_dict() for e in with_bars] == [e.to_dict() for e in iter_events([str(tmp_path / "logs")])]
    by_name = {Path(name).name: name for name in told}
    for path in (plain, packed):
        name = by_name[path.name]
        assert sizes[name] == path.stat().st_size
        assert told[name] == sorted(told[name]) and told[name][-1] == path.stat().st_size
    assert len(told[by_name[plain.name]]) > 1  # told as it goes, not only at the end


def test_no_progress_and_pipes_show_no_bar(write) -> None:
    log = write("main.log", LOG * 200)
    _, terminal = _run_with_terminal_stderr("parse", str(log), "--stats", "--no-progress")
    assert b"B/s" not in terminal
    piped = run_module("analyze", str(log), "--format", "json")
    assert piped.stderr == b""
    assert json.loads(piped.stdout)["stats"]["lines_read"] == LOG.count("\n") * 200


def _script(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_the_command_ends_without_teardown_yet_flushes_its_output_and_runs_the_exit_handlers(tmp_path: Path) -> None:
    shown = run_module("parse", str(ROOT / "sample_logs"), "--format", "jsonl")
    assert shown.returncode == 0
    assert (
        shown.stdout.decode().splitlines()
        == run("parse", str(ROOT / "sample_logs"), "--format", "jsonl").stdout.splitlines()
    )
    assert len(shown.stdout.splitlines()) > 100  # more than one pipe buffer: every line reached the pipe
    ended = _script(
        "import atexit, sys; atexit.register(lambda: print('handler ran'))\n"
        "from qoderlog.__main__ import leave\nsys.stdout.write('unflushed')\nleave(3)"
    )
    assert (ended.returncode, ended.stdout) == (3, "unflushed" + "handler ran\n")
    said = _script("from qoderlog.__main__ import leave\nleave('no such thing')")
    assert (said.returncode, said.stderr) == (1, "no such thing\n")


def test_a_thread_still_running_is_waited_for_as_a_normal_exit_waits() -> None:
    waited = _script(
        "import threading, time\nfrom qoderlog.__main__ import leave\n"
        "threading.Thread(target=lambda: (time.sleep(0.3), print('thread done', flush=True))).start()\nleave(0)"
    )
    assert (waited.returncode, waited.stdout) == (0, "thread done\n")


_HEAP = """
import sys
from qoderlog.__main__ import pin_malloc
assert pin_malloc()
def rss():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) // 1024
kept = []
first = [bytes(1 << 20)]
del first[0]  # unpinned, glibc would raise its threshold past this first big block freed
blocks = []
for _ in range(64):
    blocks.append(bytearray(1 << 20))
    kept.append(bytearray(1000))  # small, kept, from glibc's heap between the blocks
before = rss()
del blocks
print(before - rss())
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mmap threshold")
def test_the_command_pins_the_mmap_threshold_so_that_freed_big_blocks_go_back() -> None:
    # Unpinned, the same script gives back nothing when the small buffers land between the blocks (they do in a
    # fresh interpreter here; where they land depends on the heap's layout, so only the pinned run is asserted).
    freed = int(subprocess.run([sys.executable, "-c", _HEAP], capture_output=True, text=True, check=True).stdout)
    assert freed >= 48, freed  # MB the 64 freed 1 MiB blocks gave back
