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

The plan only reads: one pass of counting over the file (C speed), and a
look at the bytes around each cut.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .framing import Framer
from .scan import _HEADER_LINE, BLOCK, FAST_ENCODINGS
from .sources import HEAD_BYTES, detect_encoding

_GZIP_MAGIC = b"\x1f\x8b"
_COUNT_READ = 8 << 20
"""Bytes read at a time while counting lines."""
_LOOK = 1 << 20
"""Bytes looked at, at a time, for a header line after a cut's target offset."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Chunk:
    """Bytes ``start`` to ``end`` (``None``: the end of the file) of a file, with the lines before them."""

    index: int
    start: int
    end: int | None
    lines_before: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChunkPlan:
    """Where one file is cut: its chunks in file order (at least two), and the encoding its head shows."""

    path: str
    encoding: str
    chunks: tuple[Chunk, ...]


def plan_chunks(
    path: str | os.PathLike[str], *, chunk_bytes: int, max_line: int, max_json_depth: int
) -> ChunkPlan | None:
    """Where to cut the file at ``path`` into chunks of about ``chunk_bytes``; ``None`` when it is not to be cut.

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
        size = os.fstat(handle.fileno()).st_size
        cuts = [first]
        target = first + chunk_bytes
        while target < size:
            cut = _record_start(handle, max(target, cuts[-1] + 1))
            if cut is None:
                break
            cuts.append(cut)
            target = cut + chunk_bytes
        if len(cuts) < 2:
            return None
        lines = _lines_between(handle, cuts)
    chunks = tuple(
        Chunk(index=i, start=cut, end=cuts[i + 1] if i + 1 < len(cuts) else None, lines_before=lines[i])
        for i, cut in enumerate(cuts)
    )
    return ChunkPlan(path=os.fspath(path), encoding=encoding, chunks=chunks)


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


def _record_start(handle: os.PathLike[str] | object, at: int) -> int | None:
    """The offset of the first header line that starts after a line feed at or after ``at``; ``None`` if none."""
    seek, read = handle.seek, handle.read  # type: ignore[attr-defined]
    offset = at - 1
    while True:
        seek(offset)
        window = read(_LOOK)
        if len(window) < 2:
            return None
        pos = window.find(b"\n")
        while pos != -1:
            start = pos + 1
            end = window.find(b"\n", start)
            if end == -1:
                break  # the line is not whole in this window: look again from its start
            if _HEADER_LINE.match(window, start, end):
                return offset + start
            pos = end
        if pos == -1 or pos + 1 >= len(window):
            offset += len(window)  # no line feed left to look behind: go on from the window's end
            if len(window) < _LOOK:
                return None
            offset -= 1  # the last byte again, in case it is the line feed before a header
        else:
            if len(window) < _LOOK:
                return None
            offset += pos


def _lines_between(handle: object, cuts: list[int]) -> list[int]:
    """The lines before each cut, counted as the line reader counts them (CRLF, LF and a lone CR end a line).

    Every cut after the first follows a line feed, so no CRLF is split by one.
    """
    seek, read = handle.seek, handle.read  # type: ignore[attr-defined]
    seek(cuts[0])
    before = [0]
    lines = 0
    held_cr = False
    position = cuts[0]
    for cut in cuts[1:]:
        while position < cut:
            data = read(min(_COUNT_READ, cut - position))
            if not data:
                break
            position += len(data)
            lines += data.count(b"\n")
            crs = data.count(b"\r")
            if crs:
                lines += crs - data.count(b"\r\n")
            if held_cr and data[:1] == b"\n":
                lines -= 1  # a CRLF split by a read: its CR was counted as a lone one
            held_cr = data[-1:] == b"\r"
        before.append(lines)
    return before
