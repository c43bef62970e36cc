"""Seeded, deterministic generator of realistic Qoder / VS Code log files.

Takes a seed and gives log text: the committed samples in ``sample_logs/``
(each a field situation of the catalog, with several hundred lines of VS
Code noise around the Qoder lines), a streaming benchmark corpus of any size
(``write_corpus``) and the reusable building block a fleet generator needs
(``render_scenario`` → ``frame`` / ``scenario_lines``).

Scenarios are data: ``SCENARIOS`` maps a name to a tuple of ``Step`` values
(a delay, a level, a message template with ``{pid}``, ``{endpoint}``, …
placeholders). ``render_scenario`` turns one into timed, framing-neutral
``Entry`` values for a ``Host`` (platform, user, paths); ``frame`` writes an
entry in one of the catalog §2 framings. The message wordings are the
catalog's, exactly, except where a step's ``drift`` text shows the wording
drift the catalog allows.

Only the standard library is used; nothing reads the clock: the same seed
gives byte-identical output.

``python -m qoderlog.synth samples sample_logs`` rewrites the samples;
``python -m qoderlog.synth corpus OUT_FILE --lines N --seed S`` writes a corpus.
"""

from __future__ import annotations

import argparse
import gzip
import heapq
import io
import json
import random
import string
import struct
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, get_args

Platform = Literal["windows", "macos", "linux"]
Framing = Literal["vscode", "spdlog", "console", "json", "bare"]
Channel = Literal["main", "exthost"]

PLATFORMS: tuple[Platform, ...] = get_args(Platform)
FRAMINGS: tuple[Framing, ...] = get_args(Framing)

GO = "GoProcessService"
_JSON_LEVELS = {
    "trace": "DEBUG",
    "debug": "DEBUG",
    "info": "INFO",
    "warning": "WARN",
    "error": "ERROR",
    "critical": "FATAL",
}


# --------------------------------------------------------------------------- hosts


@dataclass(frozen=True, slots=True, kw_only=True)
class Host:
    """The machine a log comes from: its platform, user and every path the Qoder lines name."""

    platform: Platform
    user: str
    remote: bool
    sep: str
    home: str
    binary: str
    work_dir: str
    values: Mapping[str, str]

    @property
    def windows(self) -> bool:
        """Named pipes and backslash paths rather than Unix sockets."""
        return self.platform == "windows"


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


def make_host(
    platform: Platform,
    *,
    user: str | None = None,
    rng: random.Random | None = None,
    remote: bool = False,
    arch: str | None = None,
    version: str | None = None,
) -> Host:
    """A ``Host`` for ``platform``; ``remote`` is a Linux ``.qoder-server`` (the user is then root).

    Unset values (user name, commit, cache hash, version) are drawn from ``rng``.
    """
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}; use one of {', '.join(PLATFORMS)}")
    if remote and platform != "linux":
        raise ValueError("only a Linux host can be a remote (.qoder-server) host")
    rng = rng or random.Random(0)
    user = "root" if remote else (user or rng.choice(_USERS))
    version = version or rng.choice(("1.21.4", "1.22.1", "1.23.0"))
    if platform == "windows":
        sep, arch = "\\", arch or "x86_64_windows"
        home = f"C:\\Users\\{user}"
        install = f"{home}\\AppData\\Local\\Programs\\Qoder\\resources\\app"
        binary = f"{install}\\resources\\bin\\{arch}\\Qoder.exe"
        old_binary = f"{home}\\.qoder\\extensions\\aicoding-agent-{_older(version)}\\bin\\{arch}\\Qoder.exe"
        work_dir = f"{home}\\AppData\\Roaming\\Qoder\\SharedClientCache"
        temp_dir = f"{home}\\AppData\\Local\\Temp\\qoder-{_hex(rng, 6)}"
        exec_error = (
            f"fork/exec {binary}: Operation did not complete successfully because the file contains a virus "
            "or potentially unwanted software."
        )
        crash = ("crashed", "-1073741819")
        projects = f"{home}\\source\\repos"
    elif platform == "macos":
        sep, arch = "/", arch or "aarch64_darwin"
        home = f"/Users/{user}"
        binary = f"/Applications/Qoder.app/Contents/Resources/app/resources/bin/{arch}/Qoder"
        old_binary = f"{home}/.qoder/extensions/aicoding-agent-{_older(version)}/bin/{arch}/Qoder"
        work_dir = f"{home}/Library/Application Support/Qoder/SharedClientCache"
        temp_dir = f"/var/folders/{_hex(rng, 2)}/{_hex(rng, 12)}/T/qoder-tmp"
        exec_error = f"fork/exec {binary}: permission denied"
        crash = ("crashed", "5")
        projects = f"{home}/Projects"
    else:
        sep, arch = "/", arch or "x86_64_linux"
        home = "/root" if remote else f"/home/{user}"
        if remote:
            commit, old_commit = _hex(rng, 40), _hex(rng, 40)
            server = f"{home}/.qoder-server/bin"
            binary = f"{server}/{commit}/extensions/aicoding-agent/bin/{arch}/Qoder"
            old_binary = f"{server}/{old_commit}/extensions/aicoding-agent/bin/{arch}/Qoder"
            work_dir = f"{home}/.config/Qoder/{_hex(rng, 8)}/SharedClientCache"
        else:
            binary = f"/usr/share/qoder/resources/app/resources/bin/{arch}/Qoder"
            old_binary = f"{home}/.qoder/extensions/aicoding-agent-{_older(version)}/bin/{arch}/Qoder"
            work_dir = f"{home}/.config/Qoder/SharedClientCache"
        temp_dir = "/tmp/qoder-tmp"
        exec_error = f"fork/exec {binary}: permission denied"
        crash = ("crashed", "133")
        projects = f"{home}/work"
    values = {
        "user": user,
        "home": home,
        "binary": binary,
        "old_binary": old_binary,
        "work_dir": work_dir,
        "info_path": f"{work_dir}{sep}.info.json",
        "arch_dir": arch,
        "version": version,
        "temp_dir": temp_dir,
        "exec_error": exec_error,
        "ipc_os": "Windows" if platform == "windows" else "Unix-like",
        "ipc_channel": "Named Pipe" if platform == "windows" else "Unix Domain Socket",
        "refused": "ENOENT" if platform == "windows" else "ECONNREFUSED",
        "crash_reason": crash[0],
        "crash_code": crash[1],
        "projects": projects,
        "main_js": binary.split(f"{sep}resources{sep}bin")[0] + f"{sep}out{sep}main.js",
    }
    return Host(
        platform=platform,
        user=user,
        remote=remote,
        sep=sep,
        home=home,
        binary=binary,
        work_dir=work_dir,
        values=values,
    )


def _older(version: str) -> str:
    major, minor, patch = (int(part) for part in version.split("."))
    return f"{major}.{max(minor - 1, 0)}.{patch}"


class Sidecar:
    """The Go sidecar a scenario talks about: pid, port and IPC endpoint, now and before the last spawn.

    ``pids``, ``ports`` and ``pipes`` (hex suffixes of Windows pipe names)
    are used first, in order, one per spawn; then values are drawn from the
    generator. Shared across scenarios, it makes a later scenario see the
    earlier one's process (a stale pid names the previous session's pid).
    """

    def __init__(
        self,
        host: Host,
        rng: random.Random,
        *,
        pids: Iterable[int] = (),
        ports: Iterable[int] = (),
        pipes: Iterable[str] = (),
    ) -> None:
        self._host, self._rng = host, rng
        self._pids, self._ports, self._pipes = deque(pids), deque(ports), deque(pipes)
        self._now: tuple[int, int, str] | None = None
        self._before: tuple[int, int, str] | None = None

    def _draw(self, *, preset: bool) -> tuple[int, int, str]:
        rng = self._rng
        pid = self._pids.popleft() if preset and self._pids else _pid(self._host, rng)
        port = self._ports.popleft() if preset and self._ports else rng.randrange(50000, 60000)
        if self._host.windows:
            pipe = self._pipes.popleft() if preset and self._pipes else _hex(rng, 6)
            endpoint = f"\\\\.\\pipe\\qoder-{pipe}"
        else:
            endpoint = f"/tmp/qoder-{pid}.sock"
        return pid, port, endpoint

    def spawn(self) -> None:
        """A new sidecar process: the current identity becomes the old one."""
        self._before = self._now or self._draw(preset=False)
        self._now = self._draw(preset=True)

    def values(self) -> dict[str, str]:
        """The template values: the host's, plus ``pid``/``port``/``endpoint`` and their ``old_`` twins."""
        if self._now is None:
            self.spawn()
        assert self._now is not None and self._before is not None
        (pid, port, endpoint), (old_pid, old_port, old_endpoint) = self._now, self._before
        return {
            **self._host.values,
            "pid": str(pid),
            "port": str(port),
            "endpoint": endpoint,
            "old_pid": str(old_pid),
            "old_port": str(old_port),
            "old_endpoint": old_endpoint,
        }


def _pid(host: Host, rng: random.Random) -> int:
    if host.windows:
        return rng.randrange(1000, 40000, 4)
    if host.platform == "macos":
        return rng.randrange(400, 99999)
    return rng.randrange(100000, 4194304) if host.remote else rng.randrange(1000, 200000)


# --------------------------------------------------------------------------- scenarios as data


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One line of a scenario.

    ``delay`` is seconds after the previous step, or after the step labelled
    ``after``; a string names a timing (``ready_s`` …) so that a sample can
    fix it and a fleet can vary it. ``text`` is a ``str.format`` template over
    ``Sidecar.values()``; an empty text is a pause that only moves time on.
    ``only`` keeps a step to ``"windows"`` or ``"unix"`` hosts; ``spawn``
    starts a new sidecar before the line; ``drift`` is the same line in a
    later Qoder's wording; ``json_text`` and ``fields`` are what the JSON
    framing shows instead of the text.
    """

    delay: float | str
    level: str
    text: str
    component: str | None = None
    channel: Channel = "main"
    category: str = "process_management"
    after: str | None = None
    label: str | None = None
    spawn: bool = False
    only: Literal["windows", "unix"] | None = None
    drift: str | None = None
    json_text: str | None = None
    fields: tuple[tuple[str, str | int], ...] = ()
    detail: tuple[str, ...] = ()


Timing = tuple[float, float, float]
"""A timing's exact default and the low/high bounds a fleet may draw from."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A named list of steps, its timing defaults, and what it shows."""

    steps: tuple[Step, ...]
    about: str
    timings: Mapping[str, Timing] = field(default_factory=dict)


TIMINGS: dict[str, Timing] = {
    "ready_s": (1.6, 0.7, 4.5),
    "health_s": (0.25, 0.05, 0.9),
    "wait_s": (0.8, 0.01, 2.5),
    "exists_s": (0.006, 0.002, 0.05),
    "connect_s": (0.4, 0.05, 5.5),
    "exit_s": (2.4, 0.5, 8.0),
    "backoff_s": (64.0, 20.0, 70.0),
    "check_s": (2.3, 0.8, 6.0),
    "download_s": (38.0, 12.0, 160.0),
    "stuck_s": (900.0, 660.0, 1800.0),
    "unresponsive_s": (4.2, 1.0, 30.0),
}


def _go(delay: float | str, level: str, text: str, **kw: Any) -> Step:
    return Step(delay=delay, level=level, text=text, component=GO, **kw)


def _ext(delay: float | str, level: str, text: str, **kw: Any) -> Step:
    return Step(delay=delay, level=level, text=text, channel="exthost", category="extension_host", **kw)


def _ipc(delay: float | str, level: str, text: str, **kw: Any) -> Step:
    return Step(delay=delay, level=level, text=text, component="IPC", channel="exthost", category="ipc", **kw)


def _app(delay: float | str, level: str, text: str, **kw: Any) -> Step:
    return Step(delay=delay, level=level, text=text, category="editor", **kw)


def _pause(delay: float | str) -> Step:
    return Step(delay=delay, level="info", text="")


_READ = (
    "Read cosy info from .info.json: port={port}, pid={pid}, socketPath={endpoint}, isDev=false",
    "Read cosy info from .info.json. pid={pid}, socketPath={endpoint}, port={port}, isDev=false, version={version}",
)
_EXT_READ = (
    "Successfully read cosy info from .info.json. pid={pid}, port={port}, socketPath={endpoint}, isDev=false",
    "Successfully read cosy info from .info.json: port={port}, PID={pid}, socketPath={endpoint}, isDev=false",
)

