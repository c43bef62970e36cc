"""The pipeline's values kept small: an event's text without its message, shared read-only fields and step values,
and a JSON document streamed item by item; each must read and pickle as the plain value it stands for."""

from __future__ import annotations

import io
import json
import pickle
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qoderlog import analyze
from qoderlog.engine import OnePass
from qoderlog.model import NO_FIELDS, Event, Evidence, Fields, FrozenDict, Record
from qoderlog.patterns import load_patterns
from qoderlog.read.headers import make_record, match_header
from qoderlog.reporters import REPORTERS, RenderOptions

STAMP = datetime(2026, 1, 2, 3, 4, 5, 678000)
SAMPLES = ["sample_logs/bundle-crash.zip", "sample_logs/linux-remote-tcp-fallback"]


def _event(text: str, message: str, timestamp: datetime | None = STAMP) -> Event:
    return Event(
        type="t",
        pattern_id="p",
        source="main.log",
        line=7,
        timestamp=timestamp,
        level="info",
        component=None,
        message=message,
        text=text,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[main 2024-02-27T11:56:55.376Z] Started watching: '/x'", "Started watching: '/x'"),
        ('{"msg": "started", "level": "info"}', "started"),  # a JSON record: the text does not end with it
        ("2026-01-02 03:04:05 [info] ", ""),  # an empty message
        ("same", "same"),
    ],
)
def test_an_event_gives_back_its_text_whole_and_pickles(text: str, message: str) -> None:
    event = _event(text, message)
    assert event.text == text
    assert event.message == message
    again = pickle.loads(pickle.dumps(event))
    assert again == event and again.text == text
    assert "text=" + repr(text) in repr(event)


@pytest.mark.parametrize(
    ("text", "timestamp"),
    [
        ("[main 2026-01-02T03:04:05.678Z] [File Watcher (node.js)] Started", STAMP.replace(tzinfo=UTC)),
        ("2026-01-02 03:04:05.678 [info] Started", STAMP),
        ("2026-01-02 03:04:05.678123 [info] Started", STAMP.replace(microsecond=678123)),  # microseconds
        ("2026-01-02T11:04:05.678+08:00 Started", datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)),  # converted
        ("[2026-01-02 03:04:05.678] 2026-01-02 03:04:05.678 twice Started", STAMP),
        ("01/02/2026 03:04:05 AM Started", STAMP),  # no ISO-like time in it: kept as it is
        ("Started", None),
    ],
)
def test_a_header_holding_its_time_is_kept_as_shared_words_around_it(text: str, timestamp: datetime | None) -> None:
    event = _event(text, "Started", timestamp)
    assert event.text == text
    again = pickle.loads(pickle.dumps(event))
    assert again == event and again.text == text


def test_headers_with_the_same_words_share_them() -> None:
    one = _event("[main 2026-01-02T03:04:05.678Z] a", "a", STAMP)
    two = _event("[main 2026-01-02T03:04:09.001Z] b", "b", STAMP.replace(second=9, microsecond=1000))
    assert one._head is two._head and one._head == ("[main ", "T", "Z] ")
    assert (one.text, two.text) == ("[main 2026-01-02T03:04:05.678Z] a", "[main 2026-01-02T03:04:09.001Z] b")
    assert isinstance(_event("12:00 a", "a", STAMP)._head, str)


@given(
    before=st.text(max_size=12),
    after=st.text(max_size=12),
    message=st.text(max_size=12),
    stamp=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    sep=st.sampled_from(["T", " "]),
    aware=st.booleans(),
    digits=st.sampled_from([0, 3, 6]),
)
def test_any_event_gives_back_its_text(
    before: str, after: str, message: str, stamp: datetime, sep: str, aware: bool, digits: int
) -> None:
    written = stamp.isoformat(sep, "seconds") + (f".{stamp.microsecond:06d}"[: digits + 1] if digits else "")
    text = before + written + after + message
    timestamp = stamp.replace(tzinfo=UTC) if aware else stamp
    event = _event(text, message, timestamp)
    assert event.text == text and event.message == message
    assert pickle.loads(pickle.dumps(event)).text == text


def test_events_differ_by_their_text() -> None:
    assert _event("a x", "x") != _event("b x", "x")
    assert _event("a x", "x") == _event("a x", "x")


def test_frozen_values_are_read_only_and_pickle_as_themselves() -> None:
    fields = Fields({"pid": 42, "path": "/x"})
    with pytest.raises(TypeError):
        fields["pid"] = 1  # type: ignore[index]
    for name in ("update", "pop", "clear", "setdefault"):
        assert not hasattr(fields, name)
    assert fields == {"pid": 42, "path": "/x"} and fields != {"pid": 42}
    assert (fields["pid"], fields.get("path"), fields.get("nope", 7), "pid" in fields, "nope" in fields) == (
        42,
        "/x",
        7,
        True,
        False,
    )
    with pytest.raises(KeyError):
        fields["nope"]
    assert list(fields) == ["pid", "path"] and len(fields) == 2 and repr(fields) == "{'pid': 42, 'path': '/x'}"
    again = pickle.loads(pickle.dumps(fields))
    assert type(again) is Fields and again == fields
    assert Fields({"pid": 1, "path": "/y"})._names is fields._names  # the names: one tuple for all
    assert dict(fields) == {"pid": 42, "path": "/x"} and json.dumps(dict(fields)) == '{"pid": 42, "path": "/x"}'
    frozen = FrozenDict(a="b")
    with pytest.raises(TypeError, match="read-only"):
        frozen.update(a="c")
    assert type(pickle.loads(pickle.dumps(frozen))) is FrozenDict and frozen == {"a": "b"}


