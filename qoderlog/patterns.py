"""The pattern library: load, validate and compile ``patterns/*.yaml``; record → event.

Each YAML file holds patterns for one component. A pattern has an ``id``,
the event ``type`` it yields, a literal ``prefilter`` that must occur in
every line it can match (noise lines are rejected by one scan for all
prefilters), a ``regex`` with named groups (the ``regex`` module), declared
field ``types``, an optional ``kv`` map for ``key=value`` lists in any order,
and ``examples``: lines with the exact fields each must yield. Loading
refuses a file whose patterns are malformed; ``check_examples`` proves every
example matches its own pattern, with exactly its fields, and no other.
See ``patterns/README.md`` for the format.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import ahocorasick_rs
import regex

from .cache import digest, read_cached, source_of, write_cached
from .errors import PatternError
from .limits import DEFAULT_LIMITS
from .model import EVENT_COLUMNS, LEVEL_RANK, LEVELS, NO_FIELDS, Event, Fields, Framing, Record
from .read.headers import bare_record, make_record, match_header
from .resources import resource_dir
from .yamlfiles import YamlProblem, load_yaml

USER_REGEX_TIMEOUT = DEFAULT_LIMITS.regex_timeout_s
"""Seconds a user pattern's regex may run on one message (``Limits.regex_timeout_s`` overrides it per run)."""

_PATTERN_KEYS = {"id", "type", "description", "component", "level", "prefilter", "regex", "fields", "kv", "examples"}
_REQUIRED = ("id", "type", "prefilter", "regex", "examples")
_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_KV_PAIR = re.compile(r"([A-Za-z_][\w.-]*)\s*=\s*(.*?)(?=,?\s+[A-Za-z_][\w.-]*\s*=|,?\s*$)")
_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds|m|min|minutes)\s*$", re.I)
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "sec": 1.0, "secs": 1.0, "seconds": 1.0}
_INT64 = range(-(2**63), 2**63)
MAX_SHARED_FIELDS = 4096
"""Distinct field values a pattern keeps to share (``Pattern.shared_fields``); past it, it starts again."""
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


@dataclass(slots=True, kw_only=True)
class Timeouts:
    """User patterns that ran out of time on one input: how often each did, with the run's bounds.

    A user pattern runs at most ``seconds`` per message; one that ran out
    ``limit`` times on an input is not tried again on that input, so that a
    catastrophic regex costs seconds, not hours.
    """

    seconds: float = USER_REGEX_TIMEOUT
    limit: int = DEFAULT_LIMITS.max_regex_timeouts
    counts: dict[str, int] = field(default_factory=dict)


def _to_int(text: str) -> int:
    text = text.strip()
    return int(text, 16) if text.lower().startswith(("0x", "-0x")) else int(text)


def _to_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"not a boolean: {text!r}")


