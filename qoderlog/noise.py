"""Known noise: warning- and error-level lines of VS Code-family logs that say nothing is wrong.

Real logs are full of them (deprecation warnings, API-proposal notices,
marketplace time-outs, Chromium probing a video driver). Counted as errors
they would bury the one line that matters; ignored silently, they would
hide which lines were judged harmless. So known noise is data, like the
patterns (``patterns/noise/*.yaml``): each entry has an id, a ``regex`` or a
``literal``, the component that writes it, *why* it is harmless, and
``examples`` (lines it must match) and ``not_examples`` (near lines it must
not). The loader refuses an entry without a reason or examples, or whose
examples do not hold, naming file, line and entry.

``NoiseTable.match`` is asked only about records no pattern recognised and
that were kept for their level (a rare path), so an entry costs nothing on
the noise lines that are never built into records.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .errors import PatternError
from .resources import resource_dir
from .yamlfiles import YamlProblem, load_yaml

_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")
NOISE_FOLDER = "noise"
"""The folder of known-noise files inside the pattern folder."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NoiseEntry:
    """One kind of harmless line: how to find it, who writes it, why it is harmless, and where it is defined."""

    id: str
    regex: re.Pattern[str]
    component: str
    why: str
    examples: tuple[str, ...]
    not_examples: tuple[str, ...]
    path: str
    line: int

    def matches(self, message: str, text: str) -> bool:
        """Whether a record (its message, or its whole first line) is this noise."""
        return self.regex.search(message) is not None or self.regex.search(text) is not None


@dataclass(frozen=True, slots=True)
class NoiseTable:
    """Every known-noise entry, asked in order; a record's first match names it.

    Most records asked about are not noise: one search of every entry's
    regex at once (their alternation, which matches exactly where one of
    them does) answers those with two searches instead of two per entry.
    """

    entries: tuple[NoiseEntry, ...]
    _any: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sources = [entry.regex.pattern for entry in self.entries]
        combined = None
        # An entry's numbered backreference would point elsewhere in the alternation: then none is built.
        if sources and not any(_BACKREFERENCE.search(source) for source in sources):
            try:
                combined = re.compile("|".join(f"(?:{source})" for source in sources))
            except re.error:  # e.g. an entry's inline global flag, valid only at the start of its own regex
                combined = None
        object.__setattr__(self, "_any", combined)

    def match(self, message: str, text: str) -> NoiseEntry | None:
        """The entry a record is, or ``None`` when it is not known noise."""
        combined = self._any
        if combined is not None and combined.search(message) is None and combined.search(text) is None:
            return None
        for entry in self.entries:
            if entry.matches(message, text):
                return entry
        return None

    def problems(self) -> list[PatternError]:
        """Every example that does not match its entry and every not-example that does; empty when sound."""
        found: list[PatternError] = []
        for entry in self.entries:
            for example in entry.examples:
                if not entry.matches(example, example):
                    found.append(_error(entry, f"example does not match: {example!r}"))
            for example in entry.not_examples:
                if entry.matches(example, example):
                    found.append(_error(entry, f"not-example matches: {example!r}", "make the regex narrower"))
        return found


def _error(entry: NoiseEntry, message: str, hint: str = "fix the regex or the example") -> PatternError:
    return PatternError(f"noise entry {entry.id!r}: {message}", path=entry.path, line=entry.line, hint=hint)


def _entries(path: Path) -> Iterator[NoiseEntry]:
    try:
        document = load_yaml(path, lines=True)
    except (OSError, UnicodeDecodeError, YamlProblem) as exc:
        raise PatternError(f"cannot read known-noise file: {exc}", path=str(path), hint="fix the YAML") from exc
    items = document.get("noise") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise PatternError("a known-noise file needs a 'noise:' list", path=str(path), line=1)
    for item in items:
        line = item.get("__line__", 1) if isinstance(item, dict) else 1
        if not isinstance(item, dict):
            raise PatternError("a noise entry must be a mapping", path=str(path), line=line)
        missing = [key for key in ("id", "component", "why", "examples") if not item.get(key)]
        if missing or ("regex" in item) == ("literal" in item):
            what = f"missing {', '.join(missing)}" if missing else "give exactly one of 'regex' and 'literal'"
            raise PatternError(
                f"noise entry {item.get('id')!r}: {what}",
                path=str(path),
                line=line,
                hint="every entry says what it matches, who writes it, why it is harmless, and shows examples",
            )
        source = str(item["regex"]) if "regex" in item else re.escape(str(item["literal"]))
        try:
            regex = re.compile(source)
        except re.error as exc:
            raise PatternError(f"noise entry {item['id']!r}: bad regex: {exc}", path=str(path), line=line) from exc
        yield NoiseEntry(
            id=str(item["id"]),
            regex=regex,
            component=str(item["component"]),
            why=" ".join(str(item["why"]).split()),
            examples=tuple(str(e) for e in item["examples"]),
            not_examples=tuple(str(e) for e in item.get("not_examples") or ()),
            path=str(path),
            line=line,
        )


def read_noise(folder: Path) -> NoiseTable:
    """The known-noise entries of every ``*.yaml`` in ``folder``; raises ``PatternError`` if one is unsound."""
    entries: list[NoiseEntry] = []
    seen: dict[str, NoiseEntry] = {}
    for path in sorted(folder.glob("*.yaml")):
        for entry in _entries(path):
            if entry.id in seen:
                raise PatternError(
                    f"duplicate noise id {entry.id!r} (first at {seen[entry.id].path}:{seen[entry.id].line})",
                    path=entry.path,
                    line=entry.line,
                )
            seen[entry.id] = entry
            entries.append(entry)
    table = NoiseTable(tuple(entries))
    problems = table.problems()
    if problems:
        raise problems[0]
    return table


@cache
def load_noise() -> NoiseTable:
    """The built-in known-noise table (``patterns/noise/``), loaded and checked once per process."""
    return read_noise(resource_dir("patterns", "goprocess.yaml") / NOISE_FOLDER)
