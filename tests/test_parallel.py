"""One big file read in chunks on a process pool gives exactly what one pass gives.

The same events in the same order, the same accounting (line counts by kind,
replacements, cut lines, first and last time, limits), sessions, findings,
mined templates, known-noise counts and error templates — with the chunks
cut at awkward places: at every header line (``chunk_bytes=1``), right
before records with continuation lines, in CRLF and lone-CR files, among
non-ASCII and undecodable lines, around lines cut by ``max_line`` and at a
last line without a line ending.
"""

from __future__ import annotations

import gzip
import os
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import qoderlog.events as events_module
import qoderlog.events.chunked as chunked_module
import qoderlog.mining.miner as miner_module
import qoderlog.read.chunks as chunks_module
from qoderlog import Accounting, iter_events, load_patterns
from qoderlog.engine import Result, analyze
from qoderlog.errors import InputError
from qoderlog.limits import Limits
from qoderlog.mining.miner import QODER_LITERALS, Digest, Miner
from qoderlog.model import Framing, Record
from qoderlog.noise import load_noise
from qoderlog.read.chunks import plan_chunks
from qoderlog.read.sources import HEAD_BYTES
from qoderlog.synth import write_corpus

LIBRARY = load_patterns()
SAMPLES = Path(__file__).parent.parent / "sample_logs"
HEADER = "2025-01-01 10:00:{:02d}.{:03d} [{}] {}"


@pytest.fixture
def chunked(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], list[int]]:
    """``chunked(chunk_bytes)``: every file is big enough for the pool, cut every ``chunk_bytes``; the returned
    list gets, per chunked read, how many chunks it had (read in this process, not in a worker)."""
    reads: list[int] = []
    original = chunked_module.chunked_events

    def counted(source: Any, plan: Any, *args: Any) -> Iterator[Any]:
        reads.append(sum(1 for _ in plan.chunks()))
        return original(source, plan, *args)

    def setup(chunk_bytes: int) -> list[int]:
        monkeypatch.setattr(events_module, "PARALLEL_BYTES", 0)
        monkeypatch.setattr(chunked_module, "CHUNK_BYTES", chunk_bytes)
        monkeypatch.setattr(chunked_module, "chunked_events", counted)
        return reads

    return setup


def same_analysis(path: Path, **options: Any) -> tuple[Result, Result]:
    """One pass and two processes: every part of the result must be equal."""
    one = analyze([path], jobs=1, **options)
    two = analyze([path], jobs=2, **options)
    assert [e.to_dict() for e in two.event_list] == [e.to_dict() for e in one.event_list]
    assert two.event_list == one.event_list
    assert two.accounting.inputs == one.accounting.inputs
    assert two.session_list == one.session_list
    assert two.finding_list == one.finding_list
    assert two.template_list == one.template_list
    assert two.known_noise == one.known_noise
    assert two.error_templates == one.error_templates
    assert two.records == one.records
    assert two.to_dict() == one.to_dict()
    return one, two


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("corpora")
    default, loud = folder / "default.log", folder / "loud.log"
    write_corpus(default, lines=60_000, seed=5)
    write_corpus(loud, lines=60_000, seed=6, qoder_share=0.03, loud_share=0.2)
    return {"default": default, "loud": loud}


@pytest.mark.parametrize("mix", ["default", "loud"])
def test_a_corpus_read_in_many_chunks_equals_one_pass(
    corpora: dict[str, Path], mix: str, chunked: Callable[[int], list[int]]
) -> None:
    reads = chunked(64 * 1024)
    one, _ = same_analysis(corpora[mix])
    assert reads and reads[0] > 50  # the pool really read it, in many chunks
    assert one.accounting.lines_read == 60_000
    assert len(one.event_list) > 1000 and one.template_list and one.session_list and one.finding_list
    if mix == "loud":
        assert one.error_templates and one.known_noise


