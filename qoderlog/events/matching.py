"""Records → events for one source: the first pattern's event, or the ``unknown`` hook; counted either way.

Shared by the one-pass read (``qoderlog.events``) and the chunks read on a
process pool (``qoderlog.events.chunked``), so both match alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from ..model import Event, LineKind, Record
from ..patterns import PatternSet, Timeouts
from ..read.framing import Done
from ..read.scan import Repeats

KINDS: tuple[str, ...] = tuple(kind.value for kind in LineKind)
"""Every line kind, as the keys of an input's ``by_kind`` counts."""

MAX_REMEMBERED_MISSES = 65_536
"""Distinct messages per source remembered as matching no pattern (each is then not tried again)."""

Unknown = Callable[[Record, tuple[str, ...]], None]
"""Called with every yielded record (and its continuation lines) that no pattern recognised."""


def repeats_of(unknown: Unknown | None) -> Repeats | None:
    """The ``unknown`` hook's ``may_repeat``, if it has one: the block scanner's ``repeats`` (``read.scan``).

    A hook with ``may_repeat(record)`` is one that may be given a record
    kept for its level alone again for a later line that repeats it, when
    it says it needs nothing of that line's own (``mining.miner.Miner``).
    """
    return getattr(unknown, "may_repeat", None)


@dataclass(slots=True)
class Matched:
    """How many of a source's records became events, and how many no pattern recognised."""

    events: int = 0
    unrecognised: int = 0


def match_records(
    records: Iterable[Done], library: PatternSet, timeouts: Timeouts, unknown: Unknown | None, matched: Matched
) -> Iterator[Event]:
    """The events of a source's records, in order; the others go to ``unknown``; both are counted in ``matched``."""
    match = library.match
    # Whether a record is recognised depends on its message alone while no pattern runs under a time bound
    # (user patterns do): then a message no pattern matched is not tried again. Most such records are the
    # warnings kept for mining, repeated many times; a message that matched is always matched again.
    misses: set[str] | None = None if timed(library) else set()
    for record, detail in records:
        if misses is not None and record.message in misses:
            event = None
        else:
            event = match(record, detail, timeouts)
            if event is None and misses is not None and len(misses) < MAX_REMEMBERED_MISSES:
                misses.add(record.message)
        if event is None:
            matched.unrecognised += 1
            if unknown is not None:
                unknown(record, detail)
        else:
            matched.events += 1
            yield event


def timed(library: PatternSet) -> bool:
    """Whether a pattern runs under a time bound (whose give-ups per source depend on the order of its lines)."""
    return any(p.timeout is not None for p in library.patterns)
