"""``qoderlog collect``: gather Qoder's logs on the user's machine into one zip that ``analyze`` and ``batch`` read.

Run on Windows, macOS, Linux or a remote-SSH host. ``discover`` looks in the
folders of ``locations`` for the platform (a Linux machine is also searched as
a remote host: both layouts can be there): the desktop app's
``logs/<timestamp>/…`` under its user-data folder, the remote server's
``~/.qoder-server/data/logs``, rotated and gzipped files among them; Crashpad
minidumps (listed by name, size and time; put in the zip only with
``with_dumps``); the OS's crash reports of Qoder's processes (macOS
DiagnosticReports ``Qoder….ips`` / ``.crash``, Windows WER
``AppCrash_Qoder.exe_…/Report.wer``), taken as text like the logs; and the
``.info.json`` beside the sidecar's cache, of which
only the fields (pid, port, socket path, version…) are kept, never a value
that looks like a secret. Files older than ``since`` are left out. ``paths``
replaces discovery with folders or files of the user's choice.

``write_bundle`` stores each log as UTF-8 text (gzipped rotations undone, so
every reader sees the same lines), redacted by the reports' ``Redactor``
unless ``redact`` is false, under a member name that is redacted too, and
adds ``manifest.json``: every file with its original path, size, hash of what
was stored, time, earliest and latest timestamp written in it (as written: local
or UTC, whichever the line used), encoding and replacements; the
dumps; the ``.info.json`` fields; what was redacted and how often; and where
discovery looked. Home folder and environment are parameters, so the tests
run every layout on fake trees.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .errors import UsageError
from .locations import BY_PLATFORM, LogLocation
from .read.crashreports import CRASH_REPORT_NAME
from .read.sources import detect_encoding
from .redact import KINDS, Redactor
from .resources import package_version

DEFAULT_SINCE = "3d"
_LOG_NAME = re.compile(r"(?:\.log(?:\.\d+)?|\.txt)(?:\.gz)?$", re.IGNORECASE)
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?")
_SINCE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_SECRET_FIELD = re.compile(r"token|secret|passw|key|auth|cookie|credential", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"<(?:" + "|".join(KINDS) + r")-\d+>")
_QODERS = re.compile(r"(?i)(?:AppCrash_|AppHang_|Critical_|NonCritical_)?qoder")
"""A crash report of Qoder's: ``Qoder…-<date>.ips`` (macOS), ``AppCrash_Qoder.exe_…/Report.wer`` (Windows)."""
_SEARCHED = {"windows": ("windows",), "macos": ("macos",), "linux": ("linux", "remote"), "remote": ("remote", "linux")}


def parse_since(text: str) -> timedelta:
    """``"3d"`` → 3 days (``m``, ``h``, ``d``, ``w``); ``UsageError`` for anything else."""
    found = _SINCE.match(text)
    if not found:
        raise UsageError(f"--since {text!r}: expected a number and a unit, such as 3d, 12h or 1w")
    return timedelta(**{_UNITS[found[2]]: int(found[1])})


@dataclass(frozen=True, slots=True, kw_only=True)
class LogFile:
    """A log file to take: where it is, the member it becomes (before redaction), its size and time."""

    path: Path
    member: str
    size: int
    modified: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Dump:
    """A Crashpad minidump: listed in the manifest, put in the zip only when asked."""

    path: Path
    member: str
    size: int
    modified: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Found:
    """What discovery found, and every folder it looked in (for the message when it found nothing)."""

    platform: str
    files: tuple[LogFile, ...]
    dumps: tuple[Dump, ...]
    info_json: Path | None
    looked_in: tuple[Path, ...]
    skipped_old: int = 0


