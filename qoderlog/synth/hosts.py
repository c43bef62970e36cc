"""Hosts and sidecars: the machine a log comes from and the Go process a scenario talks about.

Takes a platform (and a random generator for what is not fixed) and gives a
``Host`` with every path the Qoder lines name; a ``Sidecar`` keeps the pid,
port and IPC endpoint of the current and the previous spawn. The user names
and Qoder versions drawn from are in ``data/hosts.yaml``; the path layout of
each platform is code, because it is built from the drawn values.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from .datafiles import load

Platform = Literal["windows", "macos", "linux"]

PLATFORMS: tuple[Platform, ...] = get_args(Platform)

_DATA = load("hosts")
_USERS: tuple[str, ...] = tuple(_DATA["users"])
_VERSIONS: tuple[str, ...] = tuple(_DATA["versions"])


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


def hex_digits(rng: random.Random, digits: int) -> str:
    """``digits`` random lower-case hex digits."""
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


def uuid(rng: random.Random) -> str:
    """A random UUID-shaped string (8-4-4-4-12 hex digits)."""
    value = hex_digits(rng, 32)
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


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
    version = version or rng.choice(_VERSIONS)
    if platform == "windows":
        sep, arch = "\\", arch or "x86_64_windows"
        home = f"C:\\Users\\{user}"
        install = f"{home}\\AppData\\Local\\Programs\\Qoder\\resources\\app"
        binary = f"{install}\\resources\\bin\\{arch}\\Qoder.exe"
        old_binary = f"{home}\\.qoder\\extensions\\aicoding-agent-{_older(version)}\\bin\\{arch}\\Qoder.exe"
        work_dir = f"{home}\\AppData\\Roaming\\Qoder\\SharedClientCache"
        temp_dir = f"{home}\\AppData\\Local\\Temp\\qoder-{hex_digits(rng, 6)}"
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
        temp_dir = f"/var/folders/{hex_digits(rng, 2)}/{hex_digits(rng, 12)}/T/qoder-tmp"
        exec_error = f"fork/exec {binary}: permission denied"
        crash = ("crashed", "5")
        projects = f"{home}/Projects"
    else:
        sep, arch = "/", arch or "x86_64_linux"
        home = "/root" if remote else f"/home/{user}"
        if remote:
            commit, old_commit = hex_digits(rng, 40), hex_digits(rng, 40)
            server = f"{home}/.qoder-server/bin"
            binary = f"{server}/{commit}/extensions/aicoding-agent/bin/{arch}/Qoder"
            old_binary = f"{server}/{old_commit}/extensions/aicoding-agent/bin/{arch}/Qoder"
            work_dir = f"{home}/.config/Qoder/{hex_digits(rng, 8)}/SharedClientCache"
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


def draw_pid(host: Host, rng: random.Random) -> int:
    """A process id in the range ``host``'s platform hands out."""
    if host.windows:
        return rng.randrange(1000, 40000, 4)
    if host.platform == "macos":
        return rng.randrange(400, 99999)
    return rng.randrange(100000, 4194304) if host.remote else rng.randrange(1000, 200000)


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
        pid = self._pids.popleft() if preset and self._pids else draw_pid(self._host, rng)
        port = self._ports.popleft() if preset and self._ports else rng.randrange(50000, 60000)
        if self._host.windows:
            pipe = self._pipes.popleft() if preset and self._pipes else hex_digits(rng, 6)
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
