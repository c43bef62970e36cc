"""Records no pattern recognised → message templates (Drain3), Qoder coverage, and fleet-stable template ids.

Qoder rewords its log lines with every release; a pattern library that only
knows yesterday's lines would go blind without saying so. ``Miner`` is the
engine's ``unknown`` hook (``engine.iter_events``): it mines templates from

* every unrecognised record that is Qoder-related (``is_qoder_related``), and
* every unrecognised record at a level in ``keep_levels`` (warning or above).

Variable parts are masked first (``masks.MASKS``: paths, pipes and sockets, pids,
ports, addresses, hex ids, durations, numbers, UUIDs), then each *distinct*
masked message is given to Drain3 once; counts, levels and a few examples
are kept here, so a repeated line costs two dict look-ups. Once a message's
template has all its examples (``may_repeat``), the block scanner hands a
line that repeats it over as the earlier record, without building one.
Drain3 is imported only when the first message is mined.

When one big file is read in chunks on a process pool, each chunk's
unrecognised records are summed up in a ``Digest`` (per distinct message:
counts, levels, the first examples and error), and ``Miner.replay`` feeds
the digests to Drain3 in file order, which gives the templates one pass
would: Drain3's clusters depend only on the order in which distinct
messages are first seen.

``TemplateRegistry`` is the warehouse's own Drain3 miner over the templates
of every upload: its persisted state gives a template the same id night
after night.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ahocorasick_rs

from ..model import LEVEL_RANK, Evidence, Record, Template
from ..noise import NoiseTable
from .masks import mask, template_id

if TYPE_CHECKING:
    from drain3 import TemplateMiner

WARNING_LEVELS: frozenset[str] = frozenset({"warning", "error", "critical"})
"""The levels whose unrecognised records are mined from any component."""
ERROR_LEVELS: frozenset[str] = frozenset({"error", "critical"})
MAX_EXAMPLES = 3
"""Examples kept per template (the first is the one reports show; drafts use all)."""
MAX_EXAMPLE_DETAIL = 3
"""Continuation lines kept with a template's first example."""
MAX_CACHED_MESSAGES = 200_000
"""Distinct raw messages remembered; beyond this a message is masked again each time it is seen."""


# --------------------------------------------------------------------------- what is Qoder's

QODER_COMPONENTS: frozenset[str] = frozenset({"GoProcessService", "IPC"})
"""Components that are the sidecar's own: the main process's Go process service and the extension host's
``[IPC]`` check. The updater (``update#…``) and the editor's own lines are not the sidecar's."""
_QODER_MESSAGE = re.compile(
    r"\b[Cc]osy\b|\.info\.json|GoProcessService|Connection established using|try to create connection"
    r"|IPC connection|qoder-[0-9a-f]+\.sock|\\pipe\\qoder-|(?:Process start|IPC connection) attempt"
    r"|[Mm]ax reconnection attempts|[Gg]raceful shutdown|[Cc]leanup completed with|Components shutdown"
)
QODER_LITERALS: tuple[str, ...] = (
    "GoProcessService",
    "IPC",
    "cosy",
    "Cosy",
    ".info.json",
    "Connection established using",
    "try to create connection",
    "qoder-",
    "start attempt",
    "reconnection attempts",
    "raceful shutdown",
    "leanup completed with",
    "Components shutdown",
)
"""Literals that widen the pattern gate while mining, so that every line ``is_qoder_related`` can accept
is built into a record (a superset: the predicate decides)."""
_QODER_GATE = ahocorasick_rs.AhoCorasick(QODER_LITERALS, matchkind=ahocorasick_rs.MatchKind.LeftmostFirst)


def _mentions_qoder(message: str) -> bool:
    """``_QODER_MESSAGE.search(message)``, asked only of messages holding one of ``QODER_LITERALS``.

    Each alternative of the regex holds one of the literals, so a message
    with none cannot match; one literal scan (~1 µs) spares most messages
    the regex's search from every position (~20 µs on a 300-character line).
    """
    return bool(_QODER_GATE.find_matches_as_indexes(message)) and _QODER_MESSAGE.search(message) is not None


