"""``restart-loop``: the sidecar is started again and again in a short time."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..model import SIDECAR_ENDS, Evidence, Session, Severity
from ..sessions import seconds_between, wall
from . import Facts, Hit, Rule


def detect(facts: Facts, limits: Mapping[str, float]) -> Iterator[Hit]:
    """``min_starts`` or more starts within ``window_s`` in one stream.

    Anti-pattern: ``Starting go process`` three times in five minutes, each
    followed by ``exited with code 2`` — the sidecar crashes right after
    start. ``critical_starts`` or more in one loop is critical. Retries of
    one start sequence count once; attaching to a running sidecar is not a
    start; starts hours apart are not a loop.
    """
    by_stream: dict[str, list[Session]] = {}
    for session in facts.sessions:
        if session.is_start and session.start_time is not None:
            by_stream.setdefault(session.stream, []).append(session)
    for starts in by_stream.values():
        starts.sort(key=lambda s: wall(s.start_time) or 0)
        yield from _loops(starts, limits)


def _loops(starts: list[Session], limits: Mapping[str, float]) -> Iterator[Hit]:
    window, need = limits["window_s"], int(limits["min_starts"])
    index = 0
    while index < len(starts):
        end = index
        while end + 1 < len(starts):
            gap = seconds_between(starts[end].start_time, starts[end + 1].start_time)
            span = seconds_between(starts[index].start_time, starts[end + 1].start_time)
            if gap is None or span is None or (span > window and end + 1 - index >= need):
                break
            if span > window:
                index += 1
                continue
            end += 1
        loop = starts[index : end + 1]
        if len(loop) >= need and (seconds_between(loop[0].start_time, loop[-1].start_time) or 0) <= window:
            yield _hit(loop, limits)
            index = end + 1
        else:
            index += 1


def _hit(loop: list[Session], limits: Mapping[str, float]) -> Hit:
    count = len(loop)
    span = seconds_between(loop[0].start_time, loop[-1].start_time) or 0.0
    codes = sorted({s.exit_code for s in loop if s.exit_code is not None})
    severity = Severity.CRITICAL if count >= limits["critical_starts"] else Severity.ERROR
    proof = []
    for session in loop[:4]:
        proof.append(session.events[0])
        ending = next((e for e in session.events if e.type in SIDECAR_ENDS), None)
        if ending is not None:
            proof.append(ending)
    code_text = f", exit codes {', '.join(map(str, codes))}" if codes else ""
    return Hit(
        severity=severity,
        summary=f"The sidecar was started {count} times in {span:.0f} s{code_text}: a restart loop.",
        source=loop[0].source,
        session=loop[0].id,
        start=loop[0].start_time,
        end=loop[-1].end_time or loop[-1].start_time,
        metrics={"starts": count, "span_s": span, "exit_codes": codes, "window_s": limits["window_s"]},
        evidence=tuple(Evidence.of(e, e.get("code"), e.get("pid")) for e in proof),
        causes=("crash", "cache", "install", "os"),
        signature="+".join(map(str, codes)) or "loop",
    )


RESTART_LOOP = Rule(
    id="restart-loop",
    title="Sidecar restart loop",
    doc=detect.__doc__ or "",
    thresholds={"min_starts": 3, "window_s": 300.0, "critical_starts": 6},
    causes={
        "crash": "The sidecar crashes right after start.",
        "cache": "A corrupt SharedClientCache that the sidecar trips over at start-up.",
        "install": "A bad or partial install (binary and resources out of step).",
        "os": "An operating system version the sidecar does not support.",
    },
    user_actions=(
        "Quit Qoder and clear the SharedClientCache folder, then start Qoder again.",
        "If it still loops, reinstall Qoder.",
    ),
    escalate=("All start and exit lines of the loop ({starts} starts in {span_s:.0f} s, exit codes {exit_codes}).",),
    detect=detect,
)
