"""Raw bytes → candidate records at block speed: the fast reader behind ``iter_events``.

``scan_records(source, library, …)`` gives exactly what
``frame_lines(source.lines(), …)`` gives — the same records with the same
continuation lines, the same line accounting and the same source state —
but a noise line costs only its share of a few whole-block operations in C:

- the bytes are read in blocks of whole lines (1 MiB), never decoded line by
  line; a block with non-ASCII bytes is decoded once, only to count the
  replacement characters the line reader would have counted;
- one Aho-Corasick scan per block (``ahocorasick_rs``, which uses SIMD for a
  few dozen literals) finds every line holding a pattern prefilter, a kept
  level word (``[error]``) or a JSON message key. Only those lines, and the
  continuation lines of the records they start, are decoded and fed one by
  one to the ``Framer`` — the same state machine ``frame_lines`` uses;
- one compiled regex pass per block counts the header lines and the blank
  lines among the rest. In a framed file every other line is a
  continuation line, so the block's counts follow by subtraction;
- a warning kept for mining that repeats an earlier one (the same bytes
  but for its header's time) is handed on as that earlier record when the
  miner needs nothing of its own (``repeats``): it is neither decoded nor
  framed. Most kept warnings of a long log are such repeats.

Where these shortcuts would not be exact, the scanner reads like
``frame_lines``: files in encodings other than UTF-8 (UTF-16, GB18030, whose
bytes can fake ASCII), a line limit under 64 KiB, and the lines of a file
before its first header (a pasted snippet). ``frame_lines`` stays the
reference; the tests compare both on the benchmark corpus and every sample.

``scan_range`` reads one byte range of a UTF-8 file the same way, for the
chunks of one big file read on a process pool (``qoderlog.events``).
"""

from __future__ import annotations

import codecs
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from datetime import datetime

import ahocorasick_rs

from ..model import Framing, Record
from ..patterns import PatternSet
from .framing import Done, Framer, frame_lines
from .headers import DATED_HEADERS, HEADER_SHAPES, MAX_JSON_DEPTH, VSCODE_HEADER, kept_line_literals, match_header
from .sources import (
    _READ_ERRORS,
    HEAD_BYTES,
    Opened,
    Source,
    SourceState,
    _describe,
    _Prefixed,
    _replacements,
    decoded_lines,
    text_lines,
)

BLOCK = 1 << 20
"""Bytes read at a time. Lines inside a read are at most this long, so only a block's first line can need cutting."""
FAST_ENCODINGS = frozenset({"utf-8", "utf-8-sig"})

# What str.isspace() calls white space, as UTF-8 (within a line: no \n or \r).
_SPACE = (
    rb"(?:[\t\x0b\x0c\x1c-\x1f ]|\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80)"
)


def _as_bytes(header: re.Pattern[str]) -> bytes:
    """framing.py's header regex as a bytes regex with no capturing groups (they are ASCII-only there)."""
    return re.sub(r"(?<!\\)\((?!\?)", "(?:", header.pattern).encode()


_HEADERS = rb"(?:" + rb"|".join(_as_bytes(header) for header in HEADER_SHAPES) + rb")"
_HEADER_LINE = re.compile(_HEADERS)
_DATED_LINE = re.compile(rb"\{|" + rb"|".join(_as_bytes(header) for header in DATED_HEADERS))
_DATED_START = re.compile(rb"(?m)^(?=" + _DATED_LINE.pattern + rb")")
_BLANK_LINE = re.compile(_SPACE + rb"*")
_MARKS = re.compile(rb"\n(?:(?=" + _HEADERS + rb")[^\n]|(?=" + _SPACE + rb"*\n))")
"""At each line after the first: ``b"\\n"`` + its first byte for a header line, ``b"\\n"`` alone for a blank one."""

_JSON_KEYS = (b'"message"', b'"msg"')

_VSCODE_LINE = re.compile(_as_bytes(VSCODE_HEADER))
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
MAX_REPEATED = 8192
"""Records kept for their level alone remembered per source, for the later lines that repeat them."""

