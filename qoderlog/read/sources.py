"""Inputs → decoded text lines, each input with its name and its own accounting.

Takes what a user hands over — log files, folders, ``.gz`` files, ``.zip`` /
``.tar`` / ``.tar.gz`` bundles, ``-`` for stdin — and gives ``Source`` values:
a name (``bundle.zip!logs/main.log`` for archive members), and a ``lines()``
iterator of decoded physical lines with the line ending removed. Encodings
are detected per file (BOMs, UTF-16 without BOM, UTF-8, GB18030, else UTF-8
with counted replacement characters); CRLF and lone CR end lines. Binary
files are skipped with a reason. Archive members are streamed, never written
to disk. Crashpad minidumps (``*.dmp``) are noted with their times.

Every source's bytes are opened in one place, ``open_raw``, which bounds
them by the input's ``Limits`` (decompressed bytes, compression ratio);
lines are cut at ``max_line``; folders and archives are read up to
``max_members``. A bound that is hit is a ``LimitHit`` on the source's
state (or the discovery, for a folder or archive), never an exception.

At ~800 lines this module is over the package's ~600: decoding (``open_text``
onwards) is to move to ``read/decoding.py`` once the branches editing this
file have landed, so that git carries their edits over this move first.
"""

from __future__ import annotations

import codecs
import dataclasses
import functools
import gzip
import io
import lzma
import os
import re
import stat
import struct
import sys
import tarfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from ..limits import DEFAULT_LIMITS, LimitExceeded, LimitHit, Limits
from ..model import Minidump
from .crashreports import CRASH_REPORT_NAME, crash_report
from .crashreports import HEAD_BYTES as CRASH_HEAD_BYTES
from .streams import stream_key

HEAD_BYTES = 64 * 1024
READ_BUFFER = 1 << 20
_LOG_NAME = re.compile(r"(?i).*(\.log(\.\d+)?|\.txt)(\.gz)?$")
_ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")
T = TypeVar("T")
_READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile, tarfile.TarError)
# What zipfile, tarfile and the decompressors raise besides their own errors on crafted headers (a UTF-8 name
# that is not UTF-8, an unknown zip version, offsets out of range, sizes that overflow): found by fuzzing; each
# means a corrupt archive or stream, not a bug here.
ARCHIVE_ERRORS = (*_READ_ERRORS, ValueError, IndexError, KeyError, OverflowError, struct.error, NotImplementedError)


@dataclass(slots=True, kw_only=True)
class SourceState:
    """What reading one source found out; filled in while its lines are read."""

    encoding: str | None = None
    size: int | None = None
    lines: int = 0
    replacements: int = 0
    cut_lines: int = 0
    longest_line: int = 0
    status: str = "ok"
    reason: str | None = None
    limits: list[LimitHit] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class ByteBudget:
    """Decompressed bytes one input (a path as given) may still give, shared by all of its sources."""

    input: str
    allowed: int
    used: int = 0

    @property
    def exhausted(self) -> bool:
        """Whether a source of this input already met ``max_bytes``."""
        return self.used >= self.allowed


@dataclass(slots=True, kw_only=True)
class Packed:
    """Compressed bytes on disk behind one or more sources (a gzip file, a zip member, a whole tar)."""

    size: int
    given: int = 0


