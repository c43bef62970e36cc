"""One big plain log file → byte ranges cut at record boundaries, so that a process pool can read them apart.

``plan_chunks(path, …)`` says whether a file can be read in chunks and
where: a plain UTF-8 (or ASCII) file on disk — not gzip, not UTF-16 or
GB18030, whose bytes the block scanner does not read — that is framed, and
no paste, by the end of its first block. Each cut is at the start of a
header line (``scan._HEADER_LINE``) right after a line feed: in a framed
file that line starts a record, so no record spans two chunks and a chunk's
reader can start as the whole file's reader stands there
(``Framer(framed=True)``). Each chunk knows how many lines come before it,
counted as the line reader counts them (CRLF and a lone CR end a line), so
its records carry the same line numbers as in one pass.

The plan only reads: a look at the bytes around each cut, and one pass of
counting over the file (C speed) while the chunks before are being read.
"""

from __future__ import annotations

import io
import os
from collections.abc import Generator
from dataclasses import dataclass
from typing import BinaryIO

from .framing import Framer
from .headers import match_header
from .scan import _HEADER_LINE, BLOCK, FAST_ENCODINGS
from .sources import HEAD_BYTES, detect_encoding

_GZIP_MAGIC = b"\x1f\x8b"
_COUNT_READ = 8 << 20
"""Bytes read at a time while counting lines."""
_LOOK = 1 << 20
"""Bytes looked at, at a time, for a header line after a cut's target offset."""
_HEADER_BYTES = 4096
"""Bytes of a line enough to tell a header: a longer line is judged by these (a header is at its start)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Chunk:
    """Bytes ``start`` to ``end`` (``None``: the end of the file) of a file, with the lines before them."""

    index: int
    start: int
    end: int | None
    lines_before: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChunkPlan:
    """How one file is to be cut: from ``first`` (after a BOM), at header lines about ``chunk_bytes`` apart.

    ``second`` is where the second chunk starts (a plan has two chunks at
    least). ``chunks()`` finds the cuts and counts the lines as the chunks
    are asked for, so that the first ones can be read while the rest of the
    file is still being counted.
    """

    path: str
    encoding: str
    first: int
    second: int
    chunk_bytes: int
    max_json_depth: int

    def chunks(self) -> Generator[Chunk, None, None]:
        """The chunks in file order, each with the lines before it; the last one ends at the end of the file."""
        with open(self.path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            start, lines, index = self.first, 0, 0
            end: int | None = self.second
            while True:
                yield Chunk(index=index, start=start, end=end, lines_before=lines)
                if end is None:
                    return
                lines += _count_lines(handle, start, end)
                start, index = end, index + 1
                target = start + self.chunk_bytes
                end = _record_start(handle, target, self.max_json_depth) if target < size else None


def plan_chunks(
    path: str | os.PathLike[str], *, chunk_bytes: int, max_line: int, max_json_depth: int
) -> ChunkPlan | None:
    """How to cut the file at ``path`` into chunks of about ``chunk_bytes``; ``None`` when it is not to be cut.

    ``None`` for a file that is gzip, not UTF-8 by its head, read line by
    line by the scanner (``max_line`` under ``HEAD_BYTES``), not framed by
    the end of its first block (a paste, a snippet, JSON lines), or too
    small to give two chunks.
    """
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
        encoding, _ = detect_encoding(head)
        if head[:2] == _GZIP_MAGIC or encoding not in FAST_ENCODINGS or max_line < HEAD_BYTES:
            return None
        first = 3 if encoding == "utf-8-sig" and head.startswith(b"\xef\xbb\xbf") else 0
        handle.seek(first)
        if not _framed_early(handle.read(BLOCK), max_line, max_json_depth):
            return None
        chunk_bytes = max(chunk_bytes, 1)
        size = os.fstat(handle.fileno()).st_size
        second = _record_start(handle, first + chunk_bytes, max_json_depth) if first + chunk_bytes < size else None
    if second is None:
        return None
    return ChunkPlan(
        path=os.fspath(path),
        encoding=encoding,
        first=first,
        second=second,
        chunk_bytes=chunk_bytes,
        max_json_depth=max_json_depth,
    )


def _framed_early(block: bytes, max_line: int, max_json_depth: int) -> bool:
    """Whether the framer stops reading pastes within ``block``'s whole lines (the first chunk's reader confirms it)."""
    framer = Framer(source="", is_candidate=_never, recognises=_never, max_json_depth=max_json_depth)
    whole = block[: block.rfind(b"\n") + 1].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    for number, line in enumerate(whole.decode("utf-8", "replace").split("\n")[:-1], 1):
        framer.line(number, line[:max_line])
        if not framer.reads_pastes:
            return True
    return False


def _never(_: object) -> bool:
    return False


def _record_start(handle: BinaryIO, at: int, max_json_depth: int) -> int | None:
    """The offset of the first header line that starts after a line feed at or after ``at``; ``None`` if none."""
    offset = at - 1  # the byte before ``at``: the line feed of a header line starting right at ``at``
    while True:
        handle.seek(offset)
        window = handle.read(_LOOK)
        pos = window.find(b"\n")
        while pos != -1:
            start = pos + 1
            end = window.find(b"\n", start)
            line = window[start:] if end == -1 else window[start:end]
            if end == -1 and len(line) < _HEADER_BYTES and len(window) == _LOOK:
                break  # too little of the line in this window to judge it: look again from its line feed
            if _starts_record(line[:_HEADER_BYTES], max_json_depth):
                return offset + start
            pos = end
        if len(window) < _LOOK:
            return None  # the end of the file
        offset += pos if pos > 0 else len(window)


def _starts_record(line: bytes, max_json_depth: int) -> bool:
    """Whether a line (its first bytes) is a header, read as the framer reads it in a framed file that is no paste.

    The block scanner's header shapes find it; the framer's own test
    confirms it, so that a cut is never where one pass sees a continuation.
    """
    line = line.split(b"\r", 1)[0]  # a CR ends the line (CRLF, or a lone CR)
    if _HEADER_LINE.match(line) is None:
        return False
    return match_header(line.decode("utf-8", "replace"), max_json_depth, unframed=False) is not None


def _count_lines(handle: io.BufferedReader, start: int, end: int) -> int:
    """The lines in bytes ``start`` to ``end``, counted as the line reader counts them (CRLF, LF, a lone CR).

    ``end`` follows a line feed (a cut), so no CRLF is split there.
    """
    handle.seek(start)
    buffer = bytearray(min(_COUNT_READ, max(end - start, 1)))  # read into, again and again: no fresh pages
    view = memoryview(buffer)
    lines = 0
    held_cr = False
    left = end - start
    while left > 0:
        got = handle.readinto(view[: min(len(buffer), left)])
        if not got:
            break
        left -= got
        data = buffer if got == len(buffer) else view[:got].tobytes()
        lines += data.count(b"\n")
        crs = data.count(b"\r")
        if crs:
            lines += crs - data.count(b"\r\n")
        if held_cr and data[:1] == b"\n":
            lines -= 1  # a CRLF split by a read: its CR was counted as a lone one
        held_cr = data[-1:] == b"\r"
    return lines