def _sample_files() -> list[Path]:
    found = []
    for folder, _, names in os.walk(SAMPLES):
        for name in sorted(names):
            path = Path(folder) / name
            if path.suffix not in (".zip", ".gz", ".dmp", ".md"):
                found.append(path)
    return sorted(found)


def test_every_plain_sample_cut_at_every_header_equals_one_pass(chunked: Callable[[int], list[int]]) -> None:
    reads = chunked(1)
    samples = _sample_files()
    assert len(samples) > 15
    for sample in samples:
        same_analysis(sample)
    # The framed ones were read in chunks (a paste, a snippet, UTF-16 and GB18030 files are read in one pass).
    assert len(reads) >= 8 and max(reads) > 20


def _awkward(tmp_path: Path, ending: bytes, *, last_newline: bool) -> Path:
    """Records with and without continuation lines, non-ASCII and undecodable bytes, blank lines, long lines."""
    lines: list[bytes] = []
    for i in range(400):
        second, milli = divmod(i, 1000)
        level = ("info", "warning", "error", "critical")[i % 4]
        message = (
            f"GoProcessService: Starting go process attempt {i}",
            f"Über-Zeitüberschreitung nach {i} ms für Erweiterung ✓",
            "[IPC] try to create connection to \\\\.\\pipe\\qoder-1a2b3c",
            f"deprecation warning: value {i} is deprecated",
        )[i % 4]
        lines.append(HEADER.format(second % 60, milli, level, message).encode())
        if i % 3 == 0:
            lines += [b"    at Object.<anonymous> (main.js:1:1)", b"    at run (\xff\xfe bad bytes)", b""]
        if i % 50 == 7:
            lines.append(b"    " + b"x" * 80_000 + "é".encode() * 10)  # cut by max_line below
        if i % 97 == 11:
            lines.append(HEADER.format(1, 1, "error", "long error " + "y" * 300_000).encode())  # past 4*max_line
    lines.append(HEADER.format(59, 999, "error", "Components shutdown with an error").encode())
    data = ending.join(lines) + (ending if last_newline else b"")
    path = tmp_path / f"awkward-{len(ending)}-{last_newline}.log"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("last_newline", [True, False], ids=["ended", "unended"])
def test_awkward_lines_at_chunk_boundaries_read_the_same(
    tmp_path: Path, ending: bytes, last_newline: bool, chunked: Callable[[int], list[int]]
) -> None:
    reads = chunked(1)
    path = _awkward(tmp_path, ending, last_newline=last_newline)
    one, _ = same_analysis(path, limits=Limits(max_line=HEAD_BYTES))
    assert reads and reads[0] > 300
    report = one.accounting.inputs[0]
    assert report.cut_lines > 5 and report.replacements > 100 and report.first_time and report.last_time
    assert any(hit.limit == "max_line" for hit in report.limits)


def test_a_bom_and_bare_lines_before_the_first_header_read_the_same(
    tmp_path: Path, corpora: dict[str, Path], chunked: Callable[[int], list[int]]
) -> None:
    reads = chunked(64 * 1024)
    path = tmp_path / "bom.log"
    bare = b"Error: spawn cosy ENOENT\n    at run (main.js:1:1)\nsome words before the log\n\n"
    path.write_bytes(b"\xef\xbb\xbf" + bare + corpora["default"].read_bytes()[:3_000_000])
    one, _ = same_analysis(path)
    assert reads and reads[0] > 20
    assert one.accounting.inputs[0].encoding == "utf-8-sig"


def test_lone_cr_lines_are_counted_as_one_pass_counts_them(tmp_path: Path, chunked: Callable[[int], list[int]]) -> None:
    reads = chunked(1)
    text = b""
    for i in range(300):
        text += HEADER.format(i % 60, i, "warning", f"Extension host slow {i}").encode() + b"\n"
        text += b"  continued\rafter a lone CR\r\n" if i % 2 else b"  plain continuation\n"
    path = tmp_path / "cr.log"
    path.write_bytes(text)
    one, _ = same_analysis(path)
    assert reads and reads[0] > 100
    assert one.accounting.lines_read == 300 + 150 * 2 + 150


