"""The operating system's crash reports in a bundle: macOS ``.ips`` / ``.crash`` and Windows ``.wer`` files.

A crash report is not a log, but it is the OS's own record that a process
died, and when: a bundle holding one must never read as an all-clear. Each
is noted beside the Crashpad minidumps (``model.Minidump`` with ``kind``
``crash report``), with the process it names and how it died, read from the
report's first ``HEAD_BYTES``:

- ``.ips`` (macOS 12 and later): a JSON header line (``app_name``,
  ``timestamp``), then a JSON body whose ``"exception"`` holds ``type`` and
  ``signal`` (``EXC_BAD_ACCESS``, ``SIGSEGV``); an older ``.ips`` has the
  text report after its header line;
- ``.crash`` (the text report): ``Process:``, ``Date/Time:``, ``Exception
  Type:``;
- ``.wer`` (Windows Error Reporting, UTF-16): ``AppName=`` or
  ``Sig[0].Value=``, ``EventType=`` and the exception code of the signature
  named ``Exception Code``, ``EventTime=`` (a FILETIME).

What cannot be read stays unknown (``None``); the report is noted whatever.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from ..model import Minidump

CRASH_REPORT_NAME = re.compile(r"(?i).*\.(?:ips|crash|wer)$")
"""The file names of the crash reports macOS (DiagnosticReports) and Windows (WER ReportArchive) write."""
HEAD_BYTES = 64 * 1024
"""How much of a report is read: its header and exception come first."""
KIND = "crash report"

_TEXT_PROCESS = re.compile(r"^Process:\s+(.+?)(?:\s+\[\d+\])?\s*$", re.M)
_TEXT_TIME = re.compile(r"^Date/Time:\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.\d+)?(?:\s+([+-]\d{4}))?", re.M)
_TEXT_EXCEPTION = re.compile(r"^Exception Type:\s+(.+?)\s*$", re.M)
_JSON_EXCEPTION = re.compile(r'"exception"\s*:\s*(\{[^\n]*?\})\s*,?\s*$', re.M)
_JSON_PROCESS = re.compile(r'"procName"\s*:\s*"([^"\n]+)"')
_WER_FIELD = re.compile(r"^([\w\[\].]+)=(.*?)\s*$", re.M)
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


def crash_report(source: str, head: bytes, size: int, file_time: datetime | None) -> Minidump:
    """The crash report ``source`` (its first bytes ``head``): the process, how it died, when (else ``file_time``)."""
    name = source.lower()
    if name.endswith(".wer"):
        process, reason, when = _wer(_decode(head, utf16=True))
    else:
        process, reason, when = _apple(_decode(head, utf16=False))
    return Minidump(source=source, time=when or file_time, size=size, kind=KIND, process=process, reason=reason)


def _decode(head: bytes, *, utf16: bool) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (utf16 and b"\x00" in head[:200]):
        codec = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-16-le"
        return head[: len(head) // 2 * 2].decode(codec, "replace")
    return head.decode("utf-8", "replace")


def _apple(text: str) -> tuple[str | None, str | None, datetime | None]:
    first, _, body = text.partition("\n")
    header = _json_object(first)
    process = _text_field(header, "app_name") or _text_field(header, "name")
    when = _apple_time(_text_field(header, "timestamp"))
    found = _JSON_PROCESS.search(body)
    if found:
        process = found[1]
    reason = None
    exception = _JSON_EXCEPTION.search(body)
    if exception:
        fields = _json_object(exception[1])
        kind, signal = _text_field(fields, "type"), _text_field(fields, "signal")
        reason = f"{kind} ({signal})" if kind and signal else kind or signal
    text_process, text_exception = _TEXT_PROCESS.search(text), _TEXT_EXCEPTION.search(text)
    if text_process and not found:
        process = text_process[1]
    if text_exception and reason is None:
        reason = text_exception[1]
    stamp = _TEXT_TIME.search(text)
    if stamp and when is None:
        when = _apple_time(stamp[1] + (f" {stamp[2]}" if stamp[2] else ""))
    return process, reason, when


def _wer(text: str) -> tuple[str | None, str | None, datetime | None]:
    fields = dict(_WER_FIELD.findall(text))
    process = fields.get("AppName") or fields.get("Sig[0].Value") or None
    event = fields.get("EventType") or None
    # The signature named "Exception Code"; the names are in the machine's language ("Ausnahmecode"), so an
    # APPCRASH report's seventh signature, which is its exception code, when none is named so.
    named = [
        key[: -len(".Name")]
        for key, value in fields.items()
        if key.startswith("Sig[") and key.endswith("].Name") and value.strip().lower() == "exception code"
    ]
    slot = named[0] if named else ("Sig[6]" if event == "APPCRASH" else None)
    code = fields.get(f"{slot}.Value") if slot else None
    reason = " ".join(p for p in (event, f"exception code 0x{code}" if code else None) if p) or None
    when = None
    ticks = fields.get("EventTime", "")
    if ticks.isdigit():
        try:
            when = _FILETIME_EPOCH + timedelta(microseconds=int(ticks) // 10)  # UTC, aware as a log's Z time is
        except OverflowError:
            when = None
    return process, reason, when


def _json_object(text: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _text_field(fields: dict[str, object], key: str) -> str | None:
    value = fields.get(key)
    return value if isinstance(value, str) and value else None


def _apple_time(text: str | None) -> datetime | None:
    """``2025-01-01 10:00:05.00 +0800`` → naive local time of the machine, as the logs' own times are."""
    if not text:
        return None
    found = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", text)
    if found is None:
        return None
    try:
        return datetime.fromisoformat(found[1])
    except ValueError:
        return None
