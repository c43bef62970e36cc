"""Where Qoder keeps its logs on each kind of machine: what a reply asks the user for, and where collection looks.

One table (catalog §1), so that the verdict that asks for logs, the reply to
the user and ``qoderlog collect`` name the same folders.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class LogLocation:
    """The log folder of Qoder on one platform, and the files in it that matter most."""

    platform: str
    label: str
    folder: str
    files: tuple[str, ...]


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
    ),
    LogLocation(
        platform="macos",
        label="macOS",
        folder="~/Library/Application Support/Qoder/logs/<newest timestamp>",
        files=("main.log", "window1/renderer.log", "window1/exthost/exthost.log", "window1/exthost/output_logging_*/*"),
    ),
    LogLocation(
        platform="linux",
        label="Linux",
        folder="~/.config/Qoder/logs/<newest timestamp>",
        files=("main.log", "window1/renderer.log", "window1/exthost/exthost.log", "window1/exthost/output_logging_*/*"),
    ),
    LogLocation(
        platform="remote",
        label="Remote-SSH host",
        folder="~/.qoder-server/data/logs/<newest timestamp>",
        files=("remoteagent.log", "exthost*/remoteexthost.log", "exthost*/output_logging_*/*"),
    ),
)
"""Every platform's log folder, Windows first (most Qoder users)."""


def ask_for_logs() -> str:
    """One sentence naming the folder to zip on each platform."""
    folders = "; ".join(f"{where.label}: {where.folder}" for where in LOG_LOCATIONS)
    return f"Ask the user to zip Qoder's whole log folder of the session that failed ({folders})."
