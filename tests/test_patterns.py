"""The pattern library: every example as a generated test, the loader's refusals, wording drift, conversions."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from qoderlog import patterns as patterns_module
from qoderlog import resources
from qoderlog.errors import PatternError
from qoderlog.model import Framing
from qoderlog.patterns import (
    Example,
    Pattern,
    PatternSet,
    check_example,
    check_examples,
    convert,
    frame_example,
    load_file,
    load_patterns,
)
from qoderlog.testing import REFRAMINGS, check_library, reframe

LIBRARY = load_patterns()
EXAMPLES = [(pattern, example) for pattern in LIBRARY.patterns for example in pattern.examples]
EXAMPLE_IDS = [f"{pattern.id}[{index}]" for pattern in LIBRARY.patterns for index in range(len(pattern.examples))]
BARE = [
    (p, e, i) for (p, e), i in zip(EXAMPLES, EXAMPLE_IDS, strict=True) if frame_example(e.text).framing is Framing.BARE
]
FRAMINGS = list(REFRAMINGS)
REFRAMED = [(p, e, f) for p, e, _ in BARE for f in FRAMINGS]
REFRAMED_IDS = [f"{i}-{f}" for _, _, i in BARE for f in FRAMINGS]


# --- the built-in library, one test per example ---------------------------------------------


@pytest.mark.parametrize(("pattern", "example"), EXAMPLES, ids=EXAMPLE_IDS)
def test_builtin_example(pattern: Pattern, example: Example) -> None:
    assert check_example(LIBRARY, pattern, example) == []
    event = LIBRARY.match(frame_example(example.text))
    assert event is not None
    assert event.pattern_id == pattern.id
    assert dict(event.fields) == dict(example.fields)


@pytest.mark.parametrize(("pattern", "example", "framing"), REFRAMED, ids=REFRAMED_IDS)
def test_builtin_bare_example_in_every_framing(pattern: Pattern, example: Example, framing: Framing) -> None:
    text = reframe(example.text, framing)
    assert frame_example(text).framing is framing
    assert check_example(LIBRARY, pattern, example, text) == []


def test_library_is_sound_and_covers_every_file() -> None:
    assert check_library(LIBRARY) == []
    assert len(EXAMPLES) >= 60
    assert len(FRAMINGS) == 10
    assert len(REFRAMED) == 10 * len(BARE) > 100
    assert {Path(p.path).name for p in LIBRARY.patterns} == {
        "editor.yaml",
        "exthost.yaml",
        "goprocess.yaml",
        "ipc.yaml",
        "launch.yaml",
        "processes.yaml",
        "runtime.yaml",
        "service.yaml",
        "system.yaml",
        "update.yaml",
    }
    ids = [p.id for p in LIBRARY.patterns]
    assert len(ids) == len(set(ids))


def test_reframe_shapes() -> None:
    body = "update#setState idle"
    assert reframe(body, Framing.VSCODE) == "2025-08-22 10:23:45.123 [info] update#setState idle"
    assert reframe(body, Framing.SPDLOG) == "[2025-08-22 10:23:45.123] [main] [info] update#setState idle"
    assert reframe(body, Framing.CONSOLE) == "[main 2025-08-22T10:23:45.123Z] update#setState idle"
    assert frame_example(reframe(body, Framing.JSON)).message == body
    assert reframe(body, Framing.BARE) == body
    chromium = frame_example(reframe(body, Framing.CHROMIUM))
    assert (chromium.framing, chromium.level, chromium.message) == (Framing.CHROMIUM, "info", body)
    glog = frame_example(reframe(body, Framing.GLOG))
    assert (glog.framing, glog.level, glog.logger, glog.message) == (Framing.GLOG, "info", "server.go:60", body)
    lsp = frame_example(reframe(body, Framing.LSP))
    assert (lsp.framing, lsp.level, lsp.message) == (Framing.LSP, "info", body)
    clock = frame_example(reframe(body, Framing.CLOCK))
    assert (clock.framing, clock.level, clock.timestamp, clock.message) == (Framing.CLOCK, "info", None, body)
    devtools = frame_example(reframe(body, Framing.DEVTOOLS))
    assert (devtools.framing, devtools.level, devtools.logger, devtools.message) == (
        Framing.DEVTOOLS,
        "info",
        "log.ts:437",
        body,
    )
    assert reframe(body, Framing.GO_PANIC) == reframe(body, Framing.STACK) == body


# --- the loader's refusals -------------------------------------------------------------------

GOOD = """\
component: demo
patterns:
  - id: demo.hello
    type: demo.hello
    prefilter: hello world
    regex: '^hello world (?P<count>\\d+)'
    fields: {count: int}
    examples:
      - line: 'hello world 5'
        fields: {count: 5}
