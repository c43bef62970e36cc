"""Fuzz the pattern loader: any YAML text as a user pattern file → a library or ``PatternError``, nothing else.

Run: ``python fuzz/fuzz_patterns.py -max_total_time=600 fuzz/corpus/patterns``.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

import atheris
from harness import main

with atheris.instrument_imports(include=["qoderlog"]):
    from qoderlog.errors import PatternError
    from qoderlog.patterns import frame_example, load_file, load_patterns

SCRATCH = Path(tempfile.mkdtemp(prefix="qoderlog-fuzz-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
RUNS = 0
SEED = """component: Fuzz
patterns:
  - id: fuzz.seen
    type: fuzz.seen
    prefilter: "seen "
    regex: 'seen (?P<count>\\d+) times in (?P<wait>\\S+)'
    fields: {count: int, wait: duration}
    examples:
      - line: "seen 3 times in 5ms"
        fields: {count: 3, wait: 0.005}
"""


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    if provider.ConsumeBool():
        # Splice fuzzed text into a valid file, so that most inputs get past the YAML parser.
        cut = provider.ConsumeIntInRange(0, len(SEED))
        text = SEED[:cut] + provider.ConsumeUnicode(64) + SEED[cut:]
        raw = text.encode("utf-8", "surrogatepass")
    else:
        raw = provider.ConsumeBytes(provider.remaining_bytes())
    # A new folder each time: load_patterns caches libraries by folder path.
    global RUNS
    RUNS += 1
    folder = SCRATCH / f"patterns-{RUNS}"
    folder.mkdir()
    path = folder / "fuzz.yaml"
    path.write_bytes(raw)
    with contextlib.suppress(PatternError):
        load_file(path, user=True)
    try:
        library = load_patterns([folder], builtin=False)
    except PatternError:
        return
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for pattern in library.patterns:
        for example in pattern.examples:
            event = library.match(frame_example(example.text))
            if event is not None:
                event.to_dict()


if __name__ == "__main__":
    main(test_one_input)
