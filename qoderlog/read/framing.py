"""Decoded lines → records: headers, continuation lines, blank lines, bare snippet lines.

Recognises every framing of the catalog §2 — current VS Code, older spdlog,
console ``[main …Z]``, structured JSON lines and bare snippet lines — and
the ones real pastes bring along: Chromium's stderr lines, glog lines, a
language client's ``[Error - 9:21:56 AM]`` lines, Go ``panic:`` / ``fatal
error:`` / ``SIGABRT: abort`` blocks (the goroutine dump is their
continuation, level critical)
and bare JavaScript ``Error: …`` lines with their ``at`` frames (level
error) — even mixed in one file. A paste's indentation, quote marks or
line-number gutter are stripped first (``qoderlog.read.pastes``). A line
without a header continues the record before it,
except in a file that has shown no header yet (a pasted snippet), where each
unindented line is a record of its own, and except a headerless line that a
pattern recognises, which stands on its own even amid framed records.

To keep noise cheap, only *candidate* records — those whose line passes the
pattern library's literal prefilter — are built into ``Record`` values and
yielded (and, when asked with ``keep_levels``, headers at those levels, so
that unrecognised warnings can be mined, and the lines of an unframed file
that read as errors or warnings in a shape no framing knows: ``ERROR …``,
``fatal: …``, ``x.YException: …``, a Python traceback; see
``headers.bare_level``); every other line is only counted.
The caller's ``counts`` dict gets ``unrecognised`` (non-candidate headers),
``continuation`` and ``blank``; the caller counts each yielded record as
``event`` or ``unrecognised``.

A JSON line nested deeper than ``max_json_depth`` is never handed to
``json.loads``: it is framed as a headerless line and counted in the
caller's ``limit_hits``. Lone surrogates that JSON escapes (``"\\ud800"``)
can put into a record's strings are replaced with U+FFFD, so that no
writer downstream meets text it cannot encode.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableMapping
from datetime import datetime
from typing import Any

from ..model import Framing, LineKind, Record
from .headers import (
    MAX_JSON_DEPTH,
    bare_level,
    bare_record,
    gate_and_level,
    header_time,
    level_spellings,
    make_record,
    match_header,
    too_deep,
)
from .pastes import PASTE_STARTS, Paste, paste_start

MAX_DETAIL_LINES = 50
MAX_DETAIL_CHARS = 2000

Done = tuple[Record, tuple[str, ...]]
"""A finished record and its continuation lines (capped)."""

Gate = Callable[[str], bool]


class Framer:
    """The framing state machine of one source, fed one physical line at a time.

    ``line`` takes the next decoded line and returns the record that line
    finished, if any; ``finish`` returns the last one. This is the one
    definition of how lines become records: ``frame_lines`` feeds it every
    line, and the fast block scanner (``qoderlog.read.scan``) feeds it every line
    that can matter and counts the rest in bulk.

    ``framed`` starts it as it is after a file's first header when that file
    is no paste: how the reader of a later chunk of a framed file starts
    (``scan.scan_range``), at a header line, so that nothing before it matters.
    """

    __slots__ = (
        "blank",
        "console",
        "continuation",
        "detail",
        "first_header",
        "framed",
        "has_record",
        "is_candidate",
        "keep",
        "last_found",
        "last_text",
        "max_json_depth",
        "noise",
        "open",
        "paste",
        "paste_framed",
        "pending",
        "recognises",
        "source",
        "stripped",
        "too_deep",
    )

    def __init__(
        self,
        *,
        source: str,
        is_candidate: Gate,
        recognises: Callable[[Record], bool],
        keep_levels: Iterable[str] = (),
        max_json_depth: int = MAX_JSON_DEPTH,
        framed: bool = False,
    ) -> None:
        self.source = source
        self.max_json_depth = max_json_depth
        self.too_deep = 0
        self.is_candidate = is_candidate
        self.recognises = recognises
        self.keep = level_spellings(keep_levels)
        self.noise = self.continuation = self.blank = 0
        self.framed = self.has_record = framed
        self.pending: Record | None = None
        self.open = False  # whether the pending record takes continuation lines
        self.detail: list[str] = []
        self.first_header: tuple[Framing, Any, str] | None = None
        self.last_found: tuple[Framing, Any] | None = None
        self.last_text = ""
        self.paste: Paste | None = None  # the pasted block being read, if any (see qoderlog.read.pastes)
        self.paste_framed = False  # whether a pasted block held a header: the input is a pasted log
        self.console = False  # whether the input began as a copy of the DevTools console
        self.stripped = 0  # lines whose paste prefix was removed

    @property
    def reads_pastes(self) -> bool:
        """Whether the next line may be (or start) a pasted block, so that it must be fed, never counted in bulk."""
        return not self.framed or self.paste is not None or self.paste_framed or self.console

    def _unpaste(self, text: str) -> str:
        """``text`` without the prefix of the pasted block it belongs to or starts; as it is otherwise."""
        paste = self.paste
        if paste is not None:
            stripped = paste.strip(text)
            if stripped is not None:
                self.stripped += 1
                return stripped
            if not text or text.isspace():
                return text
            self.paste = None
        if text[:1] not in PASTE_STARTS:
            return text
        paste = paste_start(text, first_line=not self.has_record, is_header=self._is_header)
        if paste is None:
            return text
        self.paste = paste
        self.stripped += 1
        return paste.strip(text) or ""

    def _is_header(self, text: str) -> bool:
        return match_header(text, self.max_json_depth) is not None

    def _take(self) -> Done | None:
        pending = self.pending
        if pending is None:
            return None
        self.pending = None
        self.open = False
        return pending, tuple(self.detail)

    def line(self, number: int, text: str) -> Done | None:
        """Feed line ``number``; the record it finished (the one before it), or ``None``."""
        framed = self.framed
        if not framed or self.paste is not None or self.paste_framed or self.console:  # self.reads_pastes
            text = self._unpaste(text)
        found = match_header(text, self.max_json_depth, unframed=not framed, console=not framed or self.console)
        if found is None and text[:1] == "{" and too_deep(text, self.max_json_depth):
            self.too_deep += 1
        if found is not None:
            framing, match = found
            if framing.dated:
                if self.first_header is None:
                    self.first_header = (*found, text)
                self.last_found, self.last_text = found, text
            if self.paste is not None:
                self.paste_framed = True
            if not framed or framing is Framing.DEVTOOLS:
                # A bare "Error:" line leaves the file unframed: the next one is a record of its own too.
                self.framed = framing is not Framing.STACK
                self.console = self.console or framing is Framing.DEVTOOLS
            self.has_record = True
            done = self._take()
            gate_text, level = gate_and_level(framing, match, text)
            if self.is_candidate(gate_text):
                self.pending = make_record(framing, match, source=self.source, line=number, text=text, level=level)
                self.detail, self.open = [], True
            elif self.keep and isinstance(level, str) and level in self.keep:
                # Kept for its level alone: no pattern can match it, so its continuation lines are not wanted —
                # except a Go panic's goroutine dump or an error's stack, which are what the record says.
                self.pending = make_record(framing, match, source=self.source, line=number, text=text, level=level)
                self.detail, self.open = [], framing.self_describing
            else:
                self.noise += 1
            return done
        if not text or text.isspace():
            self.blank += 1
            return None
        indented = text[0] in " \t"
        if self.has_record and (indented or self.framed):
            if self.framed and not indented and self.is_candidate(text):
                candidate = bare_record(text, source=self.source, line=number)
                if self.recognises(candidate):
                    done = self._take()
                    self.pending, self.detail, self.open = candidate, [], True
                    return done
            if (
                not self.framed
                and self.pending is None
                and self.keep
                and (level := bare_level(text.lstrip())) in self.keep
            ):
                # In a snippet, an indented line that reads as an error after a line that was not kept (a Windows
                # "Problem signature:" block) is a record of its own: nothing else would show it.
                self._keep_bare(number, text, level)
                return None
            self.continuation += 1
            if self.open and len(self.detail) < MAX_DETAIL_LINES:
                self.detail.append(text[:MAX_DETAIL_CHARS])
            return None
        self.has_record = True
        done = self._take()
        if self.is_candidate(text):
            self.pending, self.detail, self.open = bare_record(text, source=self.source, line=number), [], True
        elif self.keep and (level := bare_level(text)) in self.keep:
            # A line in a shape no framing knows that reads as an error or a warning (``ERROR …``, ``x.YError: …``,
            # a Python traceback) is kept, its indented lines with it: never an all-clear over what a person sees.
            self._keep_bare(number, text, level)
        else:
            self.noise += 1
        return done

    def _keep_bare(self, number: int, text: str, level: str | None) -> None:
        """Keep headerless line ``number`` at the ``level`` it reads as (``bare_level``), taking its indented lines."""
        self.pending = bare_record(text, source=self.source, line=number, level=level)
        self.detail, self.open = [], True

    def finish(self) -> Done | None:
        """The record still open at the end of the source, if any."""
        return self._take()

    def kept_alone(self, number: int) -> Record | None:
        """The record line ``number`` started, if it was kept for its level alone and takes no continuation lines.

        A candidate record always takes them (``open``); so does a kept Go
        panic or bare error, whose header is the whole message.
        """
        pending = self.pending
        if pending is not None and pending.line == number and not self.open:
            return pending
        return None

    def again(self, record: Record) -> Done | None:
        """A header line that repeats ``record`` (see ``kept_alone``): the record it finished; ``record`` is pending.

        The block scanner calls this instead of ``line`` for a line it knows
        would make such a record again (``scan``), when whoever takes the
        records needs nothing of the later line's own.
        """
        done = self._take()
        self.pending, self.detail, self.open = record, [], False
        return done

    def settle(
        self,
        counts: MutableMapping[str, int],
        span: MutableMapping[str, datetime | None] | None = None,
        limit_hits: MutableMapping[str, int] | None = None,
        pasted: MutableMapping[str, int] | None = None,
    ) -> None:
        """Add the line counts to ``counts``, the header times to ``span``, the bounds met to ``limit_hits``.

        ``pasted`` gets ``lines``: how many lines had a paste prefix removed.
        """
        if pasted is not None:
            pasted["lines"] = pasted.get("lines", 0) + self.stripped
        if self.too_deep and limit_hits is not None:
            limit_hits["max_json_depth"] = limit_hits.get("max_json_depth", 0) + self.too_deep
        if span is not None:
            span["first"] = header_time(self.first_header)
            last = (*self.last_found, self.last_text) if self.last_found is not None else None
            span["last"] = header_time(last)
        counts[LineKind.UNRECOGNISED] = counts.get(LineKind.UNRECOGNISED, 0) + self.noise
        counts[LineKind.CONTINUATION] = counts.get(LineKind.CONTINUATION, 0) + self.continuation
        counts[LineKind.BLANK] = counts.get(LineKind.BLANK, 0) + self.blank


def frame_lines(
    lines: Iterable[str],
    *,
    source: str,
    is_candidate: Gate,
    recognises: Callable[[Record], bool],
    counts: MutableMapping[str, int],
    span: MutableMapping[str, datetime | None] | None = None,
    keep_levels: Iterable[str] = (),
    max_json_depth: int = MAX_JSON_DEPTH,
    limit_hits: MutableMapping[str, int] | None = None,
    pasted: MutableMapping[str, int] | None = None,
) -> Iterator[Done]:
    """Candidate records of one source with their continuation lines (capped), in order.

    The straightforward path, line by line, and the reference for the fast
    block scanner. ``is_candidate`` is the cheap literal prefilter, applied to
    the raw line (or a JSON record's message); ``recognises`` is asked only
    about headerless candidate lines in a framed file, to let a recognised
    bare line stand on its own. A header record whose level is one of
    ``keep_levels`` (normalised names, see ``level_spellings``) is yielded
    even when it fails the prefilter, without continuation lines (no pattern
    can match it; it is kept to be mined as an unknown line). ``counts`` gets
    ``unrecognised``, ``continuation`` and ``blank`` line counts added,
    including when the iteration is abandoned. ``span``, when given, gets the
    ``first`` and ``last`` header timestamps (the time the source covers).
    ``limit_hits``, when given, gets ``max_json_depth``: the lines starting
    with ``{`` that were nested too deep to be read as JSON (each is still
    framed and counted as a headerless line). ``pasted``, when given, gets
    ``lines``: the lines read without the prefix of a pasted block
    (``qoderlog.read.pastes``).
    """
    framer = Framer(
        source=source,
        is_candidate=is_candidate,
        recognises=recognises,
        keep_levels=keep_levels,
        max_json_depth=max_json_depth,
    )
    feed = framer.line
    try:
        for number, text in enumerate(lines, 1):
            done = feed(number, text)
            if done is not None:
                yield done
        done = framer.finish()
        if done is not None:
            yield done
    finally:
        framer.settle(counts, span, limit_hits, pasted)
