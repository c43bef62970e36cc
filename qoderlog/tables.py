"""Events → tables: pandas DataFrames, streamed Parquet and CSV with typed columns.

The only module that imports pandas and pyarrow, each lazily inside the
function that needs it, so that reading and the CLI's text paths start fast.
Column types follow the pattern library: ``int`` fields are nullable
``Int64``, ``float``/``duration`` (seconds) ``Float64``, ``bool`` nullable
``boolean``; ``type``, ``level`` and ``component`` are categories;
``timestamp`` is ``datetime64[us]`` wall-clock time with ``timestamp_utc``
telling which rows were UTC (``Z``) in the log.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from .model import EVENT_COLUMNS, Event, Finding, Outcome, Session, Severity
from .patterns import PatternSet

if TYPE_CHECKING:
    import pandas as pd

BATCH_ROWS = 65536
_PANDAS_TYPES = {
    "int": "Int64",
    "float": "Float64",
    "duration": "Float64",
    "bool": "boolean",
    "str": "string",
    "path": "string",
}
_CATEGORIES = ("type", "pattern_id", "level", "component")


def field_types(patterns: PatternSet) -> dict[str, str]:
    """Every field name of the library with its declared type, sorted by name.

    A name declared with different types in different patterns becomes ``str``.
    """
    types: dict[str, str] = {}
    for pattern in patterns.patterns:
        for name, kind in pattern.types.items():
            if types.setdefault(name, kind) != kind:
                types[name] = "str"
    return dict(sorted(types.items()))


def _wall(stamp: datetime | None) -> datetime | None:
    return stamp.replace(tzinfo=None) if stamp is not None else None


def _columns(events: Iterable[Event], names: Iterable[str]) -> dict[str, list[Any]]:
    fields = list(names)
    columns: dict[str, list[Any]] = {name: [] for name in (*EVENT_COLUMNS, *fields)}
    for event in events:
        _append(columns, event, fields)
    return columns


def _append(columns: dict[str, list[Any]], event: Event, fields: list[str]) -> None:
    stamp = event.timestamp
    columns["source"].append(event.source)
    columns["line"].append(event.line)
    columns["timestamp"].append(_wall(stamp))
    columns["timestamp_utc"].append(stamp is not None and stamp.tzinfo is not None)
    columns["type"].append(event.type)
    columns["pattern_id"].append(event.pattern_id)
    columns["level"].append(event.level)
    columns["component"].append(event.component)
    columns["message"].append(event.message)
    columns["text"].append(event.text)
    columns["detail"].append("\n".join(event.detail))
    values = event.fields
    for name in fields:
        columns[name].append(values.get(name))


def events_frame(events: Iterable[Event], patterns: PatternSet) -> pd.DataFrame:
    """One row per event, fields as typed columns (see the module docstring)."""
    import pandas as pd  # pandas (~0.4 s): only when a DataFrame is asked for

    types = field_types(patterns)
    columns = _columns(events, types)
    frame = pd.DataFrame(
        {
            "source": pd.Series(columns["source"], dtype="string"),
            "line": pd.Series(columns["line"], dtype="int64"),
            # Microseconds, as in Parquet: log stamps like 0001-01-01 are outside the nanosecond range.
            "timestamp": pd.Series(columns["timestamp"], dtype="datetime64[us]"),
            "timestamp_utc": pd.Series(columns["timestamp_utc"], dtype="bool"),
            **{name: pd.Series(columns[name], dtype="category") for name in _CATEGORIES},
            "message": pd.Series(columns["message"], dtype="string"),
            "text": pd.Series(columns["text"], dtype="string"),
            "detail": pd.Series(columns["detail"], dtype="string"),
            **{name: pd.Series(columns[name], dtype=_PANDAS_TYPES[kind]) for name, kind in types.items()},
        }
    )
    return frame


def _arrow_schema(types: dict[str, str]) -> Any:
    import pyarrow as pa  # pyarrow (~0.2 s): only when Parquet is written or typed

    arrow = {
        "int": pa.int64(),
        "float": pa.float64(),
        "duration": pa.float64(),
        "bool": pa.bool_(),
        "str": pa.string(),
        "path": pa.string(),
    }
    base = [
        pa.field("source", pa.string()),
        pa.field("line", pa.int64()),
        pa.field("timestamp", pa.timestamp("us")),
        pa.field("timestamp_utc", pa.bool_()),
        *(pa.field(name, pa.dictionary(pa.int32(), pa.string())) for name in _CATEGORIES),
        pa.field("message", pa.string()),
        pa.field("text", pa.string()),
        pa.field("detail", pa.string()),
    ]
    return pa.schema(base + [pa.field(name, arrow[kind]) for name, kind in types.items()])


def _batches(events: Iterable[Event], size: int) -> Iterator[list[Event]]:
    batch: list[Event] = []
    for event in events:
        batch.append(event)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_parquet(events: Iterable[Event], path: str | os.PathLike[str], patterns: PatternSet) -> int:
    """Stream events into a Parquet file in row groups (memory flat in input size); returns rows."""
    import pyarrow as pa  # pyarrow (~0.2 s): only when Parquet is written or typed
    import pyarrow.parquet as pq  # pyarrow (~0.2 s): only when Parquet is written or typed

    types = field_types(patterns)
    schema = _arrow_schema(types)
    rows = 0
    with pq.ParquetWriter(path, schema) as writer:
        for batch in _batches(events, BATCH_ROWS):
            columns = _columns(batch, types)
            for name, kind in types.items():
                if _PANDAS_TYPES[kind] == "string":
                    # A name typed differently by two patterns is text here, whatever each value was.
                    columns[name] = [None if v is None else str(v) for v in columns[name]]
            arrays = [pa.array(columns[f.name], type=f.type) for f in schema]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            rows += len(batch)
        if rows == 0:
            writer.write_table(schema.empty_table())
    return rows


def write_csv(events: Iterable[Event], out: IO[str], patterns: PatternSet) -> int:
    """Stream events as CSV with one column per field; returns rows."""
    types = field_types(patterns)
    names = [*EVENT_COLUMNS, *types]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    rows = 0
    for event in events:
        stamp = event.timestamp
        base = [
            event.source,
            event.line,
            _wall(stamp).isoformat() if stamp else "",
            "true" if stamp is not None and stamp.tzinfo is not None else "false",
            event.type,
            event.pattern_id,
            event.level or "",
            event.component or "",
            event.message,
            event.text,
            "\n".join(event.detail),
        ]
        values = event.fields
        writer.writerow(base + [_csv_value(values.get(name)) for name in types])
        rows += 1
    return rows


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def sessions_frame(sessions: Iterable[Session]) -> pd.DataFrame:
    """One row per session with the JSON's columns; times as datetime64, counts as nullable ints."""
    import pandas as pd  # pandas (~0.4 s): only when a DataFrame is asked for

    rows = [s.to_dict() for s in sessions]
    columns = list(rows[0]) if rows else list(_EMPTY_SESSION)
    frame = pd.DataFrame(rows, columns=columns)
    for name in ("start_time", "info_time", "ready_time", "end_time"):
        frame[name] = pd.to_datetime(frame[name].map(_naive_iso), format="ISO8601")
    for name in ("pid", "port", "exit_code", "start_attempts", "ipc_failures", "first_line", "last_line"):
        frame[name] = frame[name].astype("Int64")
    for name in ("startup_latency_s", "connect_latency_s"):
        frame[name] = frame[name].astype("Float64")
    for name in ("role", "platform", "transport", "outcome"):
        frame[name] = frame[name].astype("category")
    return frame


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """One row per finding; ``severity`` an ordered category (info < warning < error < critical)."""
    import pandas as pd  # pandas (~0.4 s): only when a DataFrame is asked for

    rows = []
    for finding in findings:
        row = finding.to_dict()
        row["evidence_lines"] = [e["line"] for e in row.pop("evidence")]
        row.pop("remediation")
        rows.append(row)
    columns = [
        "rule",
        "severity",
        "title",
        "summary",
        "source",
        "session",
        "start",
        "end",
        "metrics",
        "signature",
        "evidence_lines",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    levels = [str(s) for s in Severity]
    frame["severity"] = pd.Categorical(frame["severity"], categories=levels, ordered=True)
    frame["rule"] = frame["rule"].astype("category")
    for name in ("start", "end"):
        frame[name] = pd.to_datetime(frame[name].map(_naive_iso), format="ISO8601")
    return frame


def _naive_iso(value: Any) -> Any:
    """An ISO time without its zone (wall clock), so local and UTC rows share one dtype."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=None).isoformat()
    return value


_EMPTY_SESSION = Session(
    id="",
    stream="",
    source="",
    role="",
    is_start=False,
    platform=None,
    arch=None,
    binary_path=None,
    binary_version=None,
    start_time=None,
    info_time=None,
    ready_time=None,
    end_time=None,
    startup_latency_s=None,
    connect_latency_s=None,
    transport=None,
    pid=None,
    pids=(),
    port=None,
    endpoint=None,
    start_attempts=0,
    ipc_failures=0,
    outcome=Outcome.UNKNOWN,
    exit_code=None,
    first_line=0,
    last_line=0,
).to_dict()