Repeats = Callable[[Record], bool]
"""Whether a later line that repeats ``record`` (kept for its level alone) may be given as ``record`` itself.

Once it has said yes of a record it must say yes of it for the rest of the
source (the miner's ``may_repeat`` does: what it has of a message only
grows): the scanner asks each record until then, and not after.
"""


def scan_records(
    source: Source,
    library: PatternSet,
    *,
    counts: MutableMapping[str, int],
    span: MutableMapping[str, datetime | None] | None = None,
    keep_levels: Iterable[str] = (),
    keep_literals: Iterable[str] = (),
    recognises: Callable[[Record], bool] | None = None,
    max_json_depth: int = MAX_JSON_DEPTH,
    limit_hits: MutableMapping[str, int] | None = None,
    pasted: MutableMapping[str, int] | None = None,
    repeats: Repeats | None = None,
) -> Iterator[Done]:
    """The candidate records of ``source`` with their continuation lines; the same as ``frame_lines``, faster.

    ``keep_levels`` and ``keep_literals`` keep more records, as they do for
    ``frame_lines`` (whose gate is then ``library.gate_with(keep_literals)``);
    ``recognises`` (``library.recognises`` by default), ``max_json_depth``,
    ``limit_hits`` and ``pasted`` mean what they mean there.

    ``repeats``, when given, lets a line repeat a record kept for its level
    alone: a VS Code header line whose bytes are an earlier such record's
    but for the header's digits (its time) makes a record equal to that one
    in everything but its line, time and text; when ``repeats(earlier)``
    says those are not needed (a miner that has all the examples it keeps),
    the earlier record itself is given again, and the line is neither
    decoded into a record nor framed. Every line is counted the same.

    Updates ``source.state`` as ``Source.lines`` does, and adds the
    ``unrecognised``, ``continuation`` and ``blank`` counts to ``counts`` and
    the first and last header times to ``span`` as ``frame_lines`` does.
    """
    levels = frozenset(keep_levels)
    literals = frozenset(keep_literals)
    gate = library.gate_with(literals)
    recognise = recognises or library.recognises
    framing = {"keep_levels": levels, "max_json_depth": max_json_depth}

    def framer() -> Framer:
        return Framer(source=source.name, is_candidate=gate, recognises=recognise, **framing)  # type: ignore[arg-type]

    read: list[bool] = []

    def reader(opened: Opened, state: SourceState, max_line: int) -> Iterator[Done]:
        read.append(True)
        if opened.encoding not in FAST_ENCODINGS or max_line < HEAD_BYTES:
            yield from frame_lines(
                decoded_lines(opened, state, max_line),
                source=source.name,
                is_candidate=gate,
                recognises=recognise,
                counts=counts,
                span=span,
                limit_hits=limit_hits,
                pasted=pasted,
                **framing,
            )
            return
        reading = framer()
        try:
            repeating = _repeating(repeats, library, literals)
            yield from _Scan(reading, _automaton(library, levels, literals), state, max_line, repeating).records(opened)
        finally:
            reading.settle(counts, span, limit_hits, pasted)

    try:
        yield from source.read(reader)
    finally:
        if not read:  # not text, or not readable: the counts and span say so, as frame_lines' would
            framer().settle(counts, span, limit_hits, pasted)


