"""Write the hostile-input corpus: one folder per case, each holding the hostile input and a good log.

``python tests/hostile/make_corpus.py DIR`` writes it by hand; the tests
build it once per session into a temporary folder. Nothing here is
committed as a binary: every case is made from a few lines of code, and
the costly ones (a 50 MB line, 100,000 files) as cheaply as the OS allows.

``CASES`` says, per case, what the input is, the exit status of
``qoderlog parse --stats`` given that input alone, the words its one-line
warning must contain, and the status (and reason word) the batch records.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

GOOD = (
    "2025-08-22 10:23:45.120 [info] [GoProcessService] Starting go process: /opt/qoder/bin/Qoder start\n"
    "2025-08-22 10:23:46.500 [info] [GoProcessService] Go process started, pid: 4242\n"
)
MB = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One hostile input: the name of the thing to read in its folder, and what qoderlog must do with it."""

    name: str
    target: str
    alone_exit: int
    words: tuple[str, ...]
    batch_status: str | None
    batch_words: tuple[str, ...] = ()
    patterns: bool = False
    note: str = ""


CASES: tuple[Case, ...] = (
    Case(
        name="empty-file",
        target="empty.log",
        alone_exit=0,
        words=(),
        batch_status="quarantined",
        batch_words=("empty upload",),
        note="read, 0 lines",
    ),
    Case(
        name="empty-archive",
        target="empty.zip",
        alone_exit=3,
        words=("empty.zip", "cannot read archive"),
        batch_status="quarantined",
        batch_words=("empty upload",),
    ),
    Case(
        name="truncated-gzip",
        target="main.log.1.gz",
        alone_exit=3,
        words=("main.log.1.gz", "truncated compressed stream"),
        batch_status="quarantined",
        batch_words=("truncated",),
        note="the lines before the cut are read and counted",
    ),
    Case(
        name="truncated-zip",
        target="bundle.zip",
        alone_exit=3,
        words=("bundle.zip", "cannot read archive"),
        batch_status="quarantined",
        batch_words=("corrupt zip",),
    ),
    Case(
        name="zip-bomb",
        target="bomb.zip",
        alone_exit=3,
        words=("bomb.zip!main.log", "max_ratio", "limit 250"),
        batch_status="quarantined",
        batch_words=("max_ratio",),
        note="reading stops past 1 MiB at ratio 250",
    ),
    Case(
        name="nested-bomb",
        target="nested.zip",
        alone_exit=3,
        words=("nested.zip!logs/main.log.gz", "max_ratio"),
        batch_status="quarantined",
        batch_words=("max_ratio",),
        note="inner archives are never opened; a gzip member is undone once",
    ),
    Case(
        name="zip-traversal",
        target="escape.zip",
        alone_exit=0,
        words=(),
        batch_status="quarantined",
        batch_words=("escapes the archive",),
        note="members are read as text, never extracted",
    ),
    Case(
        name="tar-traversal",
        target="escape.tar",
        alone_exit=0,
        words=(),
        batch_status="quarantined",
        batch_words=("escapes the archive",),
        note="members are read as text, never extracted",
    ),
    Case(
        name="tar-links",
        target="links.tar.gz",
        alone_exit=3,
        words=("links.tar.gz!logs/", "is a link"),
        batch_status="quarantined",
        batch_words=("is a link",),
    ),
    Case(
        name="fifo",
        target="pipe.log",
        alone_exit=3,
        words=("pipe.log", "not a regular file"),
        batch_status="quarantined",
        batch_words=("not a regular file",),
    ),
    Case(
        name="fifo-in-folder",
        target="folder",
        alone_exit=3,
        words=("folder/bundle.zip", "not a regular file"),
        batch_status="quarantined",
        batch_words=("not a regular file",),
        note="a FIFO named like a log or an archive",
    ),
    Case(
        name="device",
        target="/dev/null",
        alone_exit=3,
        words=("/dev/null", "not a regular file"),
        batch_status=None,
        note="the batch takes only files and folders from its inbox",
    ),
    Case(
        name="line-50mb",
        target="long.log",
        alone_exit=0,
        words=("long.log", "max_line", "52428800 > limit 1048576"),
        batch_status="done",
        batch_words=("max_line",),
        note="cut to 1 MiB characters, counted and flagged",
    ),
    Case(
        name="nul-bytes",
        target="nul.log",
        alone_exit=0,
        words=("nul.log", "binary file"),
        batch_status="quarantined",
        batch_words=("binary file",),
        note="skipped as binary; its lines counted",
    ),
    Case(name="utf16-no-bom", target="utf16.log", alone_exit=0, words=(), batch_status="done"),
    Case(
        name="encoding-switch",
        target="switch.log",
        alone_exit=0,
        words=(),
        batch_status="done",
        note="undecodable sequences replaced and counted",
    ),
    Case(
        name="invalid-utf8",
        target="invalid.log",
        alone_exit=0,
        words=(),
        batch_status="done",
        note="undecodable sequences replaced and counted",
    ),
    Case(
        name="lone-surrogates",
        target="surrogates.log",
        alone_exit=0,
        words=(),
        batch_status="done",
        note="replaced by U+FFFD in JSON strings",
    ),
    Case(
        name="json-10000-deep",
        target="deep.log",
        alone_exit=0,
        words=("deep.log", "max_json_depth"),
        batch_status="done",
        batch_words=("max_json_depth",),
        note="not parsed as JSON, still counted",
    ),
    Case(name="odd-timestamps", target="times.log", alone_exit=0, words=(), batch_status="done"),
    Case(
        name="many-files",
        target="many",
        alone_exit=0,
        words=("many", "max_members", "100000 > limit 5000"),
        batch_status="quarantined",
        batch_words=("max_members",),
        note="the first 5,000 files are read",
    ),
    Case(
        name="catastrophic-regex",
        target="slow.log",
        alone_exit=0,
        words=("slow.log", "regex_timeout_s", "user.slow"),
        batch_status=None,
        patterns=True,
        note="the batch has no user patterns",
    ),
)


