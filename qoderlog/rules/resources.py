"""``resource-limit``: the machine ran out of something the editor needs — inotify watches, or disk space."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..model import Event, Evidence, Severity
from . import Facts, Hit, Rule

MAX_EVIDENCE = 3
"""Lines shown per finding; the count says how many there were."""

_KINDS: dict[str, tuple[str, Severity, str, str]] = {
    "system.watch_limit": (
        "watch_limit",
        Severity.WARNING,
        "file watches",
        "Linux refused {count} file watch(es){where}: the inotify watch limit (fs.inotify.max_user_watches) is "
        "reached, so changes to files on disk go unseen.",
    ),
    "system.disk_full": (
        "disk_full",
        Severity.ERROR,
        "disk space",
        "{count} write(s) failed because the disk is full{where}: ENOSPC, no space left on device.",
    ),
}
"""Event type → (cause key, severity, what ran out, the summary's words)."""


def detect(facts: Facts, limits: Mapping[str, float]) -> Iterator[Hit]:
    """Each source that says a limit of the machine was reached: one finding per limit and source.

    Anti-patterns: ``ENOSPC: System limit for number of file watchers
    reached`` (Linux's inotify watch limit: files changed on disk are no
    longer seen — a warning) and ``ENOSPC: no space left on device`` (a
    save, a log or the sidecar's ``.info.json`` cannot be written — an
    error), whoever wrote them. Other ``ENOSPC`` words and the errno's name
    alone are not read as either.
    """
    found: dict[tuple[str, str], list[Event]] = {}
    for event in facts.events:
        if event.type in _KINDS:
            found.setdefault((event.type, event.source), []).append(event)
    for (kind, source), events in found.items():
        cause, severity, what, words = _KINDS[kind]
        first, last = events[0], events[-1]
        path = next((e.get("path") for e in events if e.get("path")), None)
        yield Hit(
            severity=severity,
            summary=words.format(count=len(events), where=f" (first: {path})" if path else ""),
            source=source,
            start=first.timestamp,
            end=last.timestamp,
            metrics={"limit": what, "count": len(events), "path": path},
            evidence=tuple(Evidence.of(e, e.get("path")) for e in events[:MAX_EVIDENCE]),
            causes=(cause,),
            signature=cause,
        )


RESOURCE_LIMIT = Rule(
    id="resource-limit",
    title="A limit of the machine reached: file watches or disk space",
    doc=detect.__doc__ or "",
    thresholds={},
    causes={
        "watch_limit": "Linux's per-user limit of inotify watches is too low for the folders open in the editor.",
        "disk_full": "The disk the editor writes to (this machine's, or the remote host's) is full.",
    },
    user_actions=("Free the resource that ran out ({limit}), then restart Qoder.",),
    escalate=("The lines that say the limit was reached ({count} of them), and the OS.",),
    detect=detect,
)