@dataclass(slots=True)
class _Search:
    cutoff: datetime
    files: list[LogFile] = field(default_factory=list)
    dumps: list[Dump] = field(default_factory=list)
    looked_in: list[Path] = field(default_factory=list)
    skipped_old: int = 0

    def take(self, root: Path, label: str) -> None:
        """Every log file and dump under ``root``, members named ``label/<path under root>``."""
        self.looked_in.append(root)
        if root.is_file():
            self._take_file(root, f"{label}/{root.name}")
            return
        if not root.is_dir():
            return
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                self._take_file(path, f"{label}/{path.relative_to(root).as_posix()}")

    def take_crash_reports(self, root: Path, label: str) -> None:
        """Qoder's crash reports under ``root`` (the OS's folder, shared by every app): ``Qoder…`` names only."""
        self.looked_in.append(root)
        if not root.is_dir():
            return
        for path in sorted(root.rglob("*")):
            named = path.name if path.suffix.lower() in (".ips", ".crash") else path.parent.name
            if path.is_file() and not path.is_symlink() and CRASH_REPORT_NAME.match(path.name) and _QODERS.match(named):
                info = path.stat()
                modified = datetime.fromtimestamp(info.st_mtime, tz=UTC)
                if modified < self.cutoff:
                    self.skipped_old += 1
                    continue
                member = f"{label}/{path.relative_to(root).as_posix()}"
                self.files.append(LogFile(path=path, member=member, size=info.st_size, modified=modified))

    def _take_file(self, path: Path, member: str) -> None:
        info = path.stat()
        modified = datetime.fromtimestamp(info.st_mtime, tz=UTC)
        if path.suffix.lower() == ".dmp":
            self.dumps.append(Dump(path=path, member=member, size=info.st_size, modified=modified))
        elif _LOG_NAME.search(path.name):
            if modified < self.cutoff:
                self.skipped_old += 1
                return
            self.files.append(LogFile(path=path, member=member, size=info.st_size, modified=modified))


def discover(
    platform: str,
    *,
    home: Path,
    env: Mapping[str, str],
    since: timedelta = timedelta(days=3),
    now: datetime | None = None,
    paths: Sequence[Path] = (),
) -> Found:
    """Qoder's logs, dumps and ``.info.json`` on a machine of ``platform`` with this home and environment."""
    if platform not in _SEARCHED:
        raise UsageError(f"unknown platform {platform!r}")
    search = _Search(cutoff=(now or datetime.now(tz=UTC)) - since)
    info_json: Path | None = None
    if paths:
        for path in paths:
            search.take(path, path.name or "logs")
            if path.is_dir():
                info_json = info_json or next(iter(sorted(path.rglob(".info.json"))), None)
    else:
        for name in _SEARCHED[platform]:
            where = BY_PLATFORM[name]
            prefix = "qoder-server" if name == "remote" else ""
            search.take(where.logs.resolve(home, env), _join(prefix, "logs"))
            search.take(where.crashpad.resolve(home, env), _join(prefix, "Crashpad"))
            if where.crash_reports is not None:
                search.take_crash_reports(where.crash_reports.resolve(home, env), "CrashReports")
            info_json = info_json or _info_json(where, home, env)
    return Found(
        platform=platform,
        files=tuple(search.files),
        dumps=tuple(search.dumps),
        info_json=info_json,
        looked_in=tuple(dict.fromkeys(search.looked_in)),
        skipped_old=search.skipped_old,
    )