"""
PATTERN_LINE = 3  # the "- id: demo.hello" line
EXAMPLE_LINE = 9  # the "- line: ..." line


def pattern_folder(tmp_path: Path, text: str, name: str = "demo.yaml", folder: str = "user") -> Path:
    path = tmp_path / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_good_user_pattern_loads_after_the_builtins(tmp_path: Path) -> None:
    path = pattern_folder(tmp_path, GOOD)
    library = load_patterns([path.parent])
    assert [p.id for p in library.patterns][-1] == "demo.hello"
    assert len(library.patterns) == len(LIBRARY.patterns) + 1
    (mine,) = [p for p in library.patterns if p.id == "demo.hello"]
    assert (mine.path, mine.line, mine.component, mine.timeout) == (str(path), PATTERN_LINE, "demo", 0.25)
    assert check_library(library) == []
    assert [p.id for p in load_patterns([path.parent], builtin=False).patterns] == ["demo.hello"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (GOOD.split("    examples:")[0] + "    examples: []\n", "missing 'examples'"),
        (GOOD.split("    examples:")[0], "missing 'examples'"),
        (GOOD.replace("(?P<count>\\d+)'", "(?P<count>\\d+'"), "regex does not compile"),
        (GOOD.replace("(?P<count>\\d+)'", "(?P<count>\\d+) (?P<unit>\\w+)?'"), "without a type"),
        (GOOD.replace("{count: int}", "{count: integer}"), "unknown type 'integer'"),
        (GOOD.replace("{count: int}", "{count: [int]}"), "unknown type ['int']"),
        (GOOD.replace("prefilter: hello world", "prefilter: goodbye"), "does not appear literally"),
        (GOOD.replace("{count: int}", "{count: int, source: str}"), "reserved"),
        (GOOD.replace("    type: demo.hello\n", "    type: demo.hello\n    colour: red\n"), "unknown keys"),
        (GOOD.replace("    type: demo.hello\n", "    type: demo.hello\n    component: [x]\n"), "'component' must be"),
        (GOOD.replace("type: demo.hello", "type: Hello"), "dotted lower-case"),
    ],
    ids=[
        "empty-examples",
        "no-examples",
        "bad-regex",
        "undeclared-group",
        "unknown-type",
        "unhashable-type",
        "prefilter-not-in-regex",
        "reserved-field",
        "unknown-key",
        "component-not-text",
        "bad-type-name",
    ],
)
def test_loader_rejects_malformed_patterns(tmp_path: Path, text: str, words: str) -> None:
    path = pattern_folder(tmp_path, text)
    with pytest.raises(PatternError) as caught:
        load_patterns([path.parent])
    error = caught.value
    assert (error.path, error.line) == (str(path), PATTERN_LINE)
    assert str(error).startswith(f"{path}:{PATTERN_LINE}: pattern 'demo.hello': ")
    assert words in str(error)


def test_loader_rejects_invalid_yaml_showing_the_line(tmp_path: Path) -> None:
    path = pattern_folder(tmp_path, GOOD.replace("  - id: demo.hello", "  - id: demo.hello: [oops"))
    with pytest.raises(PatternError) as caught:
        load_file(path)
    error = caught.value
    assert (error.path, error.line) == (str(path), PATTERN_LINE)
    assert str(error).startswith(f"{path}:{PATTERN_LINE}: not valid YAML")
    assert "demo.hello" in str(error)
    assert "hint:" in str(error)


def test_loader_rejects_a_duplicate_id_across_folders(tmp_path: Path) -> None:
    first = pattern_folder(tmp_path, GOOD, folder="one")
    second = pattern_folder(tmp_path, GOOD.replace("hello world", "hi there"), name="other.yaml", folder="two")
    with pytest.raises(PatternError) as caught:
        load_patterns([first.parent, second.parent])
    text = str(caught.value)
    assert text.startswith(f"{second}:{PATTERN_LINE}: duplicate pattern id 'demo.hello'")
    assert f"first defined at {first}:{PATTERN_LINE}" in text


def test_loader_rejects_a_user_pattern_reusing_a_builtin_id(tmp_path: Path) -> None:
    path = pattern_folder(tmp_path, GOOD.replace("id: demo.hello", "id: process.gone"))
    with pytest.raises(PatternError, match=r"duplicate pattern id 'process\.gone'"):
        load_patterns([path.parent])


def test_missing_pattern_folder(tmp_path: Path) -> None:
    with pytest.raises(PatternError, match="pattern folder not found") as caught:
        load_patterns([tmp_path / "nowhere"])
    assert caught.value.path == str(tmp_path / "nowhere")


def test_example_that_does_not_match_is_reported_with_file_line_and_id(tmp_path: Path) -> None:
    path = pattern_folder(tmp_path, GOOD.replace("'hello world 5'", "'hello world five'"))
    problems = check_examples(load_patterns([path.parent], builtin=False, check=False))
    (problem,) = problems
    assert isinstance(problem, PatternError)
    assert (problem.path, problem.line) == (str(path), EXAMPLE_LINE)
    assert str(problem).startswith(f"{path}:{EXAMPLE_LINE}: pattern 'demo.hello': example does not match its own regex")
    assert "'hello world five'" in str(problem)


def test_example_with_other_fields_is_reported(tmp_path: Path) -> None:
    path = pattern_folder(tmp_path, GOOD.replace("fields: {count: 5}", "fields: {count: 6}"))
    (problem,) = check_examples(load_patterns([path.parent], builtin=False, check=False))
    assert str(problem).startswith(f"{path}:{EXAMPLE_LINE}: pattern 'demo.hello': fields differ")
    assert "expected {'count': 6}, got {'count': 5}" in str(problem)


def test_example_matched_by_two_patterns_is_reported(tmp_path: Path) -> None:
    first = pattern_folder(tmp_path, GOOD, name="a.yaml")
    pattern_folder(tmp_path, GOOD.replace("demo.hello", "demo.greeting"), name="b.yaml")
    problems = check_library(load_patterns([first.parent], check=False))
    as_written = [
        str(p) for p in problems if str(p).endswith("'hello world 5' (hint: make the patterns mutually exclusive)")
    ]
    assert as_written == [
        f"{first}:{EXAMPLE_LINE}: pattern 'demo.hello': example is also matched by ['demo.greeting']: "
        "'hello world 5' (hint: make the patterns mutually exclusive)",
        f"{first.parent / 'b.yaml'}:{EXAMPLE_LINE}: pattern 'demo.greeting': example is also matched by "
        "['demo.hello']: 'hello world 5' (hint: make the patterns mutually exclusive)",
    ]
    assert len(problems) == 2 * (1 + len(FRAMINGS))


# --- wording drift ---------------------------------------------------------------------------

READ = {"port": 56510, "pid": 21824, "socket_path": "\\\\.\\pipe\\qoder-cc4e6c", "is_dev": False}


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        (
            "Read cosy info from .info.json: port=56510, pid=21824, socketPath=\\\\.\\pipe\\qoder-cc4e6c, isDev=false",
            READ,
        ),
        (
            "Read cosy info from .info.json: isDev=false, socketPath=\\\\.\\pipe\\qoder-cc4e6c, pid=21824, port=56510",
            READ,
        ),
        ("Read cosy info from .info.json. PID=21824 port=56510 socketPath=\\\\.\\pipe\\qoder-cc4e6c isDev=false", READ),
        (
            "read cosy info from .info.json: pid = 21824, port = 56510, socketPath=\\\\.\\pipe\\qoder-cc4e6c, ISDEV=false",
            READ,
        ),
        (
            "Read cosy info from .info.json: port=56510, pid=21824, socketPath=\\\\.\\pipe\\qoder-cc4e6c, isDev=false, "
            "version=1.23.0",
            READ,
        ),
        (
            "Successfully read cosy info from .info.json. pid=3275742, port=56510, socketPath=/tmp/qoder-3275742.sock",
            {"pid": 3275742, "port": 56510, "socket_path": "/tmp/qoder-3275742.sock"},
        ),
        ("Read cosy info from .info.json: pid=abc, port=56510", {"port": 56510}),
    ],
    ids=["observed", "any-order", "dot-and-PID", "spaces-and-case", "extra-field", "extension-host", "bad-value"],
)
def test_read_cosy_info_drift(line: str, fields: dict) -> None:
    for text in (line, f"[GoProcessService] {line}", f"2025-08-22 10:23:55.301 [info] [GoProcessService] {line}"):
        event = LIBRARY.match(frame_example(text))
        assert event is not None, text
        assert (event.type, dict(event.fields)) == ("info.read", fields)


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        (
            "Process PID=17376 no longer exists, cleaning up config files only",
            {"pid": 17376, "action": "cleaning up config files only"},
        ),
        ("Process pid=17376 no longer exists", {"pid": 17376}),
        ("Process PID: 17376 no longer exists; cleaning up", {"pid": 17376, "action": "cleaning up"}),
        ("Process Pid 17376 no longer exists", {"pid": 17376}),
        (
            "Process PID=17376 no longer exists, cleaning up config files only, took=3ms",
            {"pid": 17376, "action": "cleaning up config files only, took=3ms"},
        ),
    ],
    ids=["observed", "lower-pid", "colon", "no-separator", "extra-field"],
)
def test_process_gone_drift(line: str, fields: dict) -> None:
    event = LIBRARY.match(frame_example(f"[GoProcessService] {line}"))
    assert event is not None
    assert (event.type, event.component, dict(event.fields)) == ("process.gone", "GoProcessService", fields)


def test_structured_json_keys_fill_declared_fields() -> None:
    line = (
        '{"timestamp":"2025-08-22T02:23:45Z","level":"ERROR","message":"Process startup failed",'
        '"attempt":"2","error":"boom","unrelated":1}'
    )
    event = LIBRARY.match(frame_example(line))
    assert event.type == "start.attempt_failed"
    assert dict(event.fields) == {"attempt": 2, "error": "boom"}


def test_int_outside_64_bits_is_left_out() -> None:
    """Regression: a 20-digit pid became a Python int that crashed the DataFrame and Parquet writers."""
    event = LIBRARY.match(frame_example("[GoProcessService] Process PID=99999999999999999999 exited with code 2"))
    assert dict(event.fields) == {"code": 2}
    json_line = '{"level":"ERROR","message":"Process startup failed","attempt":1e30}'
    assert dict(LIBRARY.match(frame_example(json_line)).fields) == {}


# --- conversions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw", "value"),
    [
        ("int", "42", 42),
        ("int", " -7 ", -7),
        ("int", "0x1F", 31),
        ("int", "0xC0000005", 3221225477),
        ("int", "-0x10", -16),
        ("int", 3, 3),
        ("int", 3.0, 3),
        ("int", str(2**63 - 1), 2**63 - 1),
        ("float", "1.5", 1.5),
        ("float", 2, 2.0),
        ("duration", "5000ms", 5.0),
        ("duration", "1ms", 0.001),
        ("duration", "1.5 s", 1.5),
        ("duration", "30sec", 30.0),
        ("duration", "3 seconds", 3.0),
        ("duration", "2 min", 120.0),
        ("duration", "2m", 120.0),
        ("bool", "true", True),
        ("bool", "FALSE", False),
        ("bool", "yes", True),
        ("bool", "no", False),
        ("bool", "1", True),
        ("bool", "0", False),
        ("bool", True, True),
        ("str", "  text  ", "text"),
        ("path", "C:\\Users\\张伟\\x ", "C:\\Users\\张伟\\x"),
        ("str", 5, "5"),
    ],
)
def test_convert(kind: str, raw: object, value: object) -> None:
    converted = convert(kind, raw)
    assert converted == value
    assert type(converted) is type(value)


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("int", "abc"),
        ("int", "1.5"),
        ("int", str(2**63)),
        ("int", "-" + str(2**63 + 1)),
        ("int", 1e30),
        ("float", "nan"),
        ("float", "inf"),
        ("bool", "maybe"),
        ("bool", 2),
        ("duration", "5 hours"),
        ("duration", "ms"),
    ],
)
def test_convert_rejects(kind: str, raw: object) -> None:
    with pytest.raises(ValueError):
        convert(kind, raw)


def test_loader_refuses_a_user_folder_whose_examples_fail(tmp_path: Path) -> None:
    path = pattern_folder(tmp_path, GOOD.replace("'hello world 5'", "'hello world five'"))
    with pytest.raises(PatternError) as error:
        load_patterns([path.parent])
    assert str(error.value).startswith(f"{path}:{EXAMPLE_LINE}: pattern 'demo.hello': example does not match")
    assert "qoderlog patterns test" in str(error.value)


def test_gate_and_dispatch_agree_with_trying_every_literal_and_every_pattern() -> None:
    library = load_patterns()
    literals = {p.prefilter for p in library.patterns}
    texts = [example.text for p in library.patterns for example in p.examples]
    texts += [t[:n] for t in texts for n in (5, 20)]  # cut before most literals
    texts += ["Star ting go process", "x Starting go processStarting go process", "", "update#setState idle ok"]
    for text in texts:
        assert library.is_candidate(text) == any(literal in text for literal in literals), text
        record = frame_example(text)
        first = next((p for p in library.patterns if p.search(record.message) is not None), None)
        event = library.match(record)
        assert (event.pattern_id if event else None) == (first.id if first else None), text
        assert library.recognises(record) == (first is not None)


# --- the compiled cache ------------------------------------------------------------------------


def _fresh_load(extra: list[Path]) -> PatternSet:
    """``load_patterns`` as a new process would run it: without this process's in-memory copy."""
    patterns_module._load.cache_clear()
    return load_patterns(extra)


