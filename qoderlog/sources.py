"""Inputs → decoded text lines, each input with its name and its own accounting.

Takes what a user hands over — log files, folders, ``.gz`` files, ``.zip`` /
``.tar`` / ``.tar.gz`` bundles, ``-`` for stdin — and gives ``Source`` values:
a name (``bundle.zip!logs/main.log`` for archive members), and a ``lines()``
iterator of decoded physical lines with the line ending removed. Encodings
are detected per file (BOMs, UTF-16 without BOM, UTF-8, GB18030, else UTF-8
with counted replacement characters); CRLF and lone CR end lines. Binary
files are skipped with a reason. Archive members are streamed, never written
to disk. Crashpad minidumps (``*.dmp``) are noted with their times.
"""

from __future__ import annotations

import codecs
import gzip
import io
import lzma
import os
import re
import stat
import sys
import tarfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, TypeVar

HEAD_BYTES = 64 * 1024
READ_BUFFER = 1 << 20
DEFAULT_MAX_LINE = 1 << 20
_LOG_NAME = re.compile(r"(?i).*(\.log(\.\d+)?|\.txt)(\.gz)?$")
_ROTATED = re.compile(r"(?i)^(?P<stem>.*?\.log)\.(?P<n>\d+)$")
_ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")
T = TypeVar("T")
_READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile, tarfile.TarError)


@dataclass(frozen=True, slots=True, kw_only=True)
class Minidump:
    """A Crashpad minidump found in an input: when it was written and how big it is."""

    source: str
    time: datetime | None
    size: int


@dataclass(slots=True, kw_only=True)
class SourceState:
    """What reading one source found out; filled in while its lines are read."""

    encoding: str | None = None
    size: int | None = None
    lines: int = 0
    replacements: int = 0
    cut_lines: int = 0
    status: str = "ok"
    reason: str | None = None


