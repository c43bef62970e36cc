"""Where Qoder keeps its logs, cache and install on each kind of machine: the one table of folders.

One table (catalog §1), so that the verdict that asks for logs, the reply to
the user, the playbooks' default paths and ``qoderlog collect`` name the same
folders. Each folder is given three ways: as a person reads it (``folder``,
``%APPDATA%\\Qoder\\…``, ``~/Library/…``), as a word of the platform's shell
(``shell_*``: PowerShell on Windows, sh elsewhere, expanding the user's own
home), and as parts relative to a root (``parts``) that ``collect`` resolves
against a home folder and environment it is given (a fake one in the tests).

The Windows, macOS and Linux folders follow VS Code's conventions with Qoder's
name; the remote server's are those seen in a real remote-SSH log (binaries,
the cache under ``~/.config/Qoder/<hash>/``) and VS Code's server layout for
the logs (``data/logs``). The Linux install folder is a convention, not seen.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PLATFORMS: tuple[str, ...] = ("windows", "macos", "linux", "remote")
"""The platforms a playbook, a reply and ``collect`` know, Windows first (most Qoder users)."""

SHELLS: Mapping[str, str] = {"windows": "powershell", "macos": "sh", "linux": "sh", "remote": "sh"}
"""The shell a platform's commands are written in."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Folder:
    """One folder on one platform: how a person reads it, the shell word for it, and where it is from a root.

    ``root`` names what ``parts`` hang from: ``home``, or an environment
    variable (``APPDATA``, ``LOCALAPPDATA``, ``XDG_CONFIG_HOME``) with
    ``fallback`` as the parts under home when the variable is not set.
    """

    human: str
    shell: str
    root: str
    parts: tuple[str, ...]
    fallback: tuple[str, ...] = ()

    def resolve(self, home: Path, env: Mapping[str, str]) -> Path:
        """This folder on a machine whose home is ``home`` and whose environment is ``env``."""
        if self.root == "home":
            return home.joinpath(*self.parts)
        base = env.get(self.root)
        if base:
            return Path(base).joinpath(*self.parts)
        return home.joinpath(*self.fallback, *self.parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class LogLocation:
    """Qoder's folders on one platform, and the log files in them that matter most.

    ``data`` is the user-data folder (its ``logs/<timestamp>/`` and
    ``Crashpad/``); ``cache`` the sidecar's work dir (``SharedClientCache``,
    with ``.info.json``); ``install`` where the app lives; ``sep`` the path
    separator of the platform.
    """

    platform: str
    label: str
    folder: str
    files: tuple[str, ...]
    sep: str
    data: Folder
    logs: Folder
    cache: Folder
    crashpad: Folder
    install: Folder
    binary: str
    """The sidecar binary's path when the logs do not show it, as a shell word."""
    binary_human: str
    crash_reports: Folder | None = None
    """Where the OS keeps its crash reports (macOS DiagnosticReports, Windows WER), when it has such a folder."""


_WIN_DATA = ("Qoder",)
_MAC_DATA = ("Library", "Application Support", "Qoder")
_LINUX_DATA = ("Qoder",)

LOG_LOCATIONS: tuple[LogLocation, ...] = (
    LogLocation(
        platform="windows",
        label="Windows",
        folder=r"%APPDATA%\Qoder\logs\<newest timestamp>",
        files=(
            "main.log",
            r"window1\renderer.log",
            r"window1\exthost\exthost.log",
            r"window1\exthost\output_logging_*\*",
        ),
        sep="\\",
        data=Folder(
            human=r"%APPDATA%\Qoder",
            shell=r'"$env:APPDATA\Qoder"',
            root="APPDATA",
            parts=_WIN_DATA,
            fallback=("AppData", "Roaming"),
        ),
        logs=Folder(
            human=r"%APPDATA%\Qoder\logs",
            shell=r'"$env:APPDATA\Qoder\logs"',
            root="APPDATA",
            parts=(*_WIN_DATA, "logs"),
            fallback=("AppData", "Roaming"),
        ),
        cache=Folder(
            human=r"%APPDATA%\Qoder\SharedClientCache",
            shell=r'"$env:APPDATA\Qoder\SharedClientCache"',
            root="APPDATA",
            parts=(*_WIN_DATA, "SharedClientCache"),
            fallback=("AppData", "Roaming"),
        ),
        crashpad=Folder(
            human=r"%APPDATA%\Qoder\Crashpad",
            shell=r'"$env:APPDATA\Qoder\Crashpad"',
            root="APPDATA",
            parts=(*_WIN_DATA, "Crashpad"),
            fallback=("AppData", "Roaming"),
        ),
        install=Folder(
            human=r"%LOCALAPPDATA%\Programs\Qoder",
            shell=r'"$env:LOCALAPPDATA\Programs\Qoder"',
            root="LOCALAPPDATA",
            parts=("Programs", "Qoder"),
            fallback=("AppData", "Local"),
        ),
        binary=r'"$env:LOCALAPPDATA\Programs\Qoder\resources\app\resources\bin\x86_64_windows\Qoder.exe"',
        binary_human=r"%LOCALAPPDATA%\Programs\Qoder\resources\app\resources\bin\x86_64_windows\Qoder.exe",
        crash_reports=Folder(
            human=r"%LOCALAPPDATA%\Microsoft\Windows\WER\ReportArchive",
            shell=r'"$env:LOCALAPPDATA\Microsoft\Windows\WER\ReportArchive"',
            root="LOCALAPPDATA",
            parts=("Microsoft", "Windows", "WER", "ReportArchive"),
            fallback=("AppData", "Local"),
        ),
    ),
    LogLocation(
        platform="macos",
        label="macOS",
        folder="~/Library/Application Support/Qoder/logs/<newest timestamp>",
        files=("main.log", "window1/renderer.log", "window1/exthost/exthost.log", "window1/exthost/output_logging_*/*"),
        sep="/",
        data=Folder(
            human="~/Library/Application Support/Qoder",
            shell='"$HOME/Library/Application Support/Qoder"',
            root="home",
            parts=_MAC_DATA,
        ),
        logs=Folder(
            human="~/Library/Application Support/Qoder/logs",
            shell='"$HOME/Library/Application Support/Qoder/logs"',
            root="home",
            parts=(*_MAC_DATA, "logs"),
        ),
        cache=Folder(
            human="~/Library/Application Support/Qoder/SharedClientCache",
            shell='"$HOME/Library/Application Support/Qoder/SharedClientCache"',
            root="home",
            parts=(*_MAC_DATA, "SharedClientCache"),
        ),
        crashpad=Folder(
            human="~/Library/Application Support/Qoder/Crashpad",
            shell='"$HOME/Library/Application Support/Qoder/Crashpad"',
            root="home",
            parts=(*_MAC_DATA, "Crashpad"),
        ),
        install=Folder(human="/Applications/Qoder.app", shell="/Applications/Qoder.app", root="home", parts=()),
        binary="/Applications/Qoder.app/Contents/Resources/app/resources/bin/aarch64_darwin/Qoder",
        binary_human="/Applications/Qoder.app/Contents/Resources/app/resources/bin/aarch64_darwin/Qoder",
        crash_reports=Folder(
            human="~/Library/Logs/DiagnosticReports",
            shell='"$HOME/Library/Logs/DiagnosticReports"',
            root="home",
            parts=("Library", "Logs", "DiagnosticReports"),
        ),
    ),
    LogLocation(
        platform="linux",
        label="Linux",
        folder="~/.config/Qoder/logs/<newest timestamp>",
        files=("main.log", "window1/renderer.log", "window1/exthost/exthost.log", "window1/exthost/output_logging_*/*"),
        sep="/",
        data=Folder(
            human="~/.config/Qoder",
            shell='"${XDG_CONFIG_HOME:-$HOME/.config}/Qoder"',
            root="XDG_CONFIG_HOME",
            parts=_LINUX_DATA,
            fallback=(".config",),
        ),
        logs=Folder(
            human="~/.config/Qoder/logs",
            shell='"${XDG_CONFIG_HOME:-$HOME/.config}/Qoder/logs"',
            root="XDG_CONFIG_HOME",
            parts=(*_LINUX_DATA, "logs"),
            fallback=(".config",),
        ),
        cache=Folder(
            human="~/.config/Qoder/SharedClientCache",
            shell='"${XDG_CONFIG_HOME:-$HOME/.config}/Qoder/SharedClientCache"',
            root="XDG_CONFIG_HOME",
            parts=(*_LINUX_DATA, "SharedClientCache"),
            fallback=(".config",),
        ),
        crashpad=Folder(
            human="~/.config/Qoder/Crashpad",
            shell='"${XDG_CONFIG_HOME:-$HOME/.config}/Qoder/Crashpad"',
            root="XDG_CONFIG_HOME",
            parts=(*_LINUX_DATA, "Crashpad"),
            fallback=(".config",),
        ),
        install=Folder(human="/usr/share/qoder", shell="/usr/share/qoder", root="home", parts=()),
        binary="/usr/share/qoder/resources/app/resources/bin/x86_64_linux/Qoder",
        binary_human="/usr/share/qoder/resources/app/resources/bin/x86_64_linux/Qoder",
    ),
    LogLocation(
        platform="remote",
        label="Remote-SSH host",
        folder="~/.qoder-server/data/logs/<newest timestamp>",
        files=("remoteagent.log", "exthost*/remoteexthost.log", "exthost*/output_logging_*/*"),
        sep="/",
        data=Folder(
            human="~/.qoder-server/data",
            shell='"$HOME/.qoder-server/data"',
            root="home",
            parts=(".qoder-server", "data"),
        ),
        logs=Folder(
            human="~/.qoder-server/data/logs",
            shell='"$HOME/.qoder-server/data/logs"',
            root="home",
            parts=(".qoder-server", "data", "logs"),
        ),
        cache=Folder(
            human="~/.config/Qoder/<hash>/SharedClientCache",
            shell="$HOME/.config/Qoder/*/SharedClientCache",
            root="home",
            parts=(".config", "Qoder"),
        ),
        crashpad=Folder(
            human="~/.qoder-server/data/Crashpad",
            shell='"$HOME/.qoder-server/data/Crashpad"',
            root="home",
            parts=(".qoder-server", "data", "Crashpad"),
        ),
        install=Folder(
            human="~/.qoder-server/bin", shell='"$HOME/.qoder-server/bin"', root="home", parts=(".qoder-server", "bin")
        ),
        binary="$HOME/.qoder-server/bin/*/extensions/aicoding-agent/bin/x86_64_linux/Qoder",
        binary_human="~/.qoder-server/bin/<commit>/extensions/aicoding-agent/bin/x86_64_linux/Qoder",
    ),
)
"""Every platform's folders, Windows first (most Qoder users)."""

BY_PLATFORM: Mapping[str, LogLocation] = {where.platform: where for where in LOG_LOCATIONS}


def ask_for_logs() -> str:
    """One sentence naming the folder to zip on each platform."""
    folders = "; ".join(f"{where.label}: {where.folder}" for where in LOG_LOCATIONS)
    return f"Ask the user to zip Qoder's whole log folder of the session that failed ({folders})."


def this_platform() -> str:
    """The platform this process runs on: ``windows``, ``macos``, ``linux``, or ``remote`` on a Qoder server host."""
    if os.name == "nt":
        return "windows"
    if os.uname().sysname == "Darwin":
        return "macos"
    if (Path.home() / ".qoder-server").is_dir():
        return "remote"
    return "linux"
