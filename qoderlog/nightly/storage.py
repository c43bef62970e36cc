"""Where the nightly batch reads and writes: local paths, or fsspec URLs (``s3://…``, ``memory://…``).

A location with a protocol other than ``file`` is remote and goes through
fsspec (``s3fs`` for S3; endpoint and credentials from the usual AWS
variables, or ``FSSPEC_S3_*``); anything else is a local path, ``file://``
stripped. Only the nightly batch's inbox and warehouse use this; the
analysis itself always reads local files (a worker copies a remote upload
to a temporary folder first, ``local_copy``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def is_remote(location: str | os.PathLike[str]) -> bool:
    """Whether a location is an fsspec URL other than ``file://``."""
    text = str(location)
    return "://" in text and not text.startswith("file://")


def local_path(location: str | os.PathLike[str]) -> Path:
    """A local location as a ``Path`` (``file://`` stripped)."""
    text = str(location)
    return Path(text.removeprefix("file://"))


def remote_fs(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of a URL and the path inside it."""
    from fsspec.core import url_to_fs  # fsspec: only for a remote inbox or warehouse

    fs, path = url_to_fs(url)
    return fs, str(path)


def join(base: str, *parts: str) -> str:
    """A URL or local path with ``parts`` appended, ``/``-separated for URLs."""
    if is_remote(base):
        return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts)])
    return str(Path(base, *parts))


def default_ledger(warehouse: str | os.PathLike[str]) -> Path:
    """Where a warehouse's ledger is by default: inside a local warehouse; for a remote one, in the working
    folder, named after the URL (``s3___bucket_nightly.ledger.sqlite``)."""
    if not is_remote(warehouse):
        return local_path(warehouse) / "ledger.sqlite"
    name = "".join(c if c.isalnum() or c in "-." else "_" for c in str(warehouse).rstrip("/"))
    return Path.cwd() / f"{name}.ledger.sqlite"


@contextmanager
def local_copy(url: str) -> Iterator[Path]:
    """A remote upload (a file or a folder) copied into a temporary folder for the time of the block."""
    fs, root = remote_fs(url)
    folder = Path(tempfile.mkdtemp(prefix="qoderlog-upload-"))
    target = folder / (root.rstrip("/").rsplit("/", 1)[-1] or "upload")
    try:
        if fs.isdir(root):
            fs.get(root.rstrip("/") + "/", str(target), recursive=True)
        else:
            fs.get_file(root, str(target))
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)
