"""Personal data → stable placeholders, on text or on a whole JSON-ready document.

Reports meant for people outside the support team (HTML, Markdown, and JSON
or text with ``--redact``) pass the analysis document through one
``Redactor`` before anything is presented, so every table, chart label and
evidence line shows the same placeholder for the same value:

=========  ==========================================================  ===============
kind       what                                                        placeholder
=========  ==========================================================  ===============
user       the user name in a home path (``C:\\Users\\张伟``,             ``<user-1>``
           ``/Users/li``, ``/home/bob``), and that name anywhere else
email      e-mail addresses                                            ``<email-1>``
ip         IPv4 and IPv6 addresses except loopback and unspecified     ``<ip-1>``
token      bearer strings, ``token=``/``api_key:``/… values, well-known  ``<token-1>``
           key shapes (``sk-…``, ``ghp_…``, JWTs, AWS key ids)
machine    ``machineId``/``devDeviceId``/``sqmId``/… values, MAC addresses  ``<machine-1>``
=========  ==========================================================  ===============

Timestamps, versions (``1.23.0``), ports, pids and hex pipe names
(``\\\\.\\pipe\\qoder-cc4e6c``) are not personal and are left alone.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from typing import Any

KINDS: tuple[str, ...] = ("user", "email", "ip", "token", "machine")

# Names that sit where a user name would but belong to no one.
_NOT_PERSONAL = frozenset({"public", "default", "default user", "all users", "shared", "guest"})
# A name shorter than this is only replaced inside its home path: "li" or "a" would hit every other word.
_MIN_BARE_NAME = 3
_NAME_CHARS = r"[^\\/\s\"'<>|:*?,;`=]"

_WINDOWS_HOME = re.compile(
    r"(?P<prefix>\b[A-Za-z]:(?:\\{1,2}|/)(?:Users|Documents and Settings)(?:\\{1,2}|/))"
    # A Windows name may hold single spaces ("John Smith") when a separator follows it.
    rf"(?P<name>{_NAME_CHARS}+(?: {_NAME_CHARS}+){{0,3}}(?=\\|/)|{_NAME_CHARS}+)",
    re.IGNORECASE,
)
_UNIX_HOME = re.compile(rf"(?P<prefix>(?<![\w.])/(?:Users|home)/)(?P<name>{_NAME_CHARS}+)")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![\w-])")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|:)?(?:%[\w.]+)?(?![\w:])")
_BEARER = re.compile(r"(?P<prefix>\b(?:Bearer|Basic|Token)\s+)(?P<value>[A-Za-z0-9\-._~+/]{8,}=*)")
_SECRET_KEY = re.compile(
    r"(?P<prefix>[\"']?\b[\w-]*?(?:token|secret|passw(?:or)?d|pwd|api[_-]?key|apikey|access[_-]?key|"
    r"private[_-]?key|credential|authorization)[\"']?\s*[:=]\s*[\"']?)"
    r"(?P<value>[^\s\"',;&}\]<>]{6,})",
    re.IGNORECASE,
)
_KEY_SHAPES = re.compile(
    r"(?<![\w-])(?:sk-[A-Za-z0-9_-]{16,}|gh[opsur]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|"
    r"xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,})(?![\w-])"
)
_MACHINE_KEY = re.compile(
    r"(?P<prefix>[\"']?\b(?:machine[_-]?id|dev[_-]?device[_-]?id|device[_-]?id|sqm[_-]?id|hardware[_-]?id|"
    r"telemetry\.machineId|telemetry\.devDeviceId)[\"']?\s*[:=]\s*[\"']?)(?P<value>[\w{}-]{6,})",
    re.IGNORECASE,
)
_MAC = re.compile(r"(?<![\w:-])(?:[0-9A-Fa-f]{2}([:-]))(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![\w:-])")
_SCHEMES = frozenset({"bearer", "basic", "token"})
_PLACEHOLDER = re.compile(r"<(?:" + "|".join(KINDS) + r")-\d+>")


class Redactor:
    """Replaces personal values with numbered placeholders, the same value always with the same one.

    One ``Redactor`` per report: numbers are given in order of first sight
    and stay stable for every later string. ``replaced`` counts how many
    distinct values of each kind were hidden.
    """

    def __init__(self) -> None:
        self._seen: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
        self._bare: re.Pattern[str] | None = None
        self._bare_known: tuple[str, ...] = ()

    @property
    def replaced(self) -> dict[str, int]:
        """Distinct values hidden, per kind."""
        return {kind: len(values) for kind, values in self._seen.items()}

    def placeholder(self, kind: str, value: str) -> str:
        """The placeholder for ``value`` of ``kind``, numbering it on first sight."""
        known = self._seen[kind]
        value = _normal(kind, value)
        if value not in known:
            known[value] = f"<{kind}-{len(known) + 1}>"
        return known[value]

    def learn(self, texts: Iterable[str]) -> None:
        """Note the user names and secret values in ``texts`` so that they are also hidden where they stand alone."""
        for text in texts:
            self._collect(text)

    def learn_name(self, name: str) -> None:
        """Hide the user name ``name`` wherever it stands, as if it had been seen in a home path."""
        if _is_name(name):
            self.placeholder("user", name)
            self._bare = self._bare_pattern()

    def learn_document(self, document: Any) -> None:
        """Note the names and secrets in every string of a JSON-ready document."""
        self.learn(_strings(document))

    def redact_text(self, text: str) -> str:
        """``text`` with every personal value replaced (names it reveals are learnt first)."""
        self._collect(text)
        return self._apply(text)

    def redact_document(self, document: Any) -> Any:
        """A copy of a JSON-ready value (dicts, lists, strings, numbers) with every string redacted.

        Names seen anywhere in the document are learnt before any string is
        changed, so a name that appears bare in one line and inside a home
        path in another is hidden in both. Keys are kept as they are.
        """
        # A report repeats strings (file names on every line): each distinct one is read and redacted once, in
        # order of first appearance, so placeholders are numbered as if every copy had been.
        distinct = dict.fromkeys(_strings(document))
        self.learn(distinct)
        for text in distinct:
            distinct[text] = self._apply(text)
        return _walk(document, distinct.__getitem__)

    def _collect(self, text: str) -> None:
        before = len(self._seen["user"]) + len(self._seen["token"]) + len(self._seen["machine"])
        for pattern in (_WINDOWS_HOME, _UNIX_HOME):
            for found in pattern.finditer(text):
                name = found["name"]
                if _is_name(name):
                    self.placeholder("user", name)
        for found in _MACHINE_KEY.finditer(text):
            self.placeholder("machine", found["value"])
        for found in _MAC.finditer(text):
            self.placeholder("machine", found[0])
        for pattern in (_BEARER, _SECRET_KEY):
            for found in pattern.finditer(text):
                if _is_secret(found["value"]):
                    self.placeholder("token", found["value"])
        for found in _KEY_SHAPES.finditer(text):
            self.placeholder("token", found[0])
        after = len(self._seen["user"]) + len(self._seen["token"]) + len(self._seen["machine"])
        if after != before or self._bare is None:
            self._bare = self._bare_pattern()

    def _bare_pattern(self) -> re.Pattern[str] | None:
        names = [n for n in self._seen["user"] if len(n) >= _MIN_BARE_NAME or not n.isascii()]
        values = [*self._seen["machine"], *self._seen["token"]]
        if not names and not values:
            return None
        # Longest first, so that "zhang wei" wins over "zhang".
        alternatives = sorted({*names, *values}, key=len, reverse=True)
        choices = "|".join(map(re.escape, alternatives))
        return re.compile(r"(?<![\w])(?:" + choices + r")(?![\w])", re.IGNORECASE)

    def _apply(self, text: str) -> str:
        if not text:
            return text
        text = _WINDOWS_HOME.sub(self._home, text)
        text = _UNIX_HOME.sub(self._home, text)
        text = _EMAIL.sub(lambda m: self.placeholder("email", m[0]), text)
        text = _MACHINE_KEY.sub(lambda m: m["prefix"] + self.placeholder("machine", m["value"]), text)
        text = _MAC.sub(lambda m: self.placeholder("machine", m[0]), text)
        text = _BEARER.sub(self._secret, text)
        text = _SECRET_KEY.sub(self._secret, text)
        text = _KEY_SHAPES.sub(lambda m: self.placeholder("token", m[0]), text)
        text = _IPV4.sub(self._ipv4, text)
        text = _IPV6.sub(self._ipv6, text)
        if self._bare is not None:
            text = self._bare.sub(self._bare_value, text)
        return text

    def _home(self, found: re.Match[str]) -> str:
        name = found["name"]
        if not _is_name(name):
            return found[0]
        return found["prefix"] + self.placeholder("user", name)

    def _secret(self, found: re.Match[str]) -> str:
        value = found["value"]
        return found["prefix"] + self.placeholder("token", value) if _is_secret(value) else found[0]

    def _bare_value(self, found: re.Match[str]) -> str:
        value = found[0]
        for kind in ("user", "machine", "token"):
            key = _normal(kind, value)
            if key in self._seen[kind]:
                return self._seen[kind][key]
        return value

    def _ipv4(self, found: re.Match[str]) -> str:
        try:
            address = ipaddress.IPv4Address(found[0])
        except ValueError:
            return found[0]
        if address.is_loopback or address.is_unspecified:
            return found[0]
        return self.placeholder("ip", str(address))

    def _ipv6(self, found: re.Match[str]) -> str:
        text = found[0]
        bare = text.split("%", 1)[0]
        try:
            address = ipaddress.IPv6Address(bare)
        except ValueError:
            return text
        if address.is_loopback or address.is_unspecified:
            return text
        groups = [g for g in bare.split(":") if g]
        # "a::b" parses, but reads as code; a real address has several groups or a full four-digit one.
        if len(groups) < 3 and not any(len(g) == 4 for g in groups):
            return text
        return self.placeholder("ip", address.compressed)


def redact_text(text: str) -> str:
    """``text`` redacted by a fresh ``Redactor`` (placeholders numbered from 1)."""
    return Redactor().redact_text(text)


def redact_document(document: Any) -> Any:
    """A redacted copy of a JSON-ready document, placeholders consistent across all of it."""
    return Redactor().redact_document(document)


def _is_name(name: str) -> bool:
    return bool(name) and name.casefold() not in _NOT_PERSONAL and not _PLACEHOLDER.match(name)


def _normal(kind: str, value: str) -> str:
    # Windows names, e-mails and hex ids are case-insensitive; a token's case is part of it.
    return value if kind in ("token", "ip") else value.casefold()


def _is_secret(value: str) -> bool:
    # A count ("max_token=409600") or an auth scheme word is not the secret itself.
    return not value.isdigit() and value.casefold() not in _SCHEMES


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _walk(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {key: _walk(item, change) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_walk(item, change) for item in value]
    return value