def _to_duration(text: str) -> float:
    """``"5000ms"`` → 5.0, ``"1.5 s"`` → 1.5, ``"2 min"`` → 120.0 (seconds)."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    unit = match[2].lower()
    factor = 60.0 if unit.startswith("m") and unit != "ms" else _DURATION_UNITS[unit]
    return float(match[1]) * factor


def _to_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {text!r}")
    return value


def _to_text(text: str) -> str:
    return text.strip()


CONVERTERS: dict[str, Any] = {
    "str": _to_text,
    "path": _to_text,
    "int": _to_int,
    "float": _to_float,
    "bool": _to_bool,
    "duration": _to_duration,
}


def convert(kind: str, value: Any) -> Any:
    """A captured text (or JSON value) as the declared type; ``ValueError`` when it is not one."""
    if kind in ("int", "float") and isinstance(value, int | float) and not isinstance(value, bool):
        converted = int(value) if kind == "int" else float(value)
    elif kind == "bool" and isinstance(value, bool):
        return value
    else:
        converted = CONVERTERS[kind](value if isinstance(value, str) else str(value))
    # int fields are int64 columns in every table: a bigger number in a log line must not break the writers.
    if kind == "int" and converted not in _INT64:
        raise ValueError(f"integer out of the 64-bit range: {value!r}")
    return converted


@dataclass(frozen=True, slots=True, kw_only=True)
class Example:
    """A sample line of a pattern and the fields it must yield; remembers where it was written."""

    text: str
    fields: Mapping[str, Any]
    path: str
    line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Pattern:
    """One compiled pattern from a YAML file."""

    id: str
    type: str
    description: str
    component: str | None
    prefilter: str
    regex: regex.Pattern[str]
    types: Mapping[str, str]
    kv: Mapping[str, str]
    examples: tuple[Example, ...]
    path: str
    line: int
    timeout: float | None = None
    level: str | None = None
    """The level the line means whatever its framing says (``Cannot find module`` is an error even at [info])."""
    _shared: dict[tuple[Any, ...], Fields] = field(default_factory=dict, init=False, repr=False, compare=False)
    """This pattern's events' fields by value: events with equal fields share one ``Fields`` (``shared_fields``)."""

    def search(self, message: str, timeouts: Timeouts | None = None) -> regex.Match[str] | None:
        """The regex match on a message, or ``None``; a user pattern that runs too long is a miss.

        With ``timeouts``, a user pattern runs under its time bound, each
        time-out is counted there, and a pattern out of time too often is skipped.
        """
        if self.prefilter not in message:
            return None
        timeout = self.timeout
        if timeout is not None and timeouts is not None:
            if timeouts.counts.get(self.id, 0) >= timeouts.limit:
                return None
            timeout = timeouts.seconds
        try:
            return self.regex.search(message, timeout=timeout)
        except TimeoutError:
            if timeouts is not None:
                timeouts.counts[self.id] = timeouts.counts.get(self.id, 0) + 1
            return None

    def fields_of(self, match: regex.Match[str], record: Record) -> dict[str, Any]:
        """Typed fields from the regex groups, the ``kv`` list and a JSON record's keys."""
        values: dict[str, Any] = {}
        groups = match.groupdict()
        types = self.types
        for name, text in groups.items():
            if text is None or name == "kv":
                continue
            _put(values, name, types.get(name, "str"), text)
        kv_text = groups.get("kv")
        if kv_text and self.kv:
            for key, text in _KV_PAIR.findall(kv_text):
                name = self.kv.get(key.lower())
                if name is not None and name not in values:
                    _put(values, name, self.types.get(name, "str"), text)
        for key, raw in record.fields.items():
            name = key if key in self.types else self.kv.get(key.lower())
            if name is not None and name not in values and raw is not None:
                _put(values, name, self.types.get(name, "str"), raw)
        return values

    def event(self, match: regex.Match[str], record: Record, detail: tuple[str, ...] = ()) -> Event:
        """The ``Event`` this pattern makes of ``record``."""
        return Event(
            type=self.type,
            pattern_id=self.id,
            source=record.source,
            line=record.line,
            timestamp=record.timestamp,
            level=self._level(record.level),
            component=record.component or self.component,
            # Interned: a session repeats its messages and values (paths, pipes), and an analysis keeps its events.
            message=sys.intern(record.message),
            text=record.text,
            fields=self.shared_fields(self.fields_of(match, record)),
            detail=detail,
        )

    def shared_fields(self, values: dict[str, Any]) -> Fields:
        """``values`` as read-only ``Fields``, the same object for equal values (a log repeats its paths and pids).

        Per pattern, a field's type is fixed, so equal values are the same values (``1`` is never ``True``).
        """
        if not values:
            return NO_FIELDS
        key = (*values, *values.values())  # one flat tuple: the names, then the values
        shared = self._shared
        found = shared.get(key)
        if found is None:
            if len(shared) >= MAX_SHARED_FIELDS:
                shared.clear()
            found = shared[key] = Fields(values)
        return found

    def _level(self, level: str | None) -> str | None:
        """The record's level, raised to the pattern's own when the pattern's is higher (or the record has none)."""
        mine = self.level
        if mine is None or (level in LEVEL_RANK and LEVEL_RANK[level] >= LEVEL_RANK[mine]):
            return level
        return mine