def _zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _tar(path: Path, members: list[tarfile.TarInfo], data: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz" if path.name.endswith(".gz") else "w") as archive:
        for info in members:
            body = data.get(info.name)
            if body is not None:
                info.size = len(body)
            archive.addfile(info, io.BytesIO(body) if body is not None else None)


def _info(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


def _write_bomb(handle: BinaryIO, size: int) -> None:
    """``size`` bytes of one repeated long line, written 1 MiB at a time (deflate packs it about 1000:1)."""
    chunk = (b"A" * 1023 + b"\n") * 1024
    for _ in range(size // len(chunk)):
        handle.write(chunk)


def _make(case: str, folder: Path) -> None:
    if case == "empty-file":
        (folder / "empty.log").write_bytes(b"")
    elif case == "empty-archive":
        (folder / "empty.zip").write_bytes(b"")
    elif case == "truncated-gzip":
        data = gzip.compress(GOOD.encode() * 2000)
        (folder / "main.log.1.gz").write_bytes(data[: len(data) // 2])
    elif case == "truncated-zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("logs/main.log", GOOD * 500)
        data = buffer.getvalue()
        (folder / "bundle.zip").write_bytes(data[: len(data) * 2 // 3])
    elif case == "zip-bomb":
        bomb = folder / "bomb.zip"
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("main.log", "w") as member:
            _write_bomb(member, 512 * MB)
    elif case == "nested-bomb":
        inner, packed = io.BytesIO(), io.BytesIO()
        with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("main.log", "w") as member:
            _write_bomb(member, 64 * MB)
        with gzip.GzipFile(fileobj=packed, mode="wb", compresslevel=9) as member:
            _write_bomb(member, 256 * MB)
        _zip(folder / "nested.zip", {"inner.zip": inner.getvalue(), "logs/main.log.gz": packed.getvalue()})
    elif case == "zip-traversal":
        _zip(folder / "escape.zip", {"../../evil.log": GOOD.encode(), "/tmp/qoderlog-evil.log": GOOD.encode()})
    elif case == "tar-traversal":
        names = ["../../evil.log", "/tmp/qoderlog-evil.log"]
        _tar(folder / "escape.tar", [_info(n) for n in names], dict.fromkeys(names, GOOD.encode()))
    elif case == "tar-links":
        members = [
            _info("logs/passwd.log", tarfile.SYMTYPE, "/etc/passwd"),
            _info("logs/hard.log", tarfile.LNKTYPE, "/etc/shadow"),
            _info("logs/up.log", tarfile.SYMTYPE, "../../../../etc/hostname"),
        ]
        _tar(folder / "links.tar.gz", members, {})
    elif case == "fifo":
        os.mkfifo(folder / "pipe.log")
    elif case == "fifo-in-folder":
        (folder / "folder").mkdir()
        os.mkfifo(folder / "folder" / "bundle.zip")
        os.mkfifo(folder / "folder" / "main.log")
    elif case == "line-50mb":
        with open(folder / "long.log", "wb") as handle:
            handle.write(b"2025-08-22 10:23:45.120 [info] ")
            handle.write(b"x" * (50 * MB - 31))
            handle.write(b"\n" + GOOD.encode())
    elif case == "nul-bytes":
        (folder / "nul.log").write_bytes(GOOD.encode() * 10 + b"\0" * 4096 + GOOD.encode() * 10)
    elif case == "utf16-no-bom":
        (folder / "utf16.log").write_bytes(GOOD.encode("utf-16-le"))
    elif case == "encoding-switch":
        (folder / "switch.log").write_bytes(
            ("2025-08-22 10:23:45.120 [info] 用户 张伟 日志\n" * 50).encode()
            + ("2025-08-22 10:23:46.120 [info] 用户 张伟 日志\n" * 50).encode("gb18030")
            + ("2025-08-22 10:23:47.120 [info] utf-16 now\n").encode("utf-16-le")
        )
    elif case == "invalid-utf8":
        (folder / "invalid.log").write_bytes(
            b"2025-08-22 10:23:45.120 [info] bad \xff\xfe\xc3\x28 \xed\xa0\x80 \xf4\x90\x80\x80 \xc0\xaf end\n" * 20
        )
    elif case == "lone-surrogates":
        lines = [
            '{"timestamp":"2025-08-22T02:23:45Z","level":"error","message":"[GoProcessService] Go process exited '
            'with code 2 \\ud800 lone","extra":"\\udfff","\\udc00key":["\\ud83d"]}',
            '{"timestamp":"2025-08-22T02:23:46Z","level":"info","message":"half pair \\ud83d then text"}',
        ]
        (folder / "surrogates.log").write_text("\n".join(lines) + "\n", encoding="ascii")
    elif case == "json-10000-deep":
        deep = '{"timestamp":"2025-08-22T02:23:45Z","level":"info","message":"deep","x":' + "[" * 10_000
        deep += "]" * 10_000 + "}"
        (folder / "deep.log").write_text((deep + "\n") * 3 + '{"level":"info","message":"' + "{" * 10_000 + '"}\n')
    elif case == "odd-timestamps":
        stamps = [
            "1970-01-01 00:00:00.000",
            "2100-12-31 23:59:59.999",
            "2025-08-22 10:00:00.000",
            "2025-08-22 09:00:00.000",
            "2025-08-22 09:00:00.000",
            "1970-01-01 00:00:00.000",
        ]
        lines = []
        for index, stamp in enumerate(stamps):
            lines.append(f"{stamp} [info] [GoProcessService] Starting go process: /opt/qoder/bin/Qoder start")
            lines.append(f"{stamp} [info] [GoProcessService] Go process started, pid: {4000 + index}")
            lines.append(f"{stamp} [error] [GoProcessService] Go process exited with code 2")
        lines.append('{"timestamp": 99999999999999999999, "level": "info", "message": "far future"}')
        lines.append('{"timestamp": -62135596800000, "level": "info", "message": "year 1"}')
        (folder / "times.log").write_text("\n".join(lines) + "\n")
    elif case == "many-files":
        many = folder / "many"
        many.mkdir()
        body = b"x\n"
        for index in range(100_000):
            fd = os.open(many / f"{index:06d}.log", os.O_WRONLY | os.O_CREAT, 0o644)
            os.write(fd, body)
            os.close(fd)
    elif case == "catastrophic-regex":
        (folder / "slow.log").write_text(("slow: " + "a" * 60 + "!\n") * 50 + GOOD)
        patterns = folder / "patterns"
        patterns.mkdir()
        (patterns / "slow.yaml").write_text(
            "patterns:\n"
            "  - id: user.slow\n"
            "    type: user.slow\n"
            '    prefilter: "slow: "\n'
            "    regex: 'slow: (?:a|aa)+$'\n"
            "    examples:\n"
            '      - line: "slow: aaa"\n'
            "        fields: {}\n"
        )
    elif case != "device":
        raise ValueError(f"no such case {case!r}")


def make_corpus(root: Path) -> dict[str, Path]:
    """Write every case under ``root`` (one folder each, with ``good.log`` beside the hostile input)."""
    folders = {}
    for case in CASES:
        folder = root / case.name
        folder.mkdir(parents=True)
        _make(case.name, folder)
        (folder / "good.log").write_text(GOOD, encoding="utf-8")
        folders[case.name] = folder
    (root / "cases.json").write_text(json.dumps([case.name for case in CASES]))
    return folders


if __name__ == "__main__":
    make_corpus(Path(sys.argv[1]))
