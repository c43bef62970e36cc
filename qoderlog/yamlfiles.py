"""qoderlog's own YAML files: one safe loader that keeps each mapping's line, and their parsed documents cached.

Reading them costs PyYAML's import (~40 ms with libyaml) and the parse
(~17 ms for the rule tables, playbooks and known-noise files an analysis
reads): a tenth of a small bundle's whole run. So each parsed document is
kept in the cache (``qoderlog.cache``) under a key of its path, its bytes,
the loader and this module's source, and a run whose files did not change
imports no YAML at all.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from .cache import digest, read_cached, source_of, write_cached

FORMAT = 1
"""Bumped when what a cached document holds changes shape."""


class YamlProblem(ValueError):
    """A YAML file that does not parse: PyYAML's message, its ``problem`` alone and the 1-based ``line``, if known."""

    def __init__(self, message: str, problem: str, line: int | None) -> None:
        super().__init__(message)
        self.problem = problem
        self.line = line


def load_yaml(path: Path, data: bytes | None = None, *, lines: bool = False) -> Any:
    """The document of the YAML file ``path`` (its bytes ``data`` when already read), with the safe loader.

    ``lines`` gives every mapping a ``__line__`` key: the 1-based line it
    starts on, for errors that point into the file. Raises ``OSError`` when
    the file cannot be read, ``UnicodeDecodeError`` when it is not UTF-8 and
    ``YamlProblem`` when it does not parse.
    """
    if data is None:
        data = path.read_bytes()
    key = digest(str(FORMAT), str(path), str(lines), data, _this_source())
    kept = read_cached("yaml", key)
    if isinstance(kept, tuple) and len(kept) == 1:
        return kept[0]
    document = _parse(data.decode("utf-8"), lines)
    write_cached("yaml", key, (document,))
    return document


@functools.cache
def _this_source() -> bytes:
    """This module's source, read once per process (it is part of every document's key)."""
    return source_of(__file__)


def _parse(text: str, lines: bool) -> Any:
    import yaml  # PyYAML (~40 ms): only for a file the cache does not hold

    try:
        return yaml.load(text, Loader=_line_loader() if lines else _safe_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlProblem(str(exc), str(problem), mark.line + 1 if mark is not None else None) from exc


@functools.cache
def _safe_loader() -> Any:
    import yaml  # PyYAML (~40 ms): only for a file the cache does not hold

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's when PyYAML is built with it


@functools.cache
def _line_loader() -> Any:
    import yaml  # PyYAML (~40 ms): only for a file the cache does not hold

    class LineLoader(_safe_loader()):  # type: ignore[misc]
        """The safe loader, remembering the line of every mapping as ``__line__``."""

    def construct_mapping(loader: Any, node: Any) -> dict[str, Any]:
        mapping: dict[str, Any] = loader.construct_mapping(node, deep=True)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping

    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return LineLoader
