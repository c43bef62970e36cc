"""Uploads → their warehouse rows, in a worker process: quarantine check, time limit, analysis."""

from __future__ import annotations

import json
import signal
import threading
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..limits import Limits

if TYPE_CHECKING:
    pass
from ..engine import analyze
from ..model import Event, LimitHit
from .checks import archive_violation
from .storage import is_remote, local_copy
from .warehouse import Upload, UploadResult


class UploadTimeout(Exception):
    """The per-upload wall-clock limit was reached."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ``UploadTimeout`` after ``seconds`` (only in a process's main thread; elsewhere no limit)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise UploadTimeout(f"timeout_s: timed out after {seconds:g} s (limit {seconds:g} s)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def analyse_upload(upload: Upload, limits: Limits, keep_events: bool = False) -> UploadResult:
    """Analyse one upload; never raises — a broken, hostile or slow upload becomes a status and a reason."""
    started = time.perf_counter()
    analysed_at = datetime.now(UTC).isoformat(timespec="seconds")

    def result(status: str, reason: str | None, **rows: Any) -> UploadResult:
        return UploadResult(
            upload=upload,
            status=status,
            reason=reason,
            analysed_at=analysed_at,
            duration_s=round(time.perf_counter() - started, 3),
            **rows,
        )

    try:
        with time_limit(limits.timeout_s), _readable(upload.path) as local:
            violation = archive_violation(local, limits)
            if violation is not None:
                return result("quarantined", violation)
            # The batch already keeps every core busy with uploads: no pool of its own per upload.
            analysis = analyze([local], limits=limits, jobs=1)
            document = _relabel(analysis.to_dict(), str(local), upload.path)
            events = tuple(_event_row(e) for e in analysis.event_list) if keep_events else ()
            if keep_events and str(local) != upload.path:
                events = tuple(_relabel(e, str(local), upload.path) for e in events)
    except UploadTimeout as exc:
        return result("failed", str(exc))
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        at = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
        return result("failed", f"analyser error: {type(exc).__name__}: {exc}{at}")
    stats = document["stats"]
    readable = [i for i in stats["inputs"] if i["status"] == "ok" and i["lines"] > 0]
    # Bounds met by an upload that was still analysed are kept in the ledger's reason, naming input and value.
    hits = "; ".join(f"{Path(hit['input']).name}: {_hit_text(hit)}" for hit in stats["limits"]) or None
    summary = {
        "lines_read": stats["lines_read"],
        "inputs": len(stats["inputs"]),
        "sessions": len(document["sessions"]),
        "findings": len(document["findings"]),
        "worst_severity": document["worst_severity"],
        "platforms": ",".join(document["environment"]["platforms"]),
        "binary_versions": ",".join(document["environment"]["binary_versions"]),
        "error_records": document["records"]["errors"],
        "qoder_records": document["records"]["qoder_related"],
        "unknown_qoder_records": document["records"]["qoder_unknown"],
        "coverage": document["coverage"],
    }
    if not readable:
        reasons = [f"{Path(i['source']).name}: {i['reason']}" for i in stats["inputs"] if i["reason"]]
        if not stats["inputs"]:
            reasons.append("no log files found in the upload")
        elif not reasons:
            reasons.append("no lines to read (empty log files)")
        return result("quarantined", "; ".join(reasons + ([hits] if hits else [])), summary=summary)
    return result(
        "done",
        f"limits hit: {hits}" if hits else None,
        summary=summary,
        sessions=tuple(document["sessions"]),
        findings=tuple(document["findings"]),
        events=events,
        templates=tuple(document["unknown_templates"]),
    )


def analyse_uploads(uploads: Sequence[Upload], limits: Limits, keep_events: bool = False) -> list[UploadResult]:
    """Analyse a few uploads one after the other (one task of the batch's pool: fewer, larger messages between
    processes); never raises, each upload has its own time limit and outcome."""
    return [analyse_upload(upload, limits, keep_events) for upload in uploads]


@contextmanager
def _readable(location: str) -> Iterator[Path]:
    """A local path to analyse: the upload itself, or a temporary copy of a remote one."""
    if is_remote(location):
        with local_copy(location) as copy:
            yield copy
    else:
        yield Path(location)


def _relabel(document: Any, local: str, location: str) -> Any:
    """The document with the temporary copy's path replaced by the upload's URL in every text (sources, evidence),
    so that a remote upload's rows name where it is, as a local upload's do."""
    if local == location:
        return document
    if isinstance(document, str):
        return document.replace(local, location)
    if isinstance(document, dict):
        return {key: _relabel(value, local, location) for key, value in document.items()}
    if isinstance(document, list | tuple):
        return type(document)(_relabel(value, local, location) for value in document)
    return document


def _hit_text(hit: Mapping[str, Any]) -> str:
    return LimitHit(**hit).describe()


def _event_row(event: Event) -> dict[str, Any]:
    row = event.to_dict()
    row["fields"] = json.dumps(row["fields"], ensure_ascii=False, default=str)
    row["detail"] = "\n".join(row["detail"])
    return row
