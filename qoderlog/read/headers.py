"""Which framing a line's header is, and the record it makes: every header shape in one place.

The text headers (VS Code, spdlog and electron-log, console, dateless VS
Code lines, Chromium's stderr, language clients, glog, Go and Rust panics, bare
JavaScript errors, DevTools console copies) and structured JSON lines, with
the levels, timestamps and components they carry. ``read.framing`` decides
from them how lines become records; the block scanner finds the same headers
in bulk (``HEADER_SHAPES``, ``kept_line_literals``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from ..limits import DEFAULT_LIMITS
from ..model import LEVEL_RANK, Framing, Record

MAX_JSON_DEPTH = DEFAULT_LIMITS.max_json_depth
_UNREAD: Any = object()
"""``make_record``'s default ``level``: the level is read from the header."""

VSCODE_HEADER = re.compile(r"(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?) \[([A-Za-z_]\w*)\] ?", re.ASCII)
# A JetBrains IDE's idea.log (IdeaLogRecordFormatter): time with a comma, "[%7d]" ms since start (dashes before it
# is known), the level right-aligned in six ("  WARN", "SEVERE"), the logger (abbreviated, maybe "#"-prefixed).
IDEA_HEADER = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \[ *(?:\d+|-+)\] +([A-Z]+) - (\S+) - ?", re.ASCII)
# spdlog's [time] [logger] [level], and electron-log's [time] [level] (a known level word, the time maybe in UTC).
SPDLOG_HEADER = re.compile(
    r"\[(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?Z?)\] (?:\[([^\]]*)\] \[(\w+)\]"
    r"|\[((?i:trace|debug|info|warn|warning|error|critical|fatal|verbose|silly))\]) ?",
    re.ASCII,
)
CONSOLE_HEADER = re.compile(r"\[([A-Za-z][\w.-]*) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?)(Z?)\] ?", re.ASCII)
# Chromium's stderr: [pid:tid:MMDD/HHMMSS.ffffff:LEVEL:file.cc(line)], [pid:MMDD/…] or [MMDD/…]; no year, no timestamp.
# Since 2024 (Electron 30 on) Chromium names the place as path:line, the path from the source root:
# [0531/122942.115822:FATAL:electron/shell/app/electron_main_delegate_mac.mm:72].
CHROMIUM_HEADER = re.compile(
    r"\[(?:(\d+):)?(?:(\d+):)?([01]\d[0-3]\d/\d{6}(?:\.\d+)?):([A-Z]+\d?):([^\]\s]*(?:\(\d+\)|\.\w+:\d+))\] ?",
    re.ASCII,
)
# glog: E0628 12:37:38.181530 15509 file.go:60] (levels I, W, E, F; no year: no timestamp).
GLOG_HEADER = re.compile(r"([IWEF])([01]\d[0-3]\d \d\d:\d\d:\d\d\.\d+) +(\d+) ([^\]\s]+:\d+)\] ?", re.ASCII)
# A language client's output channel: [Error - 9:21:56 AM], [Error - 上午11:01:26] (time of day only: no timestamp).
LSP_HEADER = re.compile(r"\[(Trace|Debug|Info|Warn|Error) *- ([^\]\n]*?\d{1,2}:\d\d:\d\d[^\]\n]*)\] ?", re.ASCII)
# No date: a VS Code line pasted without its date (07:22:51.863 [error], or just [error]), the old console's
# [main 3:45:14 PM].
CLOCK_HEADER = re.compile(
    r"(?:(\d\d:\d\d:\d\d(?:[.,]\d+)?) \[(\w+)\]|\[([A-Za-z][\w.-]*) (\d{1,2}:\d\d:\d\d(?: ?[AP]M)?)\]"
    r"|\[(trace|debug|info|warning|error|critical)\](?= ))"
    r" ?",
    re.ASCII,
)
# A copy of the DevTools console: "abstractExtensionService.ts:644 message", "log.ts:437   ERR message", "INFO message".
DEVTOOLS_HEADER = re.compile(r"(?:([\w.-]+\.(?:ts|js|mjs|cjs)):(\d+) +)?(?:(ERR|WARN|INFO|TRACE|DEBUG) +)?", re.ASCII)
# A Go runtime crash: the goroutine dump that follows is its continuation. Besides a panic and a fatal error, the
# runtime dies of a signal it got outside Go code with the signal's name first (SIGABRT: abort, then PC=… m=…), often
# after runtime/cgo's own message (runtime/cgo: pthread_create failed: Resource temporarily unavailable).
GO_SIGNALS = ("SIGABRT", "SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGTRAP", "SIGQUIT", "SIGSYS")
GO_PANIC_HEADER = re.compile(r"(?:panic|fatal error|runtime/cgo): |(?:" + "|".join(GO_SIGNALS) + r"): [a-z]", re.ASCII)
# A Rust program's panic (rust-analyzer, a Rust sidecar) is read the same way, its backtrace the continuation: the
# standard library's "thread 'main' panicked at src/main.rs:2:5:" with the message on the next line (Rust 1.73 on),
# "thread '<unnamed>' panicked at 'message', src/lib.rs:1" before, and newer ones name the thread's id,
# "thread 'main' (2746573) panicked at …".
RUST_PANIC_HEADER = re.compile(r"thread '[^'\n]{1,100}'(?: \(\d+\))? panicked at ", re.ASCII)
# A bare JavaScript error line, e.g. "TypeError: x" or "Error [ERR_MODULE_NOT_FOUND]: y"; its "    at" frames follow.
ERROR_NAMES = (
    "Error",
    "TypeError",
    "RangeError",
    "ReferenceError",
    "SyntaxError",
    "EvalError",
    "URIError",
    "AggregateError",
    "SystemError",
    "AbortError",
)
STACK_HEADER = re.compile(r"(?:" + "|".join(ERROR_NAMES) + r")(?: \[[A-Z0-9_]+\])?: ", re.ASCII)
_TAG = re.compile(r"\[([A-Za-z][\w.#-]*)\]:? ?")
_PREFIX_COMPONENT = re.compile(r"([A-Za-z][\w]*)(?:#|: )")
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]')
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

