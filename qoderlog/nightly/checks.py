"""Quarantine checks: why an upload must not be read at all (archive bounds, links, escaping paths)."""

from __future__ import annotations

import stat
import tarfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..limits import Limits
from ..read.sources import ARCHIVE_ERRORS

if TYPE_CHECKING:
    pass


def archive_violation(path: Path, limits: Limits) -> str | None:
    """Why an upload must be quarantined before it is read (archive limits, links, escaping paths), or ``None``."""
    try:
        if path.is_dir():
            return _folder_violation(path, limits)
        size = path.stat().st_size
        if size == 0:
            return "empty upload (0 bytes)"
        name = path.name.lower()
        if name.endswith(".zip") or (not name.endswith((".tar", ".tar.gz", ".tgz")) and zipfile.is_zipfile(path)):
            return _zip_violation(path, size, limits) if zipfile.is_zipfile(path) else "corrupt zip archive"
        if name.endswith((".tar", ".tar.gz", ".tgz")):
            return _tar_violation(path, size, limits)
    except ARCHIVE_ERRORS as exc:
        return f"unreadable archive: {exc}"
    return None


def _unsafe_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts


def _zip_violation(path: Path, size: int, limits: Limits) -> str | None:
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if limits.members_over(len(members)):
            return f"max_members: too many archive members: {len(members)} > limit {limits.max_members}"
        total = 0
        for member in members:
            if _unsafe_name(member.filename):
                return f"archive member escapes the archive: {member.filename!r}"
            if stat.S_ISLNK(member.external_attr >> 16):
                return f"archive member is a symbolic link: {member.filename!r}"
            total += member.file_size
            if (ratio := limits.ratio_over(member.file_size, member.compress_size, floor=0)) is not None:
                return (
                    f"max_ratio: compression ratio {ratio:.0f}:1 of {member.filename!r} > limit {limits.max_ratio:g}:1"
                )
        if limits.bytes_over(total):
            return f"max_bytes: decompressed size {total} bytes > limit {limits.max_bytes}"
    return None


def _tar_violation(path: Path, size: int, limits: Limits) -> str | None:
    total = 0
    with tarfile.open(path, mode="r:*") as archive:
        for count, member in enumerate(archive, 1):
            if limits.members_over(count):
                return f"max_members: too many archive members: more than {limits.max_members}"
            if _unsafe_name(member.name):
                return f"archive member escapes the archive: {member.name!r}"
            if member.issym() or member.islnk():
                return f"archive member is a link: {member.name!r} -> {member.linkname!r}"
            if member.isdev() or member.isfifo():
                return f"archive member is a device or FIFO: {member.name!r}"
            total += member.size
            if limits.bytes_over(total):
                return f"max_bytes: decompressed size over {total} bytes > limit {limits.max_bytes}"
    if (ratio := limits.ratio_over(total, size, floor=0)) is not None:
        return f"max_ratio: compression ratio {ratio:.0f}:1 > limit {limits.max_ratio:g}:1"
    return None


def _folder_violation(path: Path, limits: Limits) -> str | None:
    total = 0
    for count, child in enumerate(path.rglob("*"), 1):
        if limits.members_over(count):
            return f"max_members: too many files: more than {limits.max_members}"
        if child.is_symlink():
            return f"the upload contains a symbolic link: {child.relative_to(path)}"
        if child.is_file():
            total += child.stat().st_size
    if limits.bytes_over(total):
        return f"max_bytes: size {total} bytes > limit {limits.max_bytes}"
    return None
