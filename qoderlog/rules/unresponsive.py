"""``exthost-unresponsive`` and ``ptyhost-unresponsive``: a helper process that stops answering — a hang, not a crash.

VS Code writes an episode as ``Extension host (LocalProcess pid: P) is
unresponsive.`` and/or the profiler's ``UNRESPONSIVE extension host:
starting to profile NOW``; it ends with ``… is responsive.`` or ``received
responsive event and cancelling profiling session``, and when the profile was
taken, ``UNRESPONSIVE extension host: 'publisher.extension' took 94% of
1080ms`` names the extension that held the event loop.

The pty host, which runs the integrated terminals' shells, has a heartbeat:
``No ptyHost heartbeat after 6 seconds`` (a warning) when a beat is late,
``… after 12 seconds`` (an error) when the main process or the remote server
takes it for unresponsive, and ``No ptyHost response to createProcess after 5
seconds`` when a new terminal's shell does not start. Nothing is written when
the beats come back, so an episode is a run of those lines close together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..model import Event, Evidence, Severity
from ..sessions import seconds_between
from . import Facts, Hit, Rule

_STARTS = frozenset({"app.exthost_unresponsive", "app.exthost_profiling"})
_ENDS = frozenset({"app.exthost_responsive", "app.exthost_profiling_cancelled"})
_PROFILE = "app.exthost_profile"
_SAME_EPISODE_S = 5.0


@dataclass(slots=True, kw_only=True)
class _Episode:
    """One unresponsive stretch of one extension host: its start lines, its end line, the blamed extension."""

    host: str
    starts: list[Event] = field(default_factory=list)
    end: Event | None = None
    profiles: list[Event] = field(default_factory=list)

    @property
    def first(self) -> Event:
        """The episode's first line (its end, when it began before the log did)."""
        return self.starts[0] if self.starts else self.end or self.profiles[0]

    @property
    def start_time(self) -> datetime | None:
        return self.starts[0].timestamp if self.starts else None

    @property
    def seconds(self) -> float | None:
        return seconds_between(self.start_time, self.end.timestamp) if self.end is not None else None


def _host(event: Event) -> str:
    return str(event.get("host") or "LocalProcess")


def _episodes(events: tuple[Event, ...]) -> list[_Episode]:
    episodes: list[_Episode] = []
    open_by_host: dict[str, _Episode] = {}
    for event in events:
        host = _host(event)
        current = open_by_host.get(host)
        if event.type in _STARTS:
            gap = seconds_between(current.starts[-1].timestamp, event.timestamp) if current is not None else None
            if (
                current is not None
                and (gap is None or gap <= _SAME_EPISODE_S)
                and event.type not in {e.type for e in current.starts}
            ):
                current.starts.append(event)  # the state line and the profiler's line of one episode
                continue
            episode = _Episode(host=host, starts=[event])
            episodes.append(episode)
            open_by_host[host] = episode
        elif event.type in _ENDS:
            if current is None:  # an episode that began before the log did
                episodes.append(_Episode(host=host, end=event))
            else:
                current.end = event
                del open_by_host[host]
        elif event.type == _PROFILE:
            target = current or (episodes[-1] if episodes else None)
            if target is None:
                target = _Episode(host=host)
                episodes.append(target)
            target.profiles.append(event)
    return episodes


