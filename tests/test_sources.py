"""Inputs → decoded lines: encodings, line endings, binary files, folders, archives, broken inputs, stdin."""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import random
import subprocess
import sys
import tarfile
import zipfile
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from qoderlog import Accounting, iter_events
from qoderlog.limits import Limits
from qoderlog.read.sources import HEAD_BYTES, Discovery, Source, detect_encoding, iter_sources, stream_key

ROOT = Path(__file__).resolve().parent.parent

START_ZH = (
    "2025-08-22 10:23:45.123 [info] [GoProcessService] Starting go process: "
    "C:\\Users\\张伟\\AppData\\Local\\Programs\\Qoder\\resources\\app\\resources\\bin\\x86_64_windows\\Qoder.exe "
    "start --workDir C:\\Users\\张伟\\AppData\\Roaming\\Qoder\\SharedClientCache"
)
READ_LINE = (
    "2025-08-22 10:23:55.301 [info] [GoProcessService] Read cosy info from .info.json: "
    "port=56510, pid=21824, socketPath=\\\\.\\pipe\\qoder-cc4e6c, isDev=false"
)
TEXT_LINES = [START_ZH, READ_LINE, "    at Object.<anonymous> (main.js:1:1)"]


def read_all(
    *paths: str | os.PathLike[str], max_line: int | None = None
) -> tuple[list[tuple[Source, list[str]]], Discovery]:
    """Every source under ``paths`` with its lines (read while the iteration is at it), and the discovery."""
    discovery = Discovery()
    extra = {} if max_line is None else {"max_line": max_line}
    found = [(source, list(source.lines())) for source in iter_sources(paths, discovery, **extra)]
    return found, discovery


def read_one(path: str | os.PathLike[str]) -> tuple[Source, list[str]]:
    found, discovery = read_all(path)
    assert discovery.failures == []
    (only,) = found
    return only


# --- encodings -----------------------------------------------------------------------------


def test_plain_utf8_is_read_as_utf8(write) -> None:
    source, lines = read_one(write("main.log", ("\n".join(TEXT_LINES) + "\n\nafter a blank").encode("utf-8")))
    assert source.state.encoding == "utf-8"
    assert lines == [*TEXT_LINES, "", "after a blank"]
    assert source.state.lines == 5
    assert source.state.status == "ok"
    assert source.state.replacements == 0


def test_utf8_bom_is_removed(write) -> None:
    path = write("main.log", codecs.BOM_UTF8 + "\n".join(TEXT_LINES[:2]).encode("utf-8"))
    source, lines = read_one(path)
    assert source.state.encoding == "utf-8-sig"
    assert lines == TEXT_LINES[:2]
    assert not lines[0].startswith("\ufeff")


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")],
    ids=["le", "be"],
)
def test_utf16_with_bom_and_crlf(write, bom: bytes, codec: str) -> None:
    path = write("ps.log", bom + "\r\n".join(TEXT_LINES[:2]).encode(codec) + "\r\n".encode(codec))
    source, lines = read_one(path)
    assert source.state.encoding == "utf-16"
    assert lines == TEXT_LINES[:2]
    assert "张伟" in lines[0]


def test_utf16_le_without_bom_is_recognised_by_its_nuls(write) -> None:
    source, lines = read_one(write("redirected.log", "\n".join(TEXT_LINES[:2]).encode("utf-16-le")))
    assert source.state.encoding == "utf-16-le"
    assert lines == TEXT_LINES[:2]


def test_gb18030_keeps_chinese_user_names(write) -> None:
    source, lines = read_one(write("main.log", "\n".join(TEXT_LINES[:2]).encode("gb18030")))
    assert source.state.encoding == "gb18030"
    assert lines[0] == START_ZH
    assert "C:\\Users\\张伟\\AppData" in lines[0]
    assert source.state.replacements == 0


def test_invalid_utf8_that_is_not_gb18030_counts_replacements(write) -> None:
    # 0xFF is invalid in both UTF-8 and GB18030; each bad byte becomes one U+FFFD.
    path = write("main.log", b"first line\nbad \xff\xff bytes\nlast \xff\n")
    source, lines = read_one(path)
    assert source.state.encoding == "utf-8"
    assert lines == ["first line", "bad \ufffd\ufffd bytes", "last \ufffd"]
    assert source.state.replacements == 3


