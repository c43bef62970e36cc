"""Fuzz framing: any text → records with the real pattern library, every line counted exactly once.

The invariant the accounting rests on: lines counted as unrecognised,
continuation or blank, plus one per yielded record, equal the lines given.
Run: ``python fuzz/fuzz_framing.py -max_total_time=600 fuzz/corpus/framing``.
"""

from __future__ import annotations

import atheris
from harness import main

with atheris.instrument_imports(include=["qoderlog"]):
    from qoderlog.patterns import load_patterns
    from qoderlog.read.framing import frame_lines

LIBRARY = load_patterns()
SEEDS = [e.text for p in LIBRARY.patterns for e in p.examples]


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    lines: list[str] = []
    while provider.remaining_bytes():
        choice = provider.ConsumeIntInRange(0, 3)
        if choice == 0 and SEEDS:
            lines.append(SEEDS[provider.ConsumeIntInRange(0, len(SEEDS) - 1)])
        elif choice == 1:
            # A library example with fuzzed text spliced in: reaches the regexes and field converters.
            seed = SEEDS[provider.ConsumeIntInRange(0, len(SEEDS) - 1)] if SEEDS else ""
            cut = provider.ConsumeIntInRange(0, len(seed))
            lines.append(seed[:cut] + provider.ConsumeUnicodeNoSurrogates(12) + seed[cut:])
        else:
            lines.append(provider.ConsumeUnicode(provider.ConsumeIntInRange(0, 200)).replace("\n", " "))
    counts: dict[str, int] = {}
    records = 0
    for record, detail in frame_lines(
        lines,
        source="fuzz.log",
        is_candidate=LIBRARY.is_candidate,
        recognises=LIBRARY.recognises,
        counts=counts,
    ):
        records += 1
        assert 1 <= record.line <= len(lines)
        event = LIBRARY.match(record, detail)
        if event is not None:
            event.to_dict()
    total = records + sum(counts.values())
    assert total == len(lines), (total, len(lines), counts, records)


if __name__ == "__main__":
    main(test_one_input)
