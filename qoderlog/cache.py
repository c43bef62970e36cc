"""qoderlog's rebuildable on-disk cache: values pickled under a key in the user's cache folder.

What a run builds from qoderlog's own files (the compiled pattern library,
the parsed YAML of the rule tables) is kept between runs under a key of
everything it was built from (``digest``). The cache is never required: a
missing, stale, unreadable or foreign entry reads as none and is replaced;
nothing is kept when caching is off (``resources.cache_dir``). The folder is
the user's own, as trusted as their code.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

from .resources import cache_dir


def digest(*parts: bytes | str) -> str:
    """A key for a value built from ``parts`` (and this interpreter): each part counts with its length."""
    hashed = hashlib.sha256(sys.version.encode())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        hashed.update(f"\0{len(data)}\0".encode())
        hashed.update(data)
    return hashed.hexdigest()[:32]


def source_of(module_file: str) -> bytes:
    """The source of a module, for a key that a change of the code building the value makes stale."""
    try:
        return Path(module_file).read_bytes()
    except OSError:
        return b"?"


def _path(kind: str, key: str) -> Path | None:
    folder = cache_dir()
    return folder / f"{kind}-{key}.pickle" if folder is not None else None


def read_cached(kind: str, key: str) -> Any:
    """The value kept under ``kind`` and ``key``, or ``None`` when there is no usable entry (or caching is off).

    Store values that are never ``None`` themselves (wrap one in a tuple), and check what comes back.
    """
    path = _path(kind, key)
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        return pickle.loads(data)
    except Exception:  # a damaged or foreign file can fail in any way unpickling does; it is only a cache
        return None


def write_cached(kind: str, key: str, value: Any) -> None:
    """Keep ``value`` under ``kind`` and ``key``, atomically (a concurrent run reads all of it or none); best effort."""
    target = _path(kind, key)
    if target is None:
        return
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{kind}-")
    except (OSError, pickle.PicklingError):
        return
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
