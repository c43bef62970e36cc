"""Unknown templates → draft YAML patterns that the loader accepts (``qoderlog patterns suggest``).

A draft is built from a mined ``Template``: its literal words become the
regex (escaped), each mask a named group typed from ``templates.MASKS``
(``<PATH>`` → ``(?P<path>.+?)`` of type ``path``, ``<PID>`` → ``pid: int`` …),
Drain3's ``<*>`` a non-capturing ``\\S+``; the prefilter is the template's
longest literal run; the examples are the template's real lines with the
fields the draft yields on them, computed by the same code that checks them.
A draft whose examples the regex does not match, or that another draft also
matches, is left out with a comment saying why. The ids and types are
``draft.<words>``: rename them when you keep a pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import regex
import yaml

from ..model import Template
from ..patterns import Pattern, PatternSet, frame_example
from .masks import MASKS_BY_NAME

_PLACEHOLDER = re.compile(r"<(\*|[A-Z]+)>")
_WORD = re.compile(r"[a-z0-9]+")
MIN_PREFILTER = 4
MAX_PREFILTER = 40
_INTEGER = re.compile(r"-?\d+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Draft:
    """A draft pattern (``entry``, ready for YAML) or the reason a template gave none (``skipped``)."""

    template: Template
    entry: dict[str, Any] | None
    skipped: str | None = None


def _pieces(tokens: Sequence[str]) -> list[tuple[str, str]]:
    """A template's tokens as ``("text", …)``, ``("mask", NAME)`` and ``("gap", "")`` between tokens."""
    pieces: list[tuple[str, str]] = []
    for index, token in enumerate(tokens):
        if index:
            pieces.append(("gap", ""))
        at = 0
        for found in _PLACEHOLDER.finditer(token):
            if found.start() > at:
                pieces.append(("text", token[at : found.start()]))
            pieces.append(("mask", found[1]))
            at = found.end()
        if at < len(token):
            pieces.append(("text", token[at:]))
    return pieces


def _regex_of(tokens: Sequence[str], gap: str) -> tuple[str, dict[str, str], list[str]]:
    """The regex, the field types and the literal runs (prefilter candidates) of a template's tokens.

    ``gap`` is what stands between tokens: a plain space (then literal runs
    span words) or ``\\s+`` (then each run is one word).
    """
    parts: list[str] = []
    types: dict[str, str] = {}
    runs: list[str] = [""]
    for kind, value in _pieces(tokens):
        if kind == "text":
            parts.append(regex.escape(value, special_only=True))
            runs[-1] += value
        elif kind == "gap":
            parts.append(gap)
            if gap == " ":
                runs[-1] += " "
            else:
                runs.append("")
        elif value == "*":
            parts.append(r"\S+")
            runs.append("")
        else:
            mask = MASKS_BY_NAME[value]
            group, suffix = mask.field, 2
            while group in types:
                group, suffix = f"{mask.field}_{suffix}", suffix + 1
            types[group] = mask.type
            parts.append(f"(?P<{group}>{mask.capture})")
            runs.append("")
    return "^" + "".join(parts) + r"\s*$", types, [run.strip() for run in runs if run.strip()]


def _shorten(literal: str) -> str:
    """A prefilter need not be the whole run: its first words up to ``MAX_PREFILTER`` characters."""
    if len(literal) <= MAX_PREFILTER:
        return literal
    cut = literal[:MAX_PREFILTER]
    return cut[: cut.rfind(" ")].strip() if " " in cut.strip() else cut


def _integers(compiled: regex.Pattern[str], types: dict[str, str], messages: Sequence[str]) -> None:
    """Number groups whose every captured value is a whole number become ``int`` fields."""
    for name, kind in list(types.items()):
        if kind != "float":
            continue
        values = [found[name] for m in messages if (found := compiled.search(m)) is not None and found[name]]
        if values and all(_INTEGER.fullmatch(v) for v in values):
            types[name] = "int"


def _ident(template: Template, taken: set[str]) -> str:
    words = _WORD.findall(_PLACEHOLDER.sub(" ", template.template).lower())[:5] or ["line"]
    base = "draft." + "_".join(words)
    ident, suffix = base, 2
    while ident in taken:
        ident, suffix = f"{base}_{suffix}", suffix + 1
    taken.add(ident)
    return ident