def test_a_plain_hook_is_told_the_same_records_in_the_same_order(
    corpora: dict[str, Path], chunked: Callable[[int], list[int]]
) -> None:
    reads = chunked(256 * 1024)
    told: list[list[tuple[Record, tuple[str, ...]]]] = [[], []]
    for index, jobs in enumerate((1, 2)):
        hook = told[index].append
        list(
            iter_events(
                corpora["loud"],
                patterns=LIBRARY,
                unknown=lambda record, detail, hook=hook: hook((record, detail)),  # type: ignore[misc]
                keep_levels=frozenset({"warning", "error", "critical"}),
                keep_literals=QODER_LITERALS,
                jobs=jobs,
            )
        )
    assert reads and len(told[0]) > 5000
    assert told[1] == told[0]


def test_chunks_whose_digest_cannot_be_replayed_are_read_again_here(
    corpora: dict[str, Path], chunked: Callable[[int], list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = chunked(128 * 1024)
    refused: list[Digest] = []

    def refuse(self: Miner, digest: Digest) -> bool:
        refused.append(digest)
        return False

    one = analyze([corpora["loud"]], jobs=1)
    monkeypatch.setattr(Miner, "replay", refuse)
    two = analyze([corpora["loud"]], jobs=2)
    assert reads and reads[0] > 10 and len(refused) == 1  # the first refusal: the rest is read in one pass here
    assert two.to_dict() == one.to_dict() and two.template_list == one.template_list
    assert two.error_templates == one.error_templates
    assert two.event_list == one.event_list and two.accounting.inputs == one.accounting.inputs


def test_more_distinct_messages_than_the_miner_remembers_mine_the_same(
    corpora: dict[str, Path], chunked: Callable[[int], list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = chunked(64 * 1024)
    monkeypatch.setattr(miner_module, "MAX_CACHED_MESSAGES", 300)  # full part-way: then judged record by record
    answers: list[bool] = []
    replay = Miner.replay

    def told(self: Miner, digest: Digest) -> bool:
        answers.append(replay(self, digest))
        return answers[-1]

    monkeypatch.setattr(Miner, "replay", told)
    one, _ = same_analysis(corpora["loud"])
    assert reads and reads[0] > 50 and one.known_noise
    assert answers[-1] is False and answers.count(False) == 1  # refused once the cache would overflow


def _record(line: int, message: str, level: str = "warning", component: str | None = None) -> Record:
    return Record(
        source="a.log",
        line=line,
        framing=Framing.VSCODE,
        timestamp=None,
        level=level,
        component=component,
        logger=None,
        message=message,
        text=message,
    )


def test_a_digest_that_judged_a_message_otherwise_is_refused() -> None:
    miner = Miner(noise=load_noise())
    first = miner.digester()()
    first(_record(1, "slow thing"))
    assert miner.replay(first)
    later = miner.digester()()
    later(_record(9, "slow thing"))
    later.noise_of["slow thing"] = "some.noise.entry"  # as if its first record there had been judged noise
    templates, errors = miner.templates(), miner.errors
    assert not miner.replay(later)
    assert miner.templates() == templates and miner.errors == errors
    assert miner.templates()[0].count == 1


def test_a_replayed_digest_keeps_a_clusters_first_examples_in_line_order() -> None:
    # One cluster of three messages: its first examples interleave them; one critical record among errors.
    records = [
        _record(line, message, "critical" if line == 7 else "error", f"C{line}")
        for line, message in [(5, "port 1 closed"), (6, "port 2 closed"), (7, "port 1 closed"), (8, "port 3 closed")]
    ]
    miner, reference = Miner(noise=None), Miner(noise=None)
    digest = miner.digester()()
    for record in records:
        digest(record)
        reference(record)
    assert miner.replay(digest)
    assert miner.templates() == reference.templates()
    assert [e.line for e in miner.templates()[0].examples] == [5, 6, 7] and miner.templates()[0].component == "C5"
    assert miner.error_templates() == reference.error_templates()
    assert miner.error_templates()[0].level == "critical" and miner.errors == 4


def test_one_pass_when_jobs_is_one_the_file_is_small_there_is_no_fork_or_a_daemon_reads(
    corpora: dict[str, Path], chunked: Callable[[int], list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = chunked(64 * 1024)
    analyze([corpora["default"]], jobs=1)
    assert reads == []
    monkeypatch.setattr(events_module, "PARALLEL_BYTES", 1 << 40)
    analyze([corpora["default"]], jobs=2)
    assert reads == []
    monkeypatch.setattr(events_module, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(chunked_module.multiprocessing, "get_all_start_methods", lambda: ["spawn"])  # Windows
    analyze([corpora["default"]], jobs=2)
    assert reads == []
    monkeypatch.undo()
    reads = chunked(64 * 1024)
    monkeypatch.setattr(chunked_module.multiprocessing.current_process(), "daemon", True, raising=False)
    analyze([corpora["default"]], jobs=2)  # a daemonic Pool or Dask worker: no pool of its own
    assert reads == []


def test_archives_gzip_utf16_and_pastes_are_read_in_one_pass(
    tmp_path: Path, corpora: dict[str, Path], chunked: Callable[[int], list[int]]
) -> None:
    reads = chunked(1)
    data = corpora["default"].read_bytes()[:2_000_000]
    (tmp_path / "z").mkdir()
    with zipfile.ZipFile(tmp_path / "z" / "bundle.zip", "w") as archive:
        archive.writestr("main.log", data)
    (tmp_path / "g.log.gz").write_bytes(gzip.compress(data))
    (tmp_path / "u.log").write_bytes(data[:200_000].decode("utf-8").encode("utf-16"))
    for path in (tmp_path / "z", tmp_path / "g.log.gz", tmp_path / "u.log", SAMPLES / "snippet.txt"):
        same_analysis(path)
    assert reads == []


def test_a_first_chunk_that_still_reads_pastes_falls_back_to_one_pass(
    tmp_path: Path, chunked: Callable[[int], list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = chunked(1)
    monkeypatch.setattr(chunks_module, "_framed_early", lambda *_: True)  # the cheap look is fooled
    # A quoted paste, then the log itself: a paste's framer reads every later line as a possible paste too.
    quoted = "".join("> " + HEADER.format(i, 0, "info", f"quoted {i}") + "\n" for i in range(5))
    log = "".join(HEADER.format(i % 60, i, "error", f"GoProcessService: failed {i}") + "\n  at x\n" for i in range(200))
    pasted = tmp_path / "pasted.log"
    pasted.write_text(quoted + log)
    started: list[Any] = []
    monkeypatch.setattr(chunked_module, "_start_state", lambda *args: started.append(args))
    _, two = same_analysis(pasted)
    assert reads and not started  # the pool started, the first chunk's reader said no, and one pass read it
    assert two.accounting.inputs[0].prefix_stripped == 5 and two.accounting.lines_read == 405


@pytest.mark.parametrize("count_read", [3, 7, 8 << 20], ids=["read-3", "read-7", "read-8MiB"])
def test_plans_cut_at_header_lines_and_count_lines_as_the_reader_does(
    tmp_path: Path, count_read: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chunks_module, "_COUNT_READ", count_read)  # small reads split CRLFs between them
    text = b""
    for i in range(200):
        text += HEADER.format(i % 60, i, "info", f"line {i}").encode() + (b"\r\n" if i % 2 else b"\n")
        text += b"  cont\rinued\r\n" if i % 3 == 0 else b""
    path = tmp_path / "p.log"
    path.write_bytes(text)
    plan = plan_chunks(path, chunk_bytes=500, max_line=1 << 20, max_json_depth=64)
    assert plan is not None
    chunks = list(plan.chunks())
    assert len(chunks) > 10
    data = path.read_bytes()
    for chunk in chunks:
        before = data[: chunk.start]
        assert chunk.index == 0 or before.endswith(b"\n")
        assert chunk.index == 0 or data[chunk.start : chunk.start + 4] == b"2025"
        assert chunk.lines_before == len(before.decode().splitlines())
    assert [c.end for c in chunks[:-1]] == [c.start for c in chunks[1:]] and chunks[-1].end is None


def test_no_plan_for_gzip_utf16_snippets_or_a_single_chunk(tmp_path: Path) -> None:
    log = "".join(HEADER.format(i % 60, i, "info", "x") + "\n" for i in range(100)).encode()
    cases = {
        "gzip": gzip.compress(log),
        "utf16": log.decode().encode("utf-16"),
        "snippet": b"just some words\nnot a log at all\n" * 100,
        "small": log,
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        chunk_bytes = 1 << 20 if name == "small" else 100
        assert plan_chunks(path, chunk_bytes=chunk_bytes, max_line=1 << 20, max_json_depth=64) is None, name
    path = tmp_path / "small"
    assert plan_chunks(path, chunk_bytes=100, max_line=1 << 20, max_json_depth=64) is not None
    assert plan_chunks(path, chunk_bytes=100, max_line=HEAD_BYTES - 1, max_json_depth=64) is None


def _failing_chunk(chunk: Any) -> Any:
    if chunk.index == 2:
        raise RuntimeError("disk on fire")
    return _REAL_READ_CHUNK(chunk)


def _dying_chunk(chunk: Any) -> Any:
    if chunk.index == 1:
        os._exit(7)
    return _REAL_READ_CHUNK(chunk)


_REAL_READ_CHUNK = chunked_module._read_chunk


@pytest.mark.parametrize(
    ("worker", "said"),
    [(_failing_chunk, "RuntimeError: disk on fire"), (_dying_chunk, "stopped")],
    ids=["raises", "dies"],
)
def test_a_failing_worker_is_a_clear_input_error_not_a_hang(
    corpora: dict[str, Path],
    chunked: Callable[[int], list[int]],
    monkeypatch: pytest.MonkeyPatch,
    worker: Callable[[Any], Any],
    said: str,
) -> None:
    chunked(64 * 1024)
    monkeypatch.setattr(chunked_module, "_read_chunk", worker)  # forked workers see it
    with pytest.raises(InputError) as raised:
        list(iter_events(corpora["default"], patterns=LIBRARY, accounting=Accounting(), jobs=2))
    assert said in str(raised.value) and "--jobs 1" in str(raised.value)
    assert str(corpora["default"]) in str(raised.value)


def _exit_now() -> None:
    os._exit(7)


def test_a_chunk_given_to_a_pool_a_dead_worker_already_broke_is_a_clear_input_error(tmp_path: Path) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from qoderlog.read.chunks import Chunk
    from qoderlog.read.sources import Discovery, iter_sources

    path = tmp_path / "main.log"
    path.write_text("2025-08-22 10:00:00.000 [info] x\n", encoding="utf-8")
    (source,) = list(iter_sources([path], Discovery()))
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
    try:
        with pytest.raises(Exception):  # noqa: B017 - whatever the dead worker's future says; the pool is broken after
            pool.submit(_exit_now).result()
        with pytest.raises(InputError) as raised:
            chunked_module._submit(pool, Chunk(index=3, start=100, end=200, lines_before=9), source)
    finally:
        pool.shutdown(wait=True)
    assert "bytes 100-200" in str(raised.value) and "stopped" in str(raised.value)
    assert "--jobs 1" in str(raised.value) and str(path) in str(raised.value)
