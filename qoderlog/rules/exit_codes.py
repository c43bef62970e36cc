"""Exit codes, signals and Electron's reasons → what they say on their own about how a process ended.

Takes the ``code``, ``signal`` and ``reason`` an event carries (in any of the
forms logs print them: ``133``, ``-1073741819``, ``3221225477``,
``"0xC0000005"``, ``"SIGTERM"``, ``"null"``) and gives an ``ExitDecoding``:
its kind, a name, a plain-English meaning, a cause key and whether the end
was abnormal. The facts live in ``exit_codes.yaml`` beside this module, which
the loader checks against itself. The code alone only suggests a cause; the
rules rank causes from the bundle's other lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..yamlfiles import YamlProblem, load_yaml

TABLE_PATH = Path(__file__).with_name("exit_codes.yaml")
CAUSES = frozenset(
    {"none", "memory", "killed", "sandbox", "native-crash", "fatal-check", "stack-overflow", "install", "unknown"}
)
"""The cause keys a decoding may carry (documented in ``exit_codes.yaml``)."""
KINDS = frozenset({"clean", "signal", "ntstatus", "status", "electron", "unknown"})
"""How a decoding was reached: a clean end, a signal, an NTSTATUS, a plain status, Electron's reason, or not at all."""

_NO_VALUE = frozenset({"", "null", "none", "undefined", "unknown", "<unknown>", "<none>"})
_SIGNAL_SHIFT = 128
_U32 = 2**32
_NTSTATUS_ERROR = 0xC0000000
# Electron reports a signal's bare number with these reasons (``reason: killed, code: 15``; macOS ``crashed, code: 5``).
_SIGNAL_REASONS = frozenset({"crashed", "killed"})
# Reasons that say more than any code could: they decide the decoding even when a code is known.
_PLATFORMS = {
    "linux": "linux",
    "macos": "macos",
    "mac": "macos",
    "darwin": "macos",
    "osx": "macos",
    "windows": "windows",
    "win32": "windows",
    "win": "windows",
}
_DECISIVE_REASONS = frozenset({"clean-exit", "oom", "memory-eviction", "launch-failed", "integrity-failure"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ExitDecoding:
    """What an exit says by itself: ``kind``, ``name`` (``SIGTRAP``, ``STATUS_ACCESS_VIOLATION``…), ``meaning``,
    ``cause`` (a key of ``CAUSES``) and ``is_crash`` (the process ended abnormally, i.e. not a clean exit)."""

    kind: str
    name: str | None
    meaning: str
    cause: str
    is_crash: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ExitTable:
    """The loaded table: signals by name and number, NTSTATUS by unsigned code, plain statuses, Electron reasons."""

    signals_by_name: Mapping[str, ExitDecoding]
    signals_by_number: Mapping[int, ExitDecoding]
    macos_signals_by_number: Mapping[int, ExitDecoding]
    ntstatus: Mapping[int, ExitDecoding]
    statuses: Mapping[int, ExitDecoding]
    reasons: Mapping[str, ExitDecoding]


def _fail(message: str, entry: Mapping[str, Any] | None = None) -> ConfigError:
    return ConfigError(
        f"{message}: {dict(entry) if entry is not None else ''}".rstrip(": "),
        path=str(TABLE_PATH),
        hint="fix the entry in exit_codes.yaml so that it agrees with itself",
    )


def _cause(entry: Mapping[str, Any]) -> str:
    cause = entry.get("cause")
    if cause not in CAUSES:
        raise _fail(f"unknown cause {cause!r} (one of {sorted(CAUSES)})", entry)
    if not isinstance(entry.get("meaning"), str) or not entry["meaning"]:
        raise _fail("an entry needs a meaning", entry)
    return str(cause)


def _unique(seen: dict[Any, ExitDecoding], key: Any, value: ExitDecoding, entry: Mapping[str, Any]) -> None:
    if key in seen:
        raise _fail(f"{key!r} is listed twice", entry)
    seen[key] = value


def build_table(document: Mapping[str, Any]) -> ExitTable:
    """An ``ExitTable`` from the parsed YAML, refusing entries that contradict themselves or each other."""
    by_name: dict[str, ExitDecoding] = {}
    by_number: dict[int, ExitDecoding] = {}
    by_macos_number: dict[int, ExitDecoding] = {}
    for entry in document.get("signals") or []:
        name, number = entry.get("name"), entry.get("number")
        macos = entry.get("macos_number", number)
        if not isinstance(name, str) or not name.startswith("SIG") or not isinstance(number, int) or number < 1:
            raise _fail("a signal needs a SIG… name and a positive number", entry)
        if not isinstance(macos, int) or macos < 1:
            raise _fail("'macos_number' must be a positive number", entry)
        cause = _cause(entry)
        decoding = ExitDecoding(kind="signal", name=name, meaning=entry["meaning"], cause=cause, is_crash=True)
        _unique(by_name, name, decoding, entry)
        _unique(by_number, number, decoding, entry)
        _unique(by_macos_number, macos, decoding, entry)
    ntstatus: dict[int, ExitDecoding] = {}
    for entry in document.get("ntstatus") or []:
        try:
            code = int(str(entry.get("code")), 16)
        except ValueError:
            raise _fail('an NTSTATUS code is written in hex ("0xC0000005")', entry) from None
        signed = entry.get("signed")
        if not 0 <= code < _U32 or signed != (code - _U32 if code >= 2**31 else code):
            raise _fail("'signed' is not the signed 32-bit form of 'code'", entry)
        cause = _cause(entry)
        decoding = ExitDecoding(
            kind="ntstatus", name=entry.get("name"), meaning=entry["meaning"], cause=cause, is_crash=True
        )
        _unique(ntstatus, code, decoding, entry)
    statuses: dict[int, ExitDecoding] = {}
    for entry in document.get("statuses") or []:
        code = entry.get("code")
        if not isinstance(code, int):
            raise _fail("a status needs an integer code", entry)
        cause = _cause(entry)
        clean = cause == "none"
        kind = "clean" if clean else "status"
        decoding = ExitDecoding(
            kind=kind, name=entry.get("name"), meaning=entry["meaning"], cause=cause, is_crash=not clean
        )
        _unique(statuses, code, decoding, entry)
    reasons: dict[str, ExitDecoding] = {}
    for entry in document.get("electron_reasons") or []:
        reason, is_crash = entry.get("reason"), entry.get("is_crash")
        if not isinstance(reason, str) or not isinstance(is_crash, bool):
            raise _fail("an Electron reason needs a reason and is_crash true/false", entry)
        cause = _cause(entry)
        if (cause == "none") == is_crash:
            raise _fail("only a reason with cause 'none' is not a crash", entry)
        kind = "clean" if not is_crash else "electron"
        decoding = ExitDecoding(kind=kind, name=reason, meaning=entry["meaning"], cause=cause, is_crash=is_crash)
        _unique(reasons, reason, decoding, entry)
    if not by_number or not ntstatus or not reasons:
        raise _fail("the table needs signals, ntstatus and electron_reasons")
    return ExitTable(
        signals_by_name=by_name,
        signals_by_number=by_number,
        macos_signals_by_number=by_macos_number,
        ntstatus=ntstatus,
        statuses=statuses,
        reasons=reasons,
    )


@lru_cache(maxsize=1)
def load_table(path: Path = TABLE_PATH) -> ExitTable:
    """The exit-code table shipped with qoderlog (read and checked once)."""
    try:
        document = load_yaml(path)
    except (OSError, UnicodeDecodeError, YamlProblem) as error:
        raise ConfigError(f"cannot read the exit-code table: {error}", path=str(path)) from None
    if not isinstance(document, dict):
        raise ConfigError("the exit-code table is not a mapping", path=str(path))
    return build_table(document)


def _as_int(value: int | str | None) -> int | None:
    """``133``, ``"-1073741819"``, ``"0xC0000005"`` → an int; ``None``, ``"null"``, ``"<unknown>"`` → ``None``."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = value.strip()
    if text.lower() in _NO_VALUE:
        return None
    try:
        return int(text, 16) if text.lower().startswith(("0x", "-0x")) else int(text)
    except ValueError:
        return None


def _platform(platform: str | None) -> str | None:
    """``"darwin"``/``"mac"`` → ``"macos"``, ``"win32"``/``"Windows"`` → ``"windows"``, ``"Linux"`` → ``"linux"``."""
    if platform is None:
        return None
    name = platform.strip().lower()
    if name in _PLATFORMS:
        return _PLATFORMS[name]
    raise ValueError(f"unknown platform {platform!r} (one of {sorted(set(_PLATFORMS.values()))})")


def _numbers(table: ExitTable, platform: str | None) -> Mapping[int, ExitDecoding]:
    """Signal numbers as ``platform`` numbers them (Linux's unless macOS; Windows has none)."""
    if platform == "windows":
        return {}
    return table.macos_signals_by_number if platform == "macos" else table.signals_by_number


def _signal(table: ExitTable, signal: int | str | None, platform: str | None) -> ExitDecoding | None:
    """A signal given by name (``SIGTERM``, ``sigkill``, ``TERM``) or number; ``None`` for no signal."""
    if signal is None:
        return None
    number = _as_int(signal)
    if number is not None:
        numbers = table.macos_signals_by_number if platform == "macos" else table.signals_by_number
        return numbers.get(number) if number else None
    text = str(signal).strip().upper()
    if text.lower() in _NO_VALUE:
        return None
    name = text if text.startswith("SIG") else f"SIG{text}"
    known = table.signals_by_name.get(name)
    if known is not None:
        return known
    return ExitDecoding(kind="signal", name=name, meaning=f"ended by signal {name}", cause="unknown", is_crash=True)


def _with(decoding: ExitDecoding, meaning: str) -> ExitDecoding:
    return ExitDecoding(
        kind=decoding.kind, name=decoding.name, meaning=meaning, cause=decoding.cause, is_crash=decoding.is_crash
    )


def _code(table: ExitTable, code: int, reason: str | None, platform: str | None) -> ExitDecoding | None:
    """What a code says, given the reason it came with; ``None`` when the table does not know it."""
    if code in table.statuses:
        return table.statuses[code]
    unsigned = code % _U32
    if unsigned in table.ntstatus:
        return table.ntstatus[unsigned]
    numbers = _numbers(table, platform)
    if _SIGNAL_SHIFT < code < _SIGNAL_SHIFT + 65 and code - _SIGNAL_SHIFT in numbers:
        found = numbers[code - _SIGNAL_SHIFT]
        return _with(found, f"exit code {code} = 128 + {code - _SIGNAL_SHIFT}, ended by {found.name}: {found.meaning}")
    if reason in _SIGNAL_REASONS and code in numbers:
        found = numbers[code]
        return _with(found, f"code {code} is signal {found.name}: {found.meaning}")
    if unsigned >= _NTSTATUS_ERROR:
        return ExitDecoding(
            kind="ntstatus",
            name=None,
            meaning=f"a Windows error status 0x{unsigned:08X} the table does not know",
            cause="unknown",
            is_crash=True,
        )
    return None


def decode_exit(
    *,
    code: int | str | None = None,
    signal: int | str | None = None,
    reason: str | None = None,
    platform: str | None = None,
) -> ExitDecoding:
    """What ``code``, ``signal`` and Electron's ``reason`` say about how a process ended.

    ``platform`` (``linux``, ``macos``, ``windows``; aliases such as
    ``darwin`` and ``win32`` too), when the bundle shows it, says how to read
    bare numbers: macOS numbers some signals differently (10 is SIGBUS, 12
    SIGSYS), and Windows has no signals, so there 134 or ``killed, code: 15``
    are plain codes. Without it, numbers are read as Linux's.

    A decisive reason (``clean-exit``, ``oom``, ``memory-eviction``,
    ``launch-failed``, ``integrity-failure``) wins; then a signal; then the
    code (NTSTATUS in any form, 128+N, a bare signal number when the reason is
    ``crashed`` or ``killed``, 0 and 1); then the reason alone. Nothing known
    gives kind and cause ``unknown``: an abnormal end when there was a code
    or reason, not a crash when there was nothing to decode.
    """
    table = load_table()
    system = _platform(platform)
    why = reason.strip().lower() if isinstance(reason, str) and reason.strip().lower() not in _NO_VALUE else None
    known_reason = table.reasons.get(why) if why else None
    if known_reason is not None and why in _DECISIVE_REASONS:
        return known_reason
    by_signal = _signal(table, signal, system)
    if by_signal is not None:
        return by_signal
    number = _as_int(code)
    if number is not None:
        by_code = _code(table, number, why, system)
        if by_code is not None:
            # A reason that names a cause beats a code that names none (``killed`` with Windows' code 1).
            if known_reason is not None and by_code.cause in {"none", "unknown"} and known_reason.cause != "unknown":
                return known_reason
            if known_reason is not None and by_code.kind == "clean":
                return known_reason
            return by_code
    if known_reason is not None:
        return known_reason
    if why is not None:
        return ExitDecoding(
            kind="unknown", name=why, meaning=f"ended with reason {why!r}", cause="unknown", is_crash=True
        )
    if number is None:
        return ExitDecoding(
            kind="unknown",
            name=None,
            meaning="no exit code, signal or reason to decode",
            cause="unknown",
            is_crash=False,
        )
    return ExitDecoding(
        kind="unknown",
        name=None,
        meaning=f"exited with code {number}, which says nothing by itself",
        cause="unknown",
        is_crash=True,
    )
