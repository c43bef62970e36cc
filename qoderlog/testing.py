"""Helpers for pattern authors and tests: re-frame an example, check a whole library.

``qoderlog patterns test`` and the test suite use the same checks: every
example matches its own pattern with exactly its fields and no other pattern,
and every bare example does so again in each framing of the catalog §2.
"""

from __future__ import annotations

import json

from .errors import PatternError
from .model import Framing
from .patterns import PatternSet, check_example, check_examples, frame_example

_STAMP = "2025-08-22 10:23:45.123"


def reframe(body: str, framing: Framing) -> str:
    """A bare line as it would be written in ``framing`` (fixed time, level ``info``)."""
    if framing is Framing.VSCODE:
        return f"{_STAMP} [info] {body}"
    if framing is Framing.SPDLOG:
        return f"[{_STAMP}] [main] [info] {body}"
    if framing is Framing.CONSOLE:
        return f"[main {_STAMP.replace(' ', 'T')}Z] {body}"
    if framing is Framing.JSON:
        return json.dumps({"timestamp": "2025-08-22T02:23:45Z", "level": "INFO", "message": body})
    return body


def check_library(patterns: PatternSet) -> list[PatternError]:
    """Every example as written, and every bare example re-framed in each framing."""
    problems = check_examples(patterns)
    for pattern in patterns.patterns:
        for example in pattern.examples:
            if frame_example(example.text).framing is not Framing.BARE:
                continue
            for framing in Framing:
                if framing is Framing.BARE:
                    continue
                problems.extend(check_example(patterns, pattern, example, reframe(example.text, framing)))
    return problems
