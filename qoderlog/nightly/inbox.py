"""The inbox: which uploads there are (a folder's entries or a manifest's rows), their content ids and metadata.

An inbox is a local folder or manifest, or an fsspec URL of one
(``s3://bucket/prefix``, ``memory://…``; ``file://`` is a local path). A
manifest is a CSV or Parquet file with a ``path`` column (relative to the
manifest, or a URL) and, optionally, the columns of ``MANIFEST_FIELDS``:
``upload_id`` (then the upload's identity instead of its content hash),
``uploaded_at``, ``app_version``, ``platform``, ``channel`` and ``ticket``,
stored in the warehouse's ``uploads`` for release health.
"""

from __future__ import annotations

import csv
import hashlib
import io
import stat
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .storage import is_remote, join, local_path, remote_fs
from .warehouse import MANIFEST_FIELDS, Upload, UploadMeta

_HASH_CHUNK = 1 << 20
_MANIFESTS = (".csv", ".parquet")


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


def find_uploads(inbox: str | Path, *, since: date | None = None) -> Iterator[tuple[str, UploadMeta]]:
    """The uploads of an inbox folder (its direct children) or of a manifest (column ``path``), with metadata.

    Each is ``(location, meta)``: a local path or a URL, and what the manifest says of it.
    """
    location = str(inbox)
    if is_remote(location):
        candidates = _remote_candidates(location)
    else:
        candidates = _local_candidates(local_path(location))
    for path, meta in candidates:
        if since is not None and (arrived := _arrival(path, meta)) is not None and arrived < since:
            continue
        yield path, meta


def _local_candidates(inbox: Path) -> list[tuple[str, UploadMeta]]:
    if inbox.is_file() and inbox.suffix.lower() in _MANIFESTS:
        return [(str(inbox.parent / path), meta) for path, meta in _manifest_rows(inbox.read_bytes(), str(inbox))]
    if inbox.is_dir():
        return [(str(p), UploadMeta()) for p in sorted(inbox.iterdir()) if not p.name.startswith(".")]
    raise UsageError("the inbox must be a folder or a manifest (.csv or .parquet)", path=str(inbox))


def _remote_candidates(url: str) -> list[tuple[str, UploadMeta]]:
    fs, root = remote_fs(url)
    protocol = url.split("://", 1)[0]
    if url.lower().endswith(_MANIFESTS):
        if not fs.isfile(root):
            raise UsageError("no manifest at this URL", path=url)
        base = url.rsplit("/", 1)[0]
        rows = _manifest_rows(fs.cat_file(root), url)
        return [(path if "://" in path else join(base, path), meta) for path, meta in rows]
    if not fs.isdir(root):
        raise UsageError("the inbox must be a folder (a prefix) or a manifest (.csv or .parquet)", path=url)
    names = sorted(fs.ls(root, detail=False))
    return [
        (f"{protocol}://{name}", UploadMeta())
        for name in names
        if not name.rstrip("/").rsplit("/", 1)[-1].startswith(".")
    ]


def _manifest_rows(data: bytes, where: str) -> list[tuple[str, UploadMeta]]:
    """A manifest's ``(path, meta)`` rows; empty cells are missing values."""
    if where.lower().endswith(".parquet"):
        import pyarrow.parquet as pq  # pyarrow (~0.2 s): only for a Parquet manifest

        table = pq.read_table(io.BytesIO(data))
        columns = set(table.schema.names)
        records: list[Mapping[str, Any]] = table.to_pylist()
    else:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
        columns = set(reader.fieldnames or ())
        records = list(reader)
    if "path" not in columns:
        raise UsageError("a manifest needs a 'path' column", path=where)
    rows = []
    for record in records:
        if not record.get("path"):
            continue
        values = {key: _cell(record.get(key)) for key in MANIFEST_FIELDS}
        rows.append((str(record["path"]), UploadMeta(**values)))
    return rows


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, datetime) else str(value).strip()
    return text or None


def _arrival(path: str, meta: UploadMeta) -> date | None:
    """The day an upload arrived (the manifest's ``uploaded_at``, else its modification time); ``None`` when it cannot
    be told (gone or unreadable since it was listed), and then it is kept, so that ``describe_upload`` records why it
    cannot be read rather than it vanishing unreported."""
    if meta.uploaded_at:
        try:
            return datetime.fromisoformat(meta.uploaded_at).date()
        except ValueError:
            return None
    try:
        if is_remote(path):
            fs, root = remote_fs(path)
            return datetime.fromtimestamp(_modified(fs.info(root))).date()
        return datetime.fromtimestamp(Path(path).lstat().st_mtime).date()
    except (OSError, ValueError):
        return None


def describe_upload(path: str, meta: UploadMeta | None = None) -> Upload | str:
    """The ``Upload`` for a path or URL, or the reason it cannot be one (missing, unreadable, a link)."""
    meta = meta or UploadMeta()
    if is_remote(path):
        return _describe_remote(path, meta)
    local = Path(path)
    try:
        info = local.lstat()
        if stat.S_ISLNK(info.st_mode):
            return "the upload is a symbolic link"
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
            return "the upload is not a regular file or folder"
        upload_id = meta.upload_id or content_id(local)
        size = info.st_size
        if stat.S_ISDIR(info.st_mode):  # a folder's size is its files' bytes (as for a folder in object storage)
            size = sum(p.lstat().st_size for p in local.rglob("*") if p.is_file() and not p.is_symlink())
        return Upload(upload_id=upload_id, path=path, size=size, mtime=info.st_mtime, meta=meta)
    except OSError as exc:
        return f"cannot read the upload: {exc.strerror or exc}"


def _describe_remote(url: str, meta: UploadMeta) -> Upload | str:
    fs, root = remote_fs(url)
    try:
        info = fs.info(root)
        if info["type"] == "directory":
            files = sorted(fs.find(root))
            digest = hashlib.sha256()
            for name in files:
                digest.update(name[len(root) :].lstrip("/").encode("utf-8", "surrogateescape") + b"\0")
                digest.update(hashlib.sha256(fs.cat_file(name)).hexdigest().encode() + b"\n")
            size = sum(int(fs.info(name).get("size") or 0) for name in files)
            upload_id = meta.upload_id or digest.hexdigest()
        else:
            size = int(info.get("size") or 0)
            if meta.upload_id:
                upload_id = meta.upload_id
            else:
                digest = hashlib.sha256()
                with fs.open(root, "rb") as handle:
                    while chunk := handle.read(_HASH_CHUNK):
                        digest.update(chunk)
                upload_id = digest.hexdigest()
        return Upload(upload_id=upload_id, path=url, size=size, mtime=_modified(info), meta=meta)
    except OSError as exc:
        return f"cannot read the upload: {exc.strerror or exc}"


def _modified(info: Mapping[str, Any]) -> float:
    """An fsspec entry's modification time in seconds (``mtime``, ``LastModified`` or ``created``), else 0."""
    for key in ("mtime", "LastModified", "created"):
        value = info.get(key)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, int | float):
            return float(value)
    return 0.0
