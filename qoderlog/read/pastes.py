"""Pasted and quoted text: the prefix a ticket or an issue put in front of every line of a log.

Users paste logs indented by a Markdown code block (four spaces, a tab),
behind a Markdown quote (``> ``), or copied from a viewer with a line-number
gutter (``  12 | …``). Framed as they are, every header would look like a
continuation line. ``Paste`` recognises such a block where it starts and
strips its prefix from each line of it, so that the framer sees the log as it
was written; the framer counts the lines it stripped, and the accounting
reports them.

A block starts, before the input has shown a header of its own (or inside an
input already read as a paste), at

- a line starting with ``>`` (a quote; ``>`` alone is a blank line of it),
- a line starting with a gutter, digits and ``|`` or ``│``,
- a line starting with the code mark that opened it (a backtick or three,
  ``<pre>``, ``<code>``) and text after it: that line alone,
- an indented line whose text after the indentation is a header, or the
  first line of the input when it is indented (a code block of bare lines).

It goes on while lines carry the same prefix (blank lines included) and ends
at the first line that does not. Indented continuation lines inside an
indented block keep the indentation they have beyond the block's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_QUOTE = re.compile(r"[ \t]{0,3}(?:>[ \t]?)+")
_FENCE = re.compile(r"(?:`{1,3}|<pre>|<code>)[ \t]?(?=\S)")
_GUTTER = re.compile(r"[ \t]*\d+[ \t]*[|\u2502][ \t]?")
_INDENT = re.compile(r"[ \t]+")

PASTE_STARTS = frozenset(" \t>0123456789`<")
"""The first characters a pasted block's first line can have: anything else cannot start one."""


@dataclass(frozen=True, slots=True)
class Paste:
    """One pasted block's prefix: ``kind`` (``quote``, ``gutter``, ``indent``) and how to strip it."""

    kind: str
    prefix: str

    def strip(self, text: str) -> str | None:
        """``text`` without the block's prefix; ``""`` for a blank line of the block; ``None`` if it is not in it."""
        if self.kind == "gutter":
            found = _GUTTER.match(text)
            return text[found.end() :] if found else None
        if text.startswith(self.prefix):
            return text[len(self.prefix) :]
        if self.kind == "quote" and text.rstrip() == self.prefix.rstrip():
            return ""
        return None


def paste_start(text: str, *, first_line: bool, is_header: Callable[[str], bool]) -> Paste | None:
    """The pasted block ``text`` starts, if it starts one (see the module docstring); ``None`` otherwise."""
    found = _QUOTE.match(text)
    if found:
        return Paste("quote", found[0])
    found = _FENCE.match(text)
    if found:
        return Paste("fence", found[0])
    if _GUTTER.match(text):
        return Paste("gutter", "")
    found = _INDENT.match(text)
    if found and len(found[0]) < len(text) and (first_line or is_header(text[found.end() :])):
        return Paste("indent", found[0])
    return None
