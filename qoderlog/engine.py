"""Events → sessions → rules → a ``Result``: one bundle end to end, as a plain value.

``analyze(paths)`` is the pipeline the CLI, the notebook API and the batch
worker share. ``Result`` holds typed values (``session_list``,
``finding_list``, ``event_list``, the accounting) and offers them as pandas
DataFrames (``sessions``, ``findings``, ``events``) and as the JSON document
of ``schema_version`` ``SCHEMA_VERSION`` (see ``schemas/analysis.schema.json``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .baseline import context_sentences
from .events import Accounting, Progress, iter_events
from .limits import DEFAULT_LIMITS, Limits
from .mining.miner import ERROR_LEVELS, QODER_LITERALS, ErrorTemplate, Miner
from .model import Event, Finding, LineKind, Session, Severity, Template
from .noise import load_noise
from .patterns import PatternSet, load_patterns
from .read.streams import stream_key
from .resources import package_version
from .rules import Facts
from .rules.incidents import Incident, group_incidents
from .rules.registry import run_rules
from .sessions import NEVER_READY_S, group_streams, is_lifecycle, sessions_of_streams, wall
from .tables import events_frame, findings_frame, sessions_frame
from .verdict import Verdict, judge, unexplained_errors

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = "1.0"


@dataclass(frozen=True, slots=True, kw_only=True)
class Environment:
    """What the logs reveal about the user's machine and Qoder install."""

    platforms: tuple[str, ...]
    binary_versions: tuple[str, ...]
    binary_paths: tuple[str, ...]
    work_dirs: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "platforms": list(self.platforms),
            "binary_versions": list(self.binary_versions),
            "binary_paths": list(self.binary_paths),
            "work_dirs": list(self.work_dirs),
        }