_LEVELS = {
    "trace": "trace",
    "debug": "debug",
    "info": "info",
    "information": "info",
    "warn": "warning",
    "warning": "warning",
    "err": "error",
    "erro": "error",  # slog's four letters, logrus's on a terminal
    "error": "error",
    "fatal": "critical",
    "fata": "critical",
    "pani": "critical",
    "crit": "critical",
    "critical": "critical",
    # java.util.logging's names, as idea.log writes them
    "severe": "error",
    "config": "info",
    "fine": "debug",
    "finer": "trace",
    "finest": "trace",
}
_GLOG_LEVELS = {"I": "info", "W": "warning", "E": "error", "F": "critical"}
_JSON_TIME_KEYS = ("timestamp", "time", "ts", "@timestamp")
_JSON_LEVEL_KEYS = ("level", "severity", "lvl")
_JSON_MESSAGE_KEYS = ("message", "msg")
_JSON_COMPONENT_KEYS = ("component", "logger")


def normalise_level(level: str | None) -> str | None:
    """``"WARN"`` → ``"warning"``; unknown levels are kept lower-cased."""
    if level is None:
        return None
    lowered = level.lower()
    return _LEVELS.get(lowered, lowered)


def parse_timestamp(text: str) -> datetime | None:
    """An ISO-like log timestamp → naive local datetime, or aware UTC when it has a zone (``Z``, ``+08:00``)."""
    try:
        stamp = datetime.fromisoformat(text)
        # Aware stamps are kept in UTC so that every aware value means the same clock (tables mark them as UTC).
        return stamp.astimezone(UTC) if stamp.tzinfo is not None else stamp
    except (ValueError, OverflowError):
        return None


def split_component(rest: str) -> tuple[str | None, str]:
    """``"[IPC] Checking…"`` → ``("IPC", "Checking…")``; ``"update#setState idle"`` → ``("update", …)``.

    A leading ``[Tag]`` is removed from the message; a ``word#`` or
    ``Word: `` prefix names the component but stays in the message.
    """
    tag = _TAG.match(rest)
    if tag:
        return tag[1], rest[tag.end() :]
    prefix = _PREFIX_COMPONENT.match(rest)
    return (prefix[1] if prefix else None), rest


def json_depth(line: str, limit: int) -> int:
    """How deep ``line``'s brackets nest outside strings, scanning only as far as needed to pass ``limit``.

    Cheap for ordinary lines: a line with no more brackets than ``limit`` cannot nest deeper.
    """
    if line.count("{") + line.count("[") <= limit:
        return 0
    depth = deepest = 0
    for token in _JSON_TOKEN.finditer(line):
        char = token[0]
        if char in "{[":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif char in "}]":
            depth -= 1
    return deepest


def parse_json_record(line: str, max_depth: int = MAX_JSON_DEPTH) -> dict[str, Any] | None:
    """The object of a structured JSON log line, or ``None`` if the line is not one.

    A structured record is a JSON object with a string message and a level or
    timestamp; anything else starting with ``{`` (a payload) is not, and
    neither is a line nested deeper than ``max_depth``.
    """
    if '"message"' not in line and '"msg"' not in line:
        return None
    if too_deep(line, max_depth):
        return None
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if _ESCAPED_SURROGATE.search(line):
        value = _scrub(value)
    if not isinstance(value, dict):
        return None
    message = _first(value, _JSON_MESSAGE_KEYS)
    if not isinstance(message, str):
        return None
    if _first(value, _JSON_LEVEL_KEYS) is None and _first(value, _JSON_TIME_KEYS) is None:
        return None
    return value


def too_deep(line: str, limit: int) -> bool:
    """Whether ``parse_json_record`` turned ``line`` down for its depth alone."""
    return ('"message"' in line or '"msg"' in line) and json_depth(line, limit) > limit


