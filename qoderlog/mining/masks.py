"""Masking, as data: the variable parts of a message (ids, paths, numbers, …) and the one scan that hides them.

``mask(message)`` replaces each variable part by its ``<NAME>`` before a
message is mined (``mining.miner``); ``MASKS`` also tell a draft pattern
(``mining.drafts``) which named group and field type each part becomes.
``template_id`` names a template by its text, the same in every bundle.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Mask:
    """One kind of variable part: how to find it, and what a draft pattern makes of it.

    ``name`` is the placeholder (``<NAME>``) in templates; ``field`` and
    ``type`` the named group and field type a draft pattern gives it;
    ``capture`` the regex that group uses.
    """

    name: str
    regex: str
    field: str
    type: str
    capture: str


_PATH_CHARS = r"[^\s,;'\"()\[\]<>|]"
MASKS: tuple[Mask, ...] = (
    Mask(
        name="UUID",
        regex=r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
        field="uuid",
        type="str",
        capture=r"[0-9a-fA-F-]{36}",
    ),
    Mask(name="PIPE", regex=r"\\\\[.?]\\pipe\\" + _PATH_CHARS + "+", field="endpoint", type="path", capture=r".+?"),
    Mask(
        name="SOCKET",
        regex=r"(?<![\w.])/" + _PATH_CHARS + r"*\.sock\b",
        field="endpoint",
        type="path",
        capture=r".+?",
    ),
    Mask(
        name="PATH",
        regex=r"(?<![\w])[A-Za-z]:[\\/]"
        + _PATH_CHARS
        + r"*|(?<![\w.:/~])/(?:[^\s/,;'\"()\[\]<>|]+/)+"
        + _PATH_CHARS
        + "*",
        field="path",
        type="path",
        capture=r".+?",
    ),
    Mask(
        name="ADDR",
        regex=r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\w.])",
        field="address",
        type="str",
        capture=r"[\d.:]+",
    ),
    Mask(
        name="DURATION",
        regex=r"(?<![\w.])\d+(?:\.\d+)?\s?(?:ms|s|sec|secs|seconds|min|minutes)\b",
        field="duration",
        type="duration",
        capture=r"\d+(?:\.\d+)?\s?(?:ms|s|sec|secs|seconds|min|minutes)",
    ),
    Mask(
        name="PID",
        regex=r"(?:(?<=[Pp][Ii][Dd][=: ])|(?<=[Pp][Ii][Dd]: ))\d+\b",
        field="pid",
        type="int",
        capture=r"\d+",
    ),
    Mask(name="PORT", regex=r"(?:(?<=[Pp]ort[=: ])|(?<=[Pp]ort: ))\d+\b", field="port", type="int", capture=r"\d+"),
    Mask(
        name="HEX",
        regex=r"\b0[xX][0-9a-fA-F]+\b|\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{6,}\b",
        field="hex",
        type="str",
        capture=r"(?:0[xX])?[0-9a-fA-F]+",
    ),
    Mask(
        name="NUM",
        regex=r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])",
        field="number",
        type="float",
        capture=r"-?\d+(?:\.\d+)?",
    ),
)
"""The masks in priority order: at one position the first that matches wins."""
MASKS_BY_NAME: dict[str, Mask] = {m.name: m for m in MASKS}
# Every mask starts where no word character precedes it: saying so once up front lets the scan skip the
# inside of words with one test instead of trying every mask at every character.
_MASK = re.compile(r"(?<!\w)(?=[\w\\/-])(?:" + "|".join(f"(?P<{m.name}>{m.regex})" for m in MASKS) + ")")


def _placeholder(match: re.Match[str]) -> str:
    return f"<{match.lastgroup}>"


def mask(message: str) -> str:
    """``message`` with each variable part replaced by its ``<NAME>`` (one scan for all masks)."""
    return _MASK.sub(_placeholder, message)


def template_id(template: str) -> str:
    """A short id derived from a template's text: the same text gives the same id in every bundle."""
    return "t" + hashlib.blake2s(template.encode("utf-8"), digest_size=5).hexdigest()
