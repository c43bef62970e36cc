"""qoderlog: crash-log analysis for the Qoder IDE's Go sidecar.

The notebook API. ``iter_events`` streams typed events from files, folders,
archives or stdin; ``read_events`` loads them into a pandas DataFrame.
Importing this package does not import pandas or matplotlib.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .engine import Accounting, iter_events
from .errors import ConfigError, InputError, PatternError, QoderlogError, UsageError
from .model import Event, Framing, InputReport, LineKind, Record, Severity
from .patterns import PatternSet, load_patterns

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Accounting",
    "ConfigError",
    "Event",
    "Framing",
    "InputError",
    "InputReport",
    "LineKind",
    "PatternError",
    "PatternSet",
    "QoderlogError",
    "Record",
    "Severity",
    "UsageError",
    "iter_events",
    "load_patterns",
    "read_events",
]


def read_events(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    pattern_dirs: Iterable[str | os.PathLike[str]] = (),
    accounting: Accounting | None = None,
) -> pd.DataFrame:
    """All events under ``paths`` as a typed DataFrame, one row per event, fields as columns."""
    from .tables import events_frame

    patterns = load_patterns(pattern_dirs)
    return events_frame(iter_events(paths, patterns=patterns, accounting=accounting), patterns)
