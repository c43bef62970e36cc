"""A line that repeats a record kept for its level alone is given as that record, and mining is unchanged by it.

The block scanner (``read.scan``'s ``repeats``) hands a later VS Code header
line whose bytes equal an earlier kept-alone record's but for the header's
digits over as that earlier record, when the miner says it needs nothing of
the later line's own. These tests hold the scanner to that promise record by
record, and the miner's results to the line-by-line reference's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qoderlog import Accounting, iter_events, load_patterns
from qoderlog.mining.miner import QODER_LITERALS, WARNING_LEVELS, Digest, Miner
from qoderlog.model import Framing, Record
from qoderlog.noise import load_noise
from qoderlog.patterns import PatternSet
from qoderlog.read import framing as framing_module
from qoderlog.read import scan as scan_module
from qoderlog.read.framing import frame_lines
from qoderlog.read.headers import VSCODE_HEADER, make_record, match_header
from qoderlog.read.scan import scan_records
from qoderlog.read.sources import Discovery, iter_sources
from qoderlog.synth import write_corpus

LIBRARY = load_patterns()
SAMPLES = Path(__file__).parent.parent / "sample_logs"

DIGIT_PATTERN = """\
component: demo
patterns:
  - id: demo.at_five
    type: demo.at_five
    prefilter: '10:00:05'
    regex: 'at 10:00:05 (?P<what>\\w+)'
    fields: {what: str}
    examples:
      - line: 'at 10:00:05 ready'
        fields: {what: ready}
"""
"""A user pattern whose literal holds digits: it can let through a line only for the time in its header."""


@pytest.fixture(scope="module")
def digit_library(tmp_path_factory: pytest.TempPathFactory) -> PatternSet:
    folder = tmp_path_factory.mktemp("patterns")
    (folder / "demo.yaml").write_text(DIGIT_PATTERN, encoding="utf-8")
    return load_patterns([folder])


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of a few lines, so that records reach the miner before the lines that repeat them are read."""
    monkeypatch.setattr(scan_module, "BLOCK", 512)