def _scrub(value: Any) -> Any:
    """``value`` with lone surrogates in its strings (and keys) replaced by U+FFFD."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_scrub(key): _scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    return value


def _first(obj: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if key in obj:
            return obj[key]
    return None


def _json_record(obj: dict[str, Any], *, source: str, line: int, text: str) -> Record:
    stamp = _first(obj, _JSON_TIME_KEYS)
    timestamp = None
    if isinstance(stamp, str):
        timestamp = parse_timestamp(stamp)
    elif isinstance(stamp, int | float) and not isinstance(stamp, bool):
        try:
            seconds = stamp / 1000 if stamp > 1e11 else stamp
            timestamp = datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            timestamp = None
    level = _first(obj, _JSON_LEVEL_KEYS)
    component, message = split_component(_first(obj, _JSON_MESSAGE_KEYS))
    named = _first(obj, _JSON_COMPONENT_KEYS)
    used = {*_JSON_TIME_KEYS, *_JSON_LEVEL_KEYS, *_JSON_MESSAGE_KEYS, *_JSON_COMPONENT_KEYS}
    return Record(
        source=source,
        line=line,
        framing=Framing.JSON,
        timestamp=timestamp,
        level=normalise_level(level) if isinstance(level, str) else None,
        component=component or (named if isinstance(named, str) else None),
        logger=obj.get("category") if isinstance(obj.get("category"), str) else None,
        message=message,
        text=text,
        fields={k: v for k, v in obj.items() if k not in used},
    )


def _header_record(
    framing: Framing,
    match: re.Match[str],
    *,
    source: str,
    line: int,
    text: str,
    level: Any = _UNREAD,
) -> Record:
    stamp: str | None
    logger: str | None
    if framing is Framing.VSCODE:
        stamp, logger = match[1], None
    elif framing is Framing.IDEA:
        stamp, logger = match[1], match[3]
    elif framing is Framing.SPDLOG:
        stamp, logger = match[1], match[2]
    elif framing is Framing.CONSOLE:
        logger, stamp = match[1], match[2] + match[3]
    elif framing.self_describing:
        # The header is the message: "panic: …" and "TypeError: …" stay whole, so templates and patterns see them.
        level = "error" if framing is Framing.STACK else "fatal"
        return Record(
            source=source,
            line=line,
            framing=framing,
            timestamp=None,
            level=normalise_level(level),
            component=None,
            logger=None,
            message=text,
            text=text,
        )
    else:
        stamp, logger = None, _LOGGERS[framing](match)
    end = match.end()
    if level is _UNREAD:
        level = _relayed(text, end, _raw_level(framing, match))
    component, message = split_component(text[end:])
    return Record(
        source=source,
        line=line,
        framing=framing,
        timestamp=parse_timestamp(stamp) if stamp is not None else None,
        level=normalise_level(level),
        component=component,
        logger=logger,
        message=message,
        text=text,
    )


_LOGGERS: dict[Framing, Callable[[re.Match[str]], str | None]] = {
    Framing.CHROMIUM: lambda match: match[5],
    Framing.GLOG: lambda match: match[4],
    Framing.LSP: lambda match: "lsp",
    Framing.CLOCK: lambda match: match[3],
    Framing.DEVTOOLS: lambda match: f"{match[1]}:{match[2]}" if match[1] else None,
}
"""The writer a header without a timestamp names: Chromium's and glog's source file, a language client."""


def bare_record(text: str, *, source: str, line: int, level: str | None = None) -> Record:
    """A record for a headerless line (a pasted snippet): no timestamp; the ``level`` ``bare_level`` read, if any."""
    component, message = split_component(text.strip())
    return Record(
        source=source,
        line=line,
        framing=Framing.BARE,
        timestamp=None,
        level=level,
        component=component,
        logger=None,
        message=message,
        text=text,
    )


_BARE_LEVEL = re.compile(
    # slog's four letters (ERRO, as VS Code's Windows updater writes its vscode-inno-updater.log); logrus's on a
    # terminal (ERRO[0000], FATA[0000], PANI[0000]: the seconds since start in brackets)
    r"(?:\S+\s+){0,3}?[\[(<]?(ERROR|ERRO|ERR|SEVERE|FATAL|FATA|PANI|CRITICAL|CRIT|WARNING|WARN)[\])>]?"
    r"(?::|(?=\s)|$|(?<=[A-Z])(?=\[\d{4,}\] ))"
    r"|(?:(?!No |Not )[A-Z][a-z]+ )?(Error|Fatal|Critical|Severe|Warning|Warn|error|fatal|warning)"
    r"(?::| \d{4}-\d\d-\d\d| \d\d?:\d\d)"
    r"|(?:[A-Za-z_$][\w$]*\.)*[A-Za-z_$][\w$]*(?:Error|Exception)(?::|$)|Exception in thread "
    r"|Traceback \(most recent call last\):"
    # WSL's own error code, as wsl.exe prints it (Error code: Wsl/Service/CreateInstance/CreateVm/E_INVALIDARG)
    r"|Error code: Wsl/"
    # Windows' own record of a crash, copied from the Event Viewer (Application Error 1000, WER 1001) or the
    # Reliability Monitor: the faulting application, its exception code, the problem event.
    r"|\s*(?:Faulting application name:|Exception [Cc]ode:\s*(?:0x)?[0-9a-fA-F]{8}\b"
    r"|(?:Problem )?Event Name:\s*(?:APPCRASH|BEX64|BEX|MoAppCrash)\b"
    r"|<Provider Name=\"(?:Application Error|Windows Error Reporting)\""
    # macOS's crash report pasted as text (a .crash or the text of an .ips): the exception, the termination.
    r"|Exception Type:\s+EXC_[A-Z_]+|Termination Reason:\s+(?:Namespace\s+)?[A-Z_]+,?\s+(?:Code\s+)?\S"
    # macOS's loader (dyld) that cannot load a library, in a terminal or a crash report's Dyld Error Message
    r"|(?:dyld(?:\[\d+\])?: )?Library not loaded: '?[@/]"
    # Windows' dialog for a program that cannot start (0xc000007b: a DLL of the wrong architecture or a broken runtime)
    r"|\"?The application was unable to start correctly \(0x[0-9a-fA-F]+\)"
    # The words an error message starts with, a notification or a dialog pasted as text, a bare error string: VS
    # Code's "Failed to save 'x': Unable to write file …" and "Failed to install VS Code update. …", Go's "failed to
    # create shim task: …", the Windows updater's dialog "There was an error while Opening file handle: …"
    r"|\"?(?:[Ff]ailed to|Unable to|Could not|Couldn't|Cannot|Can't) [a-z]+\b|There was an error while \S"
    r"|\"?Error (?:while|when|during) [a-z]+|\"?Error (?:installing|uninstalling|loading|reading|writing|connecting"
    r"|starting|opening|saving|downloading|updating|running|executing|parsing|resolving|fetching|sending) \S"
    # winston's line, "2017-11-06T13:26:09.907Z - error: [ui] …" (GitHub Desktop's and other Electron apps' logs)
    r"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?Z? - (error|warn|warning):"
    # .NET's logger, its level in four letters before the category: OmniSharp's "[fail]: OmniSharp.MSBuild.…", the
    # console's "fail: Microsoft.CodeAnalysis.LanguageServer[0]" (C# language servers' output channels)
    r"|\[?(fail|crit|warn)\]?: [A-Z]\w*"
    # PowerShell's error record's CategoryInfo and FullyQualifiedErrorId lines (its first line: _GATED)
    r"|\s*\+ (?:CategoryInfo|FullyQualifiedErrorId) +: \S"
    # npm's own prefix on every line it writes, "npm ERR! code 1" (npm 6-9) and "npm error code 1" (npm 10 on), its
    # warnings "npm WARN"/"npm warn"; node-gyp's "gyp ERR!" (code-server installed with npm builds argon2 so)
    r"|(?:npm|gyp) (ERR!|error|WARN|warn) )",
    re.ASCII,
)
"""What makes a line in a shape no framing knows look like an error or a warning to a person.

