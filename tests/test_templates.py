"""Mining unrecognised lines: masks, the Qoder predicate, keep_levels, templates and coverage, drafts, the warehouse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from qoderlog.analysis import analyze
from qoderlog.cli import cli
from qoderlog.events import Accounting, iter_events
from qoderlog.mining.miner import QODER_LITERALS, WARNING_LEVELS, Miner, TemplateRegistry, is_qoder_related, mask
from qoderlog.model import Record
from qoderlog.nightly.fleet import anomaly, robust_z
from qoderlog.nightly.runners import run_batch
from qoderlog.nightly.warehouse import open_warehouse
from qoderlog.patterns import load_patterns
from qoderlog.read.framing import frame_lines
from qoderlog.reporters.fleet_report import fleet_document

ROOT = Path(__file__).resolve().parent.parent
REWORDED = ROOT / "sample_logs" / "macos-reworded-lines"
SCHEMA = json.loads((ROOT / "qoderlog" / "schemas" / "analysis.schema.json").read_text(encoding="utf-8"))
START = "Launching Go sidecar <PATH> with workDir <PATH> Support/Qoder/SharedClientCache"
IPC = "Could not open IPC channel <SOCKET>: connect ECONNREFUSED"
CLEANUP = "Sidecar cleanup finished with <NUM> problems: could not remove <SOCKET>"


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize(
    ("message", "masked"),
    [
        (
            "Read cosy info from .info.json: port=56510, pid=21824, socketPath=\\\\.\\pipe\\qoder-cc4e6c, isDev=false",
            "Read cosy info from .info.json: port=<PORT>, pid=<PID>, socketPath=<PIPE>, isDev=false",
        ),
        (
            "Socket file not found after 5000 ms: /tmp/qoder-3275742.sock",
            "Socket file not found after <DURATION>: <SOCKET>",
        ),
        ("Starting go process: C:\\Users\\张伟\\Qoder.exe start", "Starting go process: <PATH> start"),
        ("Connection established using: tcp (127.0.0.1:56510)", "Connection established using: tcp (<ADDR>)"),
        ("renderer gone (code: -536870904) id 0x1F", "renderer gone (code: <NUM>) id <HEX>"),
        ("session 123e4567-e89b-12d3-a456-426614174000 request 3f2a9c1b", "session <UUID> request <HEX>"),
        ("version 1.23.0 of Extension host with pid 4242", "version 1.23.0 of Extension host with pid <PID>"),
    ],
)
def test_masks(message: str, masked: str) -> None:
    assert mask(message) == masked


@pytest.mark.parametrize(
    ("component", "message", "expected"),
    [
        ("GoProcessService", "Launching Go sidecar /x", True),
        ("IPC", "Could not open channel", True),
        ("update", "update#setState weird", False),  # the updater is VS Code's, not the sidecar's (issue 13)
        (None, "Successfully read cosy info from .info.json. pid=1", True),
        (None, "Waiting for .info.json file to exist: /x", True),
        (None, "try to create connection", True),
        (None, "Connection set up over ipc", False),  # not every line that says "connection" is Qoder's
        (None, "Connection established using: ipc (/tmp/qoder-1.sock)", True),
        (None, "Process start attempt 2 failed: spawn EACCES", True),
        (None, "[Error - 9:21:56 AM] Connection to server got closed.", False),
        (None, "IPC channel of the shared process closed", False),
        ("CodeWindow", "CodeWindow: renderer process gone (reason: oom, code: 1)", False),
        ("Window", "Ignoring the error while validating workspace folder /x", False),
        (None, "cozy reconnecting", False),
    ],
)
def test_qoder_related_predicate(component: str | None, message: str, expected: bool) -> None:
    assert is_qoder_related(component, message) is expected


def test_every_qoder_related_message_passes_the_widened_gate() -> None:
    gate = load_patterns().gate_with(QODER_LITERALS)
    for text in (
        "[GoProcessService] x",
        "[IPC] y",
        "cosy",
        "Cosy",
        ".info.json",
        "Connection established using: ipc",
        "try to create connection",
        "\\\\.\\pipe\\qoder-cc4e6c",
        "Process start attempt 2 failed",
        "Max reconnection attempts reached",
        "Graceful shutdown timeout",
        "cleanup completed with 2 errors",
        "Components shutdown with errors",
    ):
        assert gate(text), text
        assert is_qoder_related(None, text) or text.startswith("[")


LINES = [
    "2025-08-22 10:23:45.123 [info] noise that nobody reads",
    "2025-08-22 10:23:46.000 [warning] [Window] a warning no pattern knows",
    "    with a continuation line",
    "2025-08-22 10:23:47.000 [error] another unknown error",
    "2025-08-22 10:23:48.000 [info] [GoProcessService] Starting go process: /opt/Qoder start --workDir /w",
    "2025-08-22 10:23:49.000 [debug] debug noise",
]


def test_keep_levels_yields_warning_headers_without_their_continuations_and_keeps_the_counts() -> None:
    library = load_patterns()

    def frame(keep: frozenset[str]) -> tuple[list[tuple[Record, tuple[str, ...]]], dict[str, int]]:
        counts: dict[str, int] = {}
        records = list(
            frame_lines(
                LINES,
                source="x",
                is_candidate=library.is_candidate,
                recognises=library.recognises,
                counts=counts,
                keep_levels=keep,
            )
        )
        return records, counts

    plain, plain_counts = frame(frozenset())
    kept, kept_counts = frame(WARNING_LEVELS)
    assert [r.line for r, _ in plain] == [5]
    assert [(r.line, r.level, d) for r, d in kept] == [
        (2, "warning", ()),  # kept for its level alone: its continuation lines are counted, not carried
        (4, "error", ()),
        (5, "info", ()),
    ]
    # The two kept records are no longer counted by framing: the engine counts them as unrecognised.
    assert plain_counts["unrecognised"] - kept_counts["unrecognised"] == 2
    assert plain_counts["continuation"] == kept_counts["continuation"] == 1


def test_mining_leaves_the_line_accounting_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "main.log"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    plain, mined = Accounting(), Accounting()
    assert list(iter_events([path], accounting=plain)) != []
    miner = Miner()
    events = list(
        iter_events(
            [path], accounting=mined, unknown=miner, keep_levels=miner.keep_levels, keep_literals=QODER_LITERALS
        )
    )
    assert [e.type for e in events] == ["process.start"]
    assert mined.by_kind() == plain.by_kind()
    assert sorted(t.template for t in miner.templates()) == ["a warning no pattern knows", "another unknown error"]
    assert miner.errors == 1


def test_miner_counts_distinct_messages_once_and_keeps_a_bounded_number_of_examples() -> None:
    miner = Miner(max_examples=2)
    for pid in range(10):
        message = f"Sidecar went away, pid={pid}"
        miner(
            Record(
                source="s",
                line=pid + 1,
                framing="vscode",  # type: ignore[arg-type]
                timestamp=None,
                level="info",
                component="GoProcessService",
                logger=None,
                message=message,
                text=message,
            )
        )
    (template,) = miner.templates()
    assert (template.template, template.count, template.qoder_related) == ("Sidecar went away, pid=<PID>", 10, True)
    assert [e.line for e in template.examples] == [1, 2]
    assert len(miner._clusters) == 1  # one distinct masked message went to Drain3
    assert miner.qoder_unknown == 10


def test_reworded_sample_shows_its_templates_with_exact_counts() -> None:
    analysis = analyze([REWORDED])
    qoder = {t.template: t for t in analysis.template_list if t.qoder_related}
    assert {name: t.count for name, t in qoder.items()} == {IPC: 6, START: 3, CLEANUP: 3}
    assert (qoder[START].level, qoder[IPC].level, qoder[CLEANUP].level) == ("info", "error", "warning")
    assert [(e.line, e.source.endswith("main.log")) for e in qoder[START].examples] == [
        (3, True),
        (299, True),
        (503, True),
    ]
    # 21 of the sample's error records are Node deprecation warnings and Chromium's network-changed aborts:
    # known noise, not errors (issue 13).
    assert analysis.records == {"qoder_related": 15, "qoder_recognised": 3, "qoder_unknown": 12, "errors": 26}
    assert analysis.known_noise == {
        "noise.api_proposal_not_enabled": 20,
        "noise.node_deprecation": 16,
        "noise.network_changed": 5,
    }
    assert analysis.coverage == 0.2
    document = analysis.to_dict()
    jsonschema.validate(document, SCHEMA)
    ipc = next(t for t in document["unknown_templates"] if t["template"] == IPC)
    assert ipc["example"]["line"] == 11
    assert ipc["example"]["text"].endswith(
        "[IPC] Could not open IPC channel /tmp/qoder-51877.sock: connect ECONNREFUSED"
    )
    assert ipc["component"] == "IPC"


def test_suggested_patterns_pass_the_tests_and_make_analyze_recognise_the_lines(tmp_path: Path) -> None:
    suggested = run("patterns", "suggest", str(REWORDED), "--min-count", "2")
    assert suggested.exit_code == 0
    folder = tmp_path / "drafts"
    folder.mkdir()
    (folder / "reworded.yaml").write_text(suggested.output, encoding="utf-8")
    tested = run("patterns", "test", str(folder))
    assert tested.exit_code == 0, tested.output
    assert "ok:" in tested.output
    result = run("analyze", "--format", "json", "--patterns", str(folder), str(REWORDED))
    document = json.loads(result.output)
    jsonschema.validate(document, SCHEMA)
    assert [t["template"] for t in document["unknown_templates"] if t["qoder_related"]] == []
    assert document["coverage"] == 1.0
    by_type: dict[str, int] = {}
    for event in analyze([REWORDED], pattern_dirs=[folder]).event_list:
        if event.type.startswith("draft."):
            by_type[event.type] = by_type.get(event.type, 0) + 1
    assert by_type == {
        "draft.could_not_open_ipc_channel": 6,
        "draft.launching_go_sidecar_with_workdir": 3,
        "draft.sidecar_cleanup_finished_with_problems": 3,
    }


def test_suggest_min_count_leaves_out_rare_templates() -> None:
    suggested = run("patterns", "suggest", str(REWORDED), "--min-count", "4")
    assert "draft.could_not_open_ipc_channel" in suggested.output
    assert "draft.launching_go_sidecar" not in suggested.output


def test_reports_show_the_unrecognised_lines_section_escaped_and_redacted(tmp_path: Path) -> None:
    log = tmp_path / "main.log"
    log.write_text(
        "2025-08-22 10:23:45.123 [warning] [GoProcessService] New <script>alert(1)</script> at /Users/liuyang/x.sock\n",
        encoding="utf-8",
    )
    html = run("analyze", "--format", "html", "--no-charts", str(log)).output
    section = html[html.index('id="unrecognised"') :]
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert "liuyang" not in html and "&lt;user-1&gt;" in section
    markdown = run("analyze", "--format", "markdown", "--no-charts", str(log)).output
    part = markdown[markdown.index("## Unrecognised lines") : markdown.index("## Inputs")]
    assert "Qoder-related lines recognised by a pattern: **0.0%** (0 of 1)" in part
    assert "liuyang" not in part
    assert (
        "**1 \N{MULTIPLICATION SIGN}** `New <script>alert(<NUM>)</script> at <SOCKET>` (Qoder) · warning · GoProcessService"
        in part
    )
    assert (
        "```text\n2025-08-22 10:23:45.123 [warning] [GoProcessService] New <script>alert(1)</script> at /Users/<user-1>/x.sock\n```"
        in part
    )
    text = run("analyze", str(log)).output
    assert "qoder coverage: 0.0% (0 of 1 Qoder-related records recognised); unknown templates: 1" in text


def test_json_analyze_imports_neither_pandas_nor_matplotlib_and_parse_does_not_import_drain3() -> None:
    code = (
        "import sys; from qoderlog.cli import main; sys.argv = ['qoderlog', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('HEAVY', sorted(m for m in ('pandas', 'matplotlib', 'drain3') if m in sys.modules), file=sys.stderr)"
    )
    sample = str(REWORDED)
    analysed = subprocess.run(
        [sys.executable, "-c", code, "analyze", "--format", "json", sample], capture_output=True, text=True, check=False
    )
    assert "HEAVY ['drain3']" in analysed.stderr
    parsed = subprocess.run([sys.executable, "-c", code, "parse", sample], capture_output=True, text=True, check=False)
    assert "HEAVY []" in parsed.stderr


def test_robust_z() -> None:
    z, median, mad = robust_z(10.0, [1.0, 2.0, 2.0, 3.0, 2.0])
    assert (median, mad) == (2.0, 0.0)
    assert z == pytest.approx(8.0 / (1.2533 * 0.4))
    assert robust_z(3.0, [3.0] * 5) == (0.0, 3.0, 0.0)
    assert robust_z(4.0, [3.0] * 5)[0] == float("inf")


def test_anomaly_flags_a_bundle_far_above_the_fleet() -> None:
    import pandas as pd

    fleet = pd.DataFrame(
        {
            "status": ["done"] * 6,
            "lines_read": [1000] * 6,
            "error_records": [10, 12, 11, 9, 10, 13],
            "qoder_records": [20] * 6,
            "unknown_qoder_records": [0, 1, 0, 0, 1, 0],
        }
    )
    calm = {"records": {"errors": 11, "qoder_related": 20, "qoder_unknown": 0}, "stats": {"lines_read": 1000}}
    loud = {"records": {"errors": 90, "qoder_related": 20, "qoder_unknown": 12}, "stats": {"lines_read": 1000}}
    assert anomaly(fleet, calm)["unusual"] is False
    found = anomaly(fleet, loud)
    assert found["unusual"] is True
    assert [(c["metric"], c["value"], c["median"], c["unusual"]) for c in found["checks"]] == [
        ("error_rate", 90.0, 10.5, True),
        ("unknown_qoder_share", 0.6, 0.0, True),
    ]
    assert anomaly(fleet.head(3), loud)["unusual"] is None


def test_registry_keeps_ids_across_a_saved_state() -> None:
    registry = TemplateRegistry()
    first = [registry.assign(text) for text in (START, IPC, CLEANUP)]
    restored = TemplateRegistry(registry.state())
    assert [restored.assign(text) for text in (CLEANUP, IPC, START, "Something else entirely here")] == [
        first[2],
        first[1],
        first[0],
        "T00004",
    ]


def _inbox(folder: Path, names: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    source = (REWORDED / "main.log").read_text(encoding="utf-8")
    for index, name in enumerate(names):
        (folder / f"{name}.log").write_text(
            source + f"2026-05-11 11:05:00.000 [info] upload {name} {index}\n", encoding="utf-8"
        )


def test_template_ids_are_stable_from_night_to_night(tmp_path: Path) -> None:
    inbox, warehouse = tmp_path / "inbox", tmp_path / "wh"
    _inbox(inbox, ["a", "b"])
    run_batch(inbox, warehouse, workers=1, run_date=__import__("datetime").date(2026, 5, 11))
    _inbox(inbox, ["c", "d", "e"])
    run_batch(inbox, warehouse, workers=2, run_date=__import__("datetime").date(2026, 5, 12))
    store = open_warehouse(warehouse)
    try:
        rows = store.templates
        qoder = rows[rows["qoder_related"]]
        ids = qoder.groupby("template")["template_id"].unique()
        assert {name: len(values) for name, values in ids.items()} == {START: 1, IPC: 1, CLEANUP: 1}
        assert sorted(qoder.groupby("run_date")["upload_id"].nunique().items()) == [
            ("2026-05-11", 2),
            ("2026-05-12", 3),
        ]
        assert set(qoder[qoder["template"] == IPC]["count"]) == {6}
        uploads = store.uploads
        assert set(uploads["coverage"]) == {0.2} and set(uploads["unknown_qoder_records"]) == {12}
        model = fleet_document(store, redact=False)
        assert model["new_templates"] == []
    finally:
        store.close()


def test_fleet_lists_new_templates_tonight_with_their_uploads(tmp_path: Path) -> None:
    inbox, warehouse = tmp_path / "inbox", tmp_path / "wh"
    (inbox).mkdir()
    (inbox / "old.log").write_text("2026-05-10 10:00:00.000 [warning] an old warning\n", encoding="utf-8")
    run_batch(inbox, warehouse, workers=1, run_date=__import__("datetime").date(2026, 5, 10))
    _inbox(inbox, ["x"])
    run_batch(inbox, warehouse, workers=1, run_date=__import__("datetime").date(2026, 5, 11))
    store = open_warehouse(warehouse)
    try:
        model = fleet_document(store, redact=False)
        new = [t for t in model["new_templates"] if t["qoder_related"]]
        assert [(t["template"], t["count"], t["uploads"]) for t in new] == [(IPC, 6, 1), (START, 3, 1), (CLEANUP, 3, 1)]
        assert [e["path"].endswith("x.log") for e in new[0]["examples"]] == [True]
        assert all(t["template"] != "an old warning" for t in model["new_templates"])
        out = __import__("io").StringIO()
        from qoderlog.reporters.fleet_report import render_fleet

        render_fleet(store, out, fmt="markdown", redact=False)
        assert "## New templates tonight" in out.getvalue()
        assert "`Could not open IPC channel <SOCKET>: connect ECONNREFUSED` (Qoder)" in out.getvalue()
    finally:
        store.close()


def test_analyze_baseline_reports_the_anomaly_in_json_and_text(tmp_path: Path) -> None:
    inbox, warehouse = tmp_path / "inbox", tmp_path / "wh"
    inbox.mkdir()
    sample = (ROOT / "sample_logs" / "windows-slow-start" / "main.log").read_text(encoding="utf-8")
    for index in range(6):
        (inbox / f"{index}.log").write_text(sample + f"upload {index}\n", encoding="utf-8")
    run_batch(inbox, warehouse, workers=1)
    document = json.loads(run("analyze", "--format", "json", "--baseline", str(warehouse), str(REWORDED)).output)
    jsonschema.validate(document, SCHEMA)
    unknown = next(c for c in document["baseline"]["anomaly"]["checks"] if c["metric"] == "unknown_qoder_share")
    assert (unknown["value"], unknown["median"], unknown["unusual"]) == (0.8, 0.0, True)
    assert document["baseline"]["anomaly"]["unusual"] is True
    text = run("analyze", "--baseline", str(warehouse), str(REWORDED)).output
    assert "anomaly: share of Qoder lines no pattern recognised: 0.8 — UNUSUAL, far above the fleet" in text


def test_each_distinct_message_is_masked_once_and_each_distinct_masked_message_mined_once(monkeypatch) -> None:
    import qoderlog.mining.miner as miner_module

    masked: list[str] = []
    real_mask = miner_module.mask
    monkeypatch.setattr(miner_module, "mask", lambda message: masked.append(message) or real_mask(message))
    miner = Miner()
    messages = [f"Extension host lost {n % 3} handles, port={4000 + n % 2}" for n in range(60)]
    for line, message in enumerate(messages, 1):
        miner(
            Record(
                source="s",
                line=line,
                framing="vscode",  # type: ignore[arg-type]
                timestamp=None,
                level="warning",
                component=None,
                logger=None,
                message=message,
                text=message,
            )
        )
    assert sorted(masked) == sorted(set(messages))  # 6 distinct messages, each masked once, 60 records
    assert set(miner._clusters) == {"Extension host lost <NUM> handles, port=<PORT>"}
    (template,) = miner.templates()
    assert template.count == 60


_QODER_PIECES = (
    "cosy",
    "Cosy",
    " ",
    ".info.json",
    "info",
    "GoProcessService",
    "Connection established using",
    "try to create connection",
    "IPC connection",
    "IPC",
    "qoder-",
    "ab12",
    ".sock",
    "\\pipe\\",
    "Process start",
    " attempt",
    "max",
    "Max",
    " reconnection attempts",
    "graceful",
    "Graceful",
    " shutdown",
    "cleanup",
    "Cleanup",
    " completed with",
    "Components",
    "x",
    "_",
    "-",
    "é",
)


@given(st.lists(st.sampled_from(_QODER_PIECES), max_size=8).map("".join))
def test_the_literal_gate_before_the_qoder_regex_never_hides_a_match(message: str) -> None:
    from qoderlog.mining.miner import _QODER_MESSAGE, _mentions_qoder

    assert _mentions_qoder(message) is (_QODER_MESSAGE.search(message) is not None)
