"""Fuzz the reader: any bytes, as a plain file, a .gz, a zip or tar member, or a zip or tar itself → decoded lines.

The reader must never raise for bad content: every input ends as ``ok``,
``skipped`` or ``error`` with a reason, and the lines it reports are the
lines it yielded. Run: ``python fuzz/fuzz_reader.py -max_total_time=600 fuzz/corpus/reader``.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import tempfile
import zipfile
from pathlib import Path

import atheris
from harness import main

with atheris.instrument_imports(include=["qoderlog"]):
    from qoderlog.limits import Limits
    from qoderlog.read.sources import Discovery, detect_encoding, iter_sources

SCRATCH = Path(tempfile.mkdtemp(prefix="qoderlog-fuzz-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
# Small limits so that the fuzzer reaches the limit paths with small inputs.
LIMITS = Limits(max_line=4096, max_bytes=256 * 1024, max_members=8, max_ratio=50.0, max_json_depth=16)


def _container(kind: int, payload: bytes) -> Path:
    if kind == 0:
        path = SCRATCH / "main.log"
        path.write_bytes(payload)
    elif kind == 1:
        path = SCRATCH / "main.log.1.gz"
        path.write_bytes(gzip.compress(payload, compresslevel=1))
    elif kind == 2:
        path = SCRATCH / "raw.gz.log"
        path.write_bytes(payload)  # bytes that may or may not start with the gzip magic, named as a log
    elif kind == 3:
        path = SCRATCH / "bundle.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("logs/main.log", payload)
            archive.writestr("logs/renderer.log.gz", gzip.compress(payload[:64]))
    elif kind == 4:
        path = SCRATCH / "bundle.tar.gz"
        with tarfile.open(path, "w:gz") as archive:
            info = tarfile.TarInfo("logs/main.log")
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    elif kind == 5:
        path = SCRATCH / "bundle.zip"
        path.write_bytes(payload)  # the bytes themselves as an archive
    elif kind == 6:
        path = SCRATCH / "bundle.tar"
        path.write_bytes(payload)
    else:
        path = SCRATCH / "bundle.tar.gz"
        path.write_bytes(gzip.compress(payload, compresslevel=1))
    return path


def test_one_input(data: bytes) -> None:
    if not data:
        return
    kind, payload = data[0] % 8, data[1:]
    encoding, reason = detect_encoding(payload[:65536])
    assert (encoding is None) != (reason is None), (encoding, reason)
    path = _container(kind, payload)
    discovery = Discovery()
    for source in iter_sources([path], discovery, limits=LIMITS):
        count = sum(1 for _ in source.lines())
        state = source.state
        assert state.status in ("ok", "skipped", "error"), state.status
        assert state.status == "ok" or state.reason, (state.status, state.reason)
        if state.status != "skipped":
            assert count == state.lines, (count, state.lines, source.name)
        assert state.cut_lines <= state.lines
    for shown, reason in discovery.failures:
        assert shown and reason
    path.unlink()


if __name__ == "__main__":
    main(test_one_input)