def test_replacements_are_counted_per_source_when_reads_interleave(write) -> None:
    """Regression: one thread-wide counter, reset by each source, lost counts when two sources were read in turn."""
    bad = write("bad.log", b"a \xff\nb \xff\nc \xff\n")
    good = write("good.log", b"x\ny\nz\n")
    found, _ = read_all(bad, good)
    for first, second in [(0, 1), (1, 0)]:
        (a, _), (b, _) = found[first], found[second]
        for source in (a, b):
            source.state.replacements = 0
        for _pair in zip(a.lines(), b.lines(), strict=True):
            pass
        assert (found[0][0].state.replacements, found[1][0].state.replacements) == (3, 0)


def test_detect_encoding_order() -> None:
    assert detect_encoding(codecs.BOM_UTF8 + b"x") == ("utf-8-sig", None)
    assert detect_encoding(codecs.BOM_UTF16_LE + "x".encode("utf-16-le")) == ("utf-16", None)
    assert detect_encoding("hello\n".encode("utf-16-be")) == ("utf-16-be", None)
    assert detect_encoding(b"plain ascii\n") == ("utf-8", None)
    assert detect_encoding("张伟\n".encode("gb18030")) == ("gb18030", None)
    encoding, reason = detect_encoding(b"MDMP\x93\xa7")
    assert encoding is None and "minidump" in reason


# --- line endings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"one\r\ntwo\r\nthree\r\n", ["one", "two", "three"]),
        (b"one\rtwo\rthree", ["one", "two", "three"]),
        (b"one\r\ntwo\nthree\rfour\n\r\nsix", ["one", "two", "three", "four", "", "six"]),
        (b"\r\n\r\n", ["", ""]),
    ],
    ids=["crlf", "lone-cr", "mixed", "blank-crlf"],
)
def test_line_endings(write, data: bytes, expected: list[str]) -> None:
    source, lines = read_one(write("endings.log", data))
    assert lines == expected
    assert source.state.lines == len(expected)
    assert not any("\r" in line for line in lines)


def test_crlf_split_across_the_detection_head_is_one_line_ending(write) -> None:
    first = b"x" * (HEAD_BYTES - 1)  # "\r" is the last byte of the head, "\n" the first after it
    source, lines = read_one(write("big.log", first + b"\r\nsecond\r\n"))
    assert lines == [first.decode(), "second"]
    assert source.state.lines == 2


def test_long_lines_are_cut_and_counted(write) -> None:
    path = write("long.log", "short\n" + "y" * 50 + "\n")
    ((source, lines),), _ = read_all(path, max_line=10)
    assert lines == ["short", "y" * 10]
    assert source.state.cut_lines == 1
    assert source.state.lines == 2


def test_replacements_in_the_skipped_rest_of_a_cut_line_are_counted(write) -> None:
    """Regression: the rest of a cut line was skipped after its replacements were last looked at, so the bad bytes
    decoded with it (past the part kept) went uncounted in the text reader but counted in the block scanner."""
    path = write("long.log", b"start\n" + b"x" * 50_000 + b"\xff" + b"y" * 50_000 + b"\n\xfe after\n")
    ((source, lines),), _ = read_all(path, max_line=1000)
    assert lines == ["start", "x" * 1000, "\ufffd after"]
    assert source.state.cut_lines == 1 and source.state.replacements == 2
    for fast in (True, False):
        accounting = Accounting()
        list(iter_events(path, accounting=accounting, max_line=1000, fast=fast, jobs=1))
        assert accounting.inputs[0].replacements == 2


def test_empty_file_has_no_lines(write) -> None:
    source, lines = read_one(write("empty.log", b""))
    assert lines == []
    assert (source.state.lines, source.state.status) == (0, "ok")


# --- binary files --------------------------------------------------------------------------


def nul_heavy_binary() -> bytes:
    rng = random.Random(7)
    blob = bytearray()
    for _ in range(2000):
        blob += rng.randbytes(5) + bytes(3)  # packed structs: a few values, then zero padding
        if rng.random() < 0.05:
            blob += b"\n"
    return bytes(blob)


