"""Encodings and containers: how a sample's lines become bytes, gzip and zip members, a fake minidump.

Takes lines (or member bytes with their times) and gives deterministic
bytes: the same input always gives the same file, whatever the clock says.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_BOMS = {"utf-8": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe"}
_CODEC_NAMES = {"utf-8": "UTF-8", "utf-16-le": "UTF-16LE", "gb18030": "GB18030 (GBK-compatible)"}
NEWLINES = {"lf": "\n", "crlf": "\r\n"}
"""The line endings a data file may name."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Encoding:
    """How a sample file's lines become bytes."""

    codec: str = "utf-8"
    bom: bool = False
    newline: str = "\n"
    gzip: bool = False

    def label(self, lone_cr: range | None) -> str:
        """The README's description of these bytes, e.g. ``UTF-8 with BOM, CRLF``."""
        ending = "CRLF" if self.newline == "\r\n" else "LF"
        text = f"{_CODEC_NAMES[self.codec]}{' with BOM' if self.bom else ''}, {ending}"
        if lone_cr:
            text += f"; lines {lone_cr.start + 1}-{lone_cr.stop} end in a lone CR"
        return f"gzip of {text}" if self.gzip else text

    def encode(self, lines: Sequence[str], lone_cr: range | None) -> bytes:
        """``lines`` joined by this newline (a lone CR for indexes in ``lone_cr``), encoded, BOM first."""
        endings = ("\r" if lone_cr and index in lone_cr else self.newline for index in range(len(lines)))
        text = "".join(line + ending for line, ending in zip(lines, endings, strict=True))
        return (_BOMS[self.codec] if self.bom else b"") + text.encode(self.codec)


def epoch(at: datetime, utc_offset_h: float) -> int:
    """The Unix time of the local time ``at`` on a clock ``utc_offset_h`` hours ahead of UTC."""
    return int((at - timedelta(hours=utc_offset_h)).replace(tzinfo=UTC).timestamp())


def _zip_time(at: datetime) -> tuple[int, int, int, int, int, int]:
    """The zip timestamp of a file last written at ``at``: whole seconds, rounded up to an even second."""
    whole = at.replace(microsecond=0) + timedelta(seconds=1 if at.microsecond else 0)
    whole += timedelta(seconds=whole.second % 2)
    return whole.year, whole.month, whole.day, whole.hour, whole.minute, whole.second


def minidump(rng: random.Random, epoch: int) -> bytes:
    """A small fake Crashpad minidump: a valid ``MDMP`` header (three streams, time stamp) and filler."""
    header = b"MDMP" + struct.pack("<IIIIIQ", 0xA793, 3, 32, 0, epoch, 0)
    return header + rng.randbytes(1504)


def zip_bytes(members: Sequence[tuple[str, bytes, datetime]]) -> bytes:
    """A deterministic zip of ``(name, data, last written)`` members: fixed times, Unix attributes, deflate."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, data, written in members:
            info = zipfile.ZipInfo(name, date_time=_zip_time(written))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            bundle.writestr(info, data)
    return buffer.getvalue()
