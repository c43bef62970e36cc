"""How a report names sources and shows log lines: short unique file names, lines clipped to a length."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath, PureWindowsPath

MAX_EVIDENCE_CHARS = 4000
"""The longest log line a report shows whole; the rest is cut with an ellipsis."""


def base_name(path: str) -> str:
    windows = PureWindowsPath(path)
    name = windows.name if "\\" in path else PurePosixPath(path).name
    return name or path


def short_names(sources: Iterable[str]) -> dict[str, str]:
    """Each source's file name, with its parent folders added until the names are unique."""
    unique = list(dict.fromkeys(sources))
    names: dict[str, str] = {}
    for source in unique:
        parts = re.split(r"[\\/]", source)
        depth = 1
        while True:
            candidate = "/".join(p for p in parts[-depth:] if p) or source
            clash = [
                other
                for other in unique
                if other != source and "/".join(p for p in re.split(r"[\\/]", other)[-depth:] if p) == candidate
            ]
            if not clash or depth >= len(parts):
                names[source] = candidate
                break
            depth += 1
    return names


def clip(text: object) -> str:
    """A log line as a report shows it: at most ``MAX_EVIDENCE_CHARS`` characters."""
    text = str(text)
    return text[:MAX_EVIDENCE_CHARS] + " …" if len(text) > MAX_EVIDENCE_CHARS else text
