"""Property tests: any bytes are read without raising, and every physical line is accounted for exactly once."""

from __future__ import annotations

import codecs
import gzip
import json
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qoderlog import Accounting, iter_events, load_patterns
from qoderlog.limits import Limits
from qoderlog.model import Framing
from qoderlog.patterns import frame_example
from qoderlog.read.headers import json_depth
from qoderlog.testing import reframe

LIBRARY = load_patterns()
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Qoder lines (bare examples of the library, each recognised by exactly one pattern) and their pattern ids.
QODER = sorted(
    {(e.text, p.id) for p in LIBRARY.patterns for e in p.examples if frame_example(e.text).framing is Framing.BARE}
)
QODER += [
    (
        "[GoProcessService] Starting go process: C:\\Users\\张伟\\AppData\\Local\\Programs\\Qoder\\resources\\app\\"
        "resources\\bin\\x86_64_windows\\Qoder.exe start --workDir C:\\Users\\张伟\\AppData\\Roaming\\Qoder\\SharedClientCache",
        "process.start",
    ),
    ("Waiting for .info.json file to exist: C:\\Users\\张伟\\AppData\\Roaming\\Qoder\\.info.json", "cosy.info_wait"),
]
NOISE = [
    "2025-08-22 10:23:45.123 [info] ToolInvoke : run_in_terminal",
    '{"command": "ls -la", "cwd": "/root"}',
    '{"timestamp":"2025-08-22T02:23:45Z","level":"INFO","message":"heartbeat"}',
    "[2021-05-14 09:12:33.420] [main] [info] Lifecycle#onWillShutdown",
    "[main 2019-09-03T15:29:47.100Z] Lifecycle#app.on(before-quit)",
    "Error: something unrelated went wrong",
    "<3> sample",
    "用户 张伟 的日志",
    "{",
    "}",
]
# Text noise without letters can never hold a prefilter, so it never becomes an event.
SAFE = "0123456789 .,:;-_=+()[]{}<>#/\\|\"'!?*&%$@~^`张伟日志错误"
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "gb18030"]
LINE_ENDING = re.compile(r"\r\n|\r|\n")


def encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-16-be-bom":
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    return text.encode(encoding)


def physical_lines(text: str) -> int:
    endings = len(LINE_ENDING.findall(text))
    return endings + (1 if text and not LINE_ENDING.search(text[-1:]) else 0)


def read(name: str, data: bytes) -> tuple[list, Accounting]:
    accounting = Accounting()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        events = list(iter_events(path, patterns=LIBRARY, accounting=accounting))
    return events, accounting


def assert_accounted(accounting: Accounting) -> None:
    for report in accounting.inputs:
        assert sum(report.by_kind.values()) == report.lines, report
    assert sum(accounting.by_kind().values()) == accounting.lines_read


@SETTINGS
@given(
    prefix=st.sampled_from(
        [b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"\x1f\x8b\x08\x00", b"MDMP", b"PK\x03\x04"]
    ),
    body=st.binary(max_size=3000),
    name=st.sampled_from(["x.log", "x.log.gz", "x.txt", "x.zip", "x.tar", "x.tar.gz"]),
)
def test_any_bytes_are_read_without_raising(prefix: bytes, body: bytes, name: str) -> None:
    events, accounting = read(name, prefix + body)
    assert_accounted(accounting)
    assert all(event.line >= 1 for event in events)


line_kind = st.one_of(
    # Snippet-only framings (a bare Error: line, a DevTools console copy) are headers only before a file is framed.
    st.tuples(st.just("qoder"), st.sampled_from(QODER), st.sampled_from([f for f in Framing if not f.snippet_only])),
    st.tuples(st.just("noise"), st.sampled_from(NOISE), st.none()),
    st.tuples(st.just("noise"), st.text(alphabet=SAFE, max_size=40), st.none()),
    st.tuples(st.just("blank"), st.sampled_from(["", "   ", "\t"]), st.none()),
    st.tuples(
        st.just("continuation"),
        st.sampled_from(["    at Object.<anonymous> (main.js:1:1)", "\tat process (node:internal)", "  {"]),
        st.none(),
    ),
)


@SETTINGS
@given(
    lines=st.lists(line_kind, max_size=40),
    endings=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=40, max_size=40),
    final_ending=st.booleans(),
    encoding=st.sampled_from(ENCODINGS),
    compress=st.booleans(),
    cut=st.one_of(st.none(), st.floats(min_value=0.0, max_value=1.0)),
)
def test_mixed_framings_are_accounted_and_every_qoder_line_is_an_event(
    lines: list, endings: list[str], final_ending: bool, encoding: str, compress: bool, cut: float | None
) -> None:
    texts: list[str] = []
    expected: list[str] = []
    for kind, value, framing in lines:
        if kind == "qoder":
            body, pattern_id = value
            texts.append(reframe(body, framing))
            expected.append(pattern_id)
        elif kind == "continuation" and not texts:
            texts.append("2025-08-22 10:23:45.123 [info] a header first")
            texts.append(value)
        else:
            texts.append(value)
    text = "".join(line + ending for line, ending in zip(texts, endings, strict=False))
    if texts and not final_ending:
        text = text[: -len(endings[len(texts) - 1])]
    data = encode(text, encoding)
    if compress:
        data = gzip.compress(data)
    if cut is not None:
        data = data[: int(len(data) * cut)]

    events, accounting = read("mixed.log.gz" if compress else "mixed.log", data)

    assert_accounted(accounting)
    (report,) = accounting.inputs
    if cut is None:
        assert report.status == "ok", report.reason
        assert report.lines == physical_lines(text)
        assert [event.pattern_id for event in events] == expected
        assert report.by_kind["event"] == len(expected)
        assert report.replacements == 0
    else:
        assert report.by_kind["event"] == len(events) <= len(expected)


SMALL = Limits(max_line=40, max_bytes=2000, max_json_depth=4, max_members=3)


@SETTINGS
@given(
    body=st.binary(max_size=4000) | st.text(alphabet=SAFE + 'ab\n\r{}[]"', max_size=4000).map(str.encode),
    packed=st.booleans(),
)
def test_any_bytes_under_tight_limits_are_bounded_and_accounted(body: bytes, packed: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("main.log.gz" if packed else "main.log")
        path.write_bytes(gzip.compress(body) if packed else body)
        accounting = Accounting()
        events = list(iter_events([path], patterns=LIBRARY, accounting=accounting, limits=SMALL))
    assert_accounted(accounting)
    (report,) = accounting.inputs
    assert all(len(event.text) <= SMALL.max_line for event in events)
    assert report.cut_lines <= report.lines
    hits = {hit.limit: hit for hit in report.limits}
    assert ("max_line" in hits) == (report.cut_lines > 0)
    if "max_bytes" in hits:
        assert report.status == "error" and "max_bytes" in (report.reason or "")
    if len(body) <= SMALL.max_bytes:
        assert "max_bytes" not in hits


@SETTINGS
@given(
    st.recursive(
        st.none() | st.integers() | st.text(max_size=5),
        lambda c: st.lists(c) | st.dictionaries(st.text(max_size=3), c),
        max_leaves=30,
    )
)
def test_json_depth_is_the_nesting_json_sees(value: object) -> None:
    line = json.dumps(value)

    def depth(item: object) -> int:
        if isinstance(item, list):
            return 1 + max(map(depth, item), default=0)
        if isinstance(item, dict):
            return 1 + max(map(depth, item.values()), default=0)
        return 0

    true_depth = depth(value)
    for limit in range(0, 6):
        assert (json_depth(line, limit) > limit) == (true_depth > limit)