@dataclass(slots=True, kw_only=True)
class Source:
    """One log file to read: its display name, where it lives, how to open it, and its bounds."""

    name: str
    container: str | None
    opener: Callable[[], BinaryIO]
    size: int | None = None
    state: SourceState = field(default_factory=SourceState)
    limits: Limits = DEFAULT_LIMITS
    budget: ByteBudget | None = None
    packed: Packed | None = None
    progress: Callable[[int], object] | None = None
    """Told, after each read, how many of the ``size`` bytes on disk (or in the archive) have been read so far."""
    path: str | None = None
    """The file on disk when the source is a whole file (not an archive member, not stdin): a chunked read opens it."""

    @property
    def max_line(self) -> int:
        """Characters per line; longer lines are cut to this, counted in ``state.cut_lines``."""
        return self.limits.max_line

    def lines(self) -> Iterator[str]:
        """Decoded physical lines without their line ending; updates ``state`` as it goes.

        Never raises for bad content: a read failure part-way sets
        ``state.status = "error"`` with the reason and ends the iteration; a
        binary file yields nothing and is marked ``skipped``. A bound met
        while reading is added to ``state.limits``.
        """
        return self.read(decoded_lines)

    def read(self, reader: Callable[[Opened, SourceState, int], Iterator[T]]) -> Iterator[T]:
        """Open the source, judge its encoding, and stream what ``reader`` makes of the opened bytes.

        ``reader(opened, state, max_line)`` is ``decoded_lines`` for text
        lines, or the fast block scanner; either way opening, decompressing
        and the binary check happen here, once, with the same outcomes.
        """
        state = self.state
        state.size = self.size
        try:
            raw = open_raw(self)
        except ARCHIVE_ERRORS as exc:  # a decompressor may fail on crafted data as soon as it is peeked at
            state.status, state.reason = "error", f"cannot open: {_describe(exc)}"
            return
        try:
            with raw:
                opened = open_text(raw, state)
                if opened is not None:
                    yield from reader(opened, state, self.max_line)
        finally:
            note_cut_lines(self)


def open_raw(source: Source) -> BinaryIO:
    """A source's decompressed bytes (gzip is undone here, once), bounded by its input's ``max_bytes`` and
    ``max_ratio``: the one way every reader opens a source. Meeting a bound adds a ``LimitHit`` to
    ``source.state.limits`` and raises ``LimitExceeded`` (an ``OSError``) from the read that met it.
    """
    handle = source.opener()
    try:
        unpacked = _maybe_gunzip(handle)
    except BaseException:
        handle.close()
        raise
    return _Bounded(unpacked, source, handle.tell if source.progress is not None else None)  # type: ignore[return-value]


def note_cut_lines(source: Source) -> None:
    """Record the ``max_line`` hit of a source whose lines were cut (once, when its reading ends)."""
    state = source.state
    if state.cut_lines and not any(hit.limit == "max_line" for hit in state.limits):
        plural = "line" if state.cut_lines == 1 else "lines"
        state.limits.append(
            LimitHit(
                input=source.name,
                limit="max_line",
                allowed=source.max_line,
                value=state.longest_line,
                count=state.cut_lines,
                detail=f"{state.cut_lines} {plural} cut to {source.max_line} characters, counted, not dropped",
            )
        )


class _Bounded(io.RawIOBase):
    """Decompressed bytes that stop at the input's byte budget and at the compression-ratio bound.

    A read that would pass ``max_bytes`` serves what is left of the budget
    and the next read raises, so no line before the bound is lost.
    """

    def __init__(self, raw: BinaryIO, source: Source, position: Callable[[], int] | None = None) -> None:
        self._raw = raw
        self._position = position  # of the bytes as stored (compressed for gzip), for source.progress
        self._given = 0
        self._read = getattr(raw, "read1", raw.read)
        self._source = source
        self._budget = source.budget or ByteBudget(input=source.name, allowed=source.limits.max_bytes)
        self._over: LimitHit | None = None

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._over is not None:
            raise LimitExceeded(self._over)
        try:
            data = self._read(min(len(buffer), READ_BUFFER))
        except _READ_ERRORS:
            raise
        except ARCHIVE_ERRORS as exc:
            # Any other failure of a decompressor on crafted data becomes a read error, ending this source only.
            raise OSError(f"corrupt compressed data: {type(exc).__name__}: {exc}") from exc
        if not data:
            return 0
        budget = self._budget
        left = budget.allowed - budget.used
        if len(data) > left:
            self._stop(
                LimitHit(
                    input=self._source.name,
                    limit="max_bytes",
                    allowed=budget.allowed,
                    value=budget.used + len(data),
                    detail=f"decompressed bytes of {budget.input}; reading stopped there",
                )
            )
            data = data[: max(left, 0)]
            if not data:
                raise LimitExceeded(self._over)  # type: ignore[arg-type]
        budget.used += len(data)
        packed = self._source.packed
        if packed is not None and packed.size > 0:
            packed.given += len(data)
            ratio = self._source.limits.ratio_over(packed.given, packed.size)
            if ratio is not None:
                self._stop(
                    LimitHit(
                        input=self._source.name,
                        limit="max_ratio",
                        allowed=self._source.limits.max_ratio,
                        value=round(ratio, 1),
                        detail=f"{packed.given} bytes from {packed.size} compressed; reading stopped there",
                    )
                )
        buffer[: len(data)] = data
        if self._position is not None:
            self._given += len(data)
            self._report()
        return len(data)

    def _report(self) -> None:
        """Tell ``source.progress`` the stored bytes read so far (the bytes given, where the stream cannot tell)."""
        try:
            done = self._position() if self._position is not None else self._given
        except (OSError, ValueError):
            self._position = None
            done = self._given
        if self._source.progress is not None:
            self._source.progress(done)

    def _stop(self, hit: LimitHit) -> None:
        if self._over is None:
            self._over = hit
            self._source.state.limits.append(hit)


