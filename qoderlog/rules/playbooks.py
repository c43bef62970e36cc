"""Playbooks: the ordered steps per platform and cause that close each rule's remediation, loaded as data.

``rules/playbooks/<rule-id>.yaml`` gives, for each platform (``windows``,
``macos``, ``linux``, ``remote``), steps keyed by the rule's cause keys plus a
``default`` list. A step is a short instruction (``text``) and optionally one
``command`` in the platform's shell (PowerShell on Windows, sh elsewhere),
with placeholders (``PLACEHOLDERS``) that ``steps_for`` fills from the
finding's metrics and session and the bundle (or, where the logs do not say,
the platform's default folder from ``locations``).

The loader refuses a file whose platform, cause key or placeholder is
unknown, a command that downloads anything, and a step that deletes, moves
or ends something (``DESTRUCTIVE``) without a step marked ``quit: true``
(quit Qoder, or a backup) before it in the same list. A playbook for a rule
id the registry does not have is kept and reported in ``Playbooks.warnings``
(it is for a rule another branch adds), as is a cause key that rule does
not declare.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import PlaybookError
from ..locations import BY_PLATFORM, PLATFORMS, SHELLS
from ..model import FrozenDict, Session, Step
from ..yamlfiles import YamlProblem, load_yaml
from . import Facts, Hit

PLAYBOOK_DIR = Path(__file__).with_name("playbooks")

PLACEHOLDERS: Mapping[str, str] = {
    "binary": "the sidecar binary (Qoder.exe / Qoder)",
    "install_dir": "the folder Qoder is installed in",
    "work_dir": "the sidecar's work dir, SharedClientCache",
    "info_json": "the .info.json file in the work dir",
    "endpoint": "the named pipe (Windows) or Unix socket the client talks to",
    "pid": "the sidecar's process id",
    "port": "the sidecar's TCP port",
    "log_folder": "Qoder's log folder",
    "crashpad": "Qoder's Crashpad folder (minidumps)",
}
"""Every placeholder a step may use, and what it stands for."""

DESTRUCTIVE = re.compile(r"\b(?:rm|rmdir|Remove-Item|del|mv|Move-Item|Rename-Item|Stop-Process|kill|pkill)\b")
"""A command that deletes, moves or ends something: it needs a ``quit: true`` step before it."""

_DOWNLOAD = re.compile(
    r"\b(?:curl|wget|Invoke-WebRequest|iwr|Invoke-RestMethod|irm|Start-BitsTransfer|brew|apt|apt-get|winget)\b"
    r"|https?://",
    re.IGNORECASE,
)
_FORMATTER = string.Formatter()
_REMOTE_MARK = "/.qoder-server/"


@dataclass(frozen=True, slots=True, kw_only=True)
class StepTemplate:
    """One step as written in a playbook file: instruction, optional command, whether it quits Qoder first."""

    text: str
    command: str | None = None
    quit: bool = False
    line: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Playbook:
    """One rule's steps: platform → cause key (or ``default``) → steps, and the file it came from."""

    rule: str
    steps: Mapping[str, Mapping[str, tuple[StepTemplate, ...]]]
    path: str

    def causes(self) -> set[str]:
        """Every cause key some platform has steps for (``default`` not included)."""
        return {key for per_cause in self.steps.values() for key in per_cause if key != "default"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Playbooks:
    """Every playbook by rule id, and what the loader noticed but did not refuse."""

    by_rule: Mapping[str, Playbook]
    warnings: tuple[str, ...] = ()


def load_playbooks(folder: Path = PLAYBOOK_DIR, causes: Mapping[str, Iterable[str]] | None = None) -> Playbooks:
    """Every ``*.yaml`` in ``folder``, checked; ``causes`` (rule id → cause keys) is what the registry declares.

    Raises ``PlaybookError`` with the file and line for anything the loader refuses.
    """
    known = {rule: set(keys) for rule, keys in (causes or {}).items()}
    found: dict[str, Playbook] = {}
    warnings: list[str] = []
    for path in sorted(folder.glob("*.yaml")):
        playbook = _load_file(path)
        if playbook.rule != path.stem:
            raise PlaybookError(
                f"rule {playbook.rule!r} in a file named {path.name}",
                path=str(path),
                hint=f"name the file {playbook.rule}.yaml",
            )
        if known and playbook.rule not in known:
            warnings.append(f"{path.name}: no rule {playbook.rule!r} is registered (kept for when it is)")
        elif known:
            extra = sorted(playbook.causes() - known[playbook.rule])
            if extra:
                warnings.append(f"{path.name}: cause keys {', '.join(extra)} are not causes of {playbook.rule}")
        found[playbook.rule] = playbook
    return Playbooks(by_rule=found, warnings=tuple(warnings))


def _load_file(path: Path) -> Playbook:
    where = str(path)
    try:
        document = load_yaml(path, lines=True)
    except YamlProblem as exc:
        raise PlaybookError(f"not valid YAML: {exc}", path=where, line=exc.line) from None
    if not isinstance(document, dict) or not isinstance(document.get("rule"), str):
        raise PlaybookError("a playbook is a mapping with 'rule' and 'steps'", path=where)
    steps = document.get("steps")
    if not isinstance(steps, dict):
        raise PlaybookError("'steps' must map platforms to causes", path=where, line=document["__line__"])
    platforms: dict[str, dict[str, tuple[StepTemplate, ...]]] = {}
    for platform, per_cause in steps.items():
        if platform == "__line__":
            continue
        if platform not in PLATFORMS:
            raise PlaybookError(
                f"unknown platform {platform!r}",
                path=where,
                line=steps["__line__"],
                hint=f"one of {', '.join(PLATFORMS)}",
            )
        if not isinstance(per_cause, dict) or "default" not in per_cause:
            raise PlaybookError(
                f"{platform}: steps by cause key with a 'default' list", path=where, line=steps["__line__"]
            )
        platforms[platform] = {
            key: _steps(items, where, f"{platform}.{key}") for key, items in per_cause.items() if key != "__line__"
        }
    missing = [p for p in PLATFORMS if p not in platforms]
    if missing:
        raise PlaybookError(f"no steps for {', '.join(missing)}", path=where, hint="every platform has a default list")
    return Playbook(rule=document["rule"], steps=platforms, path=where)


def _steps(items: Any, path: str, where: str) -> tuple[StepTemplate, ...]:
    if not isinstance(items, list) or not items:
        raise PlaybookError(f"{where}: a non-empty list of steps", path=path)
    steps: list[StepTemplate] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise PlaybookError(f"{where}: a step is a mapping with 'text'", path=path)
        line = int(item["__line__"])
        unknown = set(item) - {"text", "command", "quit", "__line__"}
        if unknown:
            raise PlaybookError(f"{where}: unknown step keys {sorted(unknown)}", path=path, line=line)
        command = item.get("command")
        step = StepTemplate(
            text=item["text"].strip(),
            command=command.strip() if command else None,
            quit=bool(item.get("quit", False)),
            line=line,
        )
        for text in (step.text, step.command or ""):
            names = {name for _, name, _, _ in _FORMATTER.parse(text) if name is not None}
            if names - set(PLACEHOLDERS):
                raise PlaybookError(
                    f"{where}: unknown placeholder(s) {sorted(names - set(PLACEHOLDERS))}",
                    path=path,
                    line=line,
                    hint=f"one of {', '.join(PLACEHOLDERS)}",
                )
        if step.command and _DOWNLOAD.search(step.command):
            raise PlaybookError(f"{where}: a command may not download anything: {step.command}", path=path, line=line)
        if step.command and DESTRUCTIVE.search(step.command) and not any(s.quit for s in steps):
            raise PlaybookError(
                f"{where}: destructive command with no quit/backup step before it: {step.command}",
                path=path,
                line=line,
                hint="put a step with 'quit: true' before it",
            )
        steps.append(step)
    return tuple(steps)


# --- filling the steps ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Place:
    """What the logs say about where things are for one finding; ``None`` where they do not say."""

    platform: str | None = None
    binary: str | None = None
    work_dir: str | None = None
    info_json: str | None = None
    endpoint: str | None = None
    pid: int | None = None
    port: int | None = None
    unix: bool = False
    """The platform is unknown but not Windows (a Unix socket, a Unix path): macOS, Linux or a remote host."""


def _platform_in(group: Sequence[Session]) -> str | None:
    """``remote`` when a session of ``group`` runs a Qoder server's binary, else the group's one platform."""
    if any(s.binary_path and _REMOTE_MARK in s.binary_path.replace("\\", "/") for s in group):
        return "remote"
    platforms = {s.platform for s in group if s.platform}
    return platforms.pop() if len(platforms) == 1 else None


def bundle_place(facts: Facts) -> Place:
    """What the whole bundle says: the first work dir and ``.info.json`` path its events name, its one platform."""
    work_dir = info_json = None
    for event in facts.events:
        if work_dir is None and event.type == "process.start":
            work_dir = event.get("work_dir")
        elif info_json is None and event.type in _INFO_PATH_TYPES:
            info_json = event.get("path")
        if work_dir and info_json:
            break
    platform = _platform_in(facts.sessions)
    hints = [s.endpoint or "" for s in facts.sessions] + [work_dir or "", info_json or ""]
    if platform is None and any(_WINDOWS_HINT.match(hint) for hint in hints):
        platform = "windows"
    unix = platform is None and any(hint.startswith("/") for hint in hints)
    return Place(platform=platform, work_dir=work_dir, info_json=info_json, unix=unix)


_WINDOWS_HINT = re.compile(r"\\\\[.?]\\pipe\\|[A-Za-z]:\\")


_INFO_PATH_TYPES = frozenset({"info.wait", "info.exists", "info.not_found"})

_SESSION_VALUES = ("endpoint", "binary_path", "pid", "port")
"""The session attributes a ``Place`` takes from a hit's session, else from the first session that has one."""


class Places:
    """The ``Place`` of each hit of one bundle, from its sessions indexed once (a bundle may hold thousands)."""

    def __init__(self, facts: Facts) -> None:
        """Index ``facts``' sessions by id and by pid, with the first value of each attribute a place takes."""
        self.bundle = bundle_place(facts)
        self._platform = _platform_in(facts.sessions)
        self._by_id: dict[str, Session] = {}
        self._by_pid: dict[int, Session] = {}
        firsts: dict[str, Any] = {}
        for session in facts.sessions:
            self._by_id.setdefault(session.id, session)
            if session.endpoint:
                for pid in session.pids:
                    self._by_pid.setdefault(pid, session)
            for attribute in _SESSION_VALUES:
                if attribute not in firsts and getattr(session, attribute):
                    firsts[attribute] = getattr(session, attribute)
        self._firsts = firsts

    def of(self, hit: Hit) -> Place:
        """Where things are for ``hit``: its metrics, then its session, then the first value in the bundle."""
        session = self._by_id.get(hit.session) if hit.session else None
        pid = hit.metrics.get("pid")
        if session is None and isinstance(pid, int):
            session = self._by_pid.get(pid)

        def first(attribute: str) -> Any:
            own = getattr(session, attribute) if session is not None else None
            return own or self._firsts.get(attribute)

        endpoint = hit.metrics.get("endpoint") or first("endpoint")
        # What the hit itself knows, when the sessions do not say (a crash report's OS).
        told = hit.metrics.get("platform")
        bundle = self.bundle
        return Place(
            platform=((_platform_in((session,)) or self._platform) if session is not None else None)
            or bundle.platform
            or (told if told in PLATFORMS else None),
            unix=bundle.unix,
            binary=hit.metrics.get("binary_path") or first("binary_path"),
            work_dir=bundle.work_dir,
            info_json=bundle.info_json,
            endpoint=endpoint if isinstance(endpoint, str) and not endpoint[:1].isdigit() else None,
            pid=pid if isinstance(pid, int) else first("pid"),
            port=first("port"),
        )


def steps_for(
    playbook: Playbook | None, ranked: Sequence[str], place: Place, *, causes_shown: int = 2
) -> tuple[Step, ...]:
    """The steps of the ``causes_shown`` most likely causes that have any, then ``default``, for the platform.

    When the platform is unknown each platform's steps are given, in ``PLATFORMS`` order (Windows left out when
    the bundle shows a Unix socket or path). A step repeated by
    a later list is kept once, where it first appears.
    """
    if playbook is None:
        return ()
    if place.platform in PLATFORMS:
        platforms = [str(place.platform)]
    else:
        platforms = [p for p in PLATFORMS if not (place.unix and p == "windows")]
    steps: list[Step] = []
    for platform in platforms:
        per_cause = playbook.steps[platform]
        chosen = [key for key in ranked if key in per_cause][:causes_shown]
        values = fill_values(platform, place)
        seen: set[tuple[str, str | None]] = set()
        for key in (*chosen, "default"):
            for template in per_cause[key]:
                step = _fill(template, platform, values)
                if (step.text, step.command) not in seen:
                    seen.add((step.text, step.command))
                    steps.append(step)
    return tuple(steps)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Values:
    human: Mapping[str, str]
    shell: Mapping[str, str]


@lru_cache(maxsize=256)
def fill_values(platform: str, place: Place) -> _Values:
    """Each placeholder as a person reads it and as a quoted shell word, for ``platform``.

    Cached for the last few places: a session's findings come one after another and share its place.
    """
    where = BY_PLATFORM[platform]
    windows = platform == "windows"
    quote = _ps_quote if windows else _sh_quote
    human: dict[str, str] = {}
    shell: dict[str, str] = {}

    def put(name: str, value: str | None, default_human: str, default_shell: str) -> None:
        human[name] = value if value else default_human
        shell[name] = quote(value) if value else default_shell

    put("binary", place.binary, where.binary_human, where.binary)
    install = _install_dir(place.binary, platform)
    put("install_dir", install, where.install.human, where.install.shell)
    work_dir = place.work_dir or (_parent(place.info_json, where.sep) if place.info_json else None)
    put("work_dir", work_dir, where.cache.human, where.cache.shell)
    info_json = place.info_json or (work_dir + where.sep + ".info.json" if work_dir else None)
    info_human = where.cache.human + where.sep + ".info.json"
    info_shell = _join_shell(where.cache.shell, ".info.json", where.sep)
    put("info_json", info_json, info_human, info_shell)
    if windows:
        endpoint_default = r"\\.\pipe\qoder-*"
        read = f"(Get-Content -Raw {shell['info_json']} | ConvertFrom-Json)"
        pid_shell, port_shell = f"{read}.pid", f"{read}.port"
    else:
        endpoint_default = "/tmp/qoder-*.sock"
        pid_shell = f'"$(sed -n \'s/.*\\"pid\\": *\\([0-9]*\\).*/\\1/p\' {shell["info_json"]})"'
        port_shell = f'"$(sed -n \'s/.*\\"port\\": *\\([0-9]*\\).*/\\1/p\' {shell["info_json"]})"'
    human["endpoint"] = place.endpoint or endpoint_default
    shell["endpoint"] = quote(place.endpoint) if place.endpoint else endpoint_default
    human["pid"] = str(place.pid) if place.pid is not None else "the pid in .info.json"
    shell["pid"] = str(place.pid) if place.pid is not None else pid_shell
    human["port"] = str(place.port) if place.port is not None else "the port in .info.json"
    shell["port"] = str(place.port) if place.port is not None else port_shell
    put("log_folder", None, where.logs.human, where.logs.shell)
    put("crashpad", None, where.crashpad.human, where.crashpad.shell)
    return _Values(human=FrozenDict(human), shell=FrozenDict(shell))


def _fill(template: StepTemplate, platform: str, values: _Values) -> Step:
    """The step ``template`` makes for ``platform`` with ``values``: one ``Step`` for each distinct set of the values
    it names, shared by the findings that have them (the places of a bundle's findings differ mostly in pids)."""
    text_names = _names(template.text)
    command_names = _names(template.command) if template.command else ()
    return _step(
        template,
        platform,
        tuple(values.human[name] for name in text_names),
        tuple(values.shell[name] for name in command_names),
    )


@lru_cache(maxsize=4096)
def _step(template: StepTemplate, platform: str, human: tuple[str, ...], shell: tuple[str, ...]) -> Step:
    text_names = _names(template.text)
    command = (
        _FORMATTER.vformat(template.command, (), dict(zip(_names(template.command), shell, strict=True)))
        if template.command
        else None
    )
    named = dict(zip(text_names, human, strict=True))
    return Step(
        platform=platform,
        text=_FORMATTER.vformat(template.text, (), named),
        shell=SHELLS[platform] if command else None,
        command=command,
        template=template.text,
        values=FrozenDict(named),
    )


@lru_cache(maxsize=1024)
def _names(template: str) -> tuple[str, ...]:
    """The placeholders ``template`` names, each once, in order."""
    return tuple(dict.fromkeys(name for _, name, _, _ in _FORMATTER.parse(template) if name is not None))


def _sh_quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def _ps_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _parent(path: str, sep: str) -> str:
    return path.rsplit(sep, 1)[0] if sep in path else path


def _join_shell(folder: str, name: str, sep: str) -> str:
    """``"$HOME/…/SharedClientCache"`` + ``.info.json`` → ``"$HOME/…/SharedClientCache/.info.json"`` (same quoting)."""
    if folder.endswith('"'):
        return folder[:-1] + sep + name + '"'
    return folder + sep + name


def _install_dir(binary: str | None, platform: str) -> str | None:
    """The install folder a sidecar binary path lies in (``…\\Programs\\Qoder``, ``/Applications/Qoder.app``)."""
    if not binary:
        return None
    for marker in ("\\resources\\app\\", "/Contents/Resources/", "/resources/app/", "/extensions/"):
        if marker in binary:
            return binary.split(marker, 1)[0]
    return _parent(binary, "\\" if platform == "windows" else "/")