START = _go(
    0.0,
    "info",
    "Starting go process: {binary} start --workDir {work_dir}",
    spawn=True,
    label="start",
    fields=(("executable", "{binary}"),),
)
READ = _go("ready_s", "info", _READ[0], after="start", label="read", drift=_READ[1])
HEALTH_OK = _go("health_s", "info", "Health check IPC connection created successfully: {endpoint}")

EXT_CHECK = (
    _ext(0.0, "info", "check start cosy async"),
    _ext(
        0.004,
        "info",
        "getExtensionBinPath: multiple versions found [config.json, env.json, extension, {arch_dir}], "
        "selected latest: {version}",
    ),
    _ext(0.001, "info", "extensionBinPath exists, check start cosy async"),
    _ext(0.002, "info", "Waiting for .info.json file to exist: {info_path}", label="wait"),
)
EXT_READ = (
    _ext(0.003, "info", _EXT_READ[0], drift=_EXT_READ[1]),
    _ext(0.012, "info", "Existing process path (pid={pid}): {binary}"),
    _ext(0.001, "info", "Current binary path: {binary}"),
    _ext(0.001, "info", "Process path matches, no need to restart"),
)
IPC_OK = (
    _ipc(0.001, "info", "Checking IPC availability..."),
    _ipc(0.001, "info", "Got socketPath from cosyInfo: {endpoint}"),
    _ipc(0.001, "info", "Platform is {ipc_os}, checking {ipc_channel} availability..."),
    _ipc(0.001, "info", "Checking if socket file exists: {endpoint}", only="unix"),
    _ipc(0.001, "info", "Socket file found after 1ms: {endpoint}", only="unix"),
    _ipc(0.001, "info", "Socket file exists, attempting to connect: {endpoint}", only="unix"),
    _ipc(0.004, "info", "Successfully connected to socket: {endpoint}", only="unix"),
    _ipc(0.001, "info", "Unix Domain Socket availability check result: true", only="unix"),
    _ipc(0.007, "info", "Named Pipe availability check result: true", only="windows"),
    _ext(0.001, "info", "IPC connection available at: {endpoint}"),
    _ext(0.002, "info", "try to create connection", label="try"),
    _ext("connect_s", "info", "Connection established using: ipc ({endpoint})"),
)
IPC_TCP = (
    _ipc(0.001, "info", "Checking IPC availability..."),
    _ipc(0.001, "info", "Got socketPath from cosyInfo: {endpoint}"),
    _ipc(0.001, "info", "Platform is {ipc_os}, checking {ipc_channel} availability..."),
    _ipc(0.001, "info", "Checking if socket file exists: {endpoint}", only="unix"),
    _ipc(5.0, "warning", "Socket file not found after 5000ms: {endpoint}", only="unix"),
    _ipc(0.001, "info", "Unix Domain Socket availability check result: false", only="unix"),
    _ipc(1.503, "warning", "Named Pipe availability check result: false", only="windows"),
    _ext(0.002, "info", "try to create connection", label="try"),
    _ext("connect_s", "info", "Connection established using: tcp (127.0.0.1:{port})"),
)
IPC_REFUSED = (
    _ipc(0.001, "info", "Checking IPC availability..."),
    _ipc(0.001, "info", "Got socketPath from cosyInfo: {endpoint}"),
    _ipc(0.001, "info", "Platform is {ipc_os}, checking {ipc_channel} availability..."),
    _ipc(0.001, "info", "Checking if socket file exists: {endpoint}", only="unix"),
    _ipc(0.001, "info", "Socket file found after 1ms: {endpoint}", only="unix"),
    _ipc(0.001, "info", "Socket file exists, attempting to connect: {endpoint}", only="unix"),
    _ipc(
        0.006,
        "error",
        "Failed to connect to socket: {endpoint}, error: connect ECONNREFUSED {endpoint}",
        only="unix",
    ),
    _ipc(0.001, "info", "Unix Domain Socket availability check result: false", only="unix"),
    _ipc(0.006, "warning", "Named Pipe availability check result: false", only="windows"),
    _ext(0.002, "info", "try to create connection", label="try"),
    _ext("connect_s", "info", "Connection established using: tcp (127.0.0.1:{port})"),
)