def _put(values: dict[str, Any], name: str, kind: str, raw: Any) -> None:
    """Store a converted value; empty captures and values of the wrong type are left out."""
    try:
        value = convert(kind, raw)
    except (ValueError, OverflowError):
        return
    if value != "":
        values[name] = sys.intern(value) if type(value) is str else value


@dataclass(frozen=True, slots=True)
class PatternSet:
    """Compiled patterns in match order, with one literal scan for noise and for picking the patterns to try.

    Both scans are Aho-Corasick automata (``ahocorasick_rs``) over the
    patterns' prefilter literals: ``is_candidate`` asks whether a text holds
    any literal at all, ``match`` tries, in library order, only the patterns
    whose literal the message holds — a pattern cannot match without it, so
    the first match is the same as trying every pattern in turn.
    """

    patterns: tuple[Pattern, ...]
    _gate: ahocorasick_rs.AhoCorasick | None = field(init=False, repr=False, compare=False)
    _all: ahocorasick_rs.AhoCorasick | None = field(init=False, repr=False, compare=False)
    _by_literal: tuple[tuple[int, ...], ...] = field(init=False, repr=False, compare=False)
    _widened: dict[frozenset[str], Callable[[str], bool]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        literals = sorted({p.prefilter for p in self.patterns})
        gate = all_hits = None
        if literals:
            gate = ahocorasick_rs.AhoCorasick(literals, matchkind=ahocorasick_rs.MatchKind.LeftmostFirst)
            all_hits = ahocorasick_rs.AhoCorasick(literals)
        by_literal = tuple(
            tuple(i for i, p in enumerate(self.patterns) if p.prefilter == literal) for literal in literals
        )
        object.__setattr__(self, "_gate", gate)
        object.__setattr__(self, "_all", all_hits)
        object.__setattr__(self, "_by_literal", by_literal)
        object.__setattr__(self, "_widened", {})

    def is_candidate(self, text: str) -> bool:
        """Whether ``text`` holds any pattern's prefilter literal (cheap; most noise fails here)."""
        return self._gate is not None and bool(self._gate.find_matches_as_indexes(text))

    def _tried(self, message: str) -> list[Pattern]:
        """The patterns whose prefilter ``message`` holds, in library order."""
        if self._all is None:
            return []
        hits = self._all.find_matches_as_indexes(message, overlapping=True)
        if not hits:
            return []
        by_literal = self._by_literal
        if len(hits) == 1:
            return [self.patterns[i] for i in by_literal[hits[0][0]]]
        chosen = sorted({i for literal, _, _ in hits for i in by_literal[literal]})
        return [self.patterns[i] for i in chosen]

    def gate_literals(self, literals: Iterable[str] = ()) -> frozenset[str]:
        """Every literal whose presence lets a text through ``gate_with(literals)``."""
        return frozenset(literals) | {p.prefilter for p in self.patterns}

    def gate_with(self, literals: Iterable[str]) -> Callable[[str], bool]:
        """A gate like ``is_candidate`` that also lets through texts holding any of ``literals`` (one scan)."""
        extra = frozenset(literals) - {p.prefilter for p in self.patterns}
        if not extra:
            return self.is_candidate
        gate = self._widened.get(extra)
        if gate is None:
            widened = ahocorasick_rs.AhoCorasick(
                sorted(self.gate_literals(extra)), matchkind=ahocorasick_rs.MatchKind.LeftmostFirst
            )
            gate = self._widened[extra] = lambda text: bool(widened.find_matches_as_indexes(text))
        return gate

    def match(self, record: Record, detail: tuple[str, ...] = (), timeouts: Timeouts | None = None) -> Event | None:
        """The first pattern's event for ``record``, or ``None`` when no pattern recognises it."""
        message = record.message
        for pattern in self._tried(message):
            found = pattern.search(message, timeouts)
            if found is not None:
                return pattern.event(found, record, detail)
        return None

    def recognises(self, record: Record, timeouts: Timeouts | None = None) -> bool:
        """Whether any pattern matches ``record`` (used for bare lines amid framed ones)."""
        message = record.message
        return any(pattern.search(message, timeouts) is not None for pattern in self._tried(message))

    def by_id(self) -> dict[str, Pattern]:
        """Patterns keyed by id."""
        return {p.id: p for p in self.patterns}


def load_file(path: Path, *, user: bool = False) -> list[Pattern]:
    """Every pattern of one YAML file; ``PatternError`` naming file, line and id on any fault."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PatternError(f"cannot read pattern file: {exc}", path=str(path)) from exc
    return _parse_file(path, data, user=user)


def _parse_file(path: Path, data: bytes, *, user: bool) -> list[Pattern]:
    shown = str(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PatternError(f"cannot read pattern file: {exc}", path=shown) from exc
    try:
        document = load_yaml(path, data, lines=True)
    except YamlProblem as exc:
        lines = text.splitlines()
        at = exc.line
        shown_line = f": {lines[at - 1].strip()!r}" if at is not None and at <= len(lines) else ""
        raise PatternError(
            f"not valid YAML: {exc.problem}{shown_line}",
            path=shown,
            line=at,
            hint="check indentation and quote regexes with single quotes",
        ) from exc
    if not isinstance(document, dict) or not isinstance(document.get("patterns"), list):
        raise PatternError(
            "a pattern file must be a mapping with a 'patterns:' list",
            path=shown,
            hint="see patterns/README.md for the format",
        )
    component = document.get("component")
    if component is not None and not isinstance(component, str):
        raise PatternError("'component' must be a string", path=shown, line=document["__line__"])
    return [_build(entry, shown, component, user) for entry in document["patterns"]]


def _build(entry: Any, path: str, component: str | None, user: bool) -> Pattern:
    if not isinstance(entry, dict):
        raise PatternError("each entry of 'patterns' must be a mapping", path=path)
    line = entry.get("__line__")
    ident = entry.get("id")

    def fail(message: str, hint: str | None = None, at: int | None = None) -> PatternError:
        where = f"pattern {ident!r}: " if ident else ""
        return PatternError(where + message, path=path, line=at or line, hint=hint)

    unknown = set(entry) - _PATTERN_KEYS - {"__line__"}
    if unknown:
        raise fail(f"unknown keys {sorted(unknown)}", f"allowed keys: {sorted(_PATTERN_KEYS)}")
    for key in _REQUIRED:
        if entry.get(key) in (None, "", []):
            raise fail(f"missing '{key}'", "every pattern needs id, type, prefilter, regex, examples")
    for key in ("id", "type", "prefilter", "regex"):
        if not isinstance(entry[key], str):
            raise fail(f"'{key}' must be a string")
    if not _ID.match(ident):
        raise fail("id must be dotted lower-case words like 'ipc.connect_failed'")
    if not _ID.match(entry["type"]):
        raise fail(f"type {entry['type']!r} must be dotted lower-case words like 'ipc.connected'")
    try:
        compiled = regex.compile(entry["regex"])
    except regex.error as exc:
        raise fail(
            f"regex does not compile: {exc} in {entry['regex']!r}",
            "regexes use Python syntax with (?P<name>...) groups",
        ) from exc
    types = entry.get("fields") or {}
    kv = entry.get("kv") or {}
    if not isinstance(types, dict) or not isinstance(kv, dict):
        raise fail("'fields' and 'kv' must be mappings")
    if not isinstance(entry.get("component", ""), str):
        raise fail("'component' must be a string")
    level = entry.get("level")
    if level is not None and level not in LEVEL_RANK:
        raise fail(f"level {level!r} is not a level", f"levels: {', '.join(LEVELS)}")
    types = {k: v for k, v in types.items() if k != "__line__"}
    kv = {str(k).lower(): v for k, v in kv.items() if k != "__line__"}
    for name, kind in types.items():
        if name in EVENT_COLUMNS:
            raise fail(f"field name {name!r} is reserved for an event column", "rename the group")
        if not isinstance(kind, str) or kind not in CONVERTERS:
            raise fail(f"field {name!r} has unknown type {kind!r}", f"types: {sorted(CONVERTERS)}")
    groups = set(compiled.groupindex) - {"kv"}
    undeclared = groups - set(types)
    if undeclared:
        raise fail(f"named groups without a type in 'fields': {sorted(undeclared)}")
    if kv and "kv" not in compiled.groupindex:
        raise fail("'kv' is given but the regex has no (?P<kv>...) group")
    for name in kv.values():
        if not isinstance(name, str) or name not in types:
            raise fail(f"kv target {name!r} has no type in 'fields'")
    if entry["prefilter"] not in entry["regex"].replace("\\", ""):
        raise fail(
            f"prefilter {entry['prefilter']!r} does not appear literally in the regex",
            "the prefilter must be a literal every matching line contains",
        )
    examples = entry["examples"]
    if not isinstance(examples, list):
        raise fail("'examples' must be a list")
    return Pattern(
        id=ident,
        type=entry["type"],
        description=str(entry.get("description") or ""),
        component=entry.get("component", component),
        prefilter=entry["prefilter"],
        regex=compiled,
        types=types,
        kv=kv,
        examples=tuple(_example(item, path, line, fail) for item in examples),
        path=path,
        line=line or 0,
        timeout=USER_REGEX_TIMEOUT if user else None,
        level=level,
    )


def _example(item: Any, path: str, line: int | None, fail: Any) -> Example:
    if not isinstance(item, dict) or not isinstance(item.get("line"), str):
        raise fail("each example needs a 'line' string and a 'fields' mapping")
    fields = item.get("fields") or {}
    if not isinstance(fields, dict):
        raise fail("an example's 'fields' must be a mapping", at=item.get("__line__"))
    return Example(
        text=item["line"],
        fields={k: v for k, v in fields.items() if k != "__line__"},
        path=path,
        line=item.get("__line__") or line or 0,
    )


def pattern_files(folder: Path) -> list[Path]:
    """The ``*.yaml`` / ``*.yml`` files of a pattern folder, sorted."""
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def load_patterns(
    extra: Iterable[str | os.PathLike[str]] = (), *, builtin: bool = True, check: bool = True
) -> PatternSet:
    """The built-in patterns (unless ``builtin=False``) followed by each user folder's.

    Raises ``PatternError`` for a malformed file, a duplicate id, or (with
    ``check``) an example that does not match its pattern, yields other
    fields, or is matched by another pattern — a pattern library that does
    not prove itself is not used. ``check=False`` is for ``patterns test``,
    which lists every problem instead of stopping at the first.
    """
    patterns = _load(tuple(str(Path(p).resolve()) for p in extra), builtin)
    if check and extra:
        problems = check_examples(patterns)
        if problems:
            first = problems[0]
            more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
            raise PatternError(
                first.message + more,
                path=first.path,
                line=first.line,
                hint=(first.hint + "; " if first.hint else "") + "run 'qoderlog patterns test DIR' to see them all",
            )
    return patterns


CACHE_FORMAT = 1
"""Bumped when what the cache holds changes shape; the key also covers this module's source and the versions."""


@lru_cache(maxsize=8)
def _load(extra: tuple[str, ...], builtin: bool) -> PatternSet:
    builtin_dirs = [(resource_dir("patterns", "goprocess.yaml"), False)] if builtin else []
    folders = builtin_dirs + [(Path(p), True) for p in extra]
    files: list[tuple[Path, bool, bytes]] = []
    for folder, user in folders:
        if not folder.is_dir():
            raise PatternError("pattern folder not found", path=str(folder), hint="pass a folder of *.yaml files")
        for path in pattern_files(folder):
            try:
                files.append((path, user, path.read_bytes()))
            except OSError as exc:
                raise PatternError(f"cannot read pattern file: {exc}", path=str(path)) from exc
    key = _cache_key(files)
    cached = _cached(key)
    if cached is not None:
        return PatternSet(cached)
    patterns: list[Pattern] = []
    seen: dict[str, Pattern] = {}
    for path, user, data in files:
        for pattern in _parse_file(path, data, user=user):
            if pattern.id in seen:
                first = seen[pattern.id]
                raise PatternError(
                    f"duplicate pattern id {pattern.id!r} (first defined at {first.path}:{first.line})",
                    path=pattern.path,
                    line=pattern.line,
                    hint="give every pattern a unique id",
                )
            seen[pattern.id] = pattern
            patterns.append(pattern)
    _store(key, tuple(patterns))
    return PatternSet(tuple(patterns))


# --------------------------------------------------------------------------- the compiled cache
# Compiling the library's regexes and reading its YAML is most of a small bundle's start-up (~0.15 s); a
# ``regex`` pattern pickles with its compiled code, so the compiled library is kept in the cache (``qoderlog.cache``)
# between runs, keyed by the bytes and paths of every pattern file, this module's source and the interpreter's and
# regex's versions. Nothing is cached for a library that does not load.


def _cache_key(files: list[tuple[Path, bool, bytes]]) -> str:
    parts: list[bytes | str] = [f"{CACHE_FORMAT}\0{regex.__version__}\0{USER_REGEX_TIMEOUT}", source_of(__file__)]
    for path, user, data in files:
        parts.extend((f"{path}\0{int(user)}", data))
    return digest(*parts)


def _cached(key: str) -> tuple[Pattern, ...] | None:
    """The patterns cached under ``key``, or ``None`` when there is no usable cache file (or caching is off)."""
    value = read_cached("patterns", key)
    if isinstance(value, tuple) and value and all(isinstance(p, Pattern) for p in value):
        return value
    return None


def _store(key: str, patterns: tuple[Pattern, ...]) -> None:
    """Keep ``patterns`` under ``key``; best effort."""
    if patterns:
        write_cached("patterns", key, patterns)


def frame_example(text: str) -> Record:
    """The record an example line makes, read as a one-line log in whatever framing it has."""
    found = match_header(text)
    if found is None:
        return bare_record(text, source="<example>", line=1)
    framing, match = found
    return make_record(framing, match, source="<example>", line=1, text=text)


def check_example(
    patterns: PatternSet, pattern: Pattern, example: Example, text: str | None = None
) -> list[PatternError]:
    """Problems with one example (read as ``text`` when given, e.g. re-framed): empty when it holds."""
    line = example.text if text is None else text
    record = frame_example(line)
    problems: list[PatternError] = []

    def problem(message: str, hint: str | None = None) -> None:
        problems.append(
            PatternError(
                f"pattern {pattern.id!r}: {message}: {line!r}", path=example.path, line=example.line, hint=hint
            )
        )

    gate_text = record.message if record.framing is Framing.JSON else line
    if not patterns.is_candidate(gate_text):
        problem(f"example does not contain the prefilter {pattern.prefilter!r}")
        return problems
    found = pattern.search(record.message)
    if found is None:
        problem("example does not match its own regex", "test the regex on the message after the header")
        return problems
    got = pattern.fields_of(found, record)
    expected = dict(example.fields)
    if got != expected:
        problem(f"fields differ: expected {expected}, got {got}", "list exactly the fields the line yields")
    others = [p.id for p in patterns.patterns if p is not pattern and p.search(record.message) is not None]
    if others:
        problem(f"example is also matched by {others}", "make the patterns mutually exclusive")
    return problems


def check_examples(patterns: PatternSet) -> list[PatternError]:
    """Every problem with every example of every pattern; empty when the library is sound."""
    problems: list[PatternError] = []
    for pattern in patterns.patterns:
        for example in pattern.examples:
            problems.extend(check_example(patterns, pattern, example))
    return problems
