"""Fuzz the block scanner against the line reader: any bytes → the same records, counts, span and source state.

``qoderlog.scan`` must give exactly what ``frame_lines`` over
``Source.lines()`` gives (it is the fast path of the same stage), for plain
and gzipped bytes, with and without the template miner's extra records.
Run: ``python fuzz/fuzz_scan.py -max_total_time=600 fuzz/corpus/scan``.
"""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path
from typing import Any

import atheris
from harness import main

with atheris.instrument_imports(include=["qoderlog"]):
    from qoderlog.limits import Limits
    from qoderlog.mining.miner import QODER_LITERALS
    from qoderlog.patterns import load_patterns
    from qoderlog.read.framing import frame_lines
    from qoderlog.read.scan import scan_records
    from qoderlog.read.sources import Discovery, iter_sources

SCRATCH = Path(tempfile.mkdtemp(prefix="qoderlog-fuzz-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
LIBRARY = load_patterns()
# The smallest line limit at which the scanner reads blocks (below it, it reads like the line reader).
LIMITS = Limits(max_line=65536, max_bytes=1 << 20, max_json_depth=16)
KEEPS = [(frozenset(), ()), (frozenset({"warning", "error", "critical"}), QODER_LITERALS)]


def _read(path: Path, fast: bool, keep: tuple[frozenset[str], tuple[str, ...]]) -> list[Any]:
    found = []
    for source in iter_sources([path], Discovery(), limits=LIMITS):
        counts: dict[str, int] = {}
        span: dict[str, Any] = {}
        hits: dict[str, int] = {}
        options = {"counts": counts, "span": span, "keep_levels": keep[0], "limit_hits": hits, "max_json_depth": 16}
        if fast:
            records = list(scan_records(source, LIBRARY, keep_literals=keep[1], **options))  # type: ignore[arg-type]
        else:
            gate = LIBRARY.gate_with(keep[1])
            records = list(
                frame_lines(
                    source.lines(), source=source.name, is_candidate=gate, recognises=LIBRARY.recognises, **options
                )  # type: ignore[arg-type]
            )
        state = source.state
        found.append(
            (
                records,
                counts,
                span,
                hits,
                state.lines,
                state.replacements,
                state.cut_lines,
                state.longest_line,
                state.status,
                state.reason,
                [hit.to_dict() for hit in state.limits],
            )
        )
    return found


def test_one_input(data: bytes) -> None:
    if not data:
        return
    options, payload = data[0], data[1:]
    path = SCRATCH / ("main.log.gz" if options & 1 else "main.log")
    path.write_bytes(gzip.compress(payload, compresslevel=1) if options & 1 else payload)
    keep = KEEPS[(options >> 1) & 1]
    reference, scanned = _read(path, False, keep), _read(path, True, keep)
    assert reference == scanned, (reference, scanned)
    path.unlink()


if __name__ == "__main__":
    main(test_one_input)