@pytest.mark.parametrize(
    ("data", "reason_part"),
    [
        (nul_heavy_binary(), "NUL"),
        (b"MDMP\x93\xa7\x00\x00" + b"crash\n" * 40, "minidump"),
        (b"\x00\x01\x00\x02\x00\x03\x00\x0a" * 500, "control"),  # 16-bit numbers: NULs on every other byte
        (bytes(range(1, 32)) * 200, "control"),
    ],
    ids=["nul-heavy", "mdmp", "utf16-lookalike", "control-bytes"],
)
def test_binary_files_are_skipped_with_their_lines_counted(write, data: bytes, reason_part: str) -> None:
    source, lines = read_one(write("weird.log", data))
    assert lines == []
    assert source.state.status == "skipped"
    assert "binary" in source.state.reason
    assert reason_part in source.state.reason
    assert source.state.encoding is None
    assert source.state.lines == data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


# --- folders -------------------------------------------------------------------------------


def test_folder_walk_picks_logs_orders_rotations_and_lists_the_rest(write, tmp_path: Path) -> None:
    write("logs/main.log", "live\n")
    write("logs/main.log.1", "older\n")
    write("logs/main.log.2.gz", gzip.compress(b"oldest\n"))
    write("logs/notes.txt", "a note\n")
    write("logs/window1/renderer.log", "renderer\n")
    write("logs/image.png", b"\x89PNG\r\n\x1a\n")
    write("logs/settings.json", "{}")
    write("logs/data.gz", gzip.compress(b"not a log name\n"))
    root = tmp_path / "logs"
    found, discovery = read_all(root)
    names = [os.path.relpath(source.name, root) for source, _ in found]
    assert names == [
        "main.log.2.gz",
        "main.log.1",
        "main.log",
        "notes.txt",
        os.path.join("window1", "renderer.log"),
    ]
    assert [lines for _, lines in found] == [["oldest"], ["older"], ["live"], ["a note"], ["renderer"]]
    assert sorted((os.path.relpath(name, root), reason) for name, reason in discovery.ignored) == [
        ("data.gz", "compressed file that is not a log (*.log.gz, *.txt.gz are read): not opened"),
        ("image.png", "image (a screenshot?): not a log, not read"),
        ("settings.json", "not a log file name (.json; *.log, *.log.N, *.txt are read): not read"),
    ]
    assert discovery.failures == []


def test_same_stream_files_are_read_in_a_fixed_order(write, tmp_path: Path) -> None:
    write("logs/main.log.gz", gzip.compress(b"packed\n"))
    write("logs/main.log", "plain\n")
    found, _ = read_all(tmp_path / "logs")
    assert [Path(source.name).name for source, _ in found] == ["main.log", "main.log.gz"]


def test_empty_folder_gives_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    found, discovery = read_all(tmp_path / "empty")
    assert found == []
    assert (discovery.failures, discovery.ignored, discovery.minidumps) == ([], [], [])


def test_missing_path_is_a_failure_not_an_exception(tmp_path: Path) -> None:
    missing = tmp_path / "nope.log"
    found, discovery = read_all(missing)
    assert found == []
    ((path, reason),) = discovery.failures
    assert path == str(missing)
    assert "cannot read" in reason and "No such file" in reason


def test_minidumps_in_folders_are_noted_with_their_times(write, tmp_path: Path) -> None:
    dump = write("logs/Crashpad/completed/a1b2.dmp", b"MDMP" + bytes(60))
    when = datetime(2025, 8, 22, 11, 40, 2).timestamp()
    os.utime(dump, (when, when))
    write("logs/main.log", "x\n")
    found, discovery = read_all(tmp_path / "logs")
    assert [Path(source.name).name for source, _ in found] == ["main.log"]
    (minidump,) = discovery.minidumps
    assert minidump.source == os.path.join(str(tmp_path / "logs"), "Crashpad", "completed", "a1b2.dmp")
    assert minidump.time == datetime(2025, 8, 22, 11, 40, 2)
    assert minidump.size == 64


def test_a_minidump_given_directly_is_noted(write) -> None:
    dump = write("crash.dmp", b"MDMP" + bytes(12))
    found, discovery = read_all(dump)
    assert found == []
    assert [(d.source, d.size) for d in discovery.minidumps] == [(str(dump), 16)]


# --- archives ------------------------------------------------------------------------------


def make_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("logs/", "")
        archive.writestr("logs/main.log", "zip live 1\nzip live 2\n")
        archive.writestr("logs/main.log.1.gz", gzip.compress(b"zip rotated\n"))
        archive.writestr("logs/exthost/exthost.log", "\ufeffext\r\n".encode())
        archive.writestr("logs/readme.md", "read me")
        archive.writestr(
            zipfile.ZipInfo("Crashpad/completed/f00d.dmp", date_time=(2025, 8, 22, 11, 40, 2)), b"MDMP" + bytes(28)
        )