def detect(facts: Facts, limits: Mapping[str, float]) -> Iterator[Hit]:
    """An extension host unresponsive ``warning_episodes`` times or more, or still unresponsive when the log ends.

    Anti-pattern: ``Extension host (LocalProcess pid: 4242) is
    unresponsive.`` every five minutes, each time ``… is responsive.`` a few
    seconds later — an extension blocks the host's event loop and every
    extension stalls with it. ``error_episodes`` episodes are an error. One
    episode that recovered is healthy. The profiler's verdict (``'x.y'
    took 94%``) names the extension to blame.
    """
    by_host: dict[str, list[_Episode]] = {}
    for episode in _episodes(facts.events):
        by_host.setdefault(episode.host, []).append(episode)
    for host, episodes in by_host.items():
        still_open = [e for e in episodes if e.end is None and e.starts]
        if len(episodes) < limits["warning_episodes"] and not still_open:
            continue
        severity = Severity.ERROR if len(episodes) >= limits["error_episodes"] else Severity.WARNING
        blamed = Counter(str(p.get("extension")) for e in episodes for p in e.profiles if p.get("extension"))
        culprit = blamed.most_common(1)[0][0] if blamed else None
        durations = [s for s in (e.seconds for e in episodes) if s is not None]
        # Evidence: the open episodes newest first, then the others with the lines that ended them.
        shown = sorted(still_open, key=lambda e: e.first.line, reverse=True) + [
            e for e in episodes if e not in still_open
        ]
        evidence: list[Evidence] = []
        for episode in shown[:4]:
            lines = [*episode.starts[:1], *episode.profiles[:1], *([episode.end] if episode.end else [])]
            evidence.extend(Evidence.of(line, line.get("extension"), line.get("pid")) for line in lines)
        blame = f"; the profiler blames {culprit}" if culprit else ""
        ended = f", {len(still_open)} still unresponsive when the log ends" if still_open else ""
        yield Hit(
            severity=severity,
            summary=(
                f"The extension host ({host}) became unresponsive {len(episodes)} time(s){ended}{blame}: "
                "an extension blocked its event loop, so every extension stalled with it."
            ),
            source=episodes[0].first.source,
            start=episodes[0].start_time or episodes[0].first.timestamp,
            end=(episodes[-1].end or episodes[-1].first).timestamp,
            metrics={
                "process": "extension-host",
                "host": host,
                "episodes": len(episodes),
                "open": len(still_open),
                "longest_s": max(durations) if durations else None,
                "culprit": culprit,
                "cause": "extension",
            },
            evidence=tuple(evidence),
            causes=("extension", "machine"),
            signature=culprit or host,
        )


EXTHOST_UNRESPONSIVE = Rule(
    id="exthost-unresponsive",
    title="Extension host unresponsive",
    doc=detect.__doc__ or "",
    thresholds={"warning_episodes": 2, "error_episodes": 5},
    causes={
        "extension": "An extension blocking the extension host's event loop (heavy synchronous work, a busy loop).",
        "machine": "A machine too busy or too short of memory to run the extension host in time.",
    },
    user_actions=(
        "Disable the extension the profiler blames ({culprit}), or bisect extensions with --disable-extensions.",
    ),
    escalate=(
        "The episode lines ({episodes} episode(s), longest {longest_s} s) and the .cpuprofile files the "
        "profiler saved.",
    ),
    detect=detect,
)


_PTY_LINES = frozenset({"app.ptyhost_no_heartbeat", "app.ptyhost_no_create_response"})
_PTY_SAME_EPISODE_S = 10.0
"""Lines of one pty-host episode follow each other this closely: the 12 s line comes 6 s after the 6 s one."""
_PTY_DECLARED_S = 12.0
"""A missed heartbeat this long is the one after which VS Code takes the pty host for unresponsive."""


def _pty_episodes(events: tuple[Event, ...]) -> list[list[Event]]:
    """The pty host's missed-heartbeat and no-answer lines, in runs: one run per unresponsive spell."""
    episodes: list[list[Event]] = []
    for event in events:
        if event.type not in _PTY_LINES:
            continue
        if episodes:
            last = episodes[-1][-1]
            gap = seconds_between(last.timestamp, event.timestamp)
            # A new spell starts with a fresh first miss (6 s) or after a gap; an untimed line stands alone.
            first_miss = event.type == "app.ptyhost_no_heartbeat" and float(event.get("seconds") or 0) < _PTY_DECLARED_S
            if gap is not None and gap <= _PTY_SAME_EPISODE_S and not first_miss:
                episodes[-1].append(event)
                continue
        episodes.append([event])
    return episodes


