"""Shared fixtures: making input files in ``tmp_path``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

Write = Callable[..., Path]


@pytest.fixture
def write(tmp_path: Path) -> Write:
    """``write("logs/main.log", text_or_bytes, encoding="utf-8")`` → the path, parent folders made."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
        return path

    return _write


CraftZip = Callable[..., Path]


@pytest.fixture
def crafted_zip(tmp_path: Path) -> CraftZip:
    """``crafted_zip({offset: bytes, …})`` → a zip of one ``x.log`` whose central directory entry has those bytes
    written at those offsets (6: version needed, 8: flags, 46: the name): the headers fuzzers make."""

    def _craft(patches: dict[int, bytes], name: str = "bundle.zip") -> Path:
        import io
        import zipfile

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("x.log", "hello\n")
        raw = bytearray(buffer.getvalue())
        central = raw.find(b"PK\x01\x02")
        for offset, value in patches.items():
            raw[central + offset : central + offset + len(value)] = value
        path = tmp_path / name
        path.write_bytes(bytes(raw))
        return path

    return _craft
