"""The inbox: which uploads there are (a folder's entries or a manifest CSV's paths) and their content ids."""

from __future__ import annotations

import csv
import hashlib
import stat
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    pass
from .warehouse import Upload

_HASH_CHUNK = 1 << 20


def content_id(path: Path) -> str:
    """SHA-256 of a file's bytes, or of a folder's sorted (relative path, file hash) pairs."""
    digest = hashlib.sha256()
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink()):
            digest.update(str(child.relative_to(path)).encode("utf-8", "surrogateescape") + b"\0")
            digest.update(content_id(child).encode() + b"\n")
        return digest.hexdigest()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def find_uploads(inbox: Path, *, since: date | None = None) -> Iterator[Path]:
    """The upload paths of an inbox folder (its direct children) or of a manifest CSV (column ``path``)."""
    if inbox.is_file() and inbox.suffix.lower() == ".csv":
        with open(inbox, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or "path" not in reader.fieldnames:
                raise UsageError("a manifest CSV needs a 'path' column", path=str(inbox))
            candidates = [(inbox.parent / row["path"]) for row in reader if row.get("path")]
    elif inbox.is_dir():
        candidates = sorted(p for p in inbox.iterdir() if not p.name.startswith("."))
    else:
        raise UsageError("the inbox must be a folder or a manifest .csv", path=str(inbox))
    for path in candidates:
        if since is not None and (arrived := _arrival(path)) is not None and arrived < since:
            continue
        yield path


def _arrival(path: Path) -> date | None:
    """The day an upload arrived; ``None`` when it cannot be told (gone or unreadable since it was listed), and then
    it is kept, so that ``describe_upload`` records why it cannot be read rather than it vanishing unreported."""
    try:
        return datetime.fromtimestamp(path.lstat().st_mtime).date()
    except OSError:
        return None


def describe_upload(path: Path) -> Upload | str:
    """The ``Upload`` for a path, or the reason it cannot be one (missing, unreadable, a link)."""
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            return "the upload is a symbolic link"
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
            return "the upload is not a regular file or folder"
        return Upload(upload_id=content_id(path), path=str(path), size=info.st_size, mtime=info.st_mtime)
    except OSError as exc:
        return f"cannot read the upload: {exc.strerror or exc}"