def _declared(episode: list[Event]) -> bool:
    """Whether VS Code took the pty host for unresponsive in this spell (a 12 s miss, or a shell not started)."""
    return any(
        e.type == "app.ptyhost_no_create_response" or float(e.get("seconds") or 0) >= _PTY_DECLARED_S for e in episode
    )


def detect_pty(facts: Facts, limits: Mapping[str, float]) -> Iterator[Hit]:
    """A pty host that misses its heartbeat ``warning_episodes`` times or more, or that VS Code took for unresponsive.

    Anti-pattern: ``No ptyHost heartbeat after 6 seconds`` again and again,
    sometimes ``… after 12 seconds`` or ``No ptyHost response to
    createProcess after 5 seconds`` — the process that runs every terminal's
    shell stops answering: terminals freeze or stay blank, an agent cannot run
    commands, and the window may close. ``error_episodes`` spells, or one in
    which a terminal's shell could not be started, are an error. One late beat
    is healthy.
    """
    by_source: dict[str, list[Event]] = {}
    for event in facts.events:
        if event.type in _PTY_LINES:
            by_source.setdefault(event.source, []).append(event)
    for source, lines in by_source.items():
        episodes = _pty_episodes(tuple(lines))
        declared = [e for e in episodes if _declared(e)]
        if len(episodes) < limits["warning_episodes"] and not declared:
            continue
        no_shell = sum(1 for e in episodes for line in e if line.type == "app.ptyhost_no_create_response")
        severity = Severity.ERROR if len(episodes) >= limits["error_episodes"] or no_shell else Severity.WARNING
        longest = max(float(line.get("seconds") or 0) for e in episodes for line in e)
        first, last = episodes[0][0], episodes[-1][-1]
        # Evidence: up to three spells taken for unresponsive, then the first others (by identity: spells are lists).
        declared_ids = {id(e) for e in declared[:3]}
        shown = [*declared[:3], *(e for e in episodes if id(e) not in declared_ids)][:4]
        evidence = tuple(Evidence.of(line) for episode in shown for line in episode[:2])
        span = seconds_between(first.timestamp, last.timestamp)
        over = f" over {span / 60:.0f} min" if span else ""
        unanswered = f", {len(declared)} long enough to be taken for unresponsive" if declared else ""
        shells = f"; {no_shell} terminal shell(s) could not be started" if no_shell else ""
        yield Hit(
            severity=severity,
            summary=(
                f"The pty host, which runs the integrated terminals, missed its heartbeat {len(episodes)} time(s)"
                f"{over}{unanswered}{shells}: terminals freeze or stay blank while it does."
            ),
            source=source,
            start=first.timestamp,
            end=last.timestamp,
            metrics={
                "process": "pty-host",
                "episodes": len(episodes),
                "declared": len(declared),
                "no_shell": no_shell,
                "longest_s": longest,
                "span_s": span,
                "cause": "shell",
            },
            evidence=evidence,
            causes=("shell", "machine", "terminals"),
            signature="ptyhost",
        )


PTYHOST_UNRESPONSIVE = Rule(
    id="ptyhost-unresponsive",
    title="Terminal host unresponsive",
    doc=detect_pty.__doc__ or "",
    thresholds={"warning_episodes": 3, "error_episodes": 10},
    causes={
        "shell": "A shell that is slow to start or answer (heavy profile scripts such as conda or nvm set-up, a "
        "command flooding the terminal) keeping the pty host busy.",
        "machine": "A machine too busy, too short of memory or on too slow a disk to run the pty host in time.",
        "terminals": "Many terminals at once — several windows, or an agent running commands — sharing one pty host.",
    },
    user_actions=(
        'Run "Terminal: Kill All Terminals" and "Developer: Reload Window"; if terminals still hang, try a '
        "shell without its profile scripts.",
    ),
    escalate=(
        "The missed-heartbeat lines ({episodes} spell(s), {declared} taken for unresponsive) and the shell and "
        "terminal settings in use.",
    ),
    detect=detect_pty,
)