def scan_range(
    path: str | os.PathLike[str],
    start: int,
    end: int | None,
    *,
    lines_before: int,
    framed: bool,
    source: str,
    library: PatternSet,
    state: SourceState,
    max_line: int,
    counts: MutableMapping[str, int],
    span: MutableMapping[str, datetime | None] | None = None,
    keep_levels: Iterable[str] = (),
    keep_literals: Iterable[str] = (),
    recognises: Callable[[Record], bool] | None = None,
    max_json_depth: int = MAX_JSON_DEPTH,
    limit_hits: MutableMapping[str, int] | None = None,
    pasted: MutableMapping[str, int] | None = None,
    ended: MutableMapping[str, bool] | None = None,
    repeats: Repeats | None = None,
) -> Iterator[Done]:
    """The records of bytes ``start`` to ``end`` (``None``: to the end) of a UTF-8 file, as ``scan_records`` reads them.

    ``start`` is the file's first character or the start of a header line
    that ``lines_before`` lines precede; ``framed`` says the file was framed
    there and no paste (``Framer(framed=True)``), so that the range reads as
    it does in the whole file. ``state`` gets ``lines`` (counted on from
    ``lines_before``), the replacements, cut lines and a read error; the
    other arguments mean what they mean for ``scan_records``. ``ended``,
    when given, is told at the end whether the framer still ``reads_pastes``
    and whether it saw a ``first`` and a ``last`` dated header.
    """
    levels = frozenset(keep_levels)
    literals = frozenset(keep_literals)
    framer = Framer(
        source=source,
        is_candidate=library.gate_with(literals),
        recognises=recognises or library.recognises,
        keep_levels=levels,
        max_json_depth=max_json_depth,
        framed=framed,
    )
    scan = _Scan(framer, _automaton(library, levels, literals), state, max_line, _repeating(repeats, library, literals))
    scan.lines = lines_before
    try:
        with open(path, "rb") as handle:
            handle.seek(start)
            rest = _Range(handle, None if end is None else end - start)
            yield from scan.records(Opened(head=b"", rest=rest, error=None, encoding="utf-8"))  # type: ignore[arg-type]
    finally:
        framer.settle(counts, span, limit_hits, pasted)
        if ended is not None:
            ended["reads_pastes"] = framer.reads_pastes
            ended["first"] = framer.first_header is not None
            ended["last"] = framer.last_found is not None


class _Range(io.RawIOBase):
    """At most ``left`` bytes of an open file (all of the rest when ``None``), from where it stands."""

    def __init__(self, handle: io.BufferedReader, left: int | None) -> None:
        self._handle = handle
        self._left = left

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        size = len(buffer) if self._left is None else min(len(buffer), self._left)
        data = self._handle.read(size) if size else b""
        buffer[: len(data)] = data
        if self._left is not None:
            self._left -= len(data)
        return len(data)


def _repeating(
    repeats: Repeats | None, library: PatternSet, literals: frozenset[str]
) -> tuple[Repeats, Callable[[bytes], bool] | None] | None:
    """``repeats``, and what is still asked of a repeating line's bytes: whether it holds a gate literal with a digit.

    A line that repeats a kept-alone record but for its header's digits
    holds every literal without a digit that the record's line holds (they
    are the same bytes where no digit is), so it fails the gate as that
    line did, unless it holds a literal with a digit. A digit literal
    holding U+FFFD could match a replaced byte only in the decoded text:
    then no line is taken as a repeat.
    """
    if repeats is None:
        return None
    digits = [literal for literal in library.gate_literals(literals) if any(c in "0123456789" for c in literal)]
    if any("\ufffd" in literal for literal in digits):
        return None
    if not digits:
        return repeats, None
    # A few literals, asked of one line: a regex's literal search is cheaper per call than an automaton's.
    held = re.compile(b"|".join(re.escape(literal.encode()) for literal in sorted(digits))).search
    return repeats, lambda raw: held(raw) is not None


_AUTOMATA: dict[tuple[int, frozenset[str], frozenset[str]], tuple[PatternSet, ahocorasick_rs.BytesAhoCorasick]] = {}


def _automaton(
    library: PatternSet, levels: frozenset[str], extra: frozenset[str] = frozenset()
) -> ahocorasick_rs.BytesAhoCorasick:
    """One Aho-Corasick automaton for every literal that makes a line worth reading, per library and levels."""
    key = (id(library), levels, extra)
    cached = _AUTOMATA.get(key)
    if cached is not None and cached[0] is library:
        return cached[1]
    literals = {p.prefilter.encode() for p in library.patterns}
    literals.update(literal.encode() for literal in extra)
    literals.update(_JSON_KEYS)
    literals.update(kept_line_literals(levels))
    # Leftmost-first search is the kind that gets the SIMD prefilter; any one hit per line is all we need. A few
    # hundred literals are past what the prefilter takes: then the DFA (every transition precomputed, ~1 MB here)
    # reads a block in half the time of the default NFA, with the same hits (test_scan, benchmarks/stages.py).
    automaton = ahocorasick_rs.BytesAhoCorasick(
        sorted(literals),
        matchkind=ahocorasick_rs.MatchKind.LeftmostFirst,
        implementation=ahocorasick_rs.Implementation.DFA,
    )
    _AUTOMATA[key] = (library, automaton)
    return automaton