def _join(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


def _info_json(where: LogLocation, home: Path, env: Mapping[str, str]) -> Path | None:
    cache = where.cache.resolve(home, env)
    if where.platform == "remote":  # ~/.config/Qoder/<hash>/SharedClientCache/.info.json
        return next(iter(sorted(cache.glob("*/SharedClientCache/.info.json"))), None)
    path = cache / ".info.json"
    return path if path.is_file() else None


def info_fields(path: Path) -> dict[str, Any]:
    """The fields of a ``.info.json``: every scalar whose key does not look like a secret."""
    try:
        document = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError) as exc:
        return {"error": f"cannot read: {exc.__class__.__name__}"}
    if not isinstance(document, dict):
        return {"error": "not a JSON object"}
    return {
        key: value
        for key, value in document.items()
        if isinstance(value, str | int | float | bool) and not _SECRET_FIELD.search(key)
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class Bundle:
    """What ``write_bundle`` wrote: the zip, its manifest, and the redaction counts."""

    path: Path
    manifest: Mapping[str, Any]


def write_bundle(
    found: Found, out: Path, *, redact: bool = True, with_dumps: bool = False, home: Path | None = None
) -> Bundle:
    """The zip of ``found`` with ``manifest.json``; logs and member names redacted unless ``redact`` is false."""
    texts = [(item, *_read_text(item.path)) for item in found.files]
    redactor = Redactor()
    if redact:
        if home is not None:
            redactor.learn_name(home.name)
        redactor.learn([str(item.path) for item in found.files])
        redactor.learn(text for _, text, _ in texts)
    info = info_fields(found.info_json) if found.info_json is not None else None

    def clean(text: str) -> str:
        return redactor.redact_text(text) if redact else text

    entries: list[dict[str, Any]] = []
    replacements = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        members: set[str] = set()
        for item, text, encoding in texts:
            cleaned = clean(text)
            stored = cleaned.encode("utf-8")
            member = _unique(_plain_member(clean(item.member)), members)
            bundle.writestr(_zip_info(member, item.modified), stored)
            stamps = sorted(stamp.replace("T", " ") for stamp in _STAMP.findall(text))
            replaced = _placeholders(cleaned) - _placeholders(text) if redact else 0
            replacements += replaced
            entries.append(
                {
                    "member": member,
                    "source": clean(str(item.path)),
                    "size": item.size,
                    "stored_size": len(stored),
                    "sha256": hashlib.sha256(stored).hexdigest(),
                    "modified": item.modified.isoformat(),
                    "first_time": stamps[0] if stamps else None,
                    "last_time": stamps[-1] if stamps else None,
                    "encoding": encoding,
                    "replacements": replaced,
                }
            )
        dumps = []
        for dump in found.dumps:
            dump_member = _unique(clean(dump.member), members) if with_dumps else None
            if dump_member is not None:
                bundle.writestr(_zip_info(dump_member, dump.modified), dump.path.read_bytes())
            dumps.append(
                {
                    "name": dump.path.name,
                    "member": dump_member,
                    "size": dump.size,
                    "modified": dump.modified.isoformat(),
                    "included": with_dumps,
                }
            )
        manifest = {
            "generator": f"qoderlog {package_version()}",
            "created": datetime.now(tz=UTC).isoformat(timespec="seconds"),
            "platform": found.platform,
            "redacted": redact,
            "files": entries,
            "dumps": dumps,
            "info_json": {"path": clean(str(found.info_json)), "fields": info} if found.info_json else None,
            "redaction": {kind: redactor.replaced.get(kind, 0) for kind in KINDS} if redact else {},  # distinct values
            "replacements": replacements,
            "looked_in": [clean(str(path)) for path in found.looked_in],
            "skipped_old": found.skipped_old,
        }
        if redact and info is not None:
            manifest["info_json"] = redactor.redact_document(manifest["info_json"])
        bundle.writestr("manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    return Bundle(path=out, manifest=manifest)


def _placeholders(text: str) -> int:
    return len(_PLACEHOLDER.findall(text))


def _read_text(path: Path) -> tuple[str, str]:
    """A log file's text (gzip undone) and the encoding it was read in, judged like every other reader."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            data = data[:0]
    encoding, _ = detect_encoding(data[:65536])
    name = encoding or "utf-8"
    return data.decode(name, errors="replace"), name


def _plain_member(member: str) -> str:
    """A gzipped rotation is stored as the text it holds: ``main.log.1.gz`` → ``main.log.1``."""
    return member[:-3] if member.lower().endswith(".gz") else member


def _unique(member: str, taken: set[str]) -> str:
    name, number = member, 1
    while name in taken:
        number += 1
        name = f"{member}.{number}"
    taken.add(name)
    return name


def _zip_info(member: str, modified: datetime) -> zipfile.ZipInfo:
    stamp = modified.astimezone().timetuple()[:6]
    info = zipfile.ZipInfo(member, date_time=(max(stamp[0], 1980), *stamp[1:]))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def describe(found: Found, *, with_dumps: bool = False) -> Iterable[str]:
    """The lines ``collect --dry-run`` prints: every file it would take, the dumps, the ``.info.json``."""
    for item in found.files:
        yield f"{item.size:>12,}  {item.modified:%Y-%m-%d %H:%M}  {item.path}"
    for dump in found.dumps:
        taken = "taken" if with_dumps else "listed only (--with-dumps to include)"
        yield f"{dump.size:>12,}  {dump.modified:%Y-%m-%d %H:%M}  {dump.path}  [minidump, {taken}]"
    if found.info_json is not None:
        yield f"{'':>12}  {'':16}  {found.info_json}  [its fields only]"


def nothing_found(found: Found) -> str:
    """The message when discovery found no log: where it looked and what to do."""
    places = "\n".join(f"  {path}" for path in found.looked_in)
    old = f"\n{found.skipped_old} older log file(s) were left out by --since." if found.skipped_old else ""
    return f"No Qoder log files found. Looked in:\n{places}{old}\nPoint at the log folder with --path DIR."


def default_bundle_name(now: datetime | None = None) -> str:
    """``qoder-logs-20251009-140208.zip``: the zip ``collect`` writes without ``-o``, named by local time."""
    return f"qoder-logs-{(now or datetime.now()):%Y%m%d-%H%M%S}.zip"


def this_machine() -> tuple[Path, dict[str, str]]:
    """The home folder and environment of this process, for ``discover``."""
    return Path.home(), dict(os.environ)
