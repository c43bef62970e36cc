"""qoderlog: crash-log analysis for the Qoder IDE's Go sidecar.

The notebook API. ``iter_events`` streams typed events from files, folders,
archives or stdin; ``read_events`` loads them into a pandas DataFrame;
``analyze`` gives an ``Analysis`` (sessions, findings as DataFrames, JSON,
HTML, Markdown); ``open_warehouse`` reads a nightly batch's warehouse.
Importing this package does not import pandas or matplotlib, and the
analysis and batch modules load on first use, so that ``qoderlog parse``
starts fast.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, InputError, PatternError, QoderlogError, UsageError
from .events import Accounting, iter_events
from .limits import Limits
from .model import Event, Framing, InputReport, LimitHit, LineKind, Record, Severity
from .patterns import PatternSet, load_patterns
from .tables import events_frame

if TYPE_CHECKING:
    import pandas as pd

    from .analysis import Analysis, analyze
    from .nightly.runners import run_batch
    from .nightly.warehouse import open_warehouse

# The notebook front door and the nightly run (report, Jinja, warehouse modules) load when first asked for,
# so that ``import qoderlog`` and ``qoderlog parse`` stay light.
_LAZY = {
    "Analysis": "analysis",
    "analyze": "analysis",
    "open_warehouse": "nightly.warehouse",
    "run_batch": "nightly.runners",
}


def __getattr__(name: str) -> Any:
    """``analyze``, ``Analysis``, ``open_warehouse`` and ``run_batch``, imported when first asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'qoderlog' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


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
) -> pd.DataFrame:
    """All events under ``paths`` as a typed DataFrame, one row per event, fields as columns, read within ``limits``."""
    patterns = load_patterns(pattern_dirs)
    events = iter_events(paths, patterns=patterns, accounting=accounting, limits=limits or Limits())
    return events_frame(events, patterns)
