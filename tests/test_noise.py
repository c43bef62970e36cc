"""Known noise: the table's one-search answer is the entries' own, entry by entry, on examples and real lines."""

from __future__ import annotations

import re
from pathlib import Path

from qoderlog.noise import NoiseEntry, NoiseTable, load_noise
from qoderlog.read.framing import frame_lines

ROOT = Path(__file__).resolve().parent.parent
TABLE = load_noise()


def _entry_by_entry(table: NoiseTable, message: str, text: str) -> str | None:
    return next((entry.id for entry in table.entries if entry.matches(message, text)), None)


def _matched(table: NoiseTable, message: str, text: str) -> str | None:
    found = table.match(message, text)
    return found.id if found is not None else None


def test_the_built_in_table_searches_all_entries_at_once() -> None:
    assert TABLE._any is not None


def test_one_search_names_the_entry_asking_each_in_turn_names_on_every_example() -> None:
    lines = [line for entry in TABLE.entries for line in (*entry.examples, *entry.not_examples)]
    assert len(lines) > 20
    for line in lines:
        assert _matched(TABLE, line, line) == _entry_by_entry(TABLE, line, line)
    assert {_matched(TABLE, e, e) for entry in TABLE.entries for e in entry.examples} >= {
        entry.id for entry in TABLE.entries
    }


def test_one_search_agrees_on_every_record_of_the_samples() -> None:
    records = []
    for path in sorted((ROOT / "sample_logs").rglob("*.log")):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        framed = frame_lines(
            lines, source=path.name, is_candidate=lambda _: True, recognises=lambda _: False, counts={}
        )
        records += [record for record, _ in framed]
    assert len(records) > 500
    named = [(_matched(TABLE, r.message, r.text), _entry_by_entry(TABLE, r.message, r.text)) for r in records]
    assert all(mine == theirs for mine, theirs in named)
    assert any(mine is not None for mine, _ in named) and any(mine is None for mine, _ in named)


def _entry(ident: str, regex: str) -> NoiseEntry:
    return NoiseEntry(
        id=ident, regex=re.compile(regex), component="c", why="w", examples=(), not_examples=(), path="p", line=1
    )


def test_a_table_with_a_backreference_asks_entry_by_entry() -> None:
    table = NoiseTable((_entry("noise.twice", r"(\w+) \1"), _entry("noise.word", r"hello")))
    assert table._any is None
    assert _matched(table, "go go now", "go go now") == "noise.twice"
    assert _matched(table, "hello there", "x") == "noise.word"
    assert _matched(table, "go went", "go went") is None


def test_the_first_entry_in_order_wins_where_two_match() -> None:
    table = NoiseTable((_entry("noise.late", r"world$"), _entry("noise.early", r"^hello")))
    assert _matched(table, "hello world", "hello world") == "noise.late"