An upper-case level word among its first four words (``2024-01-01 12:00:00
ERROR [main] …``, ``[FATAL] …``, ``WARN: …``, slog's ``May 24 18:02:46.543 ERRO …``
as VS Code's Windows updater writes it, logrus's ``ERRO[0000] …``); a first word that is a level
before a colon or a time (``fatal: not a git repository``, the Python
extension's ``Error 2021-11-04 21:16:31: …``), or the second after a
capitalised word (Remote-SSH's ``Resolver error: Error: …``; not ``No error:``); an exception's line
(``java.net.ConnectException: …``, ``ValueError: …``, ``Exception in thread
"main" …``); a Python traceback's first line; WSL's ``Error code: Wsl/…``; the lines of a Windows crash
event copied from the Event Viewer (``Faulting application name: …``,
``Exception code: 0xc0000005``, ``Problem Event Name: APPCRASH``, the XML
view's ``<Provider Name="Application Error" />``); the lines of macOS's crash
report pasted as text (``Exception Type:  EXC_BAD_ACCESS (SIGSEGV)``,
``Termination Reason:  Namespace CODESIGNING, Code 1 …``); macOS's loader's
``dyld: Library not loaded: …``; Windows' ``The application was unable to
start correctly (0xc000007b)``; a language client's notice that it gave its
server up (``The X server crashed 5 times in the last 3 minutes. The server
will not be restarted.``, ``Connection to server got closed. Server will not
be restarted.``); the words an error message starts with, as a notification,
a dialog or a bare error string is pasted (``Failed to save 'x': …``,
``failed to create shim task: …``, ``Unable to …``, ``Could not …``, ``Cannot …``,
``Error while …``, ``Error installing …``, ``There was an error while …``); winston's
``2017-11-06T13:26:09.907Z - error: …``; Python's logging's ``… UTC - ERROR -
jsonrpc.endpoint - …``; .NET's logger's ``[fail]: Category``
(OmniSharp) and ``fail: Category[0]``; PowerShell's error record (``x : The term
'x' is not recognized as the name of a cmdlet …``, ``+ CategoryInfo : …``) and
cmd.exe's ``'x' is not recognized as an internal or external command``, in
English and in Chinese (``无法将“x”项识别为 cmdlet…``, ``'x' 不是内部或外部命令…``);
Windows' "access denied" ending a message or, in Chinese, anywhere (``拒绝访问``);
VS Code's ``We cannot connect to the Extensions Marketplace …`` (the last ones:
``_GATED``, behind a substring test); npm's and node-gyp's ``npm ERR! …``,
``npm error …``, ``gyp ERR! …`` (``npm WARN`` a warning).
"""


_GATED: tuple[tuple[str, re.Pattern[str]], ...] = (
    # A language client that gave its server up, as its notification is pasted (vscode-languageclient's words, in
    # every version: "The X server crashed 5 times in the last 3 minutes. The server will not be restarted.", the
    # older "… It will not be restarted.", and "Connection to server got closed. Server will not be restarted.")
    (
        "ill not be restarted",
        re.compile(
            r"(?:^|\s)[Ss]erver crashed \d+ times in the last \d+ minutes\. (?:The server|It) will not be restarted"
            r"|(?i:Connection to server got closed\. Server will not be restarted)",
            re.ASCII,
        ),
    ),
    # A command the shell cannot find: PowerShell's error record (Windows PowerShell's and PowerShell 7's wording),
    # cmd.exe's message; and both in Chinese, as Qoder's users on Chinese Windows get them
    (
        " is not recognized as ",
        re.compile(
            r"The term '[^'\n]+' is not recognized as (?:the|a) name of a cmdlet"
            r"|'[^'\n]+' is not recognized as an internal or external command"
        ),
    ),
    ("项识别为 cmdlet", re.compile(r"无法将“[^”\n]+”项识别为 cmdlet")),
    ("不是内部或外部命令", re.compile(r"'[^'\n]+' 不是内部或外部命令")),
    # Windows' "access denied", wherever a dialog's text or a tool's message puts it: the English message ending a
    # line ("Failed to create file handle: Access is denied.", "Error 5: Access is denied"), the Chinese anywhere
    # (Inno Setup's "…时发生一个错误: 拒绝访问。", a full-width colon, as Qoder's updater shows it in Chinese)
    ("Access is denied", re.compile(r"(?:^|: |\. )Access is denied\.?\s*$")),
    ("拒绝访问", re.compile("拒绝访问")),
    # VS Code's notice that the extension gallery is unreachable (a proxy, a firewall, DNS), as users retype it too
    ("xtensions", re.compile(r"(?i)\bcannot connect to the extensions marketplace")),
)
"""Error shapes anywhere in a line, each behind a literal the line must hold first (a substring test is cheap)."""
_PYTHON_LEVEL = re.compile(r"(?:\S+ ){0,8}?- (ERROR|CRITICAL|FATAL|WARNING|WARN) - ", re.ASCII)
"""Python's logging in its cookbook's format, the level between dashes after the time (and a zone, a logger):
pyls/pylsp's ``2018-12-19 18:16:13,185 UTC - ERROR - jsonrpc.endpoint - …``, ``… - jedi - WARNING - …``."""
_DOTNET_LEVELS = {"fail": "error", "crit": "critical", "warn": "warning"}
_NPM_LEVELS = {"ERR!": "error", "error": "error", "WARN": "warning", "warn": "warning"}
"""Microsoft.Extensions.Logging's short level names (its ``dbug``, ``trce`` and ``info`` are no problem)."""


_KERNEL_KILL = re.compile(
    r"\bOut of memory: Kill(?:ed)? process \d+|\boom-kill:|\boom_reaper: reaped process \d+"
    r"|\]: segfault at [0-9a-f]+ ip [0-9a-f]+|\btraps: .{1,80}\] general protection fault",
    re.ASCII,
)
"""The Linux kernel's record of a process it killed or that crashed, wherever a dmesg or syslog prefix puts it:
``[ 1234.5678] Out of memory: Killed process 2345 (qoder)``, ``code[1234]: segfault at 0 ip …``."""


_SIGNALS = (
    r"(?:Segmentation fault|Aborted|Killed|Terminated|Trace/breakpoint trap|Trace/BPT trap|Abort trap"
    r"|Illegal instruction|Bus error|Floating point exception|段错误)"
)
_SHELL_DEATH = re.compile(
    r"\s*(?:" + _SIGNALS + r"(?: ?\((?:core dumped|核心已转储)\)|: \d+)?\s*$"
    r"|(?:\[\d+\]\s*[+-]?\s+(?:\d+\s+)?|\S+: line \d+:\s+\d+\s+)"
    + _SIGNALS
    + r"(?: \(core dumped\)|: \d+)?(?:\s+\S.*)?$"
    r"|(?:zsh: |\[\d+\]\s*[+-]?\s+\d+\s+)(?:killed|segmentation fault|abort|trace trap|bus error"
    r"|illegal hardware instruction|floating point exception|terminated)(?: \(core dumped\))?\s+\S.*$"
    r"|fish: (?:Job \d+, )?.+ terminated by signal SIG[A-Z]+\b.*$)"
)
"""A shell's report that the program it ran died of a signal, the whole line: bash's ``Segmentation fault (core
dumped)`` or ``Trace/breakpoint trap``, macOS bash's ``Killed: 9`` or ``Trace/BPT trap: 5``, a job's ``[1]+  Killed
code``, a script's ``./run.sh: line 3: 4242 Aborted  code``, zsh's ``zsh: killed     code`` or, for a job,
``[1]    22648 segmentation fault (core dumped)  code``, fish's ``fish: Job 1,
'code' terminated by signal SIGSEGV …``, glibc's Chinese ``段错误 (核心已转储)``. Not a sentence that starts with one
of the words (``Killed process 42``, ``Aborted.``, ``Terminated the old server``)."""
_NODE_WARNING = re.compile(r"\(node:\d+\) (?:\[[A-Z]+\d+\] )?(\w*Warning):")
"""Node's process warning line, ``(node:4242) [DEP0005] DeprecationWarning: …``; an unhandled rejection
(``UnhandledPromiseRejectionWarning``, before Node 15 made it fatal) is an error, the others warnings."""
_TERMINAL_FAILED = re.compile(
    r"\bterminated with exit code: [1-9]\d*\b|\bThe terminal process (?:\"[^\"\n]*\" )?failed to launch\b", re.ASCII
)
"""VS Code's notice that a terminal's shell ended with an error or never started (``The terminal process
"C:\\…\\powershell.exe" terminated with exit code: 3221225477.``, ``The terminal process failed to launch: Path to
shell executable "…" does not exist.``), wherever the paste put it; an exit code 0 is no failure."""
_GLIB_MESSAGE = re.compile(r"(?:\([^()\s]+:\d+\): )?[A-Z][\w-]*-(ERROR|CRITICAL|WARNING) \*\*:", re.ASCII)
"""GLib's message line, ``(code:10267): Gtk-WARNING **: 13:04:31.873: …``: its ERROR aborts the process (critical),
its CRITICAL is a failed assertion the process survives (a warning, as WARNING)."""
_GLIB_LEVELS = {"ERROR": "critical", "CRITICAL": "warning", "WARNING": "warning"}
_LOGFMT_LEVEL = re.compile(
    r'(?:^|\s)level="?(error|fatal|panic|critical|warning|warn|ERROR|FATAL|PANIC|CRITICAL|WARNING|WARN)"?\s(?:.*\s)?msg=',
    re.ASCII,
)
"""A Go service's logfmt line, wherever a syslog or journald prefix puts it: logrus's ``time="…" level=fatal
msg="…"`` (Docker's daemon, most Go services without a terminal), slog's ``time=… level=ERROR msg=…``; the level
before the message, as both write them. Their fatal and panic end the process (critical)."""
_LOGFMT_LEVELS = {"panic": "critical", "fatal": "critical"}
_CLOCKED = re.compile(r"\[(?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d(?:\.\d+)?\] ", re.ASCII)
"""The time an output channel puts before each line it writes: Remote-SSH's ``[20:25:59.944]``, the WSL
extension's ``[2024-06-05 14:18:35.775]`` (no level: the shapes after it say whether the line is an error)."""


_SSH_ERROR = re.compile(
    r"(?:stderr> )?(?:ssh: )?(?:connect to host \S+ port \d+: |Could not resolve hostname \S+: "
    r"|(?:[\w.-]+@[\w.:-]+: )?Permission denied \([\w,-]+\)\."
    r"|client_loop: send disconnect: |kex_exchange_identification: "
    r"|Connection (?:closed|reset) by \S+ port \d+|Connection to \S+ closed by remote host"
    r"|bind \[[^\]\s]+\]:\d+: Address already in use|channel_setup_fwd_listener(?:_tcpip)?: cannot listen to port: "
    r"|Could not request (?:local|remote) forwarding|Host key verification failed\.|Bad owner or permissions on "
    r"|Timeout, server \S+ not responding|channel \d+: open failed: )",
    re.ASCII,
)
"""OpenSSH's client saying why a connection failed or dropped, as a terminal shows it or as Remote-SSH relays the
ssh process's stderr (``[16:37:31.969] stderr> bind [::1]:58060: Address already in use``): a host that refuses
or does not resolve, a rejected key, a connection dropped (``client_loop: send disconnect: Broken pipe``), a port
forward that cannot listen (``Could not request local forwarding.``), a changed host key, a bad config's owner."""
_SYSLOG = re.compile(
    r"(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:?\d\d|Z)?)"
    r" \w[\w.-]* \w[\w.@/-]*(?:\[\d+\])?: ",
    re.ASCII,
)
"""The prefix syslog and journald (``journalctl``) put before a program's line: ``Aug 02 18:45:31 localhost
zincati[750]: ``, ``2019-08-02T18:45:31+0000 host sshd[42]: ``; the level is read after it."""
_PREFIX = re.compile(_CLOCKED.pattern + "|" + _SYSLOG.pattern, re.ASCII)
"""An output channel's clock or a syslog prefix, in one match (bare_level runs on every line of a snippet)."""


def bare_level(text: str) -> str | None:
    """The level a headerless line shows a reader; ``None`` when it shows none.

    ``_BARE_LEVEL``'s shapes (behind an output channel's ``[12:00:01.123]``
    time or a syslog or journald prefix, if any), OpenSSH's client's reasons for
    a failed or dropped connection (``_SSH_ERROR``), a kernel's record of a kill or a crash, a shell's report
    of a death by a signal (``_SHELL_DEATH``), a terminal that failed
    (``_TERMINAL_FAILED``), a GLib message, a Node process warning, a Go
    service's logfmt line (``_LOGFMT_LEVEL``).
    """
    prefix = _PREFIX.match(text)
    start = prefix.end() if prefix is not None else 0
    found = _BARE_LEVEL.match(text, start)
    if found is not None:
        word = found[1] or found[2] or found[3] or _DOTNET_LEVELS.get(found[4] or "") or _NPM_LEVELS.get(found[5] or "")
        return normalise_level(word) if word else "error"
    if _KERNEL_KILL.search(text) is not None or _SHELL_DEATH.match(text) is not None:
        return "error"
    if _SSH_ERROR.match(text, start) is not None:
        return "error"
    if " - " in text:
        python = _PYTHON_LEVEL.match(text, start)
        if python is not None:
            return normalise_level(python[1])
    for literal, shape in _GATED:
        if literal in text and shape.search(text) is not None:
            return "error"
    if _TERMINAL_FAILED.search(text) is not None:
        return "error"
    glib = _GLIB_MESSAGE.match(text)
    if glib is not None:
        return _GLIB_LEVELS[glib[1]]
    node = _NODE_WARNING.match(text)
    if node is not None:
        return "error" if node[1] == "UnhandledPromiseRejectionWarning" else "warning"
    if "level=" in text:
        logfmt = _LOGFMT_LEVEL.search(text)
        if logfmt is not None:
            word = logfmt[1].lower()
            return _LOGFMT_LEVELS.get(word) or normalise_level(word)
    return None


def match_header(
    text: str, max_json_depth: int = MAX_JSON_DEPTH, *, unframed: bool = True, console: bool | None = None
) -> tuple[Framing, re.Match[str] | dict[str, Any]] | None:
    """Which framing's header ``text`` starts with, and the match; ``None`` for headerless lines.

    ``unframed`` says that the file has shown no header yet: only then is a
    bare ``Error:`` line a header; ``console`` (by default ``unframed``)
    that the file may be a DevTools console copy (see ``HEADER_SHAPES``).
    """
    first = text[:1]
    if first.isdigit():
        match = VSCODE_HEADER.match(text) or IDEA_HEADER.match(text) or CLOCK_HEADER.match(text)
        if match is not None:
            return _BY_DIGIT[match.re], match
        return _console(text) if (unframed if console is None else console) else None
    if first == "[":
        for framing, header in _BRACKETED:
            match = header.match(text)
            if match:
                return framing, match
        return None
    if first == "{":
        obj = parse_json_record(text, max_json_depth)
        return (Framing.JSON, obj) if obj is not None else None
    for framing, header in _BY_FIRST.get(first, ()):
        match = header.match(text)
        if match and (unframed or framing is not Framing.STACK):
            return framing, match
    return _console(text) if (unframed if console is None else console) else None


def _console(text: str) -> tuple[Framing, re.Match[str]] | None:
    """A DevTools console line: a source location, a level badge, or both, before the message."""
    match = DEVTOOLS_HEADER.match(text)
    if match is None or match.end() == 0 or not (match[1] or match[3]):
        return None
    return Framing.DEVTOOLS, match


_BRACKETED = (
    (Framing.SPDLOG, SPDLOG_HEADER),
    (Framing.CONSOLE, CONSOLE_HEADER),
    (Framing.CLOCK, CLOCK_HEADER),
    (Framing.CHROMIUM, CHROMIUM_HEADER),
    (Framing.LSP, LSP_HEADER),
)
_BY_DIGIT: dict[re.Pattern[str], Framing] = {
    VSCODE_HEADER: Framing.VSCODE,
    IDEA_HEADER: Framing.IDEA,
    CLOCK_HEADER: Framing.CLOCK,
}
"""The headers that start with a digit, tried in this order."""
_BY_FIRST: dict[str, tuple[tuple[Framing, re.Pattern[str]], ...]] = {}
for _first_char in "IWF":
    _BY_FIRST[_first_char] = ((Framing.GLOG, GLOG_HEADER),)
_BY_FIRST["E"] = ((Framing.GLOG, GLOG_HEADER), (Framing.STACK, STACK_HEADER))
for _first_char in "pfrS":  # panic:, fatal error:, runtime/cgo:, SIGABRT:
    _BY_FIRST[_first_char] = ((Framing.GO_PANIC, GO_PANIC_HEADER),)
_BY_FIRST["t"] = ((Framing.RUST_PANIC, RUST_PANIC_HEADER),)  # thread '…' panicked at
for _name in ERROR_NAMES:
    if (Framing.STACK, STACK_HEADER) not in _BY_FIRST.get(_name[0], ()):
        _BY_FIRST[_name[0]] = (*_BY_FIRST.get(_name[0], ()), (Framing.STACK, STACK_HEADER))
"""The unbracketed headers by their first character, so that a line starting otherwise costs one dict miss."""


def make_record(
    framing: Framing,
    found: re.Match[str] | dict[str, Any],
    *,
    source: str,
    line: int,
    text: str,
    level: Any = _UNREAD,
) -> Record:
    """Build the ``Record`` for a header found by ``match_header``.

    ``level``, when given, is the raw level ``gate_and_level`` already read from this header (it is not read twice).
    """
    if isinstance(found, dict):
        return _json_record(found, source=source, line=line, text=text)
    return _header_record(framing, found, source=source, line=line, text=text, level=level)


DATED_HEADERS: tuple[re.Pattern[str], ...] = (VSCODE_HEADER, IDEA_HEADER, SPDLOG_HEADER, CONSOLE_HEADER)
"""The text headers that carry a date (JSON records aside): the ones a source's time span is read from."""
HEADER_SHAPES: tuple[re.Pattern[str], ...] = (
    *DATED_HEADERS,
    CLOCK_HEADER,
    CHROMIUM_HEADER,
    LSP_HEADER,
    GLOG_HEADER,
    GO_PANIC_HEADER,
    RUST_PANIC_HEADER,
)
"""Every text header of a framed file (JSON records aside), for readers that find header lines in bulk.

A bare ``Error:`` line (``STACK_HEADER``) is a header only before a file
shows one of these: in a framed log it is the first line of the stack that
the record before it printed. A DevTools console line (``DEVTOOLS_HEADER``)
is one only in a file that starts as a console copy, which is then read
line by line (a paste is small).
"""


def kept_line_literals(levels: Iterable[str]) -> frozenset[bytes]:
    """Byte strings, one of which every header line kept for its level alone holds (``levels`` normalised).

    The block scanner feeds the framer every line holding one of them, so
    that both readers keep the same records; a ``\n`` in front anchors a
    header that starts with a letter to the start of a line.
    """
    wanted = frozenset(levels)
    spellings = level_spellings(wanted)
    literals = {b"[" + word.encode() + b"]" for word in spellings}
    literals.update(b":" + word.encode() + b":" for word in spellings if word.isupper())  # Chromium
    literals.update(b"[" + word.encode() + b" " for word in spellings if word.istitle())  # language clients
    literals.update(b" " + word.encode() + b" - " for word in spellings if word.isupper())  # idea.log
    for letter, level in _GLOG_LEVELS.items():
        if level in wanted:
            for month in (b"0", b"1"):
                # At a line's start, or relayed after a writer's tag (``_relayed``).
                literals.update(start + letter.encode() + month for start in (b"\n", b"] ", b"]: "))
    if "error" in wanted:
        # A level-less header (the console's) before a JavaScript error: the error is the line's level (``_relayed``).
        literals.update(b"] " + name.encode() + end for name in ERROR_NAMES for end in (b": ", b" ["))
    if "critical" in wanted:
        literals.update((b"\npanic: ", b"\nfatal error: ", b"\nruntime/cgo: ", b"\nthread '"))
        literals.update(b"\n" + name.encode() + b": " for name in GO_SIGNALS)
    return frozenset(literals)


def level_spellings(levels: Iterable[str]) -> frozenset[str]:
    """The raw level words that keep a record for ``levels`` (normalised names such as ``"warning"``).

    A level counts in lower, UPPER or Title case (``error``, ``ERROR``,
    ``Error``) — the spellings loggers write; the fast block scanner looks
    for exactly these words, so both readers keep the same records.
    """
    wanted = set(levels)
    words = {raw for raw, norm in _LEVELS.items() if norm in wanted} | (wanted - set(_LEVELS.values()))
    return frozenset(spelling for word in words for spelling in (word, word.upper(), word.title()))


_RELAYED = (LSP_HEADER, CHROMIUM_HEADER)
_RELAYED_STARTS = frozenset("TDIWE0123456789")
"""The characters after ``[`` that can start a relayed header: a language client's level word, Chromium's digits."""
_RELAYING_TAG = re.compile(r"\[[A-Za-z][^\]\n]{0,60}\]:? (?=[IWEF][01]\d[0-3]\d )", re.ASCII)
"""A writer's tag before a glog line it relays: ``[Language Server]: E0507 20:29:57.902535 33412 x.go:70] …``."""


def _relayed(text: str, at: int, level: str | None) -> str | None:
    """The level of a line relayed inside a record (``[info] [Error - 4:55:53 PM] …``) when it is higher.

    A language client's or Chromium's header at the start of the message,
    or a glog line after a writer's tag (a JetBrains plugin relays its
    language server's stderr so), is the level the line really has; each
    shows a literal (``[Error``, ``:ERROR:``, ``]: E0``) that the block
    scanner looks for anywhere in a line. A header with no level of its own
    (the console's ``[main 2023-06-20T08:33:18.000Z]``) whose message is a
    JavaScript error (``Error: EPERM: …``, ``TypeError: …``) is an error;
    its literal is ``] Error: ``.
    """
    if level is None and STACK_HEADER.match(text, at) is not None:
        return "error"
    if text[at : at + 1] != "[":
        return level
    if text[at + 1 : at + 2] in _RELAYED_STARTS:
        for header in _RELAYED:
            inner = header.match(text, at)
            if inner is not None:
                return _higher(level, _raw_level(Framing.LSP if header is LSP_HEADER else Framing.CHROMIUM, inner))
    tag = _RELAYING_TAG.match(text, at)
    if tag is not None:
        inner = GLOG_HEADER.match(text, tag.end())
        if inner is not None:
            return _higher(level, _raw_level(Framing.GLOG, inner))
    return level


def _higher(level: str | None, relayed: str | None) -> str | None:
    """``relayed`` when it ranks above ``level``, else ``level`` (both raw level words)."""
    if LEVEL_RANK.get(normalise_level(relayed) or "", -1) > LEVEL_RANK.get(normalise_level(level) or "", -1):
        return relayed
    return level


def _raw_level(framing: Framing, match: re.Match[str]) -> str | None:
    if framing is Framing.VSCODE or framing is Framing.IDEA:
        return match[2]
    if framing is Framing.SPDLOG:
        return match[3] or match[4]
    if framing is Framing.CHROMIUM:
        return "debug" if match[4].startswith("VERBOSE") else match[4]  # VLOG levels VERBOSE1, VERBOSE2 …
    if framing is Framing.GLOG:
        return _GLOG_LEVELS[match[1]]
    if framing is Framing.LSP:
        return match[1]
    if framing is Framing.CLOCK:
        return match[2] or match[5]
    if framing is Framing.DEVTOOLS:
        return match[3]
    if framing is Framing.GO_PANIC or framing is Framing.RUST_PANIC:
        return "fatal"
    if framing is Framing.STACK:
        return "error"
    return None


def header_time(header: tuple[Framing, Any, str] | None) -> datetime | None:
    if header is None:
        return None
    framing, match, text = header
    return make_record(framing, match, source="", line=0, text=text).timestamp


def gate_and_level(framing: Framing, match: re.Match[str] | dict[str, Any], text: str) -> tuple[Any, Any]:
    """What a header line's prefilter gate looks at (a JSON record's message, else the line) and its raw level."""
    if isinstance(match, dict):
        return _first(match, _JSON_MESSAGE_KEYS), _first(match, _JSON_LEVEL_KEYS)
    return text, _relayed(text, match.end(), _raw_level(framing, match))