def _from(label: str, delay: float | str, steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """``steps`` with the first one anchored ``delay`` after the step labelled ``label``."""
    return (replace(steps[0], delay=delay, after=label), *steps[1:])


_HEALTHY = (
    START,
    *_from("start", 0.35, EXT_CHECK),
    READ,
    HEALTH_OK,
    *_from("read", "exists_s", (_ext(0.0, "info", ".info.json file exists: {info_path}"), *EXT_READ)),
    *IPC_OK,
)
_ATTACH = (
    *EXT_CHECK,
    _ext("wait_s", "info", ".info.json file exists: {info_path}", after="wait"),
    *EXT_READ,
    *IPC_OK,
)
_RECONNECT = (
    _go(0.0, "error", "Health check IPC connection failed: {endpoint}, error: connect ENOENT {endpoint}"),
    _go(30.0, "error", "Health check failed: read ECONNRESET"),
    *(
        _go(5.0, "warning", f"IPC connection attempt {attempt} failed: connect ENOENT {{endpoint}}")
        for attempt in range(1, 5)
    ),
    _go(0.002, "error", "Max reconnection attempts reached, initiating process restart"),
    replace(START, delay=1.2),
    READ,
    HEALTH_OK,
)
_CLEANUP_UNIX = (
    "cleanup completed with 2 errors: [failed to cleanup IPC resources: remove {endpoint}: permission denied  "
    "failed to cleanup temp files: unlinkat {temp_dir}: directory not empty]"
)
_CLEANUP_WINDOWS = (
    "cleanup completed with 2 errors: [failed to cleanup IPC resources: close {endpoint}: The handle is invalid.  "
    "failed to cleanup temp files: remove {temp_dir}\\index.lock: The process cannot access the file because it is "
    "being used by another process.]"
)
_GONE = (
    "Process PID={pid} no longer exists, cleaning up config files only",
    "Process pid={pid} no longer exists, cleaning up config files only",
)
_EXIT = ("Process PID={pid} exited with code 2", "Process pid={pid} exited with code 2")
_LOOP_CYCLE = (
    replace(START, delay="backoff_s"),
    READ,
    _go("exit_s", "error", _EXIT[0], drift=_EXIT[1]),
)
_UNCAUGHT = _app(
    0.0,
    "error",
    "[uncaught exception in main]: Error: EPERM: operation not permitted, unlink '{info_path}'",
    detail=(
        "    at Object.unlinkSync (node:fs:1885:3)",
        "    at GoProcessService.cleanupConfigFiles ({main_js}:2:104331)",
        "    at GoProcessService.onProcessGone ({main_js}:2:103870)",
        "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
    ),
)

SCENARIOS: dict[str, Scenario] = {
    "healthy": Scenario(
        steps=_HEALTHY,
        about="start, .info.json read, health-check IPC, extension host attaches over IPC",
    ),
    "attach": Scenario(
        steps=_ATTACH,
        about="the extension host attaches to a running sidecar (catalog §4 observed sequence)",
    ),
    "slow_start": Scenario(
        steps=_HEALTHY,
        about="a healthy session whose start → .info.json read takes ≥ 5 s",
        timings={"ready_s": (10.2, 5.5, 25.0)},
    ),
    "start_failure": Scenario(
        steps=(
            START,
            *_from("start", 0.4, EXT_CHECK),
            _go(
                0.05,
                "error",
                "Process start attempt 1 failed: {exec_error}",
                after="start",
                fields=(("attempt", 1), ("error", "{exec_error}"), ("executable", "{binary}")),
            ),
            _go(
                2.0,
                "error",
                "Process start attempt 2 failed: {exec_error}",
                label="second",
                fields=(("attempt", 2), ("error", "{exec_error}"), ("executable", "{binary}")),
            ),
            _ext(30.0, "error", ".info.json file not found after 30000ms: {info_path}", after="wait"),
            _go(
                32.0,
                "warning",
                "Process not ready after start: timeout waiting for process to be ready",
                after="second",
                fields=(("attempt", 3), ("timeout_ms", 30000)),
            ),
            _go(0.001, "error", "failed to start process after 3 attempts: timeout waiting for process to be ready"),
            _go(
                0.001,
                "error",
                "Process startup failed: timeout waiting for process to be ready",
                json_text="Process startup failed",
                fields=(
                    ("attempt", 3),
                    ("error", "timeout waiting for process to be ready"),
                    ("executable", "{binary}"),
                ),
            ),
        ),
        about="start attempts fail, the third never becomes ready; the extension host gives up on .info.json",
    ),
    "stale_pid": Scenario(
        steps=(
            _go(0.0, "warning", _GONE[0], drift=_GONE[1]),
            replace(START, delay=1.204),
            _go(
                "ready_s",
                "info",
                "Read cosy info from .info.json: port={old_port}, pid={old_pid}, "
                "socketPath={old_endpoint}, isDev=false",
                after="start",
            ),
            _go(
                "health_s",
                "error",
                "Health check IPC connection failed: {old_endpoint}, error: connect {refused} {old_endpoint}",
            ),
        ),
        about="a pid reported gone, a new start, and .info.json still names the gone pid",
        timings={"ready_s": (2.1, 0.5, 4.0)},
    ),
    "ipc_failure": Scenario(
        steps=_RECONNECT,
        about="health-check IPC fails, four reconnect attempts fail, the sidecar is restarted",
    ),
    "ipc_retry": Scenario(
        steps=(
            _go(0.0, "warning", "IPC connection attempt 1 failed: connect ENOENT {endpoint}"),
            _go(5.0, "info", "Health check IPC connection created successfully: {endpoint}"),
        ),
        about="healthy look-alike: one reconnect attempt fails, the first retry connects",
    ),
    "tcp_fallback": Scenario(
        steps=IPC_TCP,
        about="the socket never appears (or the pipe is unusable); the client falls back to TCP",
        timings={"connect_s": (0.35, 0.05, 1.5)},
    ),
    "socket_refused": Scenario(
        steps=IPC_REFUSED,
        about="the socket file exists but refuses connections; the client falls back to TCP",
        timings={"connect_s": (0.35, 0.05, 1.5)},
    ),
    "path_mismatch": Scenario(
        steps=(
            *EXT_CHECK,
            _ext("wait_s", "info", ".info.json file exists: {info_path}", after="wait"),
            _ext(0.003, "info", _EXT_READ[0], drift=_EXT_READ[1]),
            _ext(0.012, "info", "Existing process path (pid={pid}): {old_binary}"),
            _ext(0.001, "info", "Current binary path: {binary}"),
            _ext(
                0.001, "warning", "Process path mismatch, need to restart (existing: {old_binary}, current: {binary})"
            ),
            _ext(0.35, "info", "Waiting for .info.json file to exist: {info_path}", spawn=True, label="rewait"),
            _ext(2.7, "info", ".info.json file exists: {info_path}", after="rewait"),
            _ext(0.003, "info", _EXT_READ[0], drift=_EXT_READ[1]),
        ),
        about="the running sidecar is an older binary; the extension host restarts it",
        timings={"wait_s": (0.004, 0.001, 0.05)},
    ),
    "cleanup_anomaly": Scenario(
        steps=(
            _go(0.0, "warning", _GONE[0], drift=_GONE[1]),
            _go(0.2, "error", _CLEANUP_UNIX, only="unix", fields=(("error_count", 2),)),
            _go(0.2, "error", _CLEANUP_WINDOWS, only="windows", fields=(("error_count", 2),)),
            _go(
                41.5,
                "error",
                "Components shutdown with errors: indexer: context deadline exceeded",
                category="shutdown",
            ),
            _go(95.0, "warning", "Graceful shutdown timeout, forcing cleanup", category="shutdown"),
        ),
        about="a sidecar dies; cleanup leaves errors; a later shutdown has errors and one times out",
    ),
    "restart_loop": Scenario(
        steps=(replace(_LOOP_CYCLE[0], delay=0.0), *_LOOP_CYCLE[1:], *(_LOOP_CYCLE * 3)),
        about="four starts in under five minutes, each sidecar exits with code 2",
        timings={"ready_s": (1.1, 0.6, 2.0)},
    ),
    "update_check": Scenario(
        steps=(
            _app(0.0, "info", "update#setState checking for updates"),
            _app("check_s", "info", "update#setState idle"),
        ),
        about="healthy look-alike: an update check that finds nothing within seconds",
    ),
    "update_install": Scenario(
        steps=(
            _app(0.0, "info", "update#setState checking for updates"),
            _app(1.9, "info", "update#setState available for download"),
            _app(0.8, "info", "update#setState downloading"),
            _app("download_s", "info", "update#setState downloaded"),
            _app(2.2, "info", "update#setState ready"),
        ),
        about="a normal update cycle: checking → available → downloading → downloaded → ready",
    ),
    "update_stuck": Scenario(
        steps=(
            _app(0.0, "info", "update#checkForUpdates, state = idle"),
            _app(0.004, "info", "update#setState checking for updates"),
            _app(1.6, "info", "update#setState available for download"),
            _app(0.9, "info", "update#setState downloading"),
            _pause("stuck_s"),
        ),
        about="the updater enters downloading and never leaves it while the log goes on",
    ),
    "update_disabled": Scenario(
        steps=(_app(0.0, "info", "update#ctor - updates are disabled by the environment"),),
        about="the updater is disabled (Linux tarball, remote, portable)",
    ),
    "app_crash": Scenario(
        steps=(
            _UNCAUGHT,
            _app(66.0, "warning", "CodeWindow: detected unresponsive"),
            _app(
                "unresponsive_s",
                "error",
                "CodeWindow: renderer process gone (reason: {crash_reason}, code: {crash_code})",
            ),
        ),
        about="an uncaught exception in main, an unresponsive window, then the renderer crashes",
    ),
    "renderer_oom": Scenario(
        steps=(_app(0.0, "error", "CodeWindow: renderer process gone (reason: oom, code: -536870904)"),),
        about="the renderer runs out of memory",
    ),
}


# --------------------------------------------------------------------------- entries and framings


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One framing-neutral log record: time, level, message, and the lines that continue it.

    ``message`` is ``None`` for a blank line; ``raw`` records (Chromium's
    stderr in a console capture) are written as they are, with no header.
    """

    at: datetime
    level: str
    message: str | None
    component: str | None = None
    channel: Channel = "main"
    category: str = "process_management"
    detail: tuple[str, ...] = ()
    fields: tuple[tuple[str, str | int], ...] = ()
    json_message: str | None = None
    raw: bool = False


@dataclass(frozen=True, slots=True)
class Rendering:
    """A rendered scenario: its entries in time order and when it is over (pauses included)."""

    entries: tuple[Entry, ...]
    end: datetime


def _scenario_steps(scenario: str | Sequence[Step]) -> tuple[tuple[Step, ...], Mapping[str, Timing]]:
    if isinstance(scenario, str):
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; use one of {', '.join(SCENARIOS)}")
        found = SCENARIOS[scenario]
        return found.steps, found.timings
    return tuple(scenario), {}


def render_scenario(
    scenario: str | Sequence[Step],
    *,
    host: Host,
    start: datetime,
    rng: random.Random,
    sidecar: Sidecar | None = None,
    timings: Mapping[str, float] | None = None,
    vary: bool = False,
    drift: bool = False,
) -> Rendering:
    """The entries of ``scenario`` (a name in ``SCENARIOS`` or a sequence of steps) from ``start`` on.

    Timings are the scenario's exact defaults, or drawn between its bounds
    when ``vary``; ``timings`` fixes some by name. ``drift`` uses the later
    wording where a step has one. Pass one ``sidecar`` to several calls to
    keep the process identity across them.
    """
    steps, own = _scenario_steps(scenario)
    bounds = {**TIMINGS, **own}
    chosen = {name: (rng.uniform(low, high) if vary else exact) for name, (exact, low, high) in bounds.items()}
    chosen.update(timings or {})
    sidecar = sidecar or Sidecar(host, rng)
    family = "windows" if host.windows else "unix"
    marks: dict[str, datetime] = {}
    previous = end = start
    entries: list[Entry] = []
    for step in steps:
        if step.only is not None and step.only != family:
            continue
        delay = chosen[step.delay] if isinstance(step.delay, str) else step.delay
        at = (marks[step.after] if step.after else previous) + timedelta(seconds=delay)
        previous, end = at, max(end, at)
        if step.label:
            marks[step.label] = at
        if step.spawn:
            sidecar.spawn()
        if not step.text:
            continue
        values = sidecar.values()
        text = step.drift if drift and step.drift else step.text
        entries.append(
            Entry(
                at=at,
                level=step.level,
                message=text.format_map(values),
                component=step.component,
                channel=step.channel,
                category=step.category,
                detail=tuple(line.format_map(values) for line in step.detail),
                fields=tuple((k, v.format_map(values) if isinstance(v, str) else v) for k, v in step.fields),
                json_message=step.json_text,
            )
        )
    entries.sort(key=lambda entry: entry.at)
    return Rendering(entries=tuple(entries), end=end)


def _stamp(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S}.{at.microsecond // 1000:03d}"


def frame(entry: Entry, framing: Framing, *, utc_offset_h: float = 0.0, logger: str = "main") -> list[str]:
    """The physical lines of ``entry`` in ``framing`` (catalog §2), continuation lines included.

    Entry times are local; the console and JSON framings print UTC, that is
    the local time minus ``utc_offset_h`` hours. ``logger`` names the process
    in the spdlog and console headers.
    """
    if entry.message is None:
        return [""]
    if entry.raw:
        return [entry.message, *entry.detail]
    text = f"[{entry.component}] {entry.message}" if entry.component else entry.message
    if framing == "vscode":
        head = f"{_stamp(entry.at)} [{entry.level}] {text}"
    elif framing == "spdlog":
        head = f"[{_stamp(entry.at)}] [{logger}] [{entry.level}] {text}"
    elif framing == "console":
        utc = entry.at - timedelta(hours=utc_offset_h)
        head = f"[{logger} {utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z] {text}"
    elif framing == "json":
        utc = entry.at - timedelta(hours=utc_offset_h)
        record: dict[str, str | int] = {
            "timestamp": f"{utc:%Y-%m-%dT%H:%M:%SZ}",
            "level": _JSON_LEVELS[entry.level],
            "category": entry.category,
            "message": entry.json_message or entry.message,
        }
        record.update(entry.fields)
        head = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    elif framing == "bare":
        head = text
    else:
        raise ValueError(f"unknown framing {framing!r}; use one of {', '.join(FRAMINGS)}")
    return [head, *entry.detail]


# --------------------------------------------------------------------------- noise


@dataclass(frozen=True, slots=True)
class _Template:
    level: str | None
    text: str
    names: tuple[str, ...]
    detail: tuple[str, ...]
    extra: Literal["stack", "payload"] | None
    fields: tuple[tuple[str, str], ...]
    category: str
    raw: bool


def _t(
    level: str | None,
    text: str,
    *detail: str,
    extra: Literal["stack", "payload"] | None = None,
    fields: tuple[tuple[str, str], ...] = (),
    category: str = "",
    raw: bool = False,
) -> _Template:
    parts = [text, *detail, *(value for _, value in fields)]
    names = tuple(sorted({name for part in parts for _, name, _, _ in string.Formatter().parse(part) if name}))
    return _Template(level, text, names, detail, extra, fields, category, raw)


_BLANK = _t(None, "")
_NOISE: dict[str, tuple[tuple[int, _Template], ...]] = {
    "main": (
        (5, _t("info", "Extension host with pid {pid} started")),
        (3, _t("info", "[UtilityProcess id: {n}, type: extensionHost, pid: {pid}]: successfully created")),
        (2, _t("info", "[UtilityProcess id: {n}, type: fileWatcher, pid: <none>]: creating new...")),
        (2, _t("info", "[UtilityProcess id: {n}, type: shared-process, pid: {pid}]: successfully created")),
        (4, _t("info", "[perf] Render performance baseline is {baseline}ms")),
        (3, _t("trace", "lifecycle (main): phase changed (value: {phase})")),
        (2, _t("info", "Lifecycle#window.on('closed') - window ID {win}")),
        (2, _t("trace", "Lifecycle#unload() - window ID {win}")),
        (4, _t("info", "[File Watcher (parcel)] Started watching: '{dir}'")),
        (
            3,
            _t(
                "info",
                "[File Watcher (universal)] Request to start watching: {dir} (excludes: **/.git/objects/**,"
                "**/node_modules/*/**, includes: <all>, filter: <none>, correlationId: <none>)",
            ),
        ),
        (
            2,
            _t(
                "warning",
                "[File Watcher (parcel)] ignoring a path for watching that is a file and not a folder: {file}",
            ),
        ),
        (1, _t("critical", "[File Watcher (parcel)] Inotify limit reached (ENOSPC)")),
        (2, _t("info", "resolveShellEnv(): skipped (VSCODE_CLI is set)")),
        (2, _t("info", "Settings Sync: Account status changed from uninitialized to unavailable")),
        (
            3,
            _t(
                "warning",
                "Via 'product.json#extensionEnabledApiProposals' extension '{ext}' wants API proposal '{proposal}' "
                "but that proposal DOES NOT EXIST. Likely, the proposal has been finalized (check 'vscode.d.ts') or "
                "was abandoned.",
            ),
        ),
        (2, _t("warning", "[Window] [{ext}]: Cannot register '{setting}'. This property is already registered.")),
        (
            2,
            _t(
                "warning",
                "[Window] Ignoring the error while validating workspace folder {dir} - "
                "ENOENT: no such file or directory",
            ),
        ),
        (
            2,
            _t(
                "error",
                "[Extension Host] (node:{pid}) [DEP0040] DeprecationWarning: The `punycode` module is deprecated. "
                "Please use a userland alternative instead.",
                "(Use `Qoder Helper (Plugin) --trace-deprecation ...` to show where the warning was created)",
            ),
        ),
        (1, _t("error", "[Extension Host] Error: ENOENT: no such file or directory, open '{file}'", extra="stack")),
        (
            1,
            _t(
                "error",
                "[Extension Host] TypeError: Cannot read properties of undefined (reading '{prop}')",
                extra="stack",
            ),
        ),
        (1, _t("error", "Error: net::ERR_NETWORK_CHANGED", extra="stack")),
        (4, _t("trace", "CommandService#executeCommand {command}")),
        (3, _t("trace", "[KeybindingService]: / Received  keydown event - {key_event}")),
        (2, _t("debug", "StorageMainService: creating workspace storage ({hash})")),
        (2, _t("info", "Auto updating outdated extensions. {ext}")),
        (2, _t("info", "Getting Manifest... {ext}")),
        (
            1,
            _t("info", "Extension signature verification result for {ext}: Success. Executed: true. Duration: {ms}ms."),
        ),
        (1, _t("info", "Extension installed successfully: {ext}")),
        (1, _t("info", "Marked extension as removed {ext}-{semver}")),
        (2, _t("info", "ToolInvoke : run_in_terminal", extra="payload")),
        (3, _t("info", "> git {git} [{ms}ms]")),
        (1, _t("debug", "[Window] Auto-detected encoding of '{file}': utf8")),
        (1, _BLANK),
    ),
    "exthost": (
        (5, _t("info", "ExtensionService#_doActivateExtension {ext}, startup: {flag}, activationEvent: '{event}'")),
        (
            2,
            _t(
                "info",
                "ExtensionService#_doActivateExtension {ext}, startup: false, activationEvent: 'api', "
                "root cause: {ext2}",
            ),
        ),
        (1, _t("info", "Eager extensions activated")),
        (4, _t("trace", "ExtHostCommands#executeCommand {command}")),
        (2, _t("trace", "ExtHostCommands#registerCommand {command}")),
        (1, _t("error", "Activating extension {ext} failed due to an error:", extra="stack")),
        (2, _t("warning", "[{ext}]: Cannot register '{setting}'. This property is already registered.")),
        (1, _t("error", "[{ext}] TypeError: Cannot read properties of undefined (reading '{prop}')", extra="stack")),
        (2, _t("info", "[{ext}] Language server started (pid {pid})")),
        (3, _t("info", "> git {git} [{ms}ms]")),
        (1, _t("info", "Extension host terminating: renderer closed the MessagePort")),
        (1, _BLANK),
    ),
    "renderer": (
        (4, _t("info", "Started local extension host with pid {pid}.")),
        (3, _t("info", "[perf] Render performance baseline is {baseline}ms")),
        (3, _t("trace", "[KeybindingService]: | Resolving {chord}")),
        (4, _t("trace", "CommandService#executeCommand {command}")),
        (1, _t("error", "Error: Unable to resolve nonexistent file '{file}'", extra="stack")),
        (
            1,
            _t(
                "error", "[Extension Host] rejected promise not handled within 1 second: Error: Canceled", extra="stack"
            ),
        ),
        (2, _t("info", "Settings Sync: Account status changed from uninitialized to unavailable")),
        (2, _t("warning", "[{ext}]: Cannot register '{setting}'. This property is already registered.")),
        (1, _t("debug", "Auto-detected encoding of '{file}': utf8")),
    ),
    "shared": (
        (3, _t("info", "Getting Manifest... {ext}")),
        (2, _t("info", "Installing extension: {ext}")),
        (
            2,
            _t("info", "Extension signature verification result for {ext}: Success. Executed: true. Duration: {ms}ms."),
        ),
        (2, _t("info", "Extracted extension to {ext_dir}: {ext}")),
        (2, _t("info", "Extension installed successfully: {ext}")),
        (2, _t("info", "Marked extension as removed {ext}-{semver}")),
        (2, _t("info", "Deleted marked for removal extension from disk {ext} {ext_dir}")),
        (2, _t("info", "Auto updating outdated extensions. {ext}")),
        (
            1,
            _t(
                "error",
                "Error while getting the latest version for the extension {ext}: net::ERR_INTERNET_DISCONNECTED",
            ),
        ),
    ),
    "agent": (
        (4, _t("info", "[Completion] request {short} served in {ms}ms ({n} candidates)")),
        (2, _t("warning", "[Completion] request {short} cancelled after {ms}ms")),
        (3, _t("info", "[Index] indexed {big} files of {dir} in {ms_big}ms")),
        (2, _t("warning", "[Index] skipping large file {file} ({n} MB)")),
        (2, _t("info", "[Chat] session {uuid} started, mode: {mode}")),
        (3, _t("info", "[Chat] {zh}")),
        (2, _t("info", "ToolInvoke : run_in_terminal", extra="payload")),
        (2, _t("info", "ToolInvoke : {tool}")),
        (2, _t("info", "[Auth] token refreshed, expires in {n}h")),
        (2, _t("debug", "[Telemetry] flushed {n} events")),
        (1, _t("error", "[Chat] request {short} failed: context canceled")),
        (1, _BLANK),
    ),
    "zh": (
        (
            2,
            _t(
                "error",
                "[Extension Host] Error: Command failed: chcp",
                "'chcp' \u4e0d\u662f\u5185\u90e8\u6216\u5916\u90e8\u547d\u4ee4\uff0c"
                "\u4e5f\u4e0d\u662f\u53ef\u8fd0\u884c\u7684\u7a0b\u5e8f",
                "\u6216\u6279\u5904\u7406\u6587\u4ef6\u3002",
            ),
        ),
        (2, _t("warning", "[File Watcher (parcel)] \u62d2\u7edd\u8bbf\u95ee\u3002 (os error 5): {dir}")),
        (3, _t("info", "[Chat] {zh}")),
        (
            2,
            _t(
                "error",
                "[Window] Failed to save '{name}': Unable to write file '{file}' (Unknown (FileSystemError): "
                "\u53e6\u4e00\u4e2a\u7a0b\u5e8f\u6b63\u5728\u4f7f\u7528\u6b64\u6587\u4ef6\uff0c\u8fdb\u7a0b\u65e0\u6cd5"
                "\u8bbf\u95ee\u3002)",
            ),
        ),
    ),
    "service": (
        (
            4,
            _t(
                "info",
                "request handled",
                fields=(("method", "{lsp_method}"), ("duration_ms", "{ms}")),
                category="ipc",
            ),
        ),
        (3, _t("debug", "Health check passed", fields=(("latency_ms", "{n}"),), category="health_check")),
        (
            2,
            _t(
                "info",
                "Resource usage",
                fields=(("rss_mb", "{n3}"), ("goroutines", "{ms}"), ("open_files", "{n}")),
                category="monitoring",
            ),
        ),
        (
            2,
            _t(
                "warning",
                "Slow request",
                fields=(("method", "{lsp_method}"), ("duration_ms", "{ms_big}")),
                category="ipc",
            ),
        ),
        (2, _t("info", "Index snapshot saved", fields=(("files", "{big}"),), category="index")),
        (1, _t("debug", "Cache stats", fields=(("hits", "{big}"), ("misses", "{n}")), category="cache")),
    ),
    "chromium": (
        (
            2,
            _t(
                None,
                "[{chromium}:ERROR:gpu_init.cc(523)] Passthrough is not supported, GL is disabled, ANGLE is",
                raw=True,
            ),
        ),
        (
            1,
            _t(
                None,
                "[{chromium}:ERROR:command_buffer_proxy_impl.cc(128)] ContextResult::kTransientFailure: Failed to send "
                "GpuControl.CreateCommandBuffer.",
                raw=True,
            ),
        ),
        (
            1,
            _t(
                None,
                "(node:{pid}) [DEP0005] DeprecationWarning: Buffer() is deprecated due to security and usability "
                "issues. Please use the Buffer.alloc(), Buffer.allocUnsafe(), or Buffer.from() methods instead.",
                raw=True,
            ),
        ),
    ),
}
_EXTHOST_FLAVOURS = frozenset({"exthost", "agent"})
NOISE_FLAVOURS: tuple[str, ...] = tuple(_NOISE)

_USERS = ("zhanghui", "wangfang", "liuyang", "chenjie", "zhaolei", "sunli", "mike", "anna")
_PROJECTS = ("qoder-demo", "shop-backend", "\u7528\u6237\u4e2d\u5fc3", "\u6570\u636e\u5e73\u53f0", "mobile-app")
_FILES = (
    "src/main.ts",
    "src/App.vue",
    "src/\u7ec4\u4ef6/\u6309\u94ae.tsx",
    "src/utils/\u65e5\u671f.ts",
    "docs/\u9700\u6c42\u6587\u6863.md",
    "README.md",
    "package.json",
    "pkg/server/handler.go",
    "cmd/api/main.go",
    "\u6d4b\u8bd5/\u63a5\u53e3\u6d4b\u8bd5.py",
    "scripts/\u90e8\u7f72.sh",
    "config/\u6570\u636e\u5e93.yaml",
    "web/pages/\u9996\u9875.vue",
)
_ZH = (
    "\u7528\u6237\u95ee\u9898\u5df2\u63d0\u4ea4\uff0c\u7b49\u5f85\u6a21\u578b\u54cd\u5e94",
    "\u5df2\u751f\u6210\u4ee3\u7801\u4fee\u6539\u5efa\u8bae 3 \u5904",
    "\u6b63\u5728\u5206\u6790\u9879\u76ee\u7ed3\u6784",
    "\u5df2\u8bfb\u53d6\u6587\u4ef6\uff1a\u9700\u6c42\u6587\u6863.md",
    "\u4f1a\u8bdd\u5df2\u7ed3\u675f",
)
_EXTENSIONS = (
    "ms-python.python",
    "ms-python.vscode-pylance",
    "golang.go",
    "vue.volar",
    "dbaeumer.vscode-eslint",
    "esbenp.prettier-vscode",
    "redhat.vscode-yaml",
    "vscode.git",
    "vscode.typescript-language-features",
    "qoder.aicoding-agent",
)
_COMMANDS = (
    "workbench.action.files.save",
    "workbench.action.quickOpen",
    "editor.action.formatDocument",
    "workbench.action.terminal.toggleTerminal",
    "git.refresh",
    "editor.action.triggerSuggest",
    "workbench.view.explorer",
    "aicoding.chat.focus",
)
_KEYS = (("KeyS", 49, "s"), ("KeyP", 46, "p"), ("Enter", 3, "Enter"), ("KeyZ", 56, "z"), ("Backquote", 86, "`"))
_GIT = (
    "status -z -uall",
    "rev-parse --show-toplevel",
    "for-each-ref --sort -committerdate --format %(refname) %(objectname) %(*objectname)",
    "fetch",
    "log --format=%H%n%aN%n%aE%n%at%n%ct%n%P%n%D%n%B -z --shortstat -n50",
    "check-ignore -v -z --stdin",
)
_COMMANDS_RUN = (
    "npm run build",
    "go test ./...",
    "pnpm install",
    "python -m pytest -q",
    "cd \u7528\u6237\u4e2d\u5fc3 && npm test",
)
_EXPLANATIONS = (
    "Build the project",
    "\u8fd0\u884c\u5355\u5143\u6d4b\u8bd5",
    "\u5b89\u88c5\u4f9d\u8d56",
    "Run the test suite",
)
_HEAD_FRAMES = (
    "    at Object.openSync (node:fs:{n3}:{n})",
    "    at Module._compile (node:internal/modules/cjs/loader:1504:14)",
    "    at new Promise (<anonymous>)",
    "    at Object.readFileSync (node:fs:{n3}:{n})",
)
_FRAMES = (
    "    at {fn} ({ext_dir}{sep}dist{sep}extension.js:{n}:{big})",
    "    at {fn} ({ext_dir}{sep}out{sep}server.js:{n3}:{n})",
    "    at async Promise.all (index {n})",
)
_LAST_FRAME = "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)"


def _fillers(host: Host, rng: random.Random) -> dict[str, Callable[[], str]]:
    """Zero-argument value makers for every placeholder the noise templates use."""
    sep, projects = host.sep, host.values["projects"]

    def workspace_file() -> str:
        return sep.join((projects, rng.choice(_PROJECTS), *rng.choice(_FILES).split("/")))

    def ext_dir() -> str:
        return f"{host.home}{sep}.qoder{sep}extensions{sep}{rng.choice(_EXTENSIONS)}-{semver()}"

    def semver() -> str:
        return f"{rng.randint(0, 3)}.{rng.randint(0, 40)}.{rng.randint(0, 20)}"

    def key_event() -> str:
        code, key_code, key = rng.choice(_KEYS)
        mods = rng.choice(("", "ctrl", "ctrl,shift", "meta"))
        return f"modifiers: [{mods}], code: {code}, keyCode: {key_code}, key: {key}"

    def uuid() -> str:
        value = _hex(rng, 32)
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"

    return {
        "pid": lambda: str(_pid(host, rng)),
        "n": lambda: str(rng.randint(1, 48)),
        "n3": lambda: str(rng.randint(100, 999)),
        "ms": lambda: str(rng.randint(1, 950)),
        "ms_big": lambda: str(rng.randint(1000, 9800)),
        "big": lambda: str(rng.randint(100, 99999)),
        "baseline": lambda: str(rng.randint(18, 90)),
        "phase": lambda: str(rng.randint(1, 4)),
        "win": lambda: str(rng.randint(1, 3)),
        "ext": lambda: rng.choice(_EXTENSIONS),
        "ext2": lambda: rng.choice(_EXTENSIONS),
        "semver": semver,
        "proposal": lambda: rng.choice(("chatParticipantPrivate", "terminalShellIntegration", "lmTools", "findFiles2")),
        "setting": lambda: rng.choice(
            ("python.venvPath", "editor.inlineSuggest.enabled", "go.toolsManagement.autoUpdate")
        ),
        "event": lambda: rng.choice(("*", "onStartupFinished", "onLanguage:python", "workspaceContains:go.mod")),
        "flag": lambda: rng.choice(("true", "false")),
        "prop": lambda: rng.choice(("uri", "fsPath", "length", "then")),
        "command": lambda: rng.choice(_COMMANDS),
        "key_event": key_event,
        "chord": lambda: rng.choice(("ctrl+s", "ctrl+shift+p", "ctrl+`", "meta+p", "ctrl+k ctrl+s")),
        "hash": lambda: _hex(rng, 32),
        "short": lambda: _hex(rng, 8),
        "uuid": uuid,
        "dir": lambda: sep.join((projects, rng.choice(_PROJECTS))),
        "file": workspace_file,
        "name": lambda: rng.choice(_FILES).rsplit("/", 1)[-1],
        "ext_dir": ext_dir,
        "git": lambda: rng.choice(_GIT),
        "zh": lambda: rng.choice(_ZH),
        "tool": lambda: rng.choice(("read_file", "search_codebase", "edit_file", "get_problems")),
        "mode": lambda: rng.choice(("agent", "ask")),
        "lsp_method": lambda: rng.choice(("textDocument/completion", "workspace/symbol", "chat/ask", "index/status")),
        "fn": lambda: rng.choice(("activate", "LanguageClient.start", "Indexer.scan", "Object.run")),
        "sep": lambda: sep,
    }


class Noise:
    """Realistic VS Code / extension lines that are not Qoder lifecycle lines.

    ``mix`` weighs the flavours of ``NOISE_FLAVOURS`` (``main``,
    ``exthost``, ``renderer``, ``shared``, ``agent``, ``zh``, ``service``
    for JSON, ``chromium`` for console captures). Some records carry
    continuation lines: stack traces, a pretty-printed JSON payload after
    ``ToolInvoke : run_in_terminal``, a second line of a Node warning.
    """

    def __init__(self, host: Host, rng: random.Random, mix: Mapping[str, int]) -> None:
        unknown = set(mix) - set(_NOISE)
        if unknown:
            raise ValueError(f"unknown noise flavours {sorted(unknown)}; use {', '.join(NOISE_FLAVOURS)}")
        self._rng = rng
        self._fill = _fillers(host, rng)
        self._pool = [
            (template, flavour in _EXTHOST_FLAVOURS)
            for flavour, weight in mix.items()
            for count, template in _NOISE[flavour]
            for _ in range(count * weight)
        ]

    def _values(self, template: _Template, at: datetime | None) -> dict[str, str]:
        values = {name: self._fill[name]() for name in template.names if name != "chromium"}
        if "chromium" in template.names:
            when = at or datetime(2000, 1, 1)
            values["chromium"] = f"{self._fill['pid']()}:{when:%m%d/%H%M%S}.{when.microsecond:06d}"
        return values

    def _detail(self, template: _Template, values: Mapping[str, str]) -> tuple[str, ...]:
        rng = self._rng
        if template.extra == "stack":
            frames = [rng.choice(_HEAD_FRAMES), *(rng.choice(_FRAMES) for _ in range(rng.randint(1, 3)))]
            return (*(f.format_map({n: self._fill[n]() for n in _FRAME_NAMES}) for f in frames), _LAST_FRAME)
        if template.extra == "payload":
            payload = {
                "command": rng.choice(_COMMANDS_RUN),
                "explanation": rng.choice(_EXPLANATIONS),
                "isBackground": rng.random() < 0.2,
            }
            return tuple(json.dumps(payload, ensure_ascii=False, indent=2).splitlines())
        return tuple(line.format_map(values) for line in template.detail)

    def record(self) -> tuple[str | None, str, tuple[str, ...]]:
        """``(level, message, continuation lines)`` of one noise record; ``level`` is ``None`` for a blank line."""
        template, _ = self._rng.choice(self._pool)
        values = self._values(template, None)
        return template.level, template.text.format_map(values), self._detail(template, values)

    def entry(self, at: datetime) -> Entry:
        """One noise record at ``at`` as an ``Entry`` (its channel from its flavour)."""
        template, exthost = self._rng.choice(self._pool)
        if template.level is None and not template.raw:
            return Entry(at=at, level="info", message=None)
        values = self._values(template, at)
        return Entry(
            at=at,
            level=template.level or "info",
            message=template.text.format_map(values),
            channel="exthost" if exthost else "main",
            category=template.category,
            detail=self._detail(template, values),
            fields=tuple((k, _number(v.format_map(values))) for k, v in template.fields),
            raw=template.raw,
        )


_FRAME_NAMES = ("n", "n3", "big", "fn", "ext_dir", "sep")


def _number(text: str) -> str | int:
    return int(text) if text.isdigit() else text


def _gap(rng: random.Random) -> float:
    """Seconds between two noise records: bursts of milliseconds, pauses of seconds, rare long quiet spells."""
    draw = rng.random()
    if draw < 0.55:
        return rng.uniform(0.0005, 0.03)
    if draw < 0.9:
        return rng.uniform(0.03, 1.5)
    if draw < 0.99:
        return rng.uniform(1.5, 12.0)
    return rng.uniform(12.0, 90.0)


def _noise_times(rng: random.Random, start: datetime, end: datetime, count: int) -> list[datetime]:
    """``count`` realistic noise times strictly between ``start`` and ``end``."""
    gaps = [_gap(rng) for _ in range(count + 1)]
    scale = (end - start).total_seconds() / sum(gaps)
    times, elapsed = [], 0.0
    for gap in gaps[:-1]:
        elapsed += gap * scale
        times.append(start + timedelta(seconds=elapsed))
    return times


def interleave(
    entries: Iterable[Entry],
    noise: Noise,
    *,
    start: datetime,
    end: datetime,
    noise_lines: int,
    rng: random.Random,
) -> list[Entry]:
    """``entries`` (in time order) merged with ``noise_lines`` noise records spread from ``start`` to ``end``.

    At equal times the given entries come first.
    """
    background = [noise.entry(at) for at in _noise_times(rng, start, end, noise_lines)]
    return list(heapq.merge(entries, background, key=lambda entry: entry.at))


def scenario_lines(
    scenario: str | Sequence[Step],
    *,
    platform: Platform,
    framing: Framing,
    seed: int | str = 0,
    start: datetime = datetime(2025, 8, 22, 10, 23, 30),
    noise_lines: int = 200,
    noise_mix: Mapping[str, int] | None = None,
    vary: bool = False,
    drift: bool = False,
    channels: Iterable[Channel] = ("main", "exthost"),
    utc_offset_h: float = 8.0,
) -> list[str]:
    """The physical lines of one log showing ``scenario`` on ``platform`` in ``framing``, amid noise.

    The scenario begins 20 to 90 s after ``start``; noise runs from ``start``
    until a third as long again after the scenario is over. Same arguments,
    same lines.
    """
    rng = random.Random(f"{seed}:{scenario}:{platform}")
    host = make_host(platform, rng=rng)
    begin = start + timedelta(seconds=rng.uniform(20.0, 90.0))
    rendering = render_scenario(scenario, host=host, start=begin, rng=rng, vary=vary, drift=drift)
    wanted = set(channels)
    mine = [entry for entry in rendering.entries if entry.channel in wanted]
    end = rendering.end + (rendering.end - start) / 3 + timedelta(seconds=30)
    noise = Noise(host, rng, noise_mix or {"main": 3, "exthost": 1, "agent": 1})
    merged = interleave(mine, noise, start=start, end=end, noise_lines=noise_lines, rng=rng)
    return [line for entry in merged for line in frame(entry, framing, utc_offset_h=utc_offset_h)]


# --------------------------------------------------------------------------- the benchmark corpus

_CORPUS_SCENARIOS: tuple[tuple[str, int], ...] = (
    ("healthy", 40),
    ("slow_start", 8),
    ("update_check", 10),
    ("ipc_retry", 5),
    ("update_install", 3),
    ("start_failure", 3),
    ("stale_pid", 3),
    ("ipc_failure", 3),
    ("tcp_fallback", 3),
    ("socket_refused", 2),
    ("path_mismatch", 2),
    ("cleanup_anomaly", 3),
    ("restart_loop", 2),
    ("update_stuck", 1),
    ("app_crash", 1),
    ("renderer_oom", 1),
)
_CORPUS_NOISE = {"main": 6, "exthost": 3, "renderer": 2, "shared": 1, "agent": 2}
_FLUSH_EVERY = 8192


@dataclass(frozen=True, slots=True)
class _Session:
    """A corpus session rendered ahead of time: its entries as offsets from its start, its length and line count."""

    entries: tuple[tuple[timedelta, Entry], ...]
    length: timedelta
    size: int


def _corpus_session(rng: random.Random, names: Sequence[str], host: Host, sidecar: Sidecar) -> _Session:
    origin = datetime(2000, 1, 1)
    scenario = rng.choice(names)
    rendering = render_scenario(
        scenario, host=host, start=origin, rng=rng, sidecar=sidecar, vary=True, drift=rng.random() < 0.15
    )
    return _Session(
        entries=tuple((entry.at - origin, entry) for entry in rendering.entries),
        length=rendering.end - origin,
        size=sum(1 + len(entry.detail) for entry in rendering.entries),
    )


def write_corpus(path: Path, *, lines: int, seed: int = 0, qoder_share: float = 0.02) -> None:
    """Stream a ``main.log``-style file of exactly ``lines`` physical lines in the VS Code framing.

    Noise records (with stack traces, JSON payloads, non-ASCII names, blank
    lines) are written as they are drawn. Whole Qoder sessions (a scenario
    drawn from healthy starts and every failure kind, on one host whose
    sidecar identity carries over, main-process and extension-host lines
    interleaved) start whenever the Qoder share of the lines, counted to the
    session's middle, is at most ``qoder_share``; a session never overlaps
    another and is never cut by the end of the file. Memory stays constant
    whatever ``lines`` is.
    """
    if lines < 0:
        raise ValueError("lines must be >= 0")
    if not 0.0 <= qoder_share <= 1.0:
        raise ValueError("qoder_share must be between 0 and 1")
    rng = random.Random(seed)
    host = make_host(PLATFORMS[seed % len(PLATFORMS)], rng=rng)
    sidecar = Sidecar(host, rng)
    noise = Noise(host, rng, _CORPUS_NOISE)
    names = [name for name, weight in _CORPUS_SCENARIOS for _ in range(weight)]
    now = datetime(2025, 8, 22, 9, 0, 0) + timedelta(days=seed % 97)
    pending: deque[tuple[datetime, list[str]]] = deque()
    pending_lines = written = qoder_written = 0
    quiet_until = upcoming = now
    session: _Session | None = None
    buffer: list[str] = []
    with Path(path).open("w", encoding="utf-8", newline="\n") as out:
        while written < lines:
            remaining = lines - written
            if session is None and qoder_share > 0:
                session = _corpus_session(rng, names, host, sidecar)
            if pending and (pending[0][0] <= upcoming or remaining <= pending_lines):
                at, physical = pending.popleft()
                now = max(now, at)
                pending_lines -= len(physical)
                buffer.extend(physical)
                written += len(physical)
                qoder_written += len(physical)
            elif (
                session is not None
                and not pending
                and now >= quiet_until
                and session.size <= remaining
                # The share counted to the session's middle: unbiased even for a file of a session or two.
                and qoder_written + session.size / 2 <= qoder_share * (written + session.size / 2)
            ):
                begin = now + timedelta(seconds=rng.uniform(0.05, 3.0))
                for offset, entry in session.entries:
                    pending.append((begin + offset, frame(replace(entry, at=begin + offset), "vscode")))
                pending_lines = session.size
                quiet_until = begin + session.length + timedelta(seconds=rng.uniform(0.5, 5.0))
                session = None
            else:
                now = upcoming
                upcoming = now + timedelta(seconds=_gap(rng))
                level, message, detail = noise.record()
                physical = [""] if level is None else [f"{_stamp(now)} [{level}] {message}", *detail]
                # A record that no longer fits before the end keeps its header line only.
                physical = physical[: remaining - pending_lines]
                buffer.extend(physical)
                written += len(physical)
            if len(buffer) >= _FLUSH_EVERY:
                out.write("\n".join(buffer) + "\n")
                buffer.clear()
        if buffer:
            out.write("\n".join(buffer) + "\n")


# --------------------------------------------------------------------------- the committed samples

_BOMS = {"utf-8": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe"}
_CODEC_NAMES = {"utf-8": "UTF-8", "utf-16-le": "UTF-16LE", "gb18030": "GB18030 (GBK-compatible)"}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Encoding:
    """How a sample file's lines become bytes."""

    codec: str = "utf-8"
    bom: bool = False
    newline: str = "\n"
    gzip: bool = False

    def label(self, lone_cr: range | None) -> str:
        ending = "CRLF" if self.newline == "\r\n" else "LF"
        text = f"{_CODEC_NAMES[self.codec]}{' with BOM' if self.bom else ''}, {ending}"
        if lone_cr:
            text += f"; lines {lone_cr.start + 1}-{lone_cr.stop} end in a lone CR"
        return f"gzip of {text}" if self.gzip else text

    def encode(self, lines: Sequence[str], lone_cr: range | None) -> bytes:
        endings = ("\r" if lone_cr and index in lone_cr else self.newline for index in range(len(lines)))
        text = "".join(line + ending for line, ending in zip(lines, endings, strict=True))
        return (_BOMS[self.codec] if self.bom else b"") + text.encode(self.codec)


_UTF8 = _Encoding()


@dataclass(frozen=True, slots=True, kw_only=True)
class _Log:
    """One file of a sample: its time window, which Qoder channels and noise it holds, and its bytes."""

    path: str
    start: datetime
    end: datetime
    framing: Framing = "vscode"
    exthost_framing: Framing | None = None
    channels: tuple[Channel, ...] = ("main",)
    noise: Mapping[str, int] = field(default_factory=lambda: {"main": 1})
    noise_lines: int = 400
    encoding: _Encoding = _UTF8
    logger: str = "main"
    utc_offset_h: float = 8.0
    lone_cr: tuple[datetime, datetime] | None = None
    elide_after: int | None = None


@dataclass(frozen=True, slots=True)
class _Placement:
    """A scenario at a time: absolute, or a ``timedelta`` after the previous placement is over."""

    scenario: str | tuple[Step, ...]
    at: datetime | timedelta
    timings: Mapping[str, float] = field(default_factory=dict)
    drift: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class _Sample:
    """A sample: one host, its scenarios, the files they are written to, and what the README says."""

    name: str
    host: Host
    framing: str
    about: str
    timings: str
    logs: tuple[_Log, ...]
    placements: tuple[_Placement, ...] = ()
    pids: tuple[int, ...] = ()
    ports: tuple[int, ...] = ()
    pipes: tuple[str, ...] = ()
    archive: str | None = None
    dump_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Built:
    path: str
    encoding: str
    lines: int | None
    size: int


def _host(key: str, platform: Platform, user: str | None = None, **kw: Any) -> Host:
    return make_host(platform, user=user, rng=random.Random(f"host:{key}"), **kw)


def _epoch(at: datetime, utc_offset_h: float) -> int:
    return int((at - timedelta(hours=utc_offset_h)).replace(tzinfo=UTC).timestamp())


def _zip_time(at: datetime) -> tuple[int, int, int, int, int, int]:
    """The zip timestamp of a file last written at ``at``: whole seconds, rounded up to an even second."""
    whole = at.replace(microsecond=0) + timedelta(seconds=1 if at.microsecond else 0)
    whole += timedelta(seconds=whole.second % 2)
    return whole.year, whole.month, whole.day, whole.hour, whole.minute, whole.second


def _minidump(rng: random.Random, epoch: int) -> bytes:
    """A small fake Crashpad minidump: a valid ``MDMP`` header (three streams, time stamp) and filler."""
    header = b"MDMP" + struct.pack("<IIIIIQ", 0xA793, 3, 32, 0, epoch, 0)
    return header + rng.randbytes(1504)


def _log_lines(log: _Log, entries: Sequence[Entry], host: Host) -> tuple[list[str], range | None]:
    rng = random.Random(f"noise:{log.path}")
    mine = [entry for entry in entries if entry.channel in log.channels and log.start <= entry.at < log.end]
    noise = Noise(host, rng, log.noise)
    merged = interleave(mine, noise, start=log.start, end=log.end, noise_lines=log.noise_lines, rng=rng)
    lines: list[str] = []
    cr_from = cr_to = None
    for entry in merged:
        if log.lone_cr is not None:
            if cr_from is None and entry.at >= log.lone_cr[0]:
                cr_from = len(lines)
            if cr_to is None and entry.at >= log.lone_cr[1]:
                cr_to = len(lines)
        framing = log.exthost_framing if entry.channel == "exthost" and log.exthost_framing else log.framing
        lines.extend(frame(entry, framing, utc_offset_h=log.utc_offset_h, logger=log.logger))
    if log.elide_after is not None:
        lines.insert(log.elide_after, "...")
    return lines, (range(cr_from, len(lines) if cr_to is None else cr_to) if cr_from is not None else None)


def _sample_entries(sample: _Sample) -> list[Entry]:
    rng = random.Random(f"sample:{sample.name}")
    sidecar = Sidecar(sample.host, rng, pids=sample.pids, ports=sample.ports, pipes=sample.pipes)
    entries: list[Entry] = []
    last_end: datetime | None = None
    for placement in sample.placements:
        if isinstance(placement.at, timedelta):
            if last_end is None:
                raise ValueError(f"{sample.name}: the first placement needs an absolute time")
            start = last_end + placement.at
        else:
            start = placement.at
        rendering = render_scenario(
            placement.scenario,
            host=sample.host,
            start=start,
            rng=rng,
            sidecar=sidecar,
            timings=placement.timings,
            drift=placement.drift,
        )
        entries.extend(rendering.entries)
        last_end = rendering.end
    entries.sort(key=lambda entry: entry.at)
    return entries


def _build(sample: _Sample) -> tuple[dict[str, bytes], list[_Built]]:
    """A sample's files (path → bytes, relative to the samples folder) and one README row per file."""
    entries = _sample_entries(sample)
    files: dict[str, bytes] = {}
    listing: list[_Built] = []
    members: list[tuple[str, bytes, datetime]] = []
    for log in sample.logs:
        lines, lone_cr = _log_lines(log, entries, sample.host)
        data = log.encoding.encode(lines, lone_cr)
        label = log.encoding.label(lone_cr)
        if log.encoding.gzip:
            data = gzip.compress(data, compresslevel=9, mtime=_epoch(log.end, log.utc_offset_h))
        if sample.archive is None:
            files[log.path] = data
            listing.append(_Built(log.path, label, len(lines), len(data)))
        else:
            members.append((log.path, data, log.end))
            listing.append(_Built(f"{sample.archive}!{log.path}", label, len(lines), len(data)))
    if sample.archive is not None:
        if sample.dump_at is not None:
            rng = random.Random(f"dump:{sample.name}")
            dump = _minidump(rng, _epoch(sample.dump_at, 8.0))
            name = f"Crashpad/completed/{_uuid(rng)}.dmp"
            members.append((name, dump, sample.dump_at))
            listing.append(_Built(f"{sample.archive}!{name}", "binary minidump (MDMP)", None, len(dump)))
        files[sample.archive] = _zip(members)
        listing.append(_Built(sample.archive, "zip (deflate)", None, len(files[sample.archive])))
    return files, listing


def _uuid(rng: random.Random) -> str:
    value = _hex(rng, 32)
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


def _zip(members: Sequence[tuple[str, bytes, datetime]]) -> bytes:
    """A deterministic zip: fixed member times, Unix attributes, deflate."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, data, written in members:
            info = zipfile.ZipInfo(name, date_time=_zip_time(written))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            bundle.writestr(info, data)
    return buffer.getvalue()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


_FIELD_GONE = (_go(0.0, "warning", "Process PID=17376 no longer exists, cleaning up config files only"),)
_FIELD_REPORT = (
    _Placement("slow_start", _at("2025-08-22 10:23:45.123"), {"ready_s": 10.2, "health_s": 0.317}),
    _Placement(_FIELD_GONE, _at("2025-08-22 10:31:07.552")),
    _Placement("update_check", _at("2025-08-22 10:52:40.210"), {"check_s": 2.845}),
)
_FIELD_HOST = _host("field-report", "windows", "zhanghui")


def _reattach(ipc: tuple[Step, ...]) -> tuple[Step, ...]:
    """The extension host attaching again (window reload, lost connection), then the given IPC check."""
    return (*EXT_CHECK, _ext("wait_s", "info", ".info.json file exists: {info_path}", after="wait"), *EXT_READ, *ipc)


_EXTHOST_EXIT = (_app(0.0, "info", "Extension host with pid 4242 exited with code: 0, signal: unknown."),)
_UNRESPONSIVE_RECOVERED = (
    _app(0.0, "warning", "CodeWindow: detected unresponsive"),
    _app(3.1, "info", "CodeWindow: recovered from unresponsive"),
)
# A later Qoder's new wording for a start, an IPC failure and a cleanup: no pattern knows these lines yet.
_REWORDED = (
    _go(0.0, "info", "Launching Go sidecar {binary} with workDir {work_dir}", spawn=True, label="start"),
    READ,
    Step(delay=0.4, level="error", text="Could not open IPC channel {endpoint}: connect ECONNREFUSED", component="IPC"),
    Step(delay=5.0, level="error", text="Could not open IPC channel {endpoint}: connect ECONNREFUSED", component="IPC"),
    _go(40.0, "warning", "Sidecar cleanup finished with 2 problems: could not remove {endpoint}"),
)
_BUNDLE = "logs/20250822T102345"
_ZHANG_WEI = "\u5f20\u4f1f"
_LI_NA = "\u674e\u5a1c"

SAMPLES: tuple[_Sample, ...] = (
    _Sample(
        name="windows-slow-start",
        host=_FIELD_HOST,
        framing="VS Code",
        about="The field report of the seed notes: a slow Go sidecar start (pid 21824, pipe "
        "`\\\\.\\pipe\\qoder-cc4e6c`), health-check IPC up, later a leftover pid 17376 reported gone with "
        "config-only cleanup, and an update check that returns to idle. Rules expected: startup-slow, "
        "cleanup-anomaly (pid never seen started).",
        timings="start→info read 10.2 s (10:23:45.123 → 10:23:55.323); read→health IPC 0.317 s; "
        "gone at 10:31:07.552; checking→idle 2.845 s",
        placements=_FIELD_REPORT,
        pids=(21824,),
        ports=(56510,),
        pipes=("cc4e6c",),
        logs=(
            _Log(
                path="windows-slow-start/main.log",
                start=_at("2025-08-22 10:23:12.482"),
                end=_at("2025-08-22 11:04:58"),
                noise_lines=420,
            ),
        ),
    ),
    _Sample(
        name="linux-remote-healthy",
        host=_host("linux-remote-healthy", "linux", remote=True, version="1.23.0"),
        framing="VS Code (ext-host output channel)",
        about="The catalog §4 observed extension-host sequence, verbatim, on a Linux remote server: "
        "attach to a running sidecar (pid 3275742), path matches, Unix socket found after 1 ms, "
        "connected over IPC. Healthy; the only notable number is the connect latency.",
        timings="check start→.info.json read 0.013 s; try to create connection→Connection established 5.0 s",
        placements=(_Placement("attach", _at("2026-03-14 08:01:02.345"), {"wait_s": 0.003, "connect_s": 5.0}),),
        pids=(3275742,),
        ports=(56510,),
        logs=(
            _Log(
                path="linux-remote-healthy/20260314T080058/exthost1/output_logging_20260314T080101/1-Qoder.log",
                start=_at("2026-03-14 08:01:01.020"),
                end=_at("2026-03-14 08:27:40"),
                channels=("exthost",),
                noise={"agent": 1},
                noise_lines=320,
            ),
        ),
    ),
    _Sample(
        name="macos-stale-pid",
        host=_host("macos-stale-pid", "macos", "chenjie"),
        framing="VS Code",
        about="macOS: a healthy start (pid 48211), then after sleep pid 48211 is reported gone, a new sidecar "
        "(pid 51877) is started, but `.info.json` still names pid 48211 and its socket; the health check is "
        "refused. A block of lines around the stale read ends in lone CRs. Rule expected: stale-pid.",
        timings="healthy start→read 1.4 s; gone 11:47:05.330 → start +1.204 s → stale read +2.1 s → "
        "health check refused +0.25 s",
        placements=(
            _Placement("healthy", _at("2025-09-03 09:02:31.208"), {"ready_s": 1.4}),
            _Placement("stale_pid", _at("2025-09-03 11:47:05.330"), {"ready_s": 2.1}),
        ),
        pids=(48211, 51877),
        ports=(53117, 54402),
        logs=(
            _Log(
                path="macos-stale-pid/main.log",
                start=_at("2025-09-03 09:02:10"),
                end=_at("2025-09-03 12:05:00"),
                noise_lines=480,
                lone_cr=(_at("2025-09-03 11:35:00"), _at("2025-09-03 11:58:00")),
            ),
        ),
    ),
    _Sample(
        name="linux-remote-tcp-fallback",
        host=_host("linux-remote-tcp-fallback", "linux", remote=True, version="1.23.0"),
        framing="VS Code (ext-host output channel)",
        about="Linux remote: the running sidecar is an older server commit (`Process path mismatch, need to "
        "restart`), the extension host restarts it, the new socket never appears (`Socket file not found after "
        "5000ms`) and the client falls back to TCP; after a window reload (read in the later "
        "wording `Successfully read cosy info from .info.json: port=…, PID=…`) the socket exists but refuses "
        "(ECONNREFUSED) and TCP is used again. Rule expected: ipc-failure (TCP fallback, twice).",
        timings="mismatch→new .info.json 2.7 s; socket wait 5.0 s then tcp in 0.35 s; "
        "second check refused in 0.006 s then tcp in 0.35 s",
        placements=(
            _Placement("path_mismatch", _at("2026-03-20 14:12:08.417")),
            _Placement("tcp_fallback", timedelta(seconds=0.002)),
            _Placement(
                _reattach(IPC_REFUSED),
                _at("2026-03-20 15:40:27.906"),
                {"wait_s": 0.004, "connect_s": 0.35},
                drift=True,
            ),
        ),
        pids=(2814467, 2815120),
        ports=(51234, 56781),
        logs=(
            _Log(
                path="linux-remote-tcp-fallback/20260320T141205/exthost1/output_logging_20260320T141207/1-Qoder.log",
                start=_at("2026-03-20 14:12:07.100"),
                end=_at("2026-03-20 15:58:00"),
                channels=("exthost",),
                noise={"agent": 1},
                noise_lines=380,
            ),
        ),
    ),
    _Sample(
        name="windows-utf16-ipc-reconnect",
        host=_host("windows-utf16-ipc-reconnect", "windows", _ZHANG_WEI),
        framing="VS Code",
        about=f"Windows, user `{_ZHANG_WEI}`; `main.log` re-saved by PowerShell redirection (UTF-16LE): a healthy "
        "start, then the named pipe breaks: `Health check IPC connection failed … connect ENOENT`, `Health check "
        "failed: read ECONNRESET`, IPC connection attempts 1 to 4 fail, `Max reconnection attempts reached, "
        "initiating process restart`, a new sidecar starts. The Qoder output channel `1-Qoder.log` (UTF-8) shows "
        "the extension host's Named Pipe check false and a TCP connection. Rule expected: ipc-failure "
        "(reconnect exhausted; TCP fallback).",
        timings="start→read 2.3 s; first pipe failure→`Max reconnection…` 50.0 s (attempts every 5 s); "
        "restart start→read 1.9 s",
        placements=(
            _Placement("healthy", _at("2025-10-09 14:02:11.905"), {"ready_s": 2.3}),
            _Placement("ipc_failure", _at("2025-10-09 14:41:37.214"), {"ready_s": 1.9}),
            _Placement(_reattach(IPC_TCP), timedelta(seconds=0.84), {"wait_s": 0.004, "connect_s": 0.35}),
        ),
        pids=(9812, 14236),
        ports=(52817, 55190),
        pipes=("5d81a2", "e07c3f"),
        logs=(
            _Log(
                path="windows-utf16-ipc-reconnect/main.log",
                start=_at("2025-10-09 14:01:50.337"),
                end=_at("2025-10-09 15:10:00"),
                noise_lines=430,
                encoding=_Encoding(codec="utf-16-le", bom=True, newline="\r\n"),
            ),
            _Log(
                path="windows-utf16-ipc-reconnect/exthost/output_logging_20251009T140208/1-Qoder.log",
                start=_at("2025-10-09 14:02:08.512"),
                end=_at("2025-10-09 15:09:41"),
                channels=("exthost",),
                noise={"agent": 1},
                noise_lines=240,
            ),
        ),
    ),
    _Sample(
        name="windows-gbk-slow-start",
        host=_host("windows-gbk-slow-start", "windows", _LI_NA),
        framing="VS Code",
        about=f"Chinese Windows, user `{_LI_NA}`, file saved as GBK/GB18030 with CRLF and Chinese noise (cmd.exe "
        "errors, file names, chat lines). A slow start in the later wording (`Read cosy info from .info.json. "
        "pid=…, socketPath=…, port=…, isDev=false, version=…`). Rule expected: startup-slow.",
        timings="start→info read 6.0 s; checking→idle 1.7 s",
        placements=(
            _Placement("slow_start", _at("2025-11-17 09:15:42.631"), {"ready_s": 6.0}, drift=True),
            _Placement("update_check", _at("2025-11-17 09:16:30.118"), {"check_s": 1.7}),
        ),
        pids=(23508,),
        ports=(57342,),
        pipes=("a93e01",),
        logs=(
            _Log(
                path="windows-gbk-slow-start/main.log",
                start=_at("2025-11-17 09:15:20.904"),
                end=_at("2025-11-17 09:58:00"),
                noise={"main": 3, "zh": 1},
                noise_lines=420,
                encoding=_Encoding(codec="gb18030", newline="\r\n"),
            ),
        ),
    ),
    _Sample(
        name="bundle-crash",
        host=_host("bundle-crash", "linux", "zhoumin"),
        framing="VS Code",
        about="A zipped VS Code log folder from Linux: `main.log` (updates disabled by the environment, a "
        "healthy sidecar start, `[uncaught exception in main]` with a stack trace, `CodeWindow: detected "
        "unresponsive`, `renderer process gone (reason: crashed, code: 133)`), `sharedprocess.log`, "
        "`window1/renderer.log`, `window1/exthost/exthost.log`, the Qoder output channel `1-Qoder.log` "
        "(healthy attach) and `Crashpad/completed/<uuid>.dmp`. Rule expected: app-crash (code 133, /dev/shm), "
        "with the minidump tied to the crash.",
        timings="start→read 1.6 s; renderer gone at 11:40:02.112; minidump zip time 11:40:04 (+1.9 s)",
        placements=(
            _Placement("update_disabled", _at("2025-08-22 10:23:46.021")),
            _Placement("healthy", _at("2025-08-22 10:23:47.480"), {"ready_s": 1.6}),
            _Placement("app_crash", _at("2025-08-22 11:38:51.912")),
        ),
        pids=(187342,),
        ports=(58120,),
        archive="bundle-crash.zip",
        dump_at=_at("2025-08-22 11:40:04"),
        logs=(
            _Log(
                path=f"{_BUNDLE}/main.log",
                start=_at("2025-08-22 10:23:45.310"),
                end=_at("2025-08-22 11:40:03.050"),
                noise_lines=450,
            ),
            _Log(
                path=f"{_BUNDLE}/sharedprocess.log",
                start=_at("2025-08-22 10:23:46.900"),
                end=_at("2025-08-22 11:39:40"),
                channels=(),
                noise={"shared": 1},
                noise_lines=220,
            ),
            _Log(
                path=f"{_BUNDLE}/window1/renderer.log",
                start=_at("2025-08-22 10:23:47.002"),
                end=_at("2025-08-22 11:40:01.800"),
                channels=(),
                noise={"renderer": 1},
                noise_lines=300,
            ),
            _Log(
                path=f"{_BUNDLE}/window1/exthost/exthost.log",
                start=_at("2025-08-22 10:23:47.300"),
                end=_at("2025-08-22 11:40:01.500"),
                channels=(),
                noise={"exthost": 1},
                noise_lines=300,
            ),
            _Log(
                path=f"{_BUNDLE}/window1/exthost/output_logging_20250822T102347/1-Qoder.log",
                start=_at("2025-08-22 10:23:47.810"),
                end=_at("2025-08-22 11:39:58"),
                channels=("exthost",),
                noise={"agent": 1},
                noise_lines=260,
            ),
        ),
    ),
    _Sample(
        name="windows-restart-loop-rotated",
        host=_host("windows-restart-loop-rotated", "windows", "liuyang"),
        framing="VS Code",
        about="A rotated pair: `main.log.1.gz` (older, gzipped) and `main.log` (newer). The sidecar is started "
        "four times in 3 min 22.5 s, each time it exits with code 2; two starts are in each file. Rule "
        "expected: restart-loop (4 starts, exit code 2).",
        timings="starts at 16:40:05.220, 16:41:12.720, 16:42:20.220, 16:43:27.720 (every 67.5 s); each start→read "
        "1.1 s, read→exit 2.4 s; rotation at 16:41:40",
        placements=(_Placement("restart_loop", _at("2025-09-15 16:40:05.220")),),
        pids=(7412, 11936, 15208, 18644),
        ports=(50981, 53446, 51772, 58004),
        pipes=("1f02bc", "77d4e9", "c0a531", "3be86d"),
        logs=(
            _Log(
                path="windows-restart-loop-rotated/main.log.1.gz",
                start=_at("2025-09-15 16:31:02.118"),
                end=_at("2025-09-15 16:41:40"),
                noise_lines=380,
                encoding=_Encoding(gzip=True),
            ),
            _Log(
                path="windows-restart-loop-rotated/main.log",
                start=_at("2025-09-15 16:41:40"),
                end=_at("2025-09-15 16:58:30"),
                noise_lines=360,
            ),
        ),
    ),
    _Sample(
        name="spdlog-update-stuck",
        host=_host("spdlog-update-stuck", "macos", "mike", arch="x86_64_darwin"),
        framing="older spdlog",
        about="An older build's spdlog framing (`[time] [main] [info] …`) on an Intel Mac: a healthy sidecar "
        "start in the later wording, then `update#checkForUpdates, state = idle`, checking → available for "
        "download → downloading, and no further update state while the log goes on. Rule expected: update-stuck.",
        timings="start→read 1.6 s; downloading from 09:12:35.924 until the log ends at ~09:31 (> 18 min)",
        placements=(
            _Placement("healthy", _at("2021-05-14 09:12:21.604"), drift=True),
            _Placement("update_stuck", _at("2021-05-14 09:12:33.420")),
        ),
        pids=(61207,),
        ports=(54178,),
        logs=(
            _Log(
                path="spdlog-update-stuck/main.log",
                start=_at("2021-05-14 09:12:18.230"),
                end=_at("2021-05-14 09:31:02"),
                framing="spdlog",
                noise_lines=460,
            ),
        ),
    ),
    _Sample(
        name="console-update-renderer-oom",
        host=_host("console-update-renderer-oom", "windows", "sunli"),
        framing="console `[main …Z]` with raw Chromium lines",
        about="A console capture (stdout/stderr) on Windows: a healthy sidecar start, a normal update cycle "
        "(checking → available for download → downloading → downloaded → ready), then within 5 minutes "
        "`CodeWindow: renderer process gone (reason: oom, code: -536870904)`. Rules expected: "
        "update-stuck (crash after update) and app-crash (oom).",
        timings="update ready at 15:31:11.014Z; renderer gone at 15:34:40.302Z (3 min 29.3 s later)",
        placements=(
            _Placement("healthy", _at("2019-09-03 15:29:49.870")),
            _Placement("update_install", _at("2019-09-03 15:30:02.114"), {"download_s": 64.0}),
            _Placement("renderer_oom", _at("2019-09-03 15:34:40.302")),
        ),
        pids=(5316,),
        ports=(50412,),
        pipes=("9c4d2e",),
        logs=(
            _Log(
                path="console-update-renderer-oom/console.txt",
                start=_at("2019-09-03 15:29:47.100"),
                end=_at("2019-09-03 15:41:00"),
                framing="console",
                noise={"main": 4, "chromium": 1},
                noise_lines=380,
                utc_offset_h=0.0,
            ),
        ),
    ),
    _Sample(
        name="json-start-failure",
        host=_host("json-start-failure", "macos", "lihua"),
        framing="structured JSON lines mixed with VS Code lines",
        about="The service's structured JSON logging (UTC) mixed with plain ext-host lines (local time, +08:00) "
        "on macOS: start attempts 1 and 2 fail (`fork/exec …: permission denied`), the third is `not ready after "
        "start`, `failed to start process after 3 attempts`, a `Process startup failed` record with `attempt`; "
        "the extension host gives up (`.info.json file not found after 30000ms`). Later a gone pid, `cleanup "
        "completed with 2 errors`, `Components shutdown with errors`, `Graceful shutdown timeout, forcing "
        "cleanup`. Rules expected: startup-failure, cleanup-anomaly.",
        timings="start 10:23:45 local (02:23:45Z); attempt 1 +0.05 s, attempt 2 +2.05 s; ext host gives up at "
        "+30.4 s; not ready and gave up at +34.05 s; gone pid 10:41:12.503, cleanup errors +0.2 s, component "
        "errors +41.5 s, forced cleanup +95 s",
        placements=(
            _Placement("start_failure", _at("2025-08-22 10:23:45.000")),
            _Placement("cleanup_anomaly", _at("2025-08-22 10:41:12.503")),
        ),
        pids=(73012,),
        ports=(55871,),
        logs=(
            _Log(
                path="json-start-failure/qoder-service.log",
                start=_at("2025-08-22 10:23:40"),
                end=_at("2025-08-22 10:58:00"),
                framing="json",
                exthost_framing="vscode",
                channels=("main", "exthost"),
                noise={"service": 6, "agent": 1},
                noise_lines=400,
            ),
        ),
    ),
    _Sample(
        name="snippet",
        host=_FIELD_HOST,
        framing="bare snippet (no timestamps)",
        about="The field report as pasted into a ticket: the seed's lines with `...` where lines were left out. "
        "No times, so no latencies; expect cleanup-anomaly (pid 17376 never seen started).",
        timings="none (no timestamps)",
        placements=_FIELD_REPORT,
        pids=(21824,),
        ports=(56510,),
        pipes=("cc4e6c",),
        logs=(
            _Log(
                path="snippet.txt",
                start=_at("2025-08-22 10:23:12.482"),
                end=_at("2025-08-22 11:04:58"),
                framing="bare",
                noise={},
                noise_lines=0,
                elide_after=1,
            ),
        ),
    ),
    _Sample(
        name="windows-healthy-lookalikes",
        host=_host("windows-healthy-lookalikes", "windows", "wangfang"),
        framing="VS Code",
        about="Healthy look-alikes that must not raise alarms, in UTF-8 with a BOM and CRLF: `main.log` has a "
        "start just under 5 s, an update check back to idle in seconds, one failed IPC connection attempt that "
        "the first retry fixes, `Extension host with pid 4242 exited with code: 0, signal: unknown.` and an "
        "unresponsive window that recovers; `1-Qoder.log` has the extension host attaching over the named pipe. "
        "No error or critical finding is expected (the recovered retry is not a failure).",
        timings="start→info read 4.9 s; checking→idle 2.3 s; IPC attempt 1 failed → connected 5.0 s; "
        "unresponsive → recovered 3.1 s",
        placements=(
            _Placement("healthy", _at("2025-12-01 08:47:03.518"), {"ready_s": 4.9}),
            _Placement("update_check", _at("2025-12-01 08:48:10.006"), {"check_s": 2.3}),
            _Placement("ipc_retry", _at("2025-12-01 09:20:44.120")),
            _Placement(_EXTHOST_EXIT, _at("2025-12-01 09:58:12.631")),
            _Placement(_UNRESPONSIVE_RECOVERED, _at("2025-12-01 10:05:30.004")),
        ),
        pids=(16820,),
        ports=(54913,),
        pipes=("2b7f90",),
        logs=(
            _Log(
                path="windows-healthy-lookalikes/main.log",
                start=_at("2025-12-01 08:46:40.275"),
                end=_at("2025-12-01 10:20:00"),
                noise_lines=420,
                encoding=_Encoding(bom=True, newline="\r\n"),
            ),
            _Log(
                path="windows-healthy-lookalikes/exthost/output_logging_20251201T084703/1-Qoder.log",
                start=_at("2025-12-01 08:47:03.601"),
                end=_at("2025-12-01 10:19:30"),
                channels=("exthost",),
                noise={"agent": 1},
                noise_lines=240,
                encoding=_Encoding(bom=True, newline="\r\n"),
            ),
        ),
    ),
    _Sample(
        name="macos-reworded-lines",
        host=_host("macos-reworded-lines", "macos", "liuyang"),
        framing="VS Code",
        about="A newer Qoder build that rewords its lines: three sessions each start with `Launching Go sidecar …` "
        "(not `Starting go process`), fail to open the IPC channel twice (`Could not open IPC channel …: connect "
        "ECONNREFUSED`) and clean up with `Sidecar cleanup finished with 2 problems …`. No pattern knows these "
        "lines: they show as unknown templates (3 starts, 6 IPC failures, 3 cleanups), and "
        "`qoderlog patterns suggest` drafts patterns for them. The known `.info.json` read is still recognised; "
        "with the starts unknown it looks like a stale pid (stale-pid warnings), which is what going blind costs.",
        timings="start→info read 1.6 s; read→IPC failures +0.4 s and +5.4 s; cleanup +45.4 s; sessions at 09:15, "
        "10:02 and 10:48",
        placements=(
            _Placement(_REWORDED, _at("2026-05-11 09:15:02.117")),
            _Placement(_REWORDED, _at("2026-05-11 10:02:40.503")),
            _Placement(_REWORDED, _at("2026-05-11 10:48:19.842")),
        ),
        pids=(51877, 52930, 54012),
        ports=(53117, 54402, 55871),
        logs=(
            _Log(
                path="macos-reworded-lines/main.log",
                start=_at("2026-05-11 09:14:40"),
                end=_at("2026-05-11 11:05:00"),
                noise_lines=420,
            ),
        ),
    ),
    _Sample(
        name="no-qoder-lines",
        host=_host("no-qoder-lines", "macos", "anna"),
        framing="VS Code",
        about="A plain VS Code `main.log` with no Qoder line at all (no sidecar, update or crash lines). "
        "No events and no findings are expected.",
        timings="—",
        logs=(
            _Log(
                path="no-qoder-lines.log",
                start=_at("2025-10-20 13:05:11.200"),
                end=_at("2025-10-20 13:48:00"),
                noise_lines=380,
            ),
        ),
    ),
)

_README_HEAD = """\
# Sample logs

Generated by `python -m qoderlog.synth samples sample_logs` (module `qoderlog/synth.py`, seeded and
deterministic): do not edit these files by hand, change the generator and regenerate.
`tests/test_synth.py` checks that the files here equal a fresh regeneration, that each file's bytes
have the encoding stated below, and the key timings.

Every line shape of `shared/qoder-log-catalog.md` §3 to §7 (observed lines and *variants*) appears in at
least one sample. Qoder timings are exact; noise lines are spaced milliseconds to seconds apart.
Times in the VS Code and spdlog framings are local (the users are at UTC+8); `Z` times are UTC.

## Samples
"""


def _platform_label(host: Host) -> str:
    name = {"windows": "Windows", "macos": "macOS", "linux": "Linux"}[host.platform]
    return f"{name} (remote server)" if host.remote else name


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _readme(rows: Sequence[tuple[_Sample, list[_Built]]]) -> str:
    lines = [
        _README_HEAD,
        "| sample | files | framing | encoding | platform | what happens | key timings |",
        "|---|---|---|---|---|---|---|",
    ]
    for sample, built in rows:
        files = "<br>".join(f"`{item.path}`" for item in built if item.lines is not None)
        encodings = "; ".join(dict.fromkeys(item.encoding for item in built if item.lines is not None))
        if sample.archive:
            encodings = f"zip of: {encodings}"
        cells = (
            sample.name,
            files,
            sample.framing,
            encodings,
            _platform_label(sample.host),
            sample.about,
            sample.timings,
        )
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    lines += [
        "",
        "## Scenarios",
        "",
        "The building blocks behind the samples (`qoderlog.synth.SCENARIOS`, rendered by `render_scenario`,",
        "framed by `frame`, or as a whole log with noise by `scenario_lines`). Timings: the exact default,",
        "then the range drawn from with `vary=True`.",
        "",
        "| scenario | what it shows | timings |",
        "|---|---|---|",
    ]
    for name, scenario in SCENARIOS.items():
        used = sorted({step.delay for step in scenario.steps if isinstance(step.delay, str)})
        bounds = {**TIMINGS, **scenario.timings}
        timing = "; ".join(f"`{key}` {bounds[key][0]:g} ({bounds[key][1]:g} to {bounds[key][2]:g})" for key in used)
        lines.append(f"| `{name}` | {_cell(scenario.about)} | {timing or '—'} |")
    lines += ["", "## Files", "", "| file | encoding | lines | bytes |", "|---|---|---|---|"]
    for _, built in rows:
        for item in built:
            count = "—" if item.lines is None else str(item.lines)
            lines.append(f"| `{item.path}` | {item.encoding} | {count} | {item.size} |")
    return "\n".join(lines) + "\n"


def write_samples(out_dir: Path) -> list[Path]:
    """Regenerate every sample (and its ``README.md``) under ``out_dir``; the paths written, README last."""
    out_dir = Path(out_dir)
    written: list[Path] = []
    rows: list[tuple[_Sample, list[_Built]]] = []
    for sample in SAMPLES:
        files, built = _build(sample)
        for relative, data in files.items():
            target = out_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written.append(target)
        rows.append((sample, built))
    readme = out_dir / "README.md"
    readme.write_text(_readme(rows), encoding="utf-8", newline="\n")
    written.append(readme)
    return written


# --------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    """``samples OUT_DIR`` or ``corpus OUT_FILE --lines N --seed S [--qoder-share P]``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m qoderlog.synth", description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    samples = commands.add_parser("samples", help="regenerate the committed sample logs")
    samples.add_argument("out_dir", type=Path)
    corpus = commands.add_parser("corpus", help="stream a large main.log-style benchmark corpus")
    corpus.add_argument("out_file", type=Path)
    corpus.add_argument("--lines", type=int, default=1_000_000)
    corpus.add_argument("--seed", type=int, default=0)
    corpus.add_argument("--qoder-share", type=float, default=0.02)
    args = parser.parse_args(argv)
    if args.command == "samples":
        for path in write_samples(args.out_dir):
            print(path)
    else:
        write_corpus(args.out_file, lines=args.lines, seed=args.seed, qoder_share=args.qoder_share)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


INBOX_MIX: dict[str, float] = {
    "healthy": 0.50,
    "slow_start": 0.15,
    "ipc_failure": 0.08,
    "tcp_fallback": 0.05,
    "stale_pid": 0.05,
    "start_failure": 0.04,
    "restart_loop": 0.04,
    "cleanup_anomaly": 0.03,
    "update_stuck": 0.03,
    "app_crash": 0.03,
}
"""The scenario mix of a synthetic inbox (shares of uploads)."""

INBOX_PLATFORMS: dict[str, float] = {"windows": 0.55, "macos": 0.30, "linux": 0.15}


def write_inbox(folder: Path, *, uploads: int, seed: int = 0) -> dict[str, Any]:
    """Write ``uploads`` zipped log bundles with a known scenario and platform mix; return that mix.

    Each upload is ``upload-NNNNN.zip`` holding ``logs/<stamp>/main.log`` with
    one scenario amid noise; the returned dict counts uploads per scenario,
    per platform and per (scenario, platform), so a fleet report can be
    checked against what was injected.
    """
    rng = random.Random(f"inbox:{seed}")
    folder.mkdir(parents=True, exist_ok=True)
    names, weights = zip(*INBOX_MIX.items(), strict=True)
    platforms, platform_weights = zip(*INBOX_PLATFORMS.items(), strict=True)
    counts: dict[str, Any] = {"uploads": uploads, "scenarios": {}, "platforms": {}, "pairs": {}}
    for index in range(uploads):
        scenario = rng.choices(names, weights)[0]
        platform = rng.choices(platforms, platform_weights)[0]
        start = datetime(2026, 11, 1, 8, 0, 0) + timedelta(minutes=rng.randrange(0, 60 * 24 * 20))
        lines = scenario_lines(
            scenario, platform=platform, framing="vscode", seed=f"{seed}:{index}", start=start, noise_lines=120
        )
        stamp = start.strftime("%Y%m%dT%H%M%S")
        member = (f"logs/{stamp}/main.log", ("\n".join(lines) + "\n").encode("utf-8"), start)
        (folder / f"upload-{index:05d}.zip").write_bytes(_zip([member]))
        counts["scenarios"][scenario] = counts["scenarios"].get(scenario, 0) + 1
        counts["platforms"][platform] = counts["platforms"].get(platform, 0) + 1
        key = f"{scenario}/{platform}"
        counts["pairs"][key] = counts["pairs"].get(key, 0) + 1
    return counts
