"""Seed the reader, scanner and pattern corpora from the samples and built-in patterns: runs start from real input.

``python fuzz/seed_corpus.py`` (run by ``fuzz/run.sh`` when a corpus folder is empty).
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAD = 8 * 1024


def _put(folder: Path, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def main() -> None:
    reader = ROOT / "fuzz" / "corpus" / "reader"
    scan = ROOT / "fuzz" / "corpus" / "scan"
    logs = sorted(p for p in (ROOT / "sample_logs").rglob("*") if p.is_file() and p.suffix in (".log", ".txt"))
    for path in logs:
        head = path.read_bytes()[:HEAD]
        for kind in (0, 1, 3, 4):  # plain, .gz, zip member, tar.gz member: the first byte picks the container
            _put(reader, bytes([kind]) + head)
        for options in range(4):  # plain or gzipped, with or without the miner's records
            _put(scan, bytes([options]) + head)
    for bundle in (ROOT / "sample_logs").glob("*.zip"):
        _put(reader, bytes([5]) + bundle.read_bytes()[: 64 * 1024 - 1])
    if logs:
        packed = io.BytesIO()
        with tarfile.open(fileobj=packed, mode="w") as archive:
            for path in logs[:3]:
                archive.add(path, arcname=f"logs/{path.name}")
        _put(reader, bytes([6]) + packed.getvalue()[: 64 * 1024 - 1])  # 6: the bytes are a tar
    patterns = ROOT / "fuzz" / "corpus" / "patterns"
    for path in sorted((ROOT / "patterns").glob("*.yaml")):
        _put(patterns, b"\x00" + path.read_bytes()[: 64 * 1024 - 1])  # a first byte of 0: the raw-file branch


if __name__ == "__main__":
    main()