def _record(line: str, number: int = 1) -> Record:
    found = match_header(line)
    assert found is not None
    return make_record(*found, source="main.log", line=number, text=line)


def test_a_patterns_events_with_equal_fields_share_them_and_unequal_ones_do_not() -> None:
    library = load_patterns(())
    lines = [
        "[main 2024-02-27T11:56:55.376Z] [File Watcher (node.js)] Started watching: '/home/user/a'",
        "[main 2024-02-27T11:56:56.001Z] [File Watcher (node.js)] Started watching: '/home/user/a'",
        "[main 2024-02-27T11:56:57.002Z] [File Watcher (node.js)] Started watching: '/home/user/b'",
    ]
    events = [library.match(_record(line, n)) for n, line in enumerate(lines, 1)]
    assert all(e is not None for e in events)
    first, second, third = events  # type: ignore[misc]
    assert first.fields == {"path": "/home/user/a"} and first.fields is second.fields
    assert third.fields == {"path": "/home/user/b"} and third.fields is not first.fields
    assert [e.text for e in events] == lines  # type: ignore[union-attr]


def test_an_event_without_fields_has_the_shared_empty_ones() -> None:
    assert _event("x", "x").fields is NO_FIELDS and not NO_FIELDS


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_streamed_json_report_is_the_document(sample: str) -> None:
    result = analyze([sample])
    out = io.StringIO()
    REPORTERS["json"](result, out, RenderOptions(redact=False, color=False))
    assert json.loads(out.getvalue()) == json.loads(result.to_json())
    assert result.finding_list, "the samples have findings to stream"


def test_a_one_pass_list_is_read_once_and_knows_its_length() -> None:
    items = OnePass(3, iter([1, 2, 3]))
    assert len(items) == 3 and bool(items)
    assert json.dumps({"a": items}, indent=1) == json.dumps({"a": [1, 2, 3]}, indent=1)
    with pytest.raises(RuntimeError, match="read once"):
        list(items)
    assert not OnePass(0, iter([]))


def test_findings_and_their_steps_pickle_with_the_values_their_texts_name() -> None:
    result = analyze(["sample_logs/bundle-crash.zip"])
    steps = [step for finding in result.finding_list for step in finding.remediation.steps]
    assert steps
    for step in steps:
        names = {name for name in step.values}
        assert all("{" + name + "}" in step.template for name in names)
    again = pickle.loads(pickle.dumps(result.finding_list))
    assert again == result.finding_list
    assert [dict(s.values) for f in again for s in f.remediation.steps] == [dict(s.values) for s in steps]


def test_events_unpickled_apart_share_their_kind_header_words_and_message() -> None:
    # As chunks read by other processes come back: each pickle would otherwise bring its own copies.
    text = "[main 2026-01-02T03:04:05.678Z] [File Watcher (node.js)] Started watching: '/x'"
    message = "".join(["Started watching: ", "'/x'"])  # not the interned literal
    one, two = (pickle.loads(pickle.dumps(_event(text, message, STAMP.replace(tzinfo=UTC)))) for _ in range(2))
    assert one == two and one.text == text
    assert one._kind is two._kind and one._head is two._head and one.message is two.message


def test_evidence_of_an_event_shows_its_text_and_pickles() -> None:
    text = "[main 2026-01-02T03:04:05.678Z] Extension host with pid 42 exited with code: 7"
    event = _event(text, "Extension host with pid 42 exited with code: 7", STAMP.replace(tzinfo=UTC))
    proof = Evidence.of(event, 42, None, "absent")
    assert (proof.text, proof.highlight, proof.line, proof.source) == (text, ("42",), 7, "main.log")
    assert proof.to_dict()["text"] == text and "text=" + repr(text) in repr(proof)
    again = pickle.loads(pickle.dumps(proof))
    assert again == proof and again.text == text
    assert Evidence(source="a.log", line=1, text="plain").text == "plain"


def test_evidence_is_equal_however_it_was_made() -> None:
    text = "[main 2026-01-02T03:04:05.678Z] Extension host with pid 42 exited with code: 7"
    event = _event(text, "Extension host with pid 42 exited with code: 7", STAMP.replace(tzinfo=UTC))
    of_event = Evidence(source="main.log", line=7, text=event, timestamp=event.timestamp, highlight=("42",))
    of_text = Evidence(source="main.log", line=7, text=text, timestamp=event.timestamp, highlight=("42",))
    assert of_event == of_text and hash(of_event) == hash(of_text) and len({of_event, of_text}) == 1
    assert of_event != Evidence(source="main.log", line=8, text=text, timestamp=event.timestamp, highlight=("42",))
    assert of_event != Evidence(source="main.log", line=7, text=text + " ", timestamp=event.timestamp)
    assert of_event != text