def draft_pattern(template: Template, taken: set[str]) -> Draft:
    """The draft pattern of one template (``taken``: ids already used, updated)."""
    messages = [frame_example(example.text).message for example in template.examples]
    single_spaced = all(" ".join(m.split()) == m.strip() for m in messages)
    expression, types, literals = _regex_of(template.template.split(), " " if single_spaced else r"\s+")
    prefilter = _shorten(max(literals, key=len, default=""))
    if len(prefilter) < MIN_PREFILTER:
        return Draft(template=template, entry=None, skipped="no literal text long enough for a prefilter")
    compiled = regex.compile(expression)
    _integers(compiled, types, messages)
    ident = _ident(template, taken)
    pattern = Pattern(
        id=ident,
        type=ident,
        description="",
        component=None,
        prefilter=prefilter,
        regex=compiled,
        types=types,
        kv={},
        examples=(),
        path="<draft>",
        line=0,
    )
    examples = []
    for example in template.examples:
        record = frame_example(example.text)
        found = pattern.search(record.message)
        if found is not None:
            examples.append({"line": example.text, "fields": pattern.fields_of(found, record)})
    if not examples:
        return Draft(template=template, entry=None, skipped="the drafted regex matches none of the example lines")
    entry: dict[str, Any] = {
        "id": ident,
        "type": ident,
        "description": f"Draft from {template.count} unrecognised line(s) ({template.template_id}); review and rename.",
    }
    if template.component:
        entry["component"] = template.component
    entry.update(prefilter=prefilter, regex=expression)
    if types:
        entry["fields"] = types
    entry["examples"] = examples
    return Draft(template=template, entry=entry)


def suggest(
    templates: Iterable[Template],
    library: PatternSet,
    *,
    min_count: int = 1,
    top: int = 20,
    qoder_only: bool = True,
) -> list[Draft]:
    """Drafts for the most frequent templates (Qoder-related only, unless ``qoder_only`` is false).

    A draft whose example another draft, or a pattern of ``library``, also
    matches is skipped: the loader refuses an example matched twice.
    """
    chosen = [t for t in templates if t.count >= min_count and (t.qoder_related or not qoder_only)][:top]
    taken = {p.id for p in library.patterns}
    drafts: list[Draft] = []
    accepted: list[tuple[regex.Pattern[str], list[str]]] = []
    for template in chosen:
        draft = draft_pattern(template, taken)
        if draft.entry is not None:
            clash = _clash(draft.entry, accepted, library)
            if clash is not None:
                draft = Draft(template=template, entry=None, skipped=clash)
            else:
                messages = [frame_example(e["line"]).message for e in draft.entry["examples"]]
                accepted.append((regex.compile(draft.entry["regex"]), messages))
        drafts.append(draft)
    return drafts


def _clash(
    entry: dict[str, Any], accepted: list[tuple[regex.Pattern[str], list[str]]], library: PatternSet
) -> str | None:
    """Why a draft would break the rule that no example is matched by two patterns, or ``None``."""
    compiled = regex.compile(entry["regex"])
    messages = [frame_example(e["line"]).message for e in entry["examples"]]
    for other, other_messages in accepted:
        if any(other.search(m) for m in messages) or any(compiled.search(m) for m in other_messages):
            return "an earlier draft matches the same lines"
    hit = next((p.id for p in library.patterns for m in messages if p.search(m) is not None), None)
    return f"pattern {hit!r} already matches its examples" if hit else None


class _Dumper(yaml.SafeDumper):
    """Block style, keys in the order given, long lines kept whole."""


def drafts_yaml(drafts: Sequence[Draft]) -> str:
    """A pattern file holding every draft, with a comment per skipped template."""
    lines = [
        "# Draft patterns from `qoderlog patterns suggest`: review each regex, rename the ids and types,",
        "# then check with `qoderlog patterns test DIR` and use with `qoderlog analyze --patterns DIR`.",
    ]
    for draft in drafts:
        if draft.entry is None:
            lines.append(f"# skipped {draft.template.template_id} ({draft.template.count}x): {draft.skipped}")
    entries = [d.entry for d in drafts if d.entry is not None]
    body = yaml.dump(
        {"patterns": entries},
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=10_000,
        default_flow_style=False,
    )
    return "\n".join(lines) + "\n" + body
