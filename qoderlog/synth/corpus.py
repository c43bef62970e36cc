"""Whole logs: one scenario amid noise (``scenario_lines``) and the streaming benchmark corpus (``write_corpus``).

Takes a seed (and a size) and gives physical log lines. The corpus's
scenario weights and noise mix, and the default noise of a single-scenario
log, are in ``data/mixes.yaml``.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from .datafiles import load
from .framings import Channel, Entry, Framing, frame, stamp
from .hosts import PLATFORMS, Host, Platform, Sidecar, make_host
from .noise import Noise, gap, interleave
from .scenarios import Step, render_scenario

_MIXES = load("mixes")
_LOG_NOISE: Mapping[str, int] = _MIXES["scenario_log"]["noise"]
_CORPUS_SCENARIOS: Mapping[str, int] = _MIXES["corpus"]["scenarios"]
_CORPUS_NOISE: Mapping[str, int] = _MIXES["corpus"]["noise"]
_FLUSH_EVERY = 8192


def scenario_lines(
    scenario: str | Sequence[Step],
    *,
    platform: Platform,
    framing: Framing,
    seed: int | str = 0,
    start: datetime = datetime(2025, 8, 22, 10, 23, 30),
    noise_lines: int = 200,
    noise_mix: Mapping[str, int] | None = None,
    vary: bool = False,
    drift: bool = False,
    channels: Iterable[Channel] = ("main", "exthost"),
    utc_offset_h: float = 8.0,
) -> list[str]:
    """The physical lines of one log showing ``scenario`` on ``platform`` in ``framing``, amid noise.

    The scenario begins 20 to 90 s after ``start``; noise runs from ``start``
    until a third as long again after the scenario is over. Same arguments,
    same lines.
    """
    rng = random.Random(f"{seed}:{scenario}:{platform}")
    host = make_host(platform, rng=rng)
    begin = start + timedelta(seconds=rng.uniform(20.0, 90.0))
    rendering = render_scenario(scenario, host=host, start=begin, rng=rng, vary=vary, drift=drift)
    wanted = set(channels)
    mine = [entry for entry in rendering.entries if entry.channel in wanted]
    end = rendering.end + (rendering.end - start) / 3 + timedelta(seconds=30)
    noise = Noise(host, rng, noise_mix or _LOG_NOISE)
    merged = interleave(mine, noise, start=start, end=end, noise_lines=noise_lines, rng=rng)
    return [line for entry in merged for line in frame(entry, framing, utc_offset_h=utc_offset_h)]


@dataclass(frozen=True, slots=True)
class _Session:
    """A corpus session rendered ahead of time: its entries as offsets from its start, its length and line count."""

    entries: tuple[tuple[timedelta, Entry], ...]
    length: timedelta
    size: int


def _corpus_session(rng: random.Random, names: Sequence[str], host: Host, sidecar: Sidecar) -> _Session:
    origin = datetime(2000, 1, 1)
    scenario = rng.choice(names)
    rendering = render_scenario(
        scenario, host=host, start=origin, rng=rng, sidecar=sidecar, vary=True, drift=rng.random() < 0.15
    )
    return _Session(
        entries=tuple((entry.at - origin, entry) for entry in rendering.entries),
        length=rendering.end - origin,
        size=sum(1 + len(entry.detail) for entry in rendering.entries),
    )


def write_corpus(
    path: Path, *, lines: int, seed: int = 0, qoder_share: float = 0.02, loud_share: float | None = None
) -> None:
    """Stream a ``main.log``-style file of exactly ``lines`` physical lines in the VS Code framing.

    Noise records (with stack traces, JSON payloads, non-ASCII names, blank
    lines) are written as they are drawn. Whole Qoder sessions (a scenario
    drawn from healthy starts and every failure kind, on one host whose
    sidecar identity carries over, main-process and extension-host lines
    interleaved) start whenever the Qoder share of the lines, counted to the
    session's middle, is at most ``qoder_share``; a session never overlaps
    another and is never cut by the end of the file. With ``loud_share``,
    that share of the noise records is at warning level or above (their
    continuation lines make the share of lines a little lower). Memory stays
    constant whatever ``lines`` is.
    """
    if lines < 0:
        raise ValueError("lines must be >= 0")
    if not 0.0 <= qoder_share <= 1.0:
        raise ValueError("qoder_share must be between 0 and 1")
    if loud_share is not None and not 0.0 <= loud_share <= 1.0:
        raise ValueError("loud_share must be between 0 and 1")
    rng = random.Random(seed)
    host = make_host(PLATFORMS[seed % len(PLATFORMS)], rng=rng)
    sidecar = Sidecar(host, rng)
    noise = Noise(host, rng, _CORPUS_NOISE)
    names = [name for name, weight in _CORPUS_SCENARIOS.items() for _ in range(weight)]
    now = datetime(2025, 8, 22, 9, 0, 0) + timedelta(days=seed % 97)
    pending: deque[tuple[datetime, list[str]]] = deque()
    pending_lines = written = qoder_written = 0
    quiet_until = upcoming = now
    session: _Session | None = None
    buffer: list[str] = []
    with Path(path).open("w", encoding="utf-8", newline="\n") as out:
        while written < lines:
            remaining = lines - written
            if session is None and qoder_share > 0:
                session = _corpus_session(rng, names, host, sidecar)
            if pending and (pending[0][0] <= upcoming or remaining <= pending_lines):
                at, physical = pending.popleft()
                now = max(now, at)
                pending_lines -= len(physical)
                buffer.extend(physical)
                written += len(physical)
                qoder_written += len(physical)
            elif (
                session is not None
                and not pending
                and now >= quiet_until
                and session.size <= remaining
                # The share counted to the session's middle: unbiased even for a file of a session or two.
                and qoder_written + session.size / 2 <= qoder_share * (written + session.size / 2)
            ):
                begin = now + timedelta(seconds=rng.uniform(0.05, 3.0))
                for offset, entry in session.entries:
                    pending.append((begin + offset, frame(replace(entry, at=begin + offset), "vscode")))
                pending_lines = session.size
                quiet_until = begin + session.length + timedelta(seconds=rng.uniform(0.5, 5.0))
                session = None
            else:
                now = upcoming
                upcoming = now + timedelta(seconds=gap(rng))
                level, message, detail = noise.record(loud_share)
                physical = [""] if level is None else [f"{stamp(now)} [{level}] {message}", *detail]
                # A record that no longer fits before the end keeps its header line only.
                physical = physical[: remaining - pending_lines]
                buffer.extend(physical)
                written += len(physical)
            if len(buffer) >= _FLUSH_EVERY:
                out.write("\n".join(buffer) + "\n")
                buffer.clear()
        if buffer:
            out.write("\n".join(buffer) + "\n")