def is_qoder_related(component: str | None, message: str) -> bool:
    """Whether an unrecognised record is one of the Qoder sidecar's own lines (catalog §3 to §5).

    True for the components ``GoProcessService`` and ``IPC`` (the ``[IPC]``
    lines of Qoder's output channel), and for messages naming cosy,
    ``.info.json``, the extension host's connection lines (``try to create
    connection``, ``Connection established using: …``), Qoder's pipes and
    sockets, or the hardened service's start, reconnect, cleanup and
    shutdown messages. Not every line that says "connection" or "IPC", not
    the updater (``update#setState``), not the editor (``CodeWindow: …``).
    """
    return component in QODER_COMPONENTS or _mentions_qoder(message)


# --------------------------------------------------------------------------- mining one bundle


_UNSEEN: Any = object()
"""A message the known-noise cache has not been asked about yet."""


def _drain(config_overrides: dict[str, Any] | None = None) -> TemplateMiner:
    """A Drain3 miner without masking of its own (messages arrive masked) and without persistence."""
    from drain3 import TemplateMiner  # drain3 (~0.3 s): only when mining
    from drain3.template_miner_config import TemplateMinerConfig  # drain3 (~0.3 s): only when mining

    config = TemplateMinerConfig()
    config.profiling_enabled = False
    for key, value in (config_overrides or {}).items():
        setattr(config, key, value)
    return TemplateMiner(config=config)


class _Tally:
    """What one Drain cluster has seen so far."""

    __slots__ = (
        "component",
        "count",
        "error_detail",
        "error_example",
        "error_level",
        "errors",
        "examples",
        "level",
        "qoder",
        "rank",
    )

    def __init__(self) -> None:
        self.count = 0
        self.rank = -1
        self.level: str | None = None
        self.component: str | None = None
        self.qoder = False
        self.examples: list[Evidence] = []
        self.errors = 0  # the records at error or critical level, their worst level, the first one and its detail
        self.error_level: str | None = None
        self.error_example: Evidence | None = None
        self.error_detail: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorTemplate:
    """The error-level records of one template: how many, their worst level, the first one and what follows it."""

    template: str
    count: int
    level: str
    example: Evidence
    detail: tuple[str, ...]