class _Scan:
    """The reading of one source: blocks of whole lines in, finished records out, counts into the framer."""

    __slots__ = ("automaton", "digit_gate", "framer", "kept", "lines", "max_line", "repeats", "settled", "state")

    def __init__(
        self,
        framer: Framer,
        automaton: ahocorasick_rs.BytesAhoCorasick,
        state: SourceState,
        max_line: int,
        repeats: tuple[Repeats, Callable[[bytes], bool] | None] | None = None,
    ) -> None:
        self.framer = framer
        self.automaton = automaton
        self.state = state
        self.max_line = max_line
        self.lines = 0
        self.repeats: Repeats | None = repeats[0] if repeats is not None else None
        self.digit_gate: Callable[[bytes], bool] | None = repeats[1] if repeats is not None else None
        self.kept: dict[bytes, Record] = {}  # a kept-alone record by its line's bytes, the header's digits as 0
        self.settled: set[bytes] = set()  # the keys of ``kept`` whose record ``repeats`` has said yes of

    def records(self, opened: Opened) -> Iterator[Done]:
        """Every record of the source, in order; the source state gets lines, cut lines, replacements, errors."""
        state = self.state
        head = opened.head
        if opened.encoding == "utf-8-sig" and head.startswith(b"\xef\xbb\xbf"):
            opened = Opened(head=head[3:], rest=opened.rest, error=opened.error, encoding="utf-8")
        parts: list[bytes] = []
        longest = 4 * (self.max_line + 1)  # bytes enough for max_line + 1 characters, however encoded
        try:
            try:
                for block in _whole_lines(opened.chunks(min(BLOCK, self.max_line)), parts, longest):
                    yield from self._block(block)
                if sum(map(len, parts)) > longest:
                    # A line too long to hold: the rest of the file is read as text, the long line in pieces.
                    yield from self._as_text(b"".join(parts), opened)
                elif parts:
                    yield from self._block(_last_line(b"".join(parts)))
            except _READ_ERRORS as exc:
                cut_off = self._cut_off(b"".join(parts))
                state.status, state.reason = "error", f"read stopped after line {self.lines}: {_describe(exc)}"
                if cut_off is not None:
                    yield cut_off
            done = self.framer.finish()
            if done is not None:
                yield done
        finally:
            state.lines = self.lines

    def _as_text(self, pending: bytes, opened: Opened) -> Iterator[Done]:
        """Feed the rest of the source, from the unfinished line ``pending`` on, as ``decoded_lines`` reads it."""
        feed = self.framer.line
        for text in text_lines(_Prefixed(pending, opened.rest), "utf-8", self.state, self.max_line, self.lines):
            self.lines += 1
            done = feed(self.lines, text)
            if done is not None:
                yield done

    def _block(self, block: bytes) -> list[Done]:
        """The records a block of whole lines finished; the block's lines are counted whatever the caller does."""
        if not block.isascii():
            self._count_replacements(block)
        done, self.lines = (self._exact if self.framer.reads_pastes else self._bulk)(block, self.lines)
        return done

    def _count_replacements(self, block: bytes) -> None:
        try:
            block.decode("utf-8")
        except UnicodeDecodeError:
            counter = _replacements()
            before = counter[0]
            block.decode("utf-8", "qoderlog-replace")
            self.state.replacements += counter[0] - before

    def _cut_off(self, tail: bytes) -> Done | None:
        """The line a read error cut off, as the text reader leaves it; the record it finished, if any.

        The text reader has decoded every byte it was given (so their
        replacement characters count), and it has yielded the line, cut, if
        more than ``max_line`` characters of it had arrived; a shorter piece
        is lost with the error.
        """
        state = self.state
        counter = _replacements()
        before = counter[0]
        text = codecs.getincrementaldecoder("utf-8")("qoderlog-replace").decode(tail, final=False)
        state.replacements += counter[0] - before
        if text.endswith("\r"):
            text = text[:-1]  # a CR at the end waits for a possible LF: not yet a character of the line
        if len(text) <= self.max_line:
            return None
        state.cut_lines += 1
        state.longest_line = max(state.longest_line, self.max_line + 1)
        self.lines += 1
        return self.framer.line(self.lines, text[: self.max_line])

    def _text(self, raw: bytes) -> str:
        text = raw.decode("utf-8", "replace")
        if len(text) > self.max_line:
            state = self.state
            state.cut_lines += 1
            state.longest_line = max(state.longest_line, len(text))
            text = text[: self.max_line]
        return text

    def _exact(self, block: bytes, base: int) -> tuple[list[Done], int]:
        """Lines through the framer one by one until the file shows a header (not pasted), then the rest in bulk."""
        framer = self.framer
        done = []
        pos, number = 0, base
        while pos < len(block) and framer.reads_pastes:
            end = block.index(b"\n", pos)
            number += 1
            finished = framer.line(number, self._text(block[pos:end]))
            if finished is not None:
                done.append(finished)
            pos = end + 1
        if pos < len(block):
            more, number = self._bulk(block[pos:], number)
            done.extend(more)
        return done, number

    def _bulk(self, block: bytes, base: int) -> tuple[list[Done], int]:
        """Lines that can matter through the framer, the others counted by kind in one pass; lines read so far."""
        undated = self.framer.first_header is None
        marks = _MARKS.findall(block)
        blank = marks.count(b"\n")
        headers = len(marks) - blank
        wanted = _wanted_lines(block, self.automaton.find_matches_as_indexes(block))
        framer = self.framer
        feed = framer.line
        find, count = block.find, block.count
        fed_headers = fed_blank = fed_others = 0
        done: list[Done] = []
        pos, number, k = 0, base + 1, 0
        size = len(block)
        last = len(wanted)
        header_at = _HEADER_LINE.match
        state = self.state
        repeats, kept, digit_gate, vscode_at = self.repeats, self.kept, self.digit_gate, _VSCODE_LINE.match
        settled = self.settled
        while pos < size:
            if pos:
                while k < last and wanted[k] < pos:
                    k += 1
                if (k == last or wanted[k] != pos) and (not framer.open or header_at(block, pos)):
                    # Nothing waits for continuation lines, or a plain header ends the record that did: this line
                    # and the ones up to the next line that can matter are counted in bulk.
                    finished = framer.finish()
                    if finished is not None:
                        done.append(finished)
                    if k == last:
                        break
                    number += count(b"\n", pos, wanted[k])
                    pos = wanted[k]
            end = find(b"\n", pos)
            raw = block[pos:end]
            key = None
            if repeats is not None:
                head = vscode_at(raw)
                if head is not None:
                    key = head[0].translate(_DIGITS_AS_ZERO) + raw[head.end() :]
                    earlier = kept.get(key)
                    if earlier is not None and key not in settled and repeats(earlier):
                        settled.add(key)
                    if earlier is not None and key in settled and not (digit_gate and digit_gate(raw)):
                        # The same record as ``earlier`` but for its line, time and text, which are not wanted.
                        if pos:
                            fed_headers += 1
                        finished = framer.again(earlier)
                        if finished is not None:
                            done.append(finished)
                        pos, number = end + 1, number + 1
                        continue
            if pos:
                if _HEADER_LINE.match(raw):
                    fed_headers += 1
                elif _BLANK_LINE.fullmatch(raw):
                    fed_blank += 1
                else:
                    fed_others += 1
            cut = state.cut_lines
            finished = feed(number, self._text(raw))
            if finished is not None:
                done.append(finished)
            if key is not None and len(kept) < MAX_REPEATED and state.cut_lines == cut:
                record = framer.kept_alone(number)
                if record is not None and record.framing is Framing.VSCODE:
                    kept[key] = record
            pos, number = end + 1, number + 1
        lines = number - base - 1 + (count(b"\n", pos) if pos < size else 0)
        others = lines - 1 - headers - blank  # the block's first line is always fed, never counted in bulk
        # The lines not fed: in a framed file a header is noise, a blank line blank, anything else a continuation.
        framer.noise += headers - fed_headers
        framer.blank += blank - fed_blank
        framer.continuation += others - fed_others
        if undated:
            self._first_header(block)  # framed by an undated header (Chromium, glog, …): the first date may be here
        self._last_header(block)  # lines fed one by one told the framer themselves (pasted ones, stripped)
        return done, base + lines

    def _first_header(self, block: bytes) -> None:
        """Tell the framer the block's first dated header line (the span's start), if it has one."""
        for found in _DATED_START.finditer(block):
            start = found.start()
            text = self._text_quiet(block[start : block.find(b"\n", start)])
            header = match_header(text, self.framer.max_json_depth, unframed=False)
            if header is not None and header[0].dated:
                self.framer.first_header = (*header, text)
                return

    def _last_header(self, block: bytes) -> None:
        """Tell the framer the block's last dated header line (the span's end), read backwards from the block's end."""
        end = len(block) - 1
        while end >= 0:
            start = block.rfind(b"\n", 0, end) + 1
            if _DATED_LINE.match(block, start):
                text = self._text_quiet(block[start:end])
                found = match_header(text, self.framer.max_json_depth, unframed=False)
                if found is not None and found[0].dated:
                    self.framer.last_found, self.framer.last_text = found, text
                    return
            end = start - 1

    def _text_quiet(self, raw: bytes) -> str:
        return raw.decode("utf-8", "replace")[: self.max_line]