def _cache_files(cache: Path) -> list[Path]:
    return sorted((cache / "qoderlog").glob("patterns-*.pickle"))


def test_the_compiled_library_is_cached_and_read_back_by_the_next_run(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    user = pattern_folder(tmp_path, GOOD).parent
    first = _fresh_load([user])
    (cached,) = _cache_files(tmp_path / "cache")
    # The next run uses what the file holds: a cache holding only the user's pattern gives only that pattern.
    (mine,) = [p for p in first.patterns if p.id == "demo.hello"]
    cached.write_bytes(pickle.dumps((mine,)))
    again = _fresh_load([user])
    assert [p.id for p in again.patterns] == ["demo.hello"]
    event = again.match(frame_example("hello world 7"))
    assert event is not None and event.fields == {"count": 7}
    assert mine.regex.pattern == again.patterns[0].regex.pattern


def test_a_cached_library_matches_as_the_compiled_one(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    compiled = _fresh_load([])
    assert len(_cache_files(tmp_path / "cache")) == 1
    cached = _fresh_load([])
    assert [(p.id, p.regex.pattern, p.types, p.examples) for p in cached.patterns] == [
        (p.id, p.regex.pattern, p.types, p.examples) for p in compiled.patterns
    ]
    assert check_examples(cached) == []


def test_a_changed_pattern_file_is_compiled_again_not_read_from_the_stale_cache(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = pattern_folder(tmp_path, GOOD)
    _fresh_load([path.parent])
    path.write_text(GOOD.replace("hello world", "hello there"), encoding="utf-8")
    library = _fresh_load([path.parent])
    (mine,) = [p for p in library.patterns if p.id == "demo.hello"]
    assert mine.prefilter == "hello there"
    assert len(_cache_files(tmp_path / "cache")) == 2


@pytest.mark.parametrize("damage", [b"", b"not a pickle", pickle.dumps(["a list"]), pickle.dumps(())])
def test_an_unreadable_cache_file_is_ignored_and_replaced(tmp_path: Path, monkeypatch, damage: bytes) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    _fresh_load([])
    (cached,) = _cache_files(tmp_path / "cache")
    cached.write_bytes(damage)
    assert len(_fresh_load([]).patterns) == len(LIBRARY.patterns)
    assert pickle.loads(cached.read_bytes())[0].id == LIBRARY.patterns[0].id


def test_the_cache_is_never_required(tmp_path: Path, monkeypatch) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert len(_fresh_load([]).patterns) == len(LIBRARY.patterns)
    assert blocked.read_text(encoding="utf-8") == "not a folder"


def test_a_library_that_does_not_load_is_not_cached(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = pattern_folder(tmp_path, GOOD.replace("id: demo.hello", "id: process.gone"))
    with pytest.raises(PatternError):
        _fresh_load([path.parent])
    assert _cache_files(tmp_path / "cache") == []


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {"XDG_CACHE_HOME": "/x/cache"}, "/x/cache/qoderlog"),
        ("linux", {"XDG_CACHE_HOME": "relative/ignored", "HOME": "/home/u"}, "/home/u/.cache/qoderlog"),
        ("darwin", {"HOME": "/Users/u"}, "/Users/u/.cache/qoderlog"),
        ("win32", {"LOCALAPPDATA": "/c/Users/u/AppData/Local"}, "/c/Users/u/AppData/Local/qoderlog/Cache"),
        ("linux", {"QODERLOG_CACHE_DIR": "/srv/cache", "XDG_CACHE_HOME": "/x/cache"}, "/srv/cache"),
        ("win32", {"QODERLOG_CACHE_DIR": "/d/cache", "LOCALAPPDATA": "/c/AppData/Local"}, "/d/cache"),
        ("linux", {"QODERLOG_CACHE_DIR": "relative", "XDG_CACHE_HOME": "/x/cache"}, "/x/cache/qoderlog"),
    ],
)
def test_cache_dir_follows_the_platform(monkeypatch, platform: str, env: dict[str, str], expected: str) -> None:
    for name in ("XDG_CACHE_HOME", "LOCALAPPDATA", resources.CACHE_ENV):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(resources.sys, "platform", platform)
    assert resources.cache_dir() == Path(expected)


def test_the_cache_can_be_turned_off_and_then_nothing_is_written(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv(resources.CACHE_ENV, "off")
    assert resources.cache_dir() is None
    assert len(_fresh_load([]).patterns) == len(LIBRARY.patterns)
    assert not (tmp_path / "cache").exists()
    monkeypatch.setenv(resources.CACHE_ENV, str(tmp_path / "elsewhere"))
    _fresh_load([])
    assert len(list((tmp_path / "elsewhere").glob("patterns-*.pickle"))) == 1 and not (tmp_path / "cache").exists()