@dataclass(slots=True, kw_only=True)
class Source:
    """One log file to read: its display name, where it lives, and how to open it."""

    name: str
    container: str | None
    opener: Callable[[], BinaryIO]
    size: int | None = None
    state: SourceState = field(default_factory=SourceState)
    max_line: int = DEFAULT_MAX_LINE

    def lines(self) -> Iterator[str]:
        """Decoded physical lines without their line ending; updates ``state`` as it goes.

        Never raises for bad content: a read failure part-way sets
        ``state.status = "error"`` with the reason and ends the iteration; a
        binary file yields nothing and is marked ``skipped``.
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
            raw = self.opener()
        except _READ_ERRORS as exc:
            state.status, state.reason = "error", f"cannot open: {_describe(exc)}"
            return
        with raw:
            opened = open_text(raw, state)
            if opened is not None:
                yield from reader(opened, state, self.max_line)


@dataclass(slots=True, kw_only=True)
class Discovery:
    """Everything found under the given paths besides the sources themselves."""

    failures: list[tuple[str, str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    minidumps: list[Minidump] = field(default_factory=list)


def iter_sources(
    paths: Iterable[str | os.PathLike[str]],
    discovery: Discovery,
    *,
    max_line: int = DEFAULT_MAX_LINE,
) -> Iterator[Source]:
    """Every log source under ``paths``, in reading order (rotated segments oldest first).

    Paths that cannot be read at all are added to ``discovery.failures`` as
    ``(path, reason)``; files that are not logs to ``discovery.ignored``.
    Archive sources are only readable while the iteration is at them.
    """
    for raw_path in paths:
        text_path = os.fspath(raw_path)
        if text_path == "-":
            yield Source(name="<stdin>", container=None, opener=_stdin, max_line=max_line)
            continue
        yield from _sources_at(Path(text_path), text_path, discovery, max_line)


@lru_cache(maxsize=4096)
def stream_key(name: str) -> tuple[str, int]:
    """``("…/main.log", 2)`` for ``…/main.log.2.gz``: the log stream and its rotation index.

    The live file has index 0; a higher index is older.
    """
    base = name[:-3] if name.lower().endswith(".gz") else name
    match = _ROTATED.match(base)
    if match:
        return match["stem"], int(match["n"])
    return base, 0


def _stdin() -> BinaryIO:
    return os.fdopen(os.dup(sys.stdin.fileno()), "rb")


def _sources_at(path: Path, shown: str, discovery: Discovery, max_line: int) -> Iterator[Source]:
    try:
        info = path.stat()
    except OSError as exc:
        discovery.failures.append((shown, f"cannot read: {_describe(exc)}"))
        return
    if stat.S_ISDIR(info.st_mode):
        yield from _folder_sources(path, shown, discovery, max_line)
    elif not stat.S_ISREG(info.st_mode):
        discovery.failures.append((shown, "not a regular file (device, FIFO or socket); skipped"))
    elif _is_archive(path):
        yield from _archive_sources(path, shown, discovery, max_line)
    elif path.suffix.lower() == ".dmp":
        discovery.minidumps.append(_minidump(shown, info))
    else:
        yield _file_source(path, shown, info.st_size, max_line)


def _folder_sources(root: Path, shown: str, discovery: Discovery, max_line: int) -> Iterator[Source]:
    files: list[tuple[Path, str]] = []
    for folder, dirs, names in os.walk(root, onerror=lambda e: _walk_error(e, discovery)):
        dirs.sort()
        for name in names:
            full = Path(folder) / name
            files.append((full, os.path.join(shown, os.path.relpath(full, root))))
    for full, label in sorted(files, key=lambda item: _reading_order(item[1])):
        name = full.name
        if name.lower().endswith(".dmp"):
            try:
                discovery.minidumps.append(_minidump(label, full.stat()))
            except OSError as exc:
                discovery.failures.append((label, f"cannot read: {_describe(exc)}"))
        elif _is_archive(full):
            yield from _archive_sources(full, label, discovery, max_line)
        elif _LOG_NAME.match(name):
            yield from _sources_at(full, label, discovery, max_line)
        else:
            discovery.ignored.append(label)


def _walk_error(error: OSError, discovery: Discovery) -> None:
    discovery.failures.append((str(error.filename), f"cannot list folder: {_describe(error)}"))


def _reading_order(label: str) -> tuple[str, str, int, str]:
    stem, index = stream_key(label)
    return (os.path.dirname(label), stem, -index, label)


def _file_source(path: Path, shown: str, size: int, max_line: int) -> Source:
    def opener() -> BinaryIO:
        return open(path, "rb")

    return Source(name=shown, container=None, opener=opener, size=size, max_line=max_line)


def _is_archive(path: Path) -> bool:
    lower = path.name.lower()
    return lower.endswith(_ARCHIVE_SUFFIXES)


def _archive_sources(path: Path, shown: str, discovery: Discovery, max_line: int) -> Iterator[Source]:
    lower = path.name.lower()
    try:
        if lower.endswith(".zip"):
            yield from _zip_sources(path, shown, discovery, max_line)
        else:
            yield from _tar_sources(path, shown, discovery, max_line)
    except _READ_ERRORS as exc:
        discovery.failures.append((shown, f"cannot read archive: {_describe(exc)}"))


def _zip_sources(path: Path, shown: str, discovery: Discovery, max_line: int) -> Iterator[Source]:
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        for member in sorted(members, key=lambda m: _reading_order(m.filename)):
            label = f"{shown}!{member.filename}"
            base = member.filename.rsplit("/", 1)[-1]
            if base.lower().endswith(".dmp"):
                when = _member_time(datetime, *member.date_time)
                discovery.minidumps.append(Minidump(source=label, time=when, size=member.file_size))
            elif _LOG_NAME.match(base):

                def opener(member: zipfile.ZipInfo = member) -> BinaryIO:
                    try:
                        return archive.open(member)
                    except (RuntimeError, NotImplementedError) as exc:  # encrypted; unsupported method (deflate64)
                        raise zipfile.BadZipFile(str(exc)) from exc

                yield Source(
                    name=label,
                    container=shown,
                    opener=opener,
                    size=member.file_size,
                    max_line=max_line,
                )
            else:
                discovery.ignored.append(label)


def _tar_sources(path: Path, shown: str, discovery: Discovery, max_line: int) -> Iterator[Source]:
    with tarfile.open(path, mode="r:*") as archive:
        members: list[tarfile.TarInfo] = []
        try:
            # Headers are read one by one so that a cut-off archive still gives the members before the cut.
            members.extend(archive)
        except _READ_ERRORS as exc:
            discovery.failures.append((shown, f"archive cut short after {len(members)} members: {_describe(exc)}"))
        for member in sorted(members, key=lambda m: _reading_order(m.name)):
            label = f"{shown}!{member.name}"
            base = member.name.rsplit("/", 1)[-1]
            if member.isdir():
                continue
            if not member.isfile():
                discovery.ignored.append(label)
            elif base.lower().endswith(".dmp"):
                when = _member_time(datetime.fromtimestamp, member.mtime) if member.mtime else None
                discovery.minidumps.append(Minidump(source=label, time=when, size=member.size))
            elif _LOG_NAME.match(base):

                def opener(member: tarfile.TarInfo = member) -> BinaryIO:
                    handle = archive.extractfile(member)
                    if handle is None:
                        raise OSError(f"tar member {member.name} has no data")
                    return handle

                yield Source(
                    name=label,
                    container=shown,
                    opener=opener,
                    size=member.size,
                    max_line=max_line,
                )
            else:
                discovery.ignored.append(label)


def _member_time(make: Callable[..., datetime], *values: float) -> datetime | None:
    """An archive member's time, or ``None`` when the header holds an impossible one (month 0, year 10000)."""
    try:
        return make(*values)
    except (ValueError, OverflowError, OSError):
        return None


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
    """Unzip ``raw`` if gzipped, read its head and judge the encoding; ``None`` (with ``state`` set) for no text.

    A file that cannot be read ends as ``error``; a binary file as
    ``skipped``, with its physical lines still counted.
    """
    try:
        raw = _maybe_gunzip(raw)
    except _READ_ERRORS as exc:
        state.status, state.reason = "error", f"cannot read: {_describe(exc)}"
        return None
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
    stream = io.BufferedReader(opened.stream(), buffer_size=READ_BUFFER)
    text = io.TextIOWrapper(stream, encoding=opened.encoding, errors="qoderlog-replace", newline=None)
    counter = _replacements()
    before = counter[0]
    lines = 0
    try:
        for line in text:
            if counter[0] != before:
                state.replacements += counter[0] - before
            lines += 1
            if line.endswith("\n"):
                line = line[:-1]
            if len(line) > max_line:
                state.cut_lines += 1
                line = line[:max_line]
            yield line
            # Count only our own reads' replacements: another source may have been decoded while we waited.
            before = counter[0]
        state.replacements += counter[0] - before
    except _READ_ERRORS as exc:
        state.replacements += counter[0] - before
        state.status, state.reason = "error", f"read stopped after line {lines}: {_describe(exc)}"
    except UnicodeError as exc:
        state.status, state.reason = "error", f"undecodable after line {lines}: {exc}"
    finally:
        state.lines = lines


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
