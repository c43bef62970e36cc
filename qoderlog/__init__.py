"""qoderlog: crash-log analysis for the Qoder IDE's Go sidecar.

The notebook API. ``iter_events`` streams typed events from files, folders,
archives or stdin; ``read_events`` loads them into a pandas DataFrame;
``analyze`` gives an ``Analysis`` (sessions, findings as DataFrames, JSON,
HTML, Markdown); ``open_warehouse`` reads a nightly batch's warehouse.
Importing this package imports none of its stages: each public name loads
its module on first use, so that ``qoderlog --version`` and ``qoderlog
parse`` start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .version import __version__

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable

    import pandas as pd

    from .analysis import Analysis, analyze
    from .errors import ConfigError, InputError, PatternError, QoderlogError, UsageError
    from .events import Accounting, iter_events
    from .limits import Limits
    from .model import Event, Framing, InputReport, LimitHit, LineKind, Record, Severity
    from .nightly.runners import run_batch
    from .nightly.warehouse import open_warehouse
    from .patterns import PatternSet, load_patterns

# Every public name loads its module when first asked for: a submodule import (``qoderlog --version`` imports
# ``qoderlog.cli``, which imports this package first) must not pay for the event stream, the pattern library,
# the analysis or the batch.
_LAZY = {
    "Accounting": "events",
    "Analysis": "analysis",
    "ConfigError": "errors",
    "Event": "model",
    "Framing": "model",
    "InputError": "errors",
    "InputReport": "model",
    "LimitHit": "model",
    "Limits": "limits",
    "LineKind": "model",
    "PatternError": "errors",
    "PatternSet": "patterns",
    "QoderlogError": "errors",
    "Record": "model",
    "Severity": "model",
    "UsageError": "errors",
    "analyze": "analysis",
    "iter_events": "events",
    "load_patterns": "patterns",
    "open_warehouse": "nightly.warehouse",
    "run_batch": "nightly.runners",
}


def __getattr__(name: str) -> Any:
    """A public name (``iter_events``, ``analyze``, ``Event``, …), imported from its module when first asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'qoderlog' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "Accounting",
    "Analysis",
    "ConfigError",
    "Event",
    "Framing",
    "InputError",
    "InputReport",
    "LimitHit",
    "Limits",
    "LineKind",
    "PatternError",
    "PatternSet",
    "QoderlogError",
    "Record",
    "Severity",
    "UsageError",
    "__version__",
    "analyze",
    "iter_events",
    "load_patterns",
    "open_warehouse",
    "read_events",
    "run_batch",
]


def read_events(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    pattern_dirs: Iterable[str | os.PathLike[str]] = (),
    accounting: Accounting | None = None,
    limits: Limits | None = None,
    jobs: int | None = None,
) -> pd.DataFrame:
    """All events under ``paths`` as a typed DataFrame, one row per event, fields as columns, read within ``limits``.

    ``jobs`` is how many processes may read one big file in chunks (``iter_events``); the events are the same.
    """
    from .events import iter_events  # startup: the event stream, only when asked for
    from .limits import Limits  # startup: the event stream, only when asked for
    from .patterns import load_patterns  # startup: the event stream, only when asked for
    from .tables import events_frame  # startup: the event stream, only when asked for

    patterns = load_patterns(pattern_dirs)
    events = iter_events(paths, patterns=patterns, accounting=accounting, limits=limits or Limits(), jobs=jobs)
    return events_frame(events, patterns)
