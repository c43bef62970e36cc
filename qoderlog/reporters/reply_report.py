"""The reply: a short plain-text message to the user that the engineer pastes into the ticket, in English or Chinese.

What happened in the user's terms (one paragraph per incident, root cause
first), the steps to try for their platform with the commands (the playbook
steps of the worst incidents' root findings), and exactly which files to send
back if it happens again. A bundle with no Qoder sidecar line gets a reply
that asks for the right logs and says where they are on each platform
(``locations``). Every string goes through the ``qoderlog`` gettext catalog of
``options.lang`` (``i18n``); with ``options.redact`` (the default for this
format) the finished text goes through a ``Redactor`` that has learnt the
whole analysis document, so the reply names paths with the same placeholders
as the other reports.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from pathlib import PureWindowsPath
from string import Formatter
from typing import IO, Any

from ..engine import Result
from ..i18n import translation
from ..locations import BY_PLATFORM, LOG_LOCATIONS, PLATFORMS
from ..model import Finding, Step
from ..redact import Redactor
from .base import RenderOptions

Translate = Callable[[str], str]
MAX_INCIDENTS = 3
"""How many incidents (worst first) the reply tells and gives steps for; the rest are for the engineer."""
MAX_STEPS = 10
"""At most this many steps per platform, so the reply stays short."""
_INDENT = "     "


def render(result: Result, out: IO[str], options: RenderOptions) -> None:
    """Write the reply in ``options.lang``, redacted when ``options.redact``."""
    text = reply_text(result, options.lang)
    if options.redact:
        redactor = Redactor()
        redactor.learn_document(result.to_dict())
        text = redactor.redact_text(text)
    out.write(text)


def reply_text(result: Result, lang: str = "en") -> str:
    """The reply to the user as plain text (not redacted)."""
    _ = translation(lang).gettext
    buffer = io.StringIO()
    write = buffer.write
    write(_("Hello,") + "\n\n")
    findings = result.finding_list
    kind = str(result.verdict.kind)
    no_sidecar = not result.records.get("qoder_related", 0)
    if not findings:
        if kind == "unexplained":
            write(
                _(
                    "Thank you for the logs. They hold errors that we cannot match to a known problem yet; "
                    "we have passed them on to the Qoder developers."
                )
                + "\n\n"
            )
        if no_sidecar or kind == "nothing-to-diagnose":
            if kind == "unexplained":
                write(
                    _("They contain no line from Qoder's AI service either: its logs are in the folder below.") + "\n\n"
                )
            elif result.verdict.nothing_read:
                names = ", ".join(_file_name(report.source) for report in result.accounting.problems())
                write(
                    _(
                        "Thank you for the logs. We could not open what you sent (%(names)s): the files may be "
                        "damaged, incomplete or not logs, so we cannot tell yet what went wrong."
                    )
                    % {"names": names}
                    + "\n\n"
                )
            else:
                write(
                    _(
                        "Thank you for the logs. They contain no line from Qoder's AI service, "
                        "so we cannot tell yet what went wrong."
                    )
                    + "\n\n"
                )
            _ask_for_logs(write, _, platforms=PLATFORMS, crash=False, now=True)
        else:
            if kind != "unexplained":
                write(
                    _(
                        "Thank you for the logs. We found no problem in them: "
                        "Qoder's AI service started and connected normally."
                    )
                    + "\n\n"
                )
            _ask_for_logs(write, _, platforms=_platforms(result), crash=False)
    else:
        write(_("Thank you for the logs. This is what we found and what you can try.") + "\n\n")
        incidents = _incidents(result)[:MAX_INCIDENTS]
        write(_("What happened") + "\n")
        told: set[str] = set()  # several findings of one kind read as the same sentence: it is said once
        for members in incidents:
            root = _sentence(members[0], _)
            if root in told:
                continue
            told.add(root)
            write("- " + root + "\n")
            for finding in members[1:]:
                sentence = _sentence(finding, _)
                if sentence not in told:
                    told.add(sentence)
                    write("  " + _("As a result: %(what)s") % {"what": sentence} + "\n")
        write("\n")
        steps = _steps([members[0] for members in incidents])
        _write_steps(write, steps, _)
        crash = any(f.rule in ("app-crash", "cleanup-anomaly", "restart-loop") for m in incidents for f in m)
        _ask_for_logs(write, _, platforms=_platforms(result), crash=crash)
    write(_("Best regards,") + "\n")
    return buffer.getvalue()


def _file_name(source: str) -> str:
    """An input's file name, without its folders (either slash): the user knows what they sent by its name."""
    return PureWindowsPath(source).name or source