class Miner:
    """The engine's ``unknown`` hook: mines templates from unrecognised records and counts Qoder coverage.

    Pass it as ``iter_events(…, unknown=miner, keep_levels=miner.keep_levels,
    keep_literals=QODER_LITERALS)``. ``errors`` counts the unrecognised
    records at error or critical level (complete when ``keep_levels``
    includes both); ``qoder_unknown`` the unrecognised Qoder-related ones.
    A record the ``noise`` table knows is counted under its entry's id in
    ``known_noise`` and neither mined nor counted as an error.
    """

    def __init__(
        self,
        *,
        keep_levels: frozenset[str] = WARNING_LEVELS,
        max_examples: int = MAX_EXAMPLES,
        noise: NoiseTable | None = None,
    ) -> None:
        self.keep_levels = keep_levels
        self.max_examples = max_examples
        self.noise = noise
        self.known_noise: dict[str, int] = {}
        self._noise_of: dict[str, str | None] = {}
        self.errors = 0
        self.qoder_unknown = 0
        self._seen: dict[str, tuple[_Tally, bool]] = {}
        self._mentions: dict[str, bool] = {}
        self._clusters: dict[str, _Tally] = {}
        self._by_id: dict[int, _Tally] = {}
        self._miner: TemplateMiner | None = None

    def __call__(self, record: Record, detail: tuple[str, ...] = ()) -> None:
        level = record.level
        message = record.message
        if self.noise is not None and level in self.keep_levels:
            found = self._noise_of.get(message, _UNSEEN)  # the cache asked here: most kept records repeat a message
            if found is _UNSEEN:
                if self._is_noise(record):
                    return
            elif found is not None:
                self.known_noise[found] += 1
                return
        if level in ERROR_LEVELS:
            self.errors += 1
        entry = self._seen.get(message)
        if entry is None:
            if level not in self.keep_levels and record.component not in QODER_COMPONENTS:
                # ``is_qoder_related`` by parts: what the message says is remembered, the component asked each time.
                mentions = self._mentions.get(message)
                if mentions is None:
                    mentions = _mentions_qoder(message)
                    if len(self._mentions) < MAX_CACHED_MESSAGES:
                        self._mentions[message] = mentions
                if not mentions:
                    return
            entry = self._learn(message)
        tally, mentions = entry
        qoder = mentions or record.component in QODER_COMPONENTS
        if not qoder and level not in self.keep_levels:
            return
        if qoder:
            self.qoder_unknown += 1
            tally.qoder = True
        _note(tally, record, detail, self.max_examples)

    def may_repeat(self, record: Record) -> bool:
        """Whether a later record like ``record`` (its level, component and message) may be given as ``record`` itself.

        True when this miner would take nothing of the later record's own
        (its line, time or text): its message is already judged known noise,
        or already mined into a template that has every example it keeps and,
        at error level, its first error. The block scanner asks this of a
        record kept for its level alone (``read.scan``'s ``repeats``). Once
        true of a record it stays true: the noise verdicts, a template's
        examples and its first error are never taken back.
        """
        entry = self._seen.get(record.message)
        judged = self._noise_of if self.noise is not None else None
        return _repeatable(record, self.keep_levels, judged, entry[0] if entry else None, self.max_examples)

    def _is_noise(self, record: Record) -> bool:
        """Whether ``record`` is known noise (counted if so); Qoder's own lines never are."""
        message = record.message
        if message in self._noise_of:
            found = self._noise_of[message]
        else:
            found = _noise_id(self.noise, record)
            if len(self._noise_of) < MAX_CACHED_MESSAGES:
                self._noise_of[message] = found
        if found is None:
            return False
        self.known_noise[found] = self.known_noise.get(found, 0) + 1
        return True

    def _learn(self, message: str) -> tuple[_Tally, bool]:
        masked = mask(message)
        tally = self._clusters.get(masked)
        if tally is None:
            if self._miner is None:
                self._miner = _drain()
            cluster_id = self._miner.add_log_message(masked)["cluster_id"]
            tally = self._by_id.setdefault(cluster_id, _Tally())
            self._clusters[masked] = tally
        entry = (tally, _mentions_qoder(message))
        if len(self._seen) < MAX_CACHED_MESSAGES:
            self._seen[message] = entry
        return entry

    def digester(self) -> Callable[[], Digest]:
        """What makes an empty ``Digest`` for one chunk of a file read apart (picklable, for a worker process)."""
        return functools.partial(Digest, keep_levels=self.keep_levels, max_examples=self.max_examples, noise=self.noise)

    def replay(self, digest: Digest) -> bool:
        """Take in one chunk's digest as if its records had come one by one; ``False`` (nothing taken) if it cannot.

        Digests are replayed in file order. A message met again is judged
        noise or not as its first record was (the cache of ``_is_noise``), so
        a digest that judged a message otherwise (its first record there had
        another component or line), or whose new messages would overflow that
        cache, cannot stand for its records: then they are to be fed again.
        """
        judged = self._noise_of
        new = 0
        for message, found in digest.noise_of.items():
            if message not in judged:
                new += 1
            elif judged[message] != found:
                return False
        if new and len(judged) + new > MAX_CACHED_MESSAGES:
            return False
        judged.update(digest.noise_of)
        for entry_id, count in digest.known_noise.items():
            self.known_noise[entry_id] = self.known_noise.get(entry_id, 0) + count
        self.errors += digest.errors
        self.qoder_unknown += digest.qoder_unknown
        # Messages in the order their first record came, as one pass learns them; then each cluster gets what
        # its messages saw, in line order where order matters (examples, the first error).
        clusters: dict[int, tuple[_Tally, list[_Tally]]] = {}
        for message, seen in digest.messages.items():
            entry = self._seen.get(message)
            tally = (entry if entry is not None else self._learn(message))[0]
            clusters.setdefault(id(tally), (tally, []))[1].append(seen)
        for tally, messages in clusters.values():
            _take(tally, messages, self.max_examples)
        return True

    def error_templates(self) -> tuple[ErrorTemplate, ...]:
        """The error-level records of every template, with the first of them and its continuation lines."""
        if self._miner is None:
            return ()
        clusters = {c.cluster_id: c for c in self._miner.drain.clusters}
        return tuple(
            ErrorTemplate(
                template=clusters[cluster_id].get_template(),
                count=tally.errors,
                level=tally.error_level or "error",
                example=tally.error_example,
                detail=tally.error_detail,
            )
            for cluster_id, tally in self._by_id.items()
            if tally.errors and tally.error_example is not None
        )

    def templates(self) -> tuple[Template, ...]:
        """The mined templates, most frequent first (ties: first seen first)."""
        if self._miner is None:
            return ()
        clusters = {c.cluster_id: c for c in self._miner.drain.clusters}
        found = []
        for cluster_id, tally in self._by_id.items():
            if not tally.count:
                continue
            text = clusters[cluster_id].get_template()
            found.append(
                Template(
                    template_id=template_id(text),
                    template=text,
                    count=tally.count,
                    level=tally.level,
                    component=tally.component,
                    qoder_related=tally.qoder,
                    examples=tuple(tally.examples),
                )
            )
        found.sort(key=lambda t: (-t.count, t.examples[0].source, t.examples[0].line))
        return tuple(found)