def test_zip_bundle_members_are_named_and_decoded(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.zip"
    make_zip(bundle)
    found, discovery = read_all(bundle)
    assert [(source.name, lines) for source, lines in found] == [
        (f"{bundle}!logs/main.log.1.gz", ["zip rotated"]),
        (f"{bundle}!logs/main.log", ["zip live 1", "zip live 2"]),
        (f"{bundle}!logs/exthost/exthost.log", ["ext"]),
    ]
    assert {source.container for source, _ in found} == {str(bundle)}
    assert discovery.ignored == [
        (f"{bundle}!logs/readme.md", "not a log file name (.md; *.log, *.log.N, *.txt are read): not read")
    ]
    (minidump,) = discovery.minidumps
    assert minidump.source == f"{bundle}!Crashpad/completed/f00d.dmp"
    assert minidump.time == datetime(2025, 8, 22, 11, 40, 2)
    assert minidump.size == 32


@pytest.mark.parametrize("mode", ["w", "w:gz"], ids=["tar", "tar.gz"])
def test_tar_bundles(tmp_path: Path, mode: str) -> None:
    bundle = tmp_path / ("bundle.tar" if mode == "w" else "bundle.tar.gz")
    stamp = datetime(2025, 8, 22, 11, 40, 2).timestamp()
    with tarfile.open(bundle, mode) as archive:
        for name, data in [
            ("logs/main.log", b"tar live\n"),
            ("logs/main.log.1.gz", gzip.compress(b"tar rotated\n")),
            ("logs/notes.bin", b"\x00"),
            ("Crashpad/completed/beef.dmp", b"MDMP" + bytes(4)),
        ]:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), stamp
            archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("logs/link.log")
        link.type, link.linkname = tarfile.SYMTYPE, "main.log"
        archive.addfile(link)
    found, discovery = read_all(bundle)
    assert [(source.name, lines) for source, lines in found] == [
        (f"{bundle}!logs/main.log.1.gz", ["tar rotated"]),
        (f"{bundle}!logs/main.log", ["tar live"]),
    ]
    # A link named like a log is never followed; it is reported with the reason rather than silently ignored.
    assert discovery.ignored == [
        (f"{bundle}!logs/notes.bin", "not a log file name (.bin; *.log, *.log.N, *.txt are read): not read")
    ]
    assert discovery.failures == [(f"{bundle}!logs/link.log", "archive member is a link; not followed, not read")]
    assert [(d.source, d.time, d.size) for d in discovery.minidumps] == [
        (f"{bundle}!Crashpad/completed/beef.dmp", datetime(2025, 8, 22, 11, 40, 2), 8)
    ]


def test_archive_inside_a_folder_is_opened(tmp_path: Path) -> None:
    (tmp_path / "uploads").mkdir()
    make_zip(tmp_path / "uploads" / "bundle.zip")
    found, _ = read_all(tmp_path / "uploads")
    assert [source.name.split("!")[1] for source, _ in found] == [
        "logs/main.log.1.gz",
        "logs/main.log",
        "logs/exthost/exthost.log",
    ]


# --- broken inputs -------------------------------------------------------------------------


def numbered_lines(count: int) -> bytes:
    rng = random.Random(3)  # incompressible enough that a cut leaves part of the text
    return b"".join(b"2025-08-22 10:23:45.123 [info] line %d %016x\n" % (i, rng.getrandbits(64)) for i in range(count))


def test_truncated_gzip_keeps_the_lines_before_the_cut(write) -> None:
    packed = gzip.compress(numbered_lines(20000))
    cut = packed[: len(packed) // 2]
    readable = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut)
    source, lines = read_one(write("main.log.gz", cut))
    assert source.state.status == "error"
    assert "truncated" in source.state.reason
    assert len(lines) == readable.count(b"\n") > 1000
    assert source.state.lines == len(lines)
    assert lines[-1].startswith(f"2025-08-22 10:23:45.123 [info] line {len(lines) - 1} ")


