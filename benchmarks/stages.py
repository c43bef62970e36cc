"""Where the time of one analysis goes, stage by stage, in one process on one core.

``python -m benchmarks.stages CORPUS`` times, with ``time.process_time``
(medians of ``--runs``), what reading the corpus costs as each stage is
added: the bytes read, the compiled floors every line passes through (the
Aho-Corasick literal gate, the one-regex line accounting), the events
(``iter_events``: scan, frame, match — what ``parse`` does), the events and
the records kept for mining with the miner fed (what ``analyze`` reads), and
the whole ``analyze``. Each stage's cost per record it handles is given, so
the floor of any target is plain: the compiled passes alone, however fast
the Python around them, and what each framed record costs. ``python -m
benchmarks`` runs it on its default corpus and puts the table in
``RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from qoderlog.engine import analyze
from qoderlog.events import Accounting, iter_events
from qoderlog.mining.miner import QODER_LITERALS, Miner
from qoderlog.model import Record
from qoderlog.noise import load_noise
from qoderlog.patterns import PatternSet, load_patterns
from qoderlog.read import scan


def _blocks(path: Path) -> list[bytes]:
    with open(path, "rb") as handle:
        return list(iter(lambda: handle.read(scan.BLOCK), b""))


def _read(path: Path, library: PatternSet) -> int:
    """The bytes, read in the scanner's blocks."""
    return sum(len(block) for block in _blocks(path))


def _gate(path: Path, library: PatternSet) -> int:
    """The literal gate over every block, as ``analyze`` builds it (Aho-Corasick, compiled): the hits."""
    automaton = scan._automaton(library, Miner().keep_levels, frozenset(QODER_LITERALS))
    return sum(len(automaton.find_matches_as_indexes(block)) for block in _blocks(path))


def _accounting(path: Path, library: PatternSet) -> int:
    """The scanner's one regex pass over every block that counts header and blank lines: the marks."""
    return sum(len(scan._MARKS.findall(block)) for block in _blocks(path))


def _events(path: Path, library: PatternSet) -> int:
    """``iter_events`` in one process: the events (what ``parse`` reads)."""
    return sum(1 for _ in iter_events(path, patterns=library, jobs=1))


class _Counted(Miner):
    """The miner ``analyze`` feeds, counting the records it is given."""

    given = 0

    def __call__(self, record: Record, detail: tuple[str, ...] = ()) -> None:
        self.given += 1
        super().__call__(record, detail)


def _mined(path: Path, library: PatternSet) -> int:
    """``iter_events`` with the miner fed as ``analyze`` feeds it: the records the miner was given."""
    miner = _Counted(noise=load_noise())
    events = iter_events(
        path,
        patterns=library,
        jobs=1,
        accounting=Accounting(),
        unknown=miner,
        keep_levels=miner.keep_levels,
        keep_literals=QODER_LITERALS,
    )
    sum(1 for _ in events)
    return miner.given


def _analyze(path: Path, library: PatternSet) -> int:
    """The whole ``analyze`` in one process: the findings."""
    return len(analyze(path, patterns=library, jobs=1).finding_list)


STAGES: dict[str, tuple[Callable[[Path, PatternSet], int], str]] = {
    "read the bytes": (_read, "bytes"),
    "+ literal gate (Aho-Corasick)": (_gate, "hits"),
    "+ line accounting (one regex pass)": (_accounting, "marks"),
    "events (`iter_events`: scan, frame, match)": (_events, "events"),
    "events + records mined (`analyze`'s reading)": (_mined, "records mined"),
    "`analyze` (reading, sessions, rules, mining)": (_analyze, "findings"),
}
"""Each stage: what it runs, and what its count counts."""


def stage_times(path: Path, runs: int = 3) -> dict[str, dict[str, float | int | str]]:
    """The median CPU seconds and the count of each stage on ``path`` (one process, caches warm)."""
    library = load_patterns(())
    _analyze(path, library)  # the pattern cache, the noise table and the imports: not what is measured
    results: dict[str, dict[str, float | int | str]] = {}
    for name, (stage, unit) in STAGES.items():
        seconds, count = [], 0
        for _ in range(runs):
            start = time.process_time()
            count = stage(path, library)
            seconds.append(time.process_time() - start)
        results[name] = {"cpu_s": round(statistics.median(seconds), 3), "count": count, "unit": unit}
    return results


def markdown(results: dict[str, dict[str, float | int | str]], grep_s: float | None = None) -> list[str]:
    """The stages as a Markdown table; with ``grep_s`` (``grep -c``'s wall time), each as a ratio to it."""
    rows = [
        "| stage | CPU (s) | x grep -c | count |",
        "|---|---:|---:|---:|",
    ]
    for name, value in results.items():
        ratio = f"{float(value['cpu_s']) / grep_s:.1f}" if grep_s else ""
        rows.append(f"| {name} | {value['cpu_s']} | {ratio} | {value['count']:,} {value['unit']} |")
    events = results.get("events (`iter_events`: scan, frame, match)")
    floor = results.get("+ line accounting (one regex pass)")
    gate = results.get("+ literal gate (Aho-Corasick)")
    read = results.get("read the bytes")
    if events and floor and gate and read:
        reading = float(read["cpu_s"])
        compiled = float(gate["cpu_s"]) + float(floor["cpu_s"]) - 2 * reading  # each stage reads the bytes too
        python = float(events["cpu_s"]) - compiled - reading
        per_event = python / int(events["count"]) * 1e6 if events["count"] else 0.0
        rows += [
            "",
            f"The compiled passes alone take {compiled:.2f} s"
            + (f" ({compiled / grep_s:.1f}x grep -c)" if grep_s else "")
            + f"; the rest of reading the events, {python:.2f} s, is Python, about {per_event:.0f} µs per event "
            "(framing, header, pattern, fields, the event; the lines counted in bulk included).",
        ]
    return rows


def main() -> None:
    """Time the stages of one corpus and print them (``--json`` for the numbers)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stages", description=__doc__)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="the numbers as JSON")
    args = parser.parse_args()
    results = stage_times(args.corpus, args.runs)
    sys.stdout.write(json.dumps(results) + "\n" if args.json else "\n".join(markdown(results)) + "\n")


if __name__ == "__main__":
    main()