def _noise_id(noise: NoiseTable | None, record: Record) -> str | None:
    """The id of the known-noise entry ``record`` is, or ``None``; Qoder's own lines are never noise."""
    if noise is None or is_qoder_related(record.component, record.message):
        return None
    entry = noise.match(record.message, record.text)
    return entry.id if entry is not None else None


class Digest:
    """The unrecognised records of one chunk of a file, summed up per distinct message for ``Miner.replay``.

    Called like the ``Miner`` (``digest(record, detail)``), with the same
    decisions: known noise, errors, what is mined and what is Qoder's. It
    keeps no Drain3 state: clusters are the replaying miner's to make. Being
    small (a few lines per distinct message), it is what a worker process
    sends back instead of its records.
    """

    __slots__ = (
        "errors",
        "keep_levels",
        "known_noise",
        "max_examples",
        "mentions",
        "messages",
        "noise",
        "noise_of",
        "qoder_unknown",
    )

    def __init__(
        self,
        *,
        keep_levels: frozenset[str] = WARNING_LEVELS,
        max_examples: int = MAX_EXAMPLES,
        noise: NoiseTable | None = None,
    ) -> None:
        self.keep_levels = keep_levels
        self.max_examples = max_examples
        self.noise = noise
        self.noise_of: dict[str, str | None] = {}  # each message's verdict, from its first record at a kept level
        self.known_noise: dict[str, int] = {}
        self.errors = 0
        self.qoder_unknown = 0
        self.mentions: dict[str, bool] = {}
        self.messages: dict[str, _Tally] = {}  # in the order of each message's first mined record

    def __call__(self, record: Record, detail: tuple[str, ...] = ()) -> None:
        level = record.level
        message = record.message
        keep = level in self.keep_levels
        if self.noise is not None and keep:
            if message in self.noise_of:
                found = self.noise_of[message]
            else:
                found = self.noise_of[message] = _noise_id(self.noise, record)
            if found is not None:
                self.known_noise[found] = self.known_noise.get(found, 0) + 1
                return
        if level in ERROR_LEVELS:
            self.errors += 1
        mentions = self.mentions.get(message)
        if mentions is None:
            mentions = self.mentions[message] = _mentions_qoder(message)
        qoder = mentions or record.component in QODER_COMPONENTS
        if not qoder and not keep:
            return
        seen = self.messages.get(message)
        if seen is None:
            seen = self.messages[message] = _Tally()
        if qoder:
            self.qoder_unknown += 1
            seen.qoder = True
        _note(seen, record, detail, self.max_examples)

    def may_repeat(self, record: Record) -> bool:
        """As ``Miner.may_repeat``, for this chunk's records."""
        judged = self.noise_of if self.noise is not None else None
        return _repeatable(record, self.keep_levels, judged, self.messages.get(record.message), self.max_examples)

    def __getstate__(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__ if name not in ("mentions", "noise")}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.mentions, self.noise = {}, None
        for name, value in state.items():
            setattr(self, name, value)