@dataclass(slots=True, kw_only=True)
class Discovery:
    """Everything found under the given paths besides the sources themselves."""

    failures: list[tuple[str, str]] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    """Files and members not read, with the reason: ``(label, "nested archive: not opened")``."""
    escapes: set[str] = field(default_factory=set)
    """Archive members read whose names escape the archive (``../``, absolute): labels only, never paths."""
    minidumps: list[Minidump] = field(default_factory=list)
    limits: list[LimitHit] = field(default_factory=list)

    def limit(self, hit: LimitHit, reason: str) -> None:
        """A folder or archive met a bound: a failure for it, with the hit."""
        self.failures.append((hit.input, f"{reason}: {hit.describe()}"))
        self.limits.append(hit)


def iter_sources(
    paths: Iterable[str | os.PathLike[str]],
    discovery: Discovery,
    *,
    max_line: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[Source]:
    """Every log source under ``paths``, in reading order (rotated segments oldest first).

    Paths that cannot be read at all are added to ``discovery.failures`` as
    ``(path, reason)``; files that are not logs to ``discovery.ignored`` as
    ``(label, reason)``; archive members whose names escape the archive to
    ``discovery.escapes`` (they are still read, under their label).
    Archive sources are only readable while the iteration is at them. Each
    path as given is one input for ``limits`` (``max_line``, when given,
    overrides ``limits.max_line``).
    """
    if max_line is not None:
        limits = dataclasses.replace(limits, max_line=max_line)
    for raw_path in paths:
        text_path = os.fspath(raw_path)
        walk = _Walk(discovery=discovery, limits=limits, budget=ByteBudget(input=text_path, allowed=limits.max_bytes))
        if text_path == "-":
            yield walk.source(name="<stdin>", container=None, opener=_stdin)
            continue
        yield from _sources_at(Path(text_path), text_path, walk)


@dataclass(slots=True, kw_only=True)
class _Walk:
    """What finding the sources of one input needs: where to report, its bounds and its byte budget."""

    discovery: Discovery
    limits: Limits
    budget: ByteBudget

    def source(self, **fields: Any) -> Source:
        return Source(limits=self.limits, budget=self.budget, **fields)

    def fits(self, shown: str, found: int, what: str) -> int:
        """How many of ``found`` files or members to read: all, or ``max_members`` with the hit reported."""
        allowed = self.limits.max_members
        if found <= allowed:
            return found
        hit = LimitHit(input=shown, limit="max_members", allowed=allowed, value=found, count=found - allowed)
        self.discovery.limit(hit, f"{what}: the first {allowed} read, {found - allowed} not read")
        return allowed

    def packs_too_tight(self, label: str, size: int, packed: int) -> bool:
        """Whether an archive member's header declares a ratio past ``max_ratio`` (then it is reported, not read).

        Reading also stops at ``max_ratio`` times the member's compressed size, whatever its header says.
        """
        ratio = self.limits.ratio_over(size, packed)
        if ratio is None:
            return False
        hit = LimitHit(input=label, limit="max_ratio", allowed=self.limits.max_ratio, value=round(ratio, 1))
        self.discovery.limit(hit, f"not read: {size} bytes packed in {packed}")
        return True

    def spent(self, shown: str, left: int, what: str) -> bool:
        """Whether the byte budget is spent; if so, the ``left`` files or members not read are reported once."""
        budget = self.budget
        if not budget.exhausted:
            return False
        if left:
            hit = LimitHit(input=shown, limit="max_bytes", allowed=budget.allowed, value=budget.used, count=left)
            self.discovery.limit(hit, f"{left} {what} not read: the input's decompressed bytes reached the limit")
        return True


def _stdin() -> BinaryIO:
    return os.fdopen(os.dup(sys.stdin.fileno()), "rb")


def _open_regular(path: Path) -> BinaryIO:
    """Open a file for reading, refusing (never blocking on) one that became a FIFO or device since it was listed."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path.name} is not a regular file (device, FIFO or socket)")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _sources_at(path: Path, shown: str, walk: _Walk) -> Iterator[Source]:
    discovery = walk.discovery
    try:
        info = path.stat()
    except OSError as exc:
        discovery.failures.append((shown, f"cannot read: {_describe(exc)}"))
        return
    if stat.S_ISDIR(info.st_mode):
        yield from _folder_sources(path, shown, walk)
    elif not stat.S_ISREG(info.st_mode):
        discovery.failures.append((shown, "not a regular file (device, FIFO or socket); skipped"))
    elif _is_archive(path):
        yield from _archive_sources(path, shown, walk)
    elif path.suffix.lower() == ".dmp":
        discovery.minidumps.append(_minidump(shown, info))
    elif CRASH_REPORT_NAME.match(path.name):
        _note_crash_report(
            discovery, shown, info.st_size, datetime.fromtimestamp(info.st_mtime), lambda: path.open("rb")
        )
    else:
        yield _file_source(path, shown, info.st_size, walk)


def _folder_sources(root: Path, shown: str, walk: _Walk) -> Iterator[Source]:
    discovery = walk.discovery
    files: list[tuple[Path, str]] = []
    for folder, dirs, names in os.walk(root, onerror=lambda e: _walk_error(e, discovery)):
        dirs.sort()
        for name in names:
            full = Path(folder) / name
            files.append((full, os.path.join(shown, os.path.relpath(full, root))))
    files.sort(key=lambda item: _reading_order(item[1]))
    del files[walk.fits(shown, len(files), "too many files in the folder") :]
    for index, (full, label) in enumerate(files):
        if walk.spent(shown, len(files) - index, "files"):
            return
        name = full.name
        if name.lower().endswith(".dmp") or CRASH_REPORT_NAME.match(name) or _is_archive(full) or _LOG_NAME.match(name):
            # Through stat first: a FIFO named like a log or an archive is refused, never opened.
            yield from _sources_at(full, label, walk)
        else:
            discovery.ignored.append((label, not_read_reason(name, nested=False)))


def _walk_error(error: OSError, discovery: Discovery) -> None:
    discovery.failures.append((str(error.filename), f"cannot list folder: {_describe(error)}"))


def _reading_order(label: str) -> tuple[str, str, int, str]:
    stem, index = stream_key(label)
    return (os.path.dirname(label), stem, -index, label)


def _file_source(path: Path, shown: str, size: int, walk: _Walk) -> Source:
    def opener() -> BinaryIO:
        return _open_regular(path)

    return walk.source(name=shown, container=None, opener=opener, size=size, packed=Packed(size=size), path=str(path))


def _is_archive(path: Path) -> bool:
    lower = path.name.lower()
    return lower.endswith(_ARCHIVE_SUFFIXES)


def _archive_sources(path: Path, shown: str, walk: _Walk) -> Iterator[Source]:
    lower = path.name.lower()
    try:
        with _open_regular(path) as handle:
            if lower.endswith(".zip"):
                yield from _zip_sources(handle, shown, walk)
            else:
                yield from _tar_sources(handle, shown, walk)
    except ARCHIVE_ERRORS as exc:
        walk.discovery.failures.append((shown, f"cannot read archive: {_describe(exc)}"))


def _zip_sources(handle: BinaryIO, shown: str, walk: _Walk) -> Iterator[Source]:
    discovery = walk.discovery
    with zipfile.ZipFile(handle) as archive:
        # Not ZipInfo.is_dir(): it fails on the empty member name a crafted archive can hold.
        members = sorted(
            (m for m in archive.infolist() if not m.filename.endswith("/")), key=lambda m: _reading_order(m.filename)
        )
        del members[walk.fits(shown, len(members), "too many archive members") :]
        for index, member in enumerate(members):
            if walk.spent(shown, len(members) - index, "archive members"):
                return
            label = f"{shown}!{member.filename}"
            base = member.filename.rsplit("/", 1)[-1]
            if escapes_archive(member.filename):
                discovery.escapes.add(label)
            if base.lower().endswith(".dmp"):
                when = _member_time(datetime, *member.date_time)
                discovery.minidumps.append(Minidump(source=label, time=when, size=member.file_size))
            elif CRASH_REPORT_NAME.match(base):
                when = _member_time(datetime, *member.date_time)
                _note_crash_report(discovery, label, member.file_size, when, functools.partial(archive.open, member))
            elif _LOG_NAME.match(base):
                if walk.packs_too_tight(label, member.file_size, member.compress_size):
                    continue  # reported as a failure with the ratio

                def opener(member: zipfile.ZipInfo = member) -> BinaryIO:
                    try:
                        return archive.open(member)
                    except (RuntimeError, NotImplementedError, *ARCHIVE_ERRORS) as exc:  # encrypted; deflate64; …
                        raise zipfile.BadZipFile(str(exc) or type(exc).__name__) from exc

                yield walk.source(
                    name=label,
                    container=shown,
                    opener=opener,
                    size=member.file_size,
                    packed=Packed(size=member.compress_size),
                )
            else:
                discovery.ignored.append((label, not_read_reason(base, nested=True)))


def _tar_sources(handle: BinaryIO, shown: str, walk: _Walk) -> Iterator[Source]:
    discovery = walk.discovery
    limits = walk.limits
    packed = Packed(size=os.fstat(handle.fileno()).st_size)
    with tarfile.open(fileobj=handle, mode="r:*") as archive:
        members: list[tarfile.TarInfo] = []
        declared = 0
        try:
            # Headers are read one by one so that a cut-off archive still gives the members before the cut, and
            # reading stops at the bounds: finding the next header means decompressing the member before it.
            for member in archive:
                members.append(member)
                declared += member.size
                if limits.members_over(len(members)) or limits.bytes_over(declared):
                    break
        except ARCHIVE_ERRORS as exc:
            discovery.failures.append((shown, f"archive cut short after {len(members)} members: {_describe(exc)}"))
        if limits.bytes_over(declared):
            hit = LimitHit(input=shown, limit="max_bytes", allowed=limits.max_bytes, value=declared)
            discovery.limit(hit, f"members after the first {len(members) - 1} not read")
            members.pop()
        elif limits.members_over(len(members)):
            hit = LimitHit(input=shown, limit="max_members", allowed=limits.max_members, value=len(members))
            discovery.limit(hit, f"too many archive members: the first {limits.max_members} read, the rest not")
            members.pop()
        members.sort(key=lambda m: _reading_order(m.name))
        for index, member in enumerate(members):
            if walk.spent(shown, len(members) - index, "archive members"):
                return
            label = f"{shown}!{member.name}"
            base = member.name.rsplit("/", 1)[-1]
            if member.isdir():
                continue
            if escapes_archive(member.name):
                discovery.escapes.add(label)
            if not member.isfile():
                if _LOG_NAME.match(base):
                    kind = "a link" if member.issym() or member.islnk() else "not a regular file"
                    discovery.failures.append((label, f"archive member is {kind}; not followed, not read"))
                else:
                    discovery.ignored.append((label, "not a regular file (a link or a device): not read"))
            elif base.lower().endswith(".dmp"):
                when = _member_time(datetime.fromtimestamp, member.mtime) if member.mtime else None
                discovery.minidumps.append(Minidump(source=label, time=when, size=member.size))
            elif CRASH_REPORT_NAME.match(base):
                when = _member_time(datetime.fromtimestamp, member.mtime) if member.mtime else None
                _note_crash_report(discovery, label, member.size, when, functools.partial(archive.extractfile, member))
            elif _LOG_NAME.match(base):

                def opener(member: tarfile.TarInfo = member) -> BinaryIO:
                    handle = archive.extractfile(member)
                    if handle is None:
                        raise OSError(f"tar member {member.name} has no data")
                    return handle

                yield walk.source(name=label, container=shown, opener=opener, size=member.size, packed=packed)
            else:
                discovery.ignored.append((label, not_read_reason(base, nested=True)))


_IMAGES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".heic", ".tiff")
_NESTED = (*_ARCHIVE_SUFFIXES, ".7z", ".rar", ".gz", ".xz", ".bz2", ".zst")


def not_read_reason(name: str, *, nested: bool) -> str:
    """Why a file or archive member named ``name`` is not read (archives in a folder are opened, in an archive not)."""
    lower = name.lower()
    if lower.endswith(_NESTED) and nested:
        return "nested archive: not opened"
    if lower.endswith(_NESTED):
        return "compressed file that is not a log (*.log.gz, *.txt.gz are read): not opened"
    if lower.endswith(_IMAGES):
        return "image (a screenshot?): not a log, not read"
    suffix = os.path.splitext(lower)[1]
    return f"not a log file name ({suffix or 'no extension'}; *.log, *.log.N, *.txt are read): not read"


def escapes_archive(member: str) -> bool:
    """Whether an archive member's name points outside the archive: absolute, a drive, or a ``..`` step."""
    name = member.replace("\\", "/")
    return name.startswith("/") or re.match(r"[A-Za-z]:", name) is not None or ".." in name.split("/")


def _member_time(make: Callable[..., datetime], *values: float) -> datetime | None:
    """An archive member's time, or ``None`` when the header holds an impossible one (month 0, year 10000)."""
    try:
        return make(*values)
    except (ValueError, OverflowError, OSError):
        return None


def _note_crash_report(
    discovery: Discovery,
    label: str,
    size: int,
    when: datetime | None,
    opener: Callable[[], BinaryIO | None],
) -> None:
    """Note the crash report ``label`` from its first bytes; a failure to read them is noted, the report listed."""
    try:
        handle = opener()
        if handle is None:
            head = b""
        else:
            with handle:
                head = handle.read(CRASH_HEAD_BYTES)
    except _READ_ERRORS as exc:
        discovery.failures.append((label, f"crash report not read: {_describe(exc)}"))
        head = b""
    discovery.minidumps.append(crash_report(label, head, size, when))


def _minidump(label: str, info: os.stat_result) -> Minidump:
    return Minidump(source=label, time=datetime.fromtimestamp(info.st_mtime), size=info.st_size)


def _maybe_gunzip(handle: BinaryIO) -> BinaryIO:
    """Wrap ``handle`` in a gzip reader when it starts with the gzip magic, whatever its name."""
    buffered = handle if isinstance(handle, io.BufferedReader) else io.BufferedReader(handle)  # type: ignore[arg-type]
    if buffered.peek(2)[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
    return buffered  # type: ignore[return-value]


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, EOFError):
        return f"truncated compressed stream ({exc})" if str(exc) else "truncated compressed stream"
    return str(exc) or type(exc).__name__


# --- decoding -----------------------------------------------------------------------------


_local = threading.local()
_CONTROL_BYTES = bytes([*range(0, 9), 11, *range(14, 27), *range(28, 32), 127])
"""Bytes that text logs do not contain (tab, newlines, form feed and escape are text)."""
_CONTROL_CHARS = dict.fromkeys(_CONTROL_BYTES)


def _replacements() -> list[int]:
    """This thread's running count of replacement characters, as a one-item list (cheap to read per line)."""
    try:
        return _local.replacements  # type: ignore[no-any-return]
    except AttributeError:
        _local.replacements = [0]
        return _local.replacements  # type: ignore[no-any-return]


def _count_replacement(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    _replacements()[0] += 1
    return "\ufffd", error.end


codecs.register_error("qoderlog-replace", _count_replacement)


class _Prefixed(io.RawIOBase):
    """A raw stream that serves ``head`` and then the rest of ``tail`` (or raises ``error``, met reading the head).

    The tail is read with ``read1``: a plain ``read(n)`` of a gzip or zip
    stream that breaks part-way drops everything it decompressed in that call.
    """

    def __init__(self, head: bytes, tail: BinaryIO, error: BaseException | None = None) -> None:
        self._head = memoryview(head)
        self._tail = tail
        self._error = error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        if self._error is not None:
            raise self._error
        data = getattr(self._tail, "read1", self._tail.read)(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def detect_encoding(head: bytes) -> tuple[str | None, str | None]:
    """``(encoding, None)`` for text, ``(None, reason)`` for binary, judged from a file's head.

    Order: BOMs (UTF-8, UTF-16 LE/BE), UTF-16 without BOM (NULs on every
    other byte), binary (other NUL-heavy data, minidumps), strict UTF-8,
    strict GB18030, else UTF-8 with replacement characters.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", None
    if head.startswith(b"MDMP"):
        return None, "binary file (a minidump), not a log"
    nuls = head.count(0)
    if nuls:
        sample = head[: len(head) // 2 * 2]
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        half = max(len(sample) // 2, 1)
        if odd > 0.3 * half and even < 0.02 * half:
            return _utf16_or_binary(sample, "utf-16-le")
        if even > 0.3 * half and odd < 0.02 * half:
            return _utf16_or_binary(sample, "utf-16-be")
        if nuls > 0.01 * len(head):
            share = round(100 * nuls / len(head))
            return None, f"binary file ({share}% NUL bytes in the first {len(head)} bytes)"
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if controls > 0.05 * len(head):
        share = round(100 * controls / len(head))
        return None, f"binary file ({share}% control bytes in the first {len(head)} bytes)"
    if _decodes(head, "utf-8"):
        return "utf-8", None
    if _decodes(head, "gb18030"):
        return "gb18030", None
    return "utf-8", None


def _utf16_or_binary(sample: bytes, encoding: str) -> tuple[str | None, str | None]:
    """UTF-16 text has NULs on every other byte, and so do arrays of small 16-bit numbers: tell them apart."""
    text = sample.decode(encoding, errors="replace")
    controls = len(text) - len(text.translate(_CONTROL_CHARS))
    if controls > 0.05 * len(text):
        share = round(100 * controls / len(text))
        return None, f"binary file ({share}% control characters as {encoding} in the first {len(sample)} bytes)"
    return encoding, None


def _decodes(head: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _read_head(raw: BinaryIO) -> tuple[bytes, BaseException | None]:
    """Up to ``HEAD_BYTES``, and the read error that cut them short, keeping what came before it."""
    chunks: list[bytes] = []
    size = 0
    read = getattr(raw, "read1", raw.read)
    try:
        while size < HEAD_BYTES and (chunk := read(HEAD_BYTES - size)):
            chunks.append(chunk)
            size += len(chunk)
    except _READ_ERRORS as exc:
        return b"".join(chunks), exc
    return b"".join(chunks), None


@dataclass(frozen=True, slots=True, kw_only=True)
class Opened:
    """A source's (decompressed) bytes once its encoding is known: the head already read, and the rest.

    ``error`` is a read error met while reading the head; it is raised again
    when the reader gets past the head, so that both readers stop at the same
    byte.
    """

    head: bytes
    rest: BinaryIO
    error: BaseException | None
    encoding: str

    def stream(self) -> io.RawIOBase:
        """The whole byte stream: the head, then the rest (or the read error met)."""
        return _Prefixed(self.head, self.rest, self.error)

    def chunks(self, size: int) -> Iterator[bytes]:
        """The bytes in pieces of at most ``size`` after the head (which comes first); read errors propagate."""
        if self.head:
            yield self.head
        if self.error is not None:
            raise self.error
        read = getattr(self.rest, "read1", self.rest.read)
        while chunk := read(size):
            yield chunk


def open_text(raw: BinaryIO, state: SourceState) -> Opened | None:
    """Read the head of ``raw`` (as ``open_raw`` gives it) and judge the encoding; ``None`` (``state`` set) for no text.

    A file that cannot be read ends as ``error``; a binary file as
    ``skipped``, with its physical lines still counted.
    """
    head, error = _read_head(raw)
    if error is not None and not head:
        state.status, state.reason = "error", f"cannot read: {_describe(error)}"
        return None
    encoding, binary_reason = detect_encoding(head)
    if encoding is None:
        state.status, state.reason = "skipped", binary_reason
        state.lines = _count_raw_lines(head, _Prefixed(b"", raw, error), state)
        return None
    state.encoding = encoding
    return Opened(head=head, rest=raw, error=error, encoding=encoding)


def decoded_lines(opened: Opened, state: SourceState, max_line: int) -> Iterator[str]:
    """The decoded physical lines of an opened source, line endings removed, cut at ``max_line``.

    Universal newlines (CRLF and lone CR end lines); undecodable bytes become
    U+FFFD and are counted in ``state.replacements``; a read error part-way
    ends the lines with ``state.status = "error"``.
    """
    return text_lines(opened.stream(), opened.encoding, state, max_line)


def text_lines(raw: io.RawIOBase, encoding: str, state: SourceState, max_line: int, start: int = 0) -> Iterator[str]:
    """The lines of a byte stream, as ``decoded_lines`` reads them, counting on from line ``start``."""
    stream = io.BufferedReader(raw, buffer_size=READ_BUFFER)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="qoderlog-replace", newline=None)
    counter = _replacements()
    before = counter[0]
    lines = start
    # A line is read up to one character past the limit, so that a 50 MB line never sits in memory whole.
    readline = text.readline
    limit = max_line + 1
    try:
        while line := readline(limit):
            if counter[0] != before:
                state.replacements += counter[0] - before
            lines += 1
            cut = False
            if line.endswith("\n"):
                line = line[:-1]
            elif len(line) == limit:
                cut = True
                state.cut_lines += 1
                state.longest_line = max(state.longest_line, limit)
                line = line[:max_line]
            yield line
            # Count only our own reads' replacements: another source may have been decoded while we waited. The
            # rest of a cut line is ours: its replacements (and those of what was decoded with it) count too.
            before = counter[0]
            if cut:
                # Skipped after the yield: a read error in the rest of the line must not lose the part counted.
                state.longest_line = max(state.longest_line, limit + _skip_rest(readline))
        state.replacements += counter[0] - before
    except _READ_ERRORS as exc:
        state.replacements += counter[0] - before
        state.status, state.reason = "error", f"read stopped after line {lines}: {_describe(exc)}"
    except UnicodeError as exc:
        state.status, state.reason = "error", f"undecodable after line {lines}: {exc}"
    finally:
        state.lines = lines


def _skip_rest(readline: Callable[[int], str]) -> int:
    """Read past the rest of an over-long line in bounded pieces; the characters skipped (without the newline)."""
    skipped = 0
    while piece := readline(READ_BUFFER):
        if piece.endswith("\n"):
            return skipped + len(piece) - 1
        skipped += len(piece)
    return skipped


def _count_raw_lines(head: bytes, raw: BinaryIO, state: SourceState) -> int:
    """Physical lines of a skipped binary file, so the accounting still covers it."""
    count = head.count(b"\n")
    last = head[-1:]
    try:
        while chunk := raw.read(READ_BUFFER):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    except _READ_ERRORS as exc:
        state.reason = f"{state.reason}; read stopped: {_describe(exc)}"
    return count + (1 if last and last != b"\n" else 0)