def _incidents(result: Result) -> list[list[Finding]]:
    """Each incident's findings, root first; incidents in the order of their worst finding (worst first)."""
    findings = result.finding_list
    groups = [[findings[i] for i in incident.findings] for incident in result.incident_list]
    if not groups:
        groups = [[finding] for finding in findings]
    return sorted(groups, key=lambda members: (-max(f.severity for f in members), findings.index(members[0])))


def _platforms(result: Result) -> tuple[str, ...]:
    found = [step.platform for f in result.finding_list for step in f.remediation.steps]
    known = {p.split("/")[0] for p in result.environment.platforms}
    if found:
        return tuple(dict.fromkeys(found))
    if len(known) == 1 and next(iter(known)) in BY_PLATFORM:
        remote = any("/.qoder-server/" in path.replace("\\", "/") for path in result.environment.binary_paths)
        return ("remote",) if remote else (next(iter(known)),)
    return PLATFORMS


def _steps(findings: Sequence[Finding]) -> list[Step]:
    """The findings' steps in order, each (platform, text, command) once.

    Only the incidents' roots give steps: the root's playbook is what ends the story (a stale .info.json left by
    a death is removed by the death's own steps), and the consequences' would repeat them.
    """
    seen: set[tuple[str, str, str | None]] = set()
    steps = []
    for finding in findings:
        for step in finding.remediation.steps:
            key = (step.platform, step.text, step.command)
            if key not in seen:
                seen.add(key)
                steps.append(step)
    return steps


def _write_steps(write: Callable[[str], Any], steps: Sequence[Step], _: Translate) -> None:
    by_platform: dict[str, list[Step]] = {}
    for step in steps:
        by_platform.setdefault(step.platform, []).append(step)
    for platform, found in by_platform.items():
        items = found[:MAX_STEPS]
        shell = _("PowerShell") if platform == "windows" else _("Terminal")
        heading = _("What you can try on %(platform)s (commands for %(shell)s):") % {
            "platform": _platform_label(platform, _),
            "shell": shell,
        }
        write(heading + "\n")
        for number, step in enumerate(items, 1):
            write(f"{number:>2}. {_step_text(step, _)}\n")
            if step.command:
                write(f"\n{_INDENT}{step.command}\n" + ("\n" if number < len(items) else ""))
        write("\n")


def _step_text(step: Step, lookup: Translate) -> str:
    """The step in the reply's language: its playbook text translated, then filled with the same values."""
    if not step.template:
        return step.text
    translated = lookup(" ".join(step.template.split()))
    try:
        return Formatter().vformat(translated, (), dict(step.values))
    except (KeyError, IndexError, ValueError):
        return step.text