def _wanted_lines(block: bytes, hits: list[tuple[int, int, int]]) -> list[int]:
    """The start offsets of the lines holding a hit, ascending and without repeats."""
    starts: list[int] = []
    line_end = -1
    rfind, find = block.rfind, block.find
    for _, at, _ in hits:
        if at < line_end:
            continue
        # A literal anchored by its leading b"\n" starts at the end of the line before the one it is about.
        start = rfind(b"\n", 0, at + 1) + 1
        if starts and starts[-1] == start:
            continue
        starts.append(start)
        line_end = find(b"\n", start)
    return starts


def _last_line(data: bytes) -> bytes:
    """The unterminated last line of a file as a block of one line (a final lone CR ends it)."""
    if data.endswith(b"\r"):
        data = data[:-1]
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n") + b"\n"


def _whole_lines(chunks: Iterable[bytes], parts: list[bytes], longest: int) -> Iterator[bytes]:
    """Blocks of whole lines, each ending in ``\\n``, CRLF and lone CR read as ``\\n`` (universal newlines).

    ``parts`` keeps the unfinished line: at the end, the file's last line
    without a line ending; after a read error, the cut-off line (dropped, as
    the text reader drops it); or, when it grows past ``longest`` bytes, the
    start of a line too long to hold, where the blocks stop.
    """
    pending = 0
    for chunk in chunks:
        if b"\n" not in chunk and b"\r" not in chunk:
            parts.append(chunk)  # a line longer than a read: join once its end arrives
            pending += len(chunk)
            if pending > longest:
                return
            continue
        data = b"".join((*parts, chunk)) if parts else chunk
        parts.clear()
        held = b""
        if data.endswith(b"\r"):
            data, held = data[:-1], b"\r"  # a CR at the end may be half of a CRLF
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        cut = data.rfind(b"\n") + 1
        if cut:
            yield data[:cut]
        rest = data[cut:] + held
        pending = len(rest)
        if rest:
            parts.append(rest)
