"""The Jinja2 environments of the HTML and Markdown reports, with their filters registered once.

Templates live in the top-level ``reports/`` folder of the source tree; an
installed wheel carries them as data files under ``share/qoderlog/reports``
(see ``pyproject.toml``), found through the distribution's file list.

HTML is autoescaped. Markdown has no autoescape of its own, so its
environment escapes every ``{{ … }}`` value through ``finalize`` unless a
filter has already made it safe Markdown (``code``, ``fence``, ``cell``,
``link_target``): a log line cannot start a heading, a list, a link, an
image, raw HTML or an autolink, close a fence, or break a table.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from ..resources import resource_dir
from .presentation import format_seconds
from .view import EvidenceBlock, StepView

_MAIN_TEMPLATE = "report.html.j2"


def template_dir() -> Path:
    """The folder holding the report templates (source tree first, then the installed data files)."""
    return resource_dir("reports", _MAIN_TEMPLATE)


class MarkdownSafe(str):
    """Text that is already valid Markdown and must not be escaped again."""

    __slots__ = ()


# What could start markup anywhere in a line: emphasis, code, links and images, raw HTML, table cells,
# strikethrough; a backslash before punctuation; an underscore at a word edge; an entity.
_INLINE = re.compile(r"[*`\[\]<|~]|\\(?=[!-/:-@\[-`{-~]|$)|_(?!(?<=[^\W_]_)[^\W_])|&(?=#?\w+;)")
# What starts a block only at the beginning of a line: a heading, quote, list item or thematic break.
_BLOCK_START = re.compile(r"^(?:[#>=+-]|\d{1,9}(?=[.)](?:\s|$)))")
_SCHEME = re.compile(r"(?i)\b(https?|ftps?|file|mailto|javascript|data|vbscript|xmpp):")
_WWW = re.compile(r"(?i)\bwww\.")


def md_escape(value: Any) -> str:
    """Plain text as inline Markdown that renders as the same text: one line, nothing interpreted."""
    if isinstance(value, MarkdownSafe):
        return value
    text = " ".join(str(value).split()) if value is not None else ""
    if not text:
        return text
    text = _INLINE.sub(lambda m: "\\" + m[0], text)
    found = _BLOCK_START.match(text)
    if found:
        end = found.end() if found[0][0].isdigit() else 0
        text = text[:end] + "\\" + text[end:]
    # GFM turns bare URLs and www. names into links: escaping the colon or the dot stops it.
    text = _SCHEME.sub(lambda m: m[1] + "\\:", text)
    text = _WWW.sub(lambda m: m[0][:-1] + "\\.", text)
    # An escaped @ is still linked as an e-mail address; an invisible word joiner before it is not.
    return text.replace("@", "&#8288;@")


def md_cell(value: Any) -> MarkdownSafe:
    """Text for a GFM table cell: escaped like ``md_escape``, and never empty."""
    text = md_escape(value)
    return MarkdownSafe(text or "—")


def md_code(value: Any) -> MarkdownSafe:
    """An inline code span that no backtick in ``value`` can end (not for table cells: use ``cell``)."""
    text = " ".join(str(value).split())
    runs = [len(r) for r in re.findall(r"`+", text)]
    ticks = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return MarkdownSafe(f"{ticks}{pad}{text}{pad}{ticks}")


def md_fence(lines: list[str], info: str = "text") -> MarkdownSafe:
    """A fenced code block longer than any backtick run in ``lines``, so no line can close it."""
    body = "\n".join(line.replace("\r", " ") for line in lines)
    runs = [len(r) for r in re.findall(r"`{3,}", body)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return MarkdownSafe(f"{fence}{info}\n{body}\n{fence}")


def link_target(path: str) -> MarkdownSafe:
    """A relative file path as a Markdown link destination (percent-encoded)."""
    return MarkdownSafe(quote(path.replace("\\", "/"), safe="/._-"))


def _finalize(value: Any) -> Any:
    if value is None:
        return ""
    return value if isinstance(value, MarkdownSafe) else md_escape(value)


def _number(value: int | float) -> str:
    return f"{value:,}"


def _plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{100 * share:.1f}%"


def _secs(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def _environment(**options: Any) -> jinja2.Environment:
    """The set-up both environments share (the report templates, strict undefined, block trimming, the filters and
    globals of every format), with a format's own ``options``."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir()),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        **options,
    )
    env.filters.update(number=_number, seconds=format_seconds)
    env.globals.update(plural=_plural, pct=_percent, secs=_secs)
    return env


@cache
def html_environment() -> jinja2.Environment:
    """The HTML environment: autoescape on for every template, strict undefined values."""
    return _environment(autoescape=True)


@cache
def markdown_environment() -> jinja2.Environment:
    """The Markdown environment: every value escaped by ``finalize`` unless a filter made it safe."""
    env = _environment(autoescape=False, keep_trailing_newline=True, finalize=_finalize)
    env.filters.update(
        code=md_code,
        fence=md_fence,
        cell=md_cell,
        link_target=link_target,
        evidence=md_evidence,
        marks=evidence_marks,
        command=md_command,
    )
    return env


def md_evidence(block: EvidenceBlock) -> MarkdownSafe:
    """An evidence block as a fenced, line-numbered code block."""
    width = max(len(str(line.line)) for line in block.lines) if block.lines else 1
    return md_fence([f"{line.line:>{width}}  {line.text}" for line in block.lines])


def evidence_marks(block: EvidenceBlock) -> list[str]:
    """The distinct highlighted values of an evidence block, in order."""
    return list(dict.fromkeys(s.text for line in block.lines for s in line.segments if s.mark))


def md_command(step: StepView) -> MarkdownSafe:
    """A step's command as a fenced block in its shell's language, indented to sit inside its numbered item."""
    block = md_fence([step.command or ""], "powershell" if step.shell == "powershell" else "sh")
    return MarkdownSafe("\n".join("    " + line for line in block.splitlines()))