@pytest.fixture
def agains(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the lines the scanner gave as an earlier record (``Framer.again``)."""
    calls: list[int] = []
    again = framing_module.Framer.again

    def counted(self: framing_module.Framer, record: Record) -> Any:
        calls.append(record.line)
        return again(self, record)

    monkeypatch.setattr(framing_module.Framer, "again", counted)
    return calls


def read_both(path: Path, library: PatternSet, *, repeats: Any) -> tuple[list[Any], list[Any]]:
    """(records, counts, span, state) of every source: the reference's, then the scanner's with ``repeats``."""
    results: list[list[Any]] = [[], []]
    for index, fast in enumerate((False, True)):
        for source in iter_sources([path], Discovery()):
            counts: dict[str, int] = {}
            span: dict[str, Any] = {}
            reading = {"counts": counts, "span": span, "keep_levels": WARNING_LEVELS}
            if fast:
                records: Iterator[Any] = scan_records(
                    source, library, keep_literals=QODER_LITERALS, repeats=repeats, **reading
                )
            else:
                records = frame_lines(
                    source.lines(),
                    source=source.name,
                    is_candidate=library.gate_with(QODER_LITERALS),
                    recognises=library.recognises,
                    **reading,
                )
            got = list(records)
            state = source.state
            results[index].append((got, counts, span, (state.lines, state.replacements, state.cut_lines)))
    return results[0], results[1]


def assert_repeats_stand_for_their_lines(slow: list[Any], fast: list[Any]) -> int:
    """Every record is the reference's, or an earlier kept-alone record the same but for line, time and text."""
    repeated = 0
    for (want, *rest_slow), (got, *rest_fast) in zip(slow, fast, strict=True):
        assert rest_slow == rest_fast
        assert len(want) == len(got)
        for (expected, expected_detail), (record, detail) in zip(want, got, strict=True):
            assert detail == expected_detail
            if record == expected:
                continue
            repeated += 1
            assert record.line < expected.line and record.framing is expected.framing is Framing.VSCODE
            assert detail == () and record.level in WARNING_LEVELS
            same = ("source", "level", "component", "logger", "message", "fields")
            assert all(getattr(record, name) == getattr(expected, name) for name in same)
            header = VSCODE_HEADER.match(expected.text)
            assert header is not None and header.end() == VSCODE_HEADER.match(record.text).end()  # type: ignore[union-attr]
            assert record.text[header.end() :] == expected.text[header.end() :]
            assert re.sub(r"\d", "0", record.text[: header.end()]) == re.sub(r"\d", "0", expected.text[: header.end()])
    return repeated


def minute(second: int) -> str:
    return f"2025-01-01 10:00:{second:02d}.{second * 7 % 1000:03d}"


LINE = st.one_of(
    st.tuples(
        st.integers(0, 9),
        st.sampled_from(["warning", "error", "critical", "info", "Warning", "ERROR"]),
        st.sampled_from(
            [
                "disk is slow",
                "[Window] Cannot register 'x'",
                "[GoProcessService] late reply",
                "cosy said no",
                "Starting go process",
                "at 10:00:05 ready",
                "ENOENT 12 times",
                "[Error - 9:21:56 AM] closed",
            ]
        ),
    ).map(lambda t: f"{minute(t[0])} [{t[1]}] {t[2]}"),
    st.sampled_from(["  at frame (x.js:1)", "", "plain continuation", '{"level": "error", "msg": "x"}']),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(LINE, min_size=1, max_size=120), digits=st.booleans())
def test_a_repeat_is_the_earlier_record_but_for_its_line_time_and_text(
    tmp_path: Path, small_blocks: None, digit_library: PatternSet, lines: list[str], digits: bool
) -> None:
    path = tmp_path / "main.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    slow, fast = read_both(path, digit_library if digits else LIBRARY, repeats=lambda record: True)
    assert_repeats_stand_for_their_lines(slow, fast)


def test_repeats_are_taken_and_a_digit_literal_in_the_header_still_lets_its_line_through(
    tmp_path: Path, small_blocks: None, digit_library: PatternSet
) -> None:
    lines = [f"{minute(s)} [warning] disk is slow" for s in (1, 2, 3, 4)] * 20
    lines += [f"{minute(5)} [warning] disk is slow", "  at frame (x.js:1)", f"{minute(6)} [warning] disk is slow"]
    path = tmp_path / "main.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    slow, fast = read_both(path, digit_library, repeats=lambda record: True)
    assert assert_repeats_stand_for_their_lines(slow, fast) > 60
    # The 10:00:05 line holds the pattern's literal in its time: a candidate of its own, with its frame.
    at_five = [(record, detail) for record, detail in fast[0][0] if record.text.startswith(minute(5))]
    assert len(at_five) == 1 and at_five[0][0].line == 81 and at_five[0][1] == ("  at frame (x.js:1)",)
    assert fast[0][0][-1][0].line < 81  # the last line repeats an earlier record again


def mined(paths: list[Path], *, fast: bool, jobs: int = 1) -> tuple[Any, ...]:
    miner = Miner(noise=load_noise())
    accounting = Accounting()
    events = iter_events(
        paths,
        accounting=accounting,
        unknown=miner,
        keep_levels=miner.keep_levels,
        keep_literals=QODER_LITERALS,
        fast=fast,
        jobs=jobs,
    )
    return (
        [event.to_dict() for event in events],
        accounting.to_dict(),
        miner.templates(),
        miner.error_templates(),
        dict(miner.known_noise),
        miner.errors,
        miner.qoder_unknown,
    )


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("corpora")
    made = {}
    for mix, loud in (("default", None), ("loud", 0.2)):
        made[mix] = folder / f"{mix}.log"
        write_corpus(made[mix], lines=40_000, seed=5, loud_share=loud)
    return made


@pytest.mark.parametrize("mix", ["default", "loud"])
def test_mining_with_repeats_equals_the_line_by_line_reference(
    corpora: dict[str, Path], mix: str, agains: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan_module, "BLOCK", 64 * 1024)
    reference = mined([corpora[mix]], fast=False)
    assert agains == []
    fast = mined([corpora[mix]], fast=True)
    assert len(agains) > 2000  # most of the kept warnings repeat an earlier one: the path is taken
    assert fast == reference
    templates = reference[2]
    # Every repeat is a record counted in a template or under known noise.
    assert len(templates) > 10 and sum(t.count for t in templates) + sum(reference[4].values()) > len(agains)
    assert all(len(t.examples) <= 3 for t in templates) and reference[3]  # error templates with first errors


def test_mining_with_repeats_equals_the_reference_on_every_sample(small_blocks: None, agains: list[int]) -> None:
    assert mined([SAMPLES], fast=True) == mined([SAMPLES], fast=False)


def test_mining_on_a_process_pool_with_repeats_equals_the_reference(
    corpora: dict[str, Path], agains: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from qoderlog import events as events_module
    from qoderlog.events import chunked

    monkeypatch.setattr(scan_module, "BLOCK", 64 * 1024)
    monkeypatch.setattr(events_module, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(chunked, "CHUNK_BYTES", 512 * 1024)
    assert mined([corpora["loud"]], fast=True, jobs=2) == mined([corpora["loud"]], fast=False)


def record(line: int, message: str, level: str = "warning") -> Record:
    """The record the reader makes of a VS Code line at ``level`` saying ``message``."""
    text = f"{minute(line % 60)} [{level}] {message}"
    found = match_header(text)
    assert found is not None
    return make_record(*found, source="main.log", line=line, text=text)


@pytest.mark.parametrize("kind", [Miner, Digest])
def test_a_repeat_is_taken_only_once_nothing_of_its_own_line_is_wanted(kind: type[Miner] | type[Digest]) -> None:
    hook = kind(noise=None)
    first = record(1, "disk is slow")
    assert not hook.may_repeat(first)  # not mined yet
    hook(first)
    hook(record(2, "disk is slow"))
    assert not hook.may_repeat(first)  # its template still keeps examples
    hook(record(3, "disk is slow"))
    assert hook.may_repeat(first)
    assert not hook.may_repeat(record(4, "disk is slow", "info"))  # not kept for its level
    failing = record(5, "disk is slow", "error")
    assert not hook.may_repeat(failing)  # the template has no first error yet
    hook(failing)
    assert hook.may_repeat(failing)


@pytest.mark.parametrize("kind", [Miner, Digest])
def test_known_noise_repeats_once_judged(kind: type[Miner] | type[Digest]) -> None:
    hook = kind(noise=load_noise())
    noise = record(1, "(node:12) ExperimentalWarning: x is experimental")
    assert not hook.may_repeat(noise)
    hook(noise)
    assert hook.known_noise and hook.may_repeat(noise)