def test_gzip_missing_only_its_end_still_gives_its_lines(write) -> None:
    """Regression: a short gz cut near its end gave 0 lines (the whole head read was dropped)."""
    cut = gzip.compress(b"alpha\nbeta\ngamma\n" * 50)[:-12]
    readable = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut)
    source, lines = read_one(write("small.log.gz", cut))
    assert source.state.status == "error"
    assert "truncated" in source.state.reason
    assert lines[:3] == ["alpha", "beta", "gamma"]
    assert len(lines) == readable.count(b"\n") > 90
    assert source.state.lines == len(lines)


def test_truncated_tar_gz_keeps_the_members_before_the_cut(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.tar.gz"
    with tarfile.open(bundle, "w:gz") as archive:
        for index in range(4):
            data = numbered_lines(3000)
            info = tarfile.TarInfo(f"logs/part{index}.log")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    packed = bundle.read_bytes()
    bundle.write_bytes(packed[: int(len(packed) * 0.6)])
    found, discovery = read_all(bundle)
    assert [Path(source.name).name for source, _ in found][:2] == ["part0.log", "part1.log"]
    assert [len(lines) for _, lines in found][:2] == [3000, 3000]
    assert found[-1][0].state.status == "error"
    ((path, reason),) = discovery.failures
    assert path == str(bundle)
    assert "cut short" in reason and "truncated" in reason


def test_corrupt_zip_is_recorded_and_other_inputs_are_read(write) -> None:
    broken = write("broken.zip", b"PK\x03\x04 this is not really a zip" * 4)
    good = write("main.log", "still read\n")
    found, discovery = read_all(broken, good)
    assert [(source.name, lines) for source, lines in found] == [(str(good), ["still read"])]
    ((path, reason),) = discovery.failures
    assert path == str(broken)
    assert "cannot read archive" in reason


def test_zip_member_with_bad_crc_is_an_error(tmp_path: Path) -> None:
    bundle = tmp_path / "crc.zip"
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("main.log", "hello\nworld\n")
    data = bytearray(bundle.read_bytes())
    data[data.find(b"hello")] = ord("j")
    bundle.write_bytes(bytes(data))
    ((source, _),), discovery = read_all(bundle)
    assert discovery.failures == []
    assert source.state.status == "error"
    assert "CRC" in source.state.reason


def patch_zip(path: Path, local_offset: int, central_offset: int, value: bytes, *, bitwise_or: bool = False) -> None:
    """Overwrite a field of the first member in both its local header and the central directory."""
    data = bytearray(path.read_bytes())
    for start, offset in ((data.find(b"PK\x03\x04"), local_offset), (data.find(b"PK\x01\x02"), central_offset)):
        at = start + offset
        if bitwise_or:
            data[at] |= value[0]
        else:
            data[at : at + len(value)] = value
    path.write_bytes(bytes(data))


def test_zip_minidump_with_an_impossible_date_has_no_time(tmp_path: Path) -> None:
    """Regression: a zeroed DOS date (month 0) raised ValueError out of the whole read."""
    bundle = tmp_path / "zero-date.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("Crashpad/completed/a.dmp", b"MDMP")
        archive.writestr("main.log", "x\n")
    patch_zip(bundle, 12, 14, b"\x00\x00")  # DOS date field
    found, discovery = read_all(bundle)
    assert [lines for _, lines in found] == [["x"]]
    assert [(d.source, d.time, d.size) for d in discovery.minidumps] == [
        (f"{bundle}!Crashpad/completed/a.dmp", None, 4)
    ]


def test_tar_minidump_with_an_impossible_mtime_has_no_time(tmp_path: Path) -> None:
    bundle = tmp_path / "odd.tar"
    with tarfile.open(bundle, "w", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo("a.dmp")
        info.size, info.mtime = 4, 10**13
        archive.addfile(info, io.BytesIO(b"MDMP"))
    _, discovery = read_all(bundle)
    assert [(d.time, d.size) for d in discovery.minidumps] == [(None, 4)]


@pytest.mark.parametrize(
    ("patch", "reason_part"),
    [((6, 8, b"\x01", True), "encrypted"), ((8, 10, b"\x09\x00", False), "compression method")],
    ids=["encrypted", "deflate64"],
)
def test_zip_member_that_cannot_be_opened_is_an_error(tmp_path: Path, patch: tuple, reason_part: str) -> None:
    """Regression: RuntimeError / NotImplementedError from zipfile escaped the reader."""
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("logs/main.log", "hello\n")
    local, central, value, bitwise = patch
    patch_zip(bundle, local, central, value, bitwise_or=bitwise)
    ((source, lines),), discovery = read_all(bundle)
    assert lines == []
    assert source.state.status == "error"
    assert reason_part in source.state.reason
    assert discovery.failures == []


def test_corrupt_xz_tar_is_an_error_not_an_exception(tmp_path: Path) -> None:
    """Regression: LZMAError escaped the reader for a damaged .tar that is xz-compressed."""
    bundle = tmp_path / "bundle.tar"
    data = numbered_lines(20000)
    with tarfile.open(bundle, "w:xz") as archive:
        info = tarfile.TarInfo("main.log")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    damaged = bytearray(bundle.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    bundle.write_bytes(bytes(damaged))
    found, discovery = read_all(bundle)
    assert [source.state.status for source, _ in found] == ["error"]
    ((path, reason),) = discovery.failures
    assert path == str(bundle)
    assert "cut short" in reason


# --- stdin and names -----------------------------------------------------------------------


def test_stdin_is_read_through_the_cli() -> None:
    text = "2025-08-22 11:02:13.877 [warning] [GoProcessService] Process PID=17376 no longer exists\r\nplain noise\r\n"
    done = subprocess.run(
        [sys.executable, "-m", "qoderlog", "parse", "-"],
        input=text.encode("utf-16"),
        capture_output=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    (event,) = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert (event["source"], event["line"], event["type"]) == ("<stdin>", 1, "process.gone")
    assert event["fields"] == {"pid": 17376}
    assert event["level"] == "warning"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("logs/main.log", ("logs/main.log", 0)),
        ("logs/main.log.1", ("logs/main.log", 1)),
        ("logs/main.log.2.gz", ("logs/main.log", 2)),
        ("logs/main.log.gz", ("logs/main.log", 0)),
        ("MAIN.LOG.12.GZ", ("MAIN.LOG", 12)),
        ("bundle.zip!logs/exthost.log.3", ("bundle.zip!logs/exthost.log", 3)),
        ("notes.txt", ("notes.txt", 0)),
    ],
)
def test_stream_key(name: str, key: tuple[str, int]) -> None:
    assert stream_key(name) == key


def test_a_file_that_disappears_between_listing_and_reading_is_an_error_and_the_rest_is_read(tmp_path: Path) -> None:
    for name in ("a.log", "b.log", "c.log"):
        (tmp_path / name).write_text(f"{name}\n")
    discovery = Discovery()
    sources = iter_sources([tmp_path], discovery)
    first = next(sources)  # the folder is listed by now
    (tmp_path / "b.log").unlink()
    found = [(first, list(first.lines()))] + [(source, list(source.lines())) for source in sources]
    assert [(s.name.rsplit("/", 1)[-1], lines, s.state.status) for s, lines in found] == [
        ("a.log", ["a.log"], "ok"),
        ("c.log", ["c.log"], "ok"),
    ]
    assert discovery.failures == [(os.path.join(str(tmp_path), "b.log"), "cannot read: No such file or directory")]


def test_a_file_that_disappears_or_becomes_a_folder_after_it_was_found_is_an_error(tmp_path: Path) -> None:
    for name in ("a.log", "b.log"):
        (tmp_path / name).write_text(f"{name}\n")
    a, b = list(iter_sources([tmp_path / "a.log", tmp_path / "b.log"], Discovery()))
    (tmp_path / "a.log").unlink()
    (tmp_path / "b.log").unlink()
    (tmp_path / "b.log").mkdir()  # opening a folder succeeds on Linux: it must be refused, not read
    assert (list(a.lines()), a.state.status, a.state.reason) == ([], "error", "cannot open: No such file or directory")
    assert (list(b.lines()), b.state.status, b.state.reason) == (
        [],
        "error",
        "cannot open: b.log is not a regular file (device, FIFO or socket)",
    )


def test_a_file_replaced_by_a_fifo_after_listing_is_refused_without_blocking(tmp_path: Path) -> None:
    (tmp_path / "main.log").write_text("line\n")
    (source,) = list(iter_sources([tmp_path / "main.log"], Discovery()))
    (tmp_path / "main.log").unlink()
    os.mkfifo(tmp_path / "main.log")
    assert list(source.lines()) == []
    assert (source.state.status, source.state.reason) == (
        "error",
        "cannot open: main.log is not a regular file (device, FIFO or socket)",
    )


def test_a_fifo_named_like_an_archive_in_a_folder_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "bundle.zip")
    (tmp_path / "main.log").write_text("line\n")
    found, discovery = read_all(tmp_path)
    assert [lines for _, lines in found] == [["line"]]
    assert discovery.failures == [
        (os.path.join(str(tmp_path), "bundle.zip"), "not a regular file (device, FIFO or socket); skipped")
    ]


def test_folders_and_archives_are_read_up_to_max_members_and_the_rest_reported(tmp_path: Path) -> None:
    for index in range(5):
        (tmp_path / "logs" / f"{index}.log").parent.mkdir(exist_ok=True)
        (tmp_path / "logs" / f"{index}.log").write_text(f"{index}\n")
    discovery = Discovery()
    found = [list(s.lines()) for s in iter_sources([tmp_path / "logs"], discovery, limits=Limits(max_members=3))]
    assert found == [["0"], ["1"], ["2"]]
    assert [(h.limit, h.allowed, h.value, h.count) for h in discovery.limits] == [("max_members", 3, 5, 2)]
    assert discovery.failures[0][1].startswith("too many files in the folder: the first 3 read, 2 not read")


def test_decompressed_bytes_stop_at_max_bytes_keeping_every_line_before(tmp_path: Path) -> None:
    path = tmp_path / "main.log.gz"
    path.write_bytes(gzip.compress(b"0123456789\n" * 100))
    ((source, lines),), _ = read_all_limited(path, Limits(max_bytes=55))
    assert lines == ["0123456789"] * 5
    assert source.state.status == "error"
    assert "max_bytes 1100 > limit 55" in (source.state.reason or "")
    assert [(h.limit, h.value) for h in source.state.limits] == [("max_bytes", 1100)]


def test_a_long_line_is_cut_counted_and_flagged_without_holding_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "main.log"
    path.write_bytes(b"a" * 5000 + b"\r\nshort\n")
    ((source, lines),), _ = read_all_limited(path, Limits(max_line=100))
    assert lines == ["a" * 100, "short"]
    assert (source.state.lines, source.state.cut_lines, source.state.longest_line) == (2, 1, 5000)
    assert [(h.limit, h.allowed, h.value, h.count) for h in source.state.limits] == [("max_line", 100, 5000, 1)]


def read_all_limited(path: Path, limits: Limits) -> tuple[list[tuple[Source, list[str]]], Discovery]:
    discovery = Discovery()
    return [(s, list(s.lines())) for s in iter_sources([path], discovery, limits=limits)], discovery


def test_a_file_that_loses_read_permission_after_listing_is_an_error_and_the_rest_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # chmod 000 does not stop root (the CI user), so the permission loss is made where the file is opened.
    for name in ("a.log", "b.log"):
        (tmp_path / name).write_text(f"{name}\n")
    real_open = os.open

    def deny_b(path: str | os.PathLike[str], flags: int, *args: int) -> int:
        if os.fspath(path).endswith("b.log"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr("qoderlog.read.sources.os.open", deny_b)
    found, _ = read_all(tmp_path)
    assert [(s.name.rsplit("/", 1)[-1], lines, s.state.status, s.state.reason) for s, lines in found] == [
        ("a.log", ["a.log"], "ok", None),
        ("b.log", [], "error", "cannot open: Permission denied"),
    ]


def test_a_zip_member_with_an_empty_name_is_ignored_not_a_crash(tmp_path: Path) -> None:
    """Regression (atheris, fuzz_reader): ``ZipInfo.is_dir()`` raised IndexError on an empty member name."""
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr(zipfile.ZipInfo(""), "nameless\n")
        archive.writestr("main.log", "named\n")
    found, discovery = read_all(bundle)
    assert [(source.name, lines) for source, lines in found] == [(f"{bundle}!main.log", ["named"])]
    assert discovery.ignored == [
        (f"{bundle}!", "not a log file name (no extension; *.log, *.log.N, *.txt are read): not read")
    ]


def test_a_zip_whose_utf8_flagged_name_is_not_utf8_is_a_corrupt_archive_not_a_crash(crafted_zip: Any) -> None:
    """Regression (found while fixing the fuzzer's empty-name crash): zipfile raises UnicodeDecodeError."""
    bundle = crafted_zip({8: b"\x00\x08", 46: b"\xff"})  # flag bit 11 says the name is UTF-8, and it is not
    found, discovery = read_all(bundle)
    assert found == []
    ((shown, reason),) = discovery.failures
    assert shown == str(bundle)
    assert reason.startswith("cannot read archive: 'utf-8' codec can't decode byte 0xff")


def test_a_zip_of_an_unknown_version_is_a_corrupt_archive_not_a_crash(crafted_zip: Any) -> None:
    """Regression (atheris, fuzz_reader): zipfile raised NotImplementedError("zip file version 20.3")."""
    bundle = crafted_zip({6: (203).to_bytes(2, "little")})  # "version needed to extract": 20.3
    found, discovery = read_all(bundle)
    assert found == []
    assert discovery.failures == [(str(bundle), "cannot read archive: zip file version 20.3")]


def test_a_decompressor_failing_oddly_on_crafted_data_ends_that_source_only() -> None:
    """Every source's bytes pass through open_raw's reader: an unexpected decompressor error (zipfile's LZMA
    reader raises struct.error on crafted properties) is a read error, keeping the lines before it."""
    import struct

    class Crafted(io.RawIOBase):
        def __init__(self, fail_at_open: bool) -> None:
            self.calls = 0
            self.fail_at_open = fail_at_open

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
            self.calls += 1
            if self.calls > 1 or self.fail_at_open:
                raise struct.error("unpack requires a buffer of 5 bytes")
            buffer[:9] = b"line one\n"
            return 9

    late = Source(name="late.log", container=None, opener=lambda: Crafted(False))  # type: ignore[arg-type,return-value]
    assert list(late.lines()) == ["line one"]
    assert (late.state.status, late.state.reason) == (
        "error",
        "read stopped after line 1: corrupt compressed data: error: unpack requires a buffer of 5 bytes",
    )
    early = Source(name="early.log", container=None, opener=lambda: Crafted(True))  # type: ignore[arg-type,return-value]
    assert list(early.lines()) == []
    assert (early.state.status, early.state.reason) == ("error", "cannot open: unpack requires a buffer of 5 bytes")


def test_a_cut_line_whose_rest_cannot_be_read_is_still_yielded(tmp_path: Path) -> None:
    """Regression (atheris, fuzz_reader): the line was counted, then a read error while skipping its rest
    ended the source before the line was yielded, so lines counted and lines given differed."""
    path = tmp_path / "main.log.gz"
    packed = gzip.compress(b"ok\n" + bytes(random.Random(8).choices(b"abcdefgh", k=400_000)))
    path.write_bytes(packed[: len(packed) // 2])
    ((source, lines),), _ = read_all_limited(path, Limits(max_line=100))
    assert [len(line) for line in lines] == [2, 100]
    assert (source.state.lines, source.state.cut_lines, source.state.status) == (2, 1, "error")
    assert "truncated compressed stream" in (source.state.reason or "")


def test_members_not_read_are_accounted_with_their_reason_and_escaping_names_flagged(tmp_path: Path) -> None:
    """Issue 13 item 7: every member is in the accounting; one whose name escapes the archive is read but flagged."""
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("logs/main.log", "2025-01-01 10:00:00.000 [info] live\n")
        archive.writestr("logs/inner.zip", b"PK\x05\x06" + bytes(18))
        archive.writestr("shot.png", b"\x89PNG")
        archive.writestr("../evil.log", "2025-01-01 10:00:00.000 [info] outside\n")
        archive.writestr("/abs/x.log", "2025-01-01 10:00:00.000 [info] absolute\n")
    accounting = Accounting()
    list(iter_events([bundle], accounting=accounting))
    by_source = {report.source: report for report in accounting.inputs}
    assert (by_source[f"{bundle}!logs/inner.zip"].status, by_source[f"{bundle}!logs/inner.zip"].reason) == (
        "ignored",
        "nested archive: not opened",
    )
    assert by_source[f"{bundle}!shot.png"].status == "ignored"
    assert by_source[f"{bundle}!logs/main.log"].warning is None
    for name in ("../evil.log", "/abs/x.log"):
        report = by_source[f"{bundle}!{name}"]
        assert (report.status, report.lines) == ("ok", 1)
        assert report.warning is not None and "escapes the archive" in report.warning
    assert sorted(r.source for r in accounting.ignored()) == [f"{bundle}!logs/inner.zip", f"{bundle}!shot.png"]
    assert accounting.problems() == []
    assert sum(accounting.by_kind().values()) == accounting.lines_read == 3