def _note(tally: _Tally, record: Record, detail: tuple[str, ...], max_examples: int) -> None:
    """Count one mined record in ``tally``: its level, an example while there is room, its first error."""
    level = record.level
    tally.count += 1
    rank = LEVEL_RANK.get(level or "", -1)
    if rank > tally.rank:
        tally.rank, tally.level = rank, level
    evidence = None
    if len(tally.examples) < max_examples:
        if not tally.examples:
            tally.component = record.component
        evidence = Evidence(source=record.source, line=record.line, text=record.text, timestamp=record.timestamp)
        tally.examples.append(evidence)
    if level in ERROR_LEVELS:
        tally.errors += 1
        if tally.error_level != "critical":
            tally.error_level = level
        if tally.error_example is None:
            tally.error_example = evidence or Evidence(
                source=record.source, line=record.line, text=record.text, timestamp=record.timestamp
            )
            tally.error_detail = detail[:MAX_EXAMPLE_DETAIL]


def _repeatable(
    record: Record,
    keep_levels: frozenset[str],
    judged: dict[str, str | None] | None,
    tally: _Tally | None,
    max_examples: int,
) -> bool:
    """``may_repeat`` of a miner or a digest: its noise verdicts (``None`` without a noise table), the message's tally.

    A repeat needs nothing of its own once its message is judged known noise,
    or once ``_note`` would take nothing of it but counts: no example room in
    the tally and, at error level, its first error already taken.
    """
    level = record.level
    if level not in keep_levels:
        return False
    if judged is not None:
        found = judged.get(record.message, _UNSEEN)
        if found is _UNSEEN:
            return False
        if found is not None:
            return True
    return (
        tally is not None
        and len(tally.examples) >= max_examples
        and (level not in ERROR_LEVELS or tally.error_example is not None)
    )


def _take(tally: _Tally, messages: list[_Tally], max_examples: int) -> None:
    """Add what a chunk's messages of one cluster saw (each noted by ``_note``) to its tally, as one pass would."""
    for seen in messages:
        tally.count += seen.count
        if seen.rank > tally.rank:
            tally.rank, tally.level = seen.rank, seen.level
        tally.qoder = tally.qoder or seen.qoder
        if seen.errors and tally.error_level != "critical":
            # One pass keeps the last error record's level unless one was critical; so does each message's tally.
            tally.error_level = seen.error_level
        tally.errors += seen.errors
    room = max_examples - len(tally.examples)
    if room > 0:
        # Within one chunk (one source) line numbers are the order the records came in.
        firsts = sorted(((e.line, i, e) for i, seen in enumerate(messages) for e in seen.examples), key=_by_line)
        if firsts:
            if not tally.examples:
                tally.component = messages[firsts[0][1]].component
            tally.examples.extend(e for _, _, e in firsts[:room])
    if tally.error_example is None:
        errors = [seen for seen in messages if seen.error_example is not None]
        if errors:
            first = min(errors, key=lambda seen: seen.error_example.line)  # type: ignore[union-attr]
            tally.error_example, tally.error_detail = first.error_example, first.error_detail


def _by_line(item: tuple[int, int, Evidence]) -> tuple[int, int]:
    return item[0], item[1]


# --------------------------------------------------------------------------- the warehouse's ids


class TemplateRegistry:
    """The warehouse's Drain3 miner over upload templates: the same template gets the same id every night.

    ``state()`` is Drain3's own snapshot (as its persistence handlers save
    it); the warehouse stores it in the ledger in the same transaction as
    the part whose ids it assigned, so the ids and the rows that carry them
    are committed together, exactly once.
    """

    def __init__(self, state: bytes | None = None) -> None:
        from drain3.memory_buffer_persistence import MemoryBufferPersistence  # drain3 (~0.3 s): only when mining

        buffer = MemoryBufferPersistence()
        buffer.state = state
        self._miner = _drain()
        if state is not None:
            self._miner.persistence_handler = buffer
            self._miner.load_state()
            # Snapshots are taken by ``state()`` at commit time, not by Drain3 after every new cluster.
            self._miner.persistence_handler = None

    def assign(self, template: str) -> str:
        """The fleet id of an upload's template (``T`` and Drain3's cluster number), learning it when new."""
        return f"T{self._miner.add_log_message(template)['cluster_id']:05d}"

    def state(self) -> bytes:
        """Drain3's snapshot of the registry, to be stored with the part that used it."""
        from drain3.memory_buffer_persistence import MemoryBufferPersistence  # drain3 (~0.3 s): only when mining

        buffer = MemoryBufferPersistence()
        self._miner.persistence_handler = buffer
        try:
            self._miner.save_state("commit")
        finally:
            self._miner.persistence_handler = None
        return bytes(buffer.state)