def _ask_for_logs(
    write: Callable[[str], Any], _: Translate, *, platforms: Sequence[str], crash: bool, now: bool = False
) -> None:
    """Which folder to zip on each of ``platforms``; ``now`` when the reply cannot help without it."""
    if now:
        write(_("Please quit Qoder, zip the folder below and attach the zip to this ticket:") + "\n")
    else:
        write(_("If it happens again, please quit Qoder, zip this folder and attach the zip to this ticket:") + "\n")
    for where in LOG_LOCATIONS:
        if where.platform not in platforms:
            continue
        label = _platform_label(where.platform, _)
        folder = where.logs.human
        write(f"- {label}: {folder}\n")
        write(
            _INDENT
            + _("(the subfolder with the newest date and time, with %(files)s inside)")
            % {"files": ", ".join(where.files[:2])}
            + "\n"
        )
        if crash:
            write(
                _INDENT
                + _("and the crash dumps in %(folder)s, if there are any") % {"folder": where.crashpad.human}
                + "\n"
            )
    write(_("Please send the whole folder, not a single file or a screenshot.") + "\n\n")


def _platform_label(platform: str, _: Translate) -> str:
    labels = {
        "windows": _("Windows"),
        "macos": _("macOS"),
        "linux": _("Linux"),
        "remote": _("the remote (SSH) host"),
    }
    return labels.get(platform, platform)


def _sentence(finding: Finding, _: Translate) -> str:
    """What a finding means for the user, in their terms."""
    metrics: Mapping[str, Any] = finding.metrics
    rule = finding.rule
    if rule == "startup-slow":
        return _(
            "Qoder's AI service took %(seconds)s seconds to start (normally under %(limit)s seconds), "
            "so the AI features had to wait."
        ) % {
            "seconds": f"{float(metrics.get('latency_s') or 0):.1f}",
            "limit": f"{float(metrics.get('warning_s') or 5):g}",
        }
    if rule == "startup-failure":
        return _("Qoder's AI service could not be started, so the AI features were not available.")
    if rule == "stale-pid":
        return _(
            "Qoder tried to connect to a copy of its AI service that had already stopped: "
            "a file it left behind (.info.json) still pointed to it."
        )
    if rule == "ipc-failure":
        if metrics.get("tcp_fallback"):
            return _("Qoder could not reach its AI service over the local connection and used a slower fallback.")
        if metrics.get("reconnect_exhausted"):
            return _("Qoder lost the local connection to its AI service and had to restart the service.")
        return _("Qoder could not reach its AI service over the local connection.")
    if rule == "cleanup-anomaly":
        return _("Qoder's AI service stopped unexpectedly and did not clean up after itself.")
    if rule == "restart-loop":
        return _("Qoder's AI service stopped right after starting, %(count)s times in a row.") % {
            "count": metrics.get("starts", "?")
        }
    if rule == "update-stuck":
        return _("A Qoder update did not finish, or Qoder crashed soon after updating.")
    if rule == "app-crash":
        process = _process_label(str(metrics.get("process") or ""), _)
        if process:
            return _("A part of the Qoder editor crashed: %(process)s.") % {"process": process}
        return _("A part of the Qoder editor crashed.")
    if rule == "exthost-unresponsive":
        return _("Qoder's extension host stopped responding more than once; an extension is probably blocking it.")
    if rule == "ptyhost-unresponsive":
        return _("Qoder's terminal host stopped responding again and again, so terminals froze or stayed blank.")
    if rule == "resource-limit":
        if metrics.get("limit") == "disk space":
            return _("The disk Qoder writes to is full, so files and logs could not be saved.")
        return _("Linux limits how many files a program may watch, and Qoder reached that limit.")
    return _("Something went wrong in Qoder:") + " " + finding.title


def _process_label(process: str, _: Translate) -> str:
    """The editor process an ``app-crash`` names, as a user knows it (empty when the finding names none)."""
    labels = {
        "renderer": _("a window (its renderer process)"),
        "gpu": _("the graphics (GPU) process"),
        "extension-host": _("the extension host, where extensions run"),
        "remote-extension-host": _("the extension host on the remote host"),
        "utility": _("a helper (utility) process"),
        "pty-host": _("the terminal process"),
        "network-service": _("the network process"),
        "main": _("the main process of the editor"),
        "javascript": _("a window or the extension host"),
    }
    return labels.get(process, "")
