"""The warehouse's Parquet schemas: fixed column types per dataset, so every part file agrees.

Rows arrive as the JSON-ready dicts of ``analyze`` (plus ``upload_id``);
times become naive ``timestamp[us]`` (wall clock, as in the logs), nested
values (metrics, evidence, remediation, event fields) JSON text. The
partition column ``run_date`` lives in the folder name, not in the files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

_S, _I, _F, _B, _T, _J, _L = "string", "int64", "float64", "bool", "timestamp", "json", "list<int64>"

COLUMNS: dict[str, dict[str, str]] = {
    "uploads": {
        "upload_id": _S,
        "source_path": _S,
        "status": _S,
        "reason": _S,
        "analysed_at": _T,
        "duration_s": _F,
        "size": _I,
        "lines_read": _I,
        "inputs": _I,
        "sessions": _I,
        "findings": _I,
        "worst_severity": _S,
        "platforms": _S,
        "binary_versions": _S,
        "error_records": _I,
        "qoder_records": _I,
        "unknown_qoder_records": _I,
        "coverage": _F,
        "uploaded_at": _T,
        "app_version": _S,
        "platform": _S,
        "channel": _S,
        "ticket": _S,
    },
    "sessions": {
        "upload_id": _S,
        "id": _S,
        "stream": _S,
        "source": _S,
        "role": _S,
        "is_start": _B,
        "platform": _S,
        "arch": _S,
        "binary_path": _S,
        "binary_version": _S,
        "start_time": _T,
        "info_time": _T,
        "ready_time": _T,
        "end_time": _T,
        "startup_latency_s": _F,
        "connect_latency_s": _F,
        "transport": _S,
        "pid": _I,
        "pids": _L,
        "port": _I,
        "endpoint": _S,
        "start_attempts": _I,
        "ipc_failures": _I,
        "outcome": _S,
        "exit_code": _I,
        "first_line": _I,
        "last_line": _I,
    },
    "findings": {
        "upload_id": _S,
        "rule": _S,
        "severity": _S,
        "title": _S,
        "summary": _S,
        "source": _S,
        "session": _S,
        "start": _T,
        "end": _T,
        "metrics": _J,
        "evidence": _J,
        "remediation": _J,
        "signature": _S,
    },
    "templates": {
        "upload_id": _S,
        "template_id": _S,
        "bundle_template_id": _S,
        "template": _S,
        "count": _I,
        "level": _S,
        "component": _S,
        "qoder_related": _B,
        "example_source": _S,
        "example_line": _I,
        "example_text": _S,
    },
    "events": {
        "upload_id": _S,
        "source": _S,
        "line": _I,
        "timestamp": _T,
        "type": _S,
        "pattern_id": _S,
        "level": _S,
        "component": _S,
        "message": _S,
        "text": _S,
        "fields": _J,
        "detail": _S,
    },
}


def arrow_schema(dataset: str) -> pa.Schema:
    """The pyarrow schema of a dataset's part files."""
    import pyarrow as pa  # pyarrow (~0.2 s): only when Parquet is written or typed

    types = {
        _S: pa.string(),
        _I: pa.int64(),
        _F: pa.float64(),
        _B: pa.bool_(),
        _T: pa.timestamp("us"),
        _J: pa.string(),
        _L: pa.list_(pa.int64()),
    }
    return pa.schema([pa.field(name, types[kind]) for name, kind in COLUMNS[dataset].items()])


def _value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == _T:
        stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return stamp.replace(tzinfo=None)
    if kind == _J:
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if kind == _S:
        return str(value)
    return value


def rows_table(dataset: str, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """A table of ``rows`` in the dataset's schema; unknown keys (and ``run_date``) are left out."""
    import pyarrow as pa  # pyarrow (~0.2 s): only when Parquet is written or typed

    columns = COLUMNS[dataset]
    rows = list(rows)
    data: dict[str, list[Any]] = {}
    for name, kind in columns.items():
        values = [row.get(name) for row in rows]
        # Numbers, flags and lists go to Arrow as they are; only times, JSON and stray non-strings are converted.
        if kind in (_T, _J) or (kind == _S and any(v is not None and type(v) is not str for v in values)):
            values = [_value(kind, v) for v in values]
        data[name] = values
    schema = arrow_schema(dataset)
    return pa.Table.from_arrays([pa.array(data[f.name], type=f.type) for f in schema], schema=schema)


def empty_frame(dataset: str) -> pd.DataFrame:
    """An empty DataFrame with a dataset's columns (and ``run_date``)."""
    frame = rows_table(dataset, []).to_pandas()
    frame["run_date"] = frame.get("upload_id", []).astype(str)
    return frame