@dataclass(frozen=True, kw_only=True)
class Result:
    """The diagnosis of one bundle as a plain value: accounting, events, sessions, findings, environment.

    What the engine gives and every reporter presents; ``analysis.Analysis`` is the notebook front door on it.
    """

    accounting: Accounting
    event_list: tuple[Event, ...]
    session_list: tuple[Session, ...]
    finding_list: tuple[Finding, ...]
    environment: Environment
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    baseline: Mapping[str, Any] | None = None
    template_list: tuple[Template, ...] = ()
    records: Mapping[str, int] = field(default_factory=dict)
    incident_list: tuple[Incident, ...] = ()
    known_noise: Mapping[str, int] = field(default_factory=dict)
    error_templates: tuple[ErrorTemplate, ...] = ()

    @cached_property
    def verdict(self) -> Verdict:
        """What the diagnosis amounts to: problems, unexplained errors, nothing to diagnose, or all clear."""
        return judge(
            findings=self.finding_list,
            unexplained=unexplained_errors(self.finding_list, self.event_list, self.error_templates),
            sidecar_records=self.records.get("qoder_related", 0),
            ready_sessions=sum(1 for s in self.session_list if s.outcome == "ready"),
            sessions=len(self.session_list),
            known_noise=self.known_noise,
            unread=tuple(f"{i.source}: {i.reason}" for i in self.accounting.problems()),
            lines_read=self.accounting.lines_read - self.accounting.by_kind()[LineKind.SKIPPED],
        )

    @property
    def coverage(self) -> float | None:
        """The share of Qoder-related records a pattern recognised; ``None`` when there were none."""
        total = self.records.get("qoder_related", 0)
        return round(self.records.get("qoder_recognised", 0) / total, 4) if total else None

    @property
    def worst(self) -> Severity | None:
        """The worst severity among the findings, or ``None`` when there are none."""
        return max((f.severity for f in self.finding_list), default=None)

    @cached_property
    def sessions(self) -> pd.DataFrame:
        """One row per session (the ``sessions`` of the JSON), typed."""
        return sessions_frame(self.session_list)

    @cached_property
    def findings(self) -> pd.DataFrame:
        """One row per finding: rule, severity, title, summary, source, session, times, metrics."""
        return findings_frame(self.finding_list)

    @cached_property
    def events(self) -> pd.DataFrame:
        """One row per recognised event, fields as typed columns."""
        return events_frame(self.event_list, load_patterns())

    def to_dict(self, *, streamed: bool = False) -> dict[str, Any]:
        """The JSON document: schema_version, inputs, stats, sessions, findings, incidents, environment, templates.

        With a baseline (``analyze --baseline``) it also has ``baseline`` and,
        per finding, ``fleet_context`` sentences. With ``streamed`` the
        ``sessions`` and ``findings`` lists make each item only as it is read,
        and can be read once (``OnePass``): for ``json.dump`` to write a big
        document without holding it all.
        """
        stats = self.accounting.to_dict()
        sessions = (s.to_dict() for s in self.session_list)
        return {
            "schema_version": SCHEMA_VERSION,
            "generator": f"qoderlog {package_version()}",
            "worst_severity": str(self.worst) if self.worst is not None else None,
            "inputs": stats["inputs"],
            "stats": stats,
            "environment": self.environment.to_dict(),
            "sessions": OnePass(len(self.session_list), sessions) if streamed else list(sessions),
            "findings": OnePass(len(self.finding_list), self._findings()) if streamed else list(self._findings()),
            "incidents": [i.to_dict() for i in self.incident_list],
            "unknown_templates": [t.to_dict() for t in self.template_list],
            "coverage": self.coverage,
            "records": dict(self.records),
            "verdict": self.verdict.to_dict(),
            **({"baseline": dict(self.baseline)} if self.baseline is not None else {}),
        }

    def _findings(self) -> Iterator[dict[str, Any]]:
        for finding in self.finding_list:
            item = finding.to_dict()
            if self.baseline is not None:
                item["fleet_context"] = context_sentences(item, self.baseline)
            yield item

    def to_json(self, *, indent: int | None = 2) -> str:
        """The JSON document as text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, default=str)


class OnePass(list[Any]):
    """A list that makes its items as it is iterated, once; its length is known before (``json.dump`` asks it).

    ``json.dump`` with an indent encodes a list subclass by iterating it, so a document holding these is written
    item by item; nothing else should be given one.
    """

    __slots__ = ("_count", "_items")

    def __init__(self, count: int, items: Iterator[Any]) -> None:
        """``count`` items, made by ``items`` when iterated."""
        super().__init__()
        self._count = count
        self._items: Iterator[Any] | None = items

    def __len__(self) -> int:
        """How many items it holds (made or not)."""
        return self._count

    def __iter__(self) -> Iterator[Any]:
        """The items, made one at a time; a second pass is an error, not an empty list."""
        items, self._items = self._items, None
        if items is None:
            raise RuntimeError("a streamed document list is read once")
        return items


def analyze(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    pattern_dirs: Iterable[str | os.PathLike[str]] = (),
    patterns: PatternSet | None = None,
    mine: bool = True,
    fast: bool = True,
    limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
    jobs: int | None = None,
) -> Result:
    """Read everything under ``paths`` within ``limits``, rebuild the sessions, run every rule.

    With ``mine`` (the default) the records no pattern recognised are mined
    into ``template_list`` (see ``mining.miner.Miner``). ``fast=False`` reads
    line by line, the reference the block scanner is tested against.
    ``progress`` is told how far the reading of each source is (``events.Progress``).
    ``jobs`` is how many processes may read one big file in chunks (``events.iter_events``;
    ``None``: the CPUs, ``1``: one pass); the result is the same.
    """
    library = patterns if patterns is not None else load_patterns(pattern_dirs)
    accounting = Accounting()
    miner = Miner(noise=load_noise()) if mine else None
    hooks: dict[str, Any] = (
        {"unknown": miner, "keep_levels": miner.keep_levels, "keep_literals": QODER_LITERALS} if miner else {}
    )
    events = tuple(
        iter_events(
            paths,
            patterns=library,
            accounting=accounting,
            fast=fast,
            limits=limits,
            progress=progress,
            jobs=jobs,
            **hooks,
        )
    )
    return analyze_events(events, accounting, config=config, miner=miner)


def analyze_events(
    events: tuple[Event, ...],
    accounting: Accounting,
    *,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    miner: Miner | None = None,
) -> Result:
    """Sessions and findings for events already read (with their accounting and, when mined, the unknowns)."""
    settings = config or {}
    stream_ends = _stream_ends(accounting)
    never_ready_s = float(settings.get("startup-failure", {}).get("never_ready_s", NEVER_READY_S))
    grouped = group_streams(events)
    sessions = tuple(sessions_of_streams(grouped, stream_ends, never_ready_s=never_ready_s))
    streams = {name: tuple(items) for name, items in grouped.items()}
    facts = Facts(
        sessions=sessions,
        streams=streams,
        events=events,
        minidumps=tuple(accounting.discovery.minidumps),
        stream_ends=stream_ends,
    )
    findings = tuple(run_rules(facts, settings))
    return Result(
        accounting=accounting,
        event_list=events,
        session_list=sessions,
        finding_list=findings,
        environment=_environment(sessions, events),
        config=settings,
        template_list=miner.templates() if miner is not None else (),
        records=_record_counts(events, miner),
        incident_list=group_incidents(findings, sessions),
        known_noise=dict(miner.known_noise) if miner is not None else {},
        error_templates=miner.error_templates() if miner is not None else (),
    )


def _record_counts(events: tuple[Event, ...], miner: Miner | None) -> dict[str, int]:
    """Qoder-related records (recognised or not) and error records, for coverage and the anomaly score."""
    recognised = sum(1 for e in events if is_lifecycle(e))
    errors = sum(1 for e in events if e.level in ERROR_LEVELS)
    unknown = miner.qoder_unknown if miner is not None else 0
    return {
        "qoder_related": recognised + unknown,
        "qoder_recognised": recognised,
        "qoder_unknown": unknown,
        "errors": errors + (miner.errors if miner is not None else 0),
    }


def _stream_ends(accounting: Accounting) -> dict[str, datetime | None]:
    ends: dict[str, datetime | None] = {}
    for report in accounting.inputs:
        stream = stream_key(report.source)[0]
        last = report.last_time
        known = ends.get(stream)
        if last is not None and (known is None or wall(last) > wall(known)):  # type: ignore[operator]
            ends[stream] = last
        else:
            ends.setdefault(stream, known)
    return ends


def _environment(sessions: tuple[Session, ...], events: tuple[Event, ...]) -> Environment:
    def unique(values: Iterable[Any]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(str(v) for v in values if v))

    return Environment(
        platforms=unique(f"{s.platform}/{s.arch}" if s.arch else s.platform for s in sessions),
        binary_versions=unique(s.binary_version for s in sessions),
        binary_paths=unique(s.binary_path for s in sessions),
        work_dirs=unique(e.get("work_dir") for e in events if e.type == "process.start"),
    )
