"""Incidents: findings that follow from each other are one story, root cause first, in every format."""

from __future__ import annotations

import io
import json
from pathlib import Path

import cmarkgfm
import jsonschema
import pytest

from qoderlog.engine import Result, analyze
from qoderlog.errors import ConfigError
from qoderlog.reporters import REPORTERS, RenderOptions
from qoderlog.rules.incidents import group_incidents, load_incident_rules

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "qoderlog" / "schemas" / "analysis.schema.json").read_text(encoding="utf-8"))
BIN = r"C:\Users\张伟\AppData\Local\Programs\Qoder\resources\app\resources\bin\x86_64_windows\Qoder.exe"
CACHE = r"C:\Users\张伟\AppData\Roaming\Qoder\SharedClientCache"
PIPE = r"\\.\pipe\qoder-cc4e6c"
DIES_LEAVES_INFO_PIPE_MISSING = f"""\
2025-08-22 10:00:00.000 [info] [GoProcessService] Starting go process: {BIN} start --workDir {CACHE}
2025-08-22 10:00:01.500 [info] [GoProcessService] Read cosy info from .info.json: port=56510, pid=21824, socketPath={PIPE}, isDev=false
2025-08-22 10:00:01.800 [info] [GoProcessService] Health check IPC connection created successfully: {PIPE}
2025-08-22 10:20:00.000 [warning] [GoProcessService] Process PID=21824 no longer exists, cleaning up config files only
2025-08-22 10:20:01.000 [info] [GoProcessService] Starting go process: {BIN} start --workDir {CACHE}
2025-08-22 10:20:03.000 [info] [GoProcessService] Read cosy info from .info.json: port=56510, pid=21824, socketPath={PIPE}, isDev=false
2025-08-22 10:20:03.300 [error] [GoProcessService] Health check IPC connection failed: {PIPE}, error: connect ENOENT {PIPE}
2025-08-22 11:40:00.000 [info] [GoProcessService] Process PID=99999 no longer exists, cleaning up config files only
"""


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Result:
    path = tmp_path_factory.mktemp("incident") / "main.log"
    path.write_text(DIES_LEAVES_INFO_PIPE_MISSING, encoding="utf-8")
    return analyze([path], mine=False)


def _render(result: Result, fmt: str, redact: bool = False) -> str:
    out = io.StringIO()
    REPORTERS[fmt](result, out, RenderOptions(redact=redact, charts=False))
    return out.getvalue()


def test_a_death_its_stale_info_json_and_the_missing_pipe_are_one_incident_root_first(story: Result) -> None:
    rules = [f.rule for f in story.finding_list]
    assert sorted(rules) == ["cleanup-anomaly", "cleanup-anomaly", "ipc-failure", "stale-pid"]
    multi = [i for i in story.incident_list if len(i.findings) > 1]
    assert len(multi) == 1
    incident = multi[0]
    assert [story.finding_list[i].rule for i in incident.findings] == ["cleanup-anomaly", "stale-pid", "ipc-failure"]
    assert story.finding_list[incident.root].metrics["pid"] == 21824
    assert incident.summary.startswith("Root cause: Sidecar process 21824 was gone")
    assert "stale .info.json" in incident.summary and "pipe or socket" in incident.summary


def test_findings_that_share_nothing_stay_incidents_of_their_own(story: Result) -> None:
    alone = [i for i in story.incident_list if len(i.findings) == 1]
    assert [story.finding_list[i.root].metrics["pid"] for i in alone] == [99999]
    assert sorted(j for i in story.incident_list for j in i.findings) == list(range(len(story.finding_list)))


def test_the_json_lists_the_incidents_by_finding_index_and_validates(story: Result) -> None:
    document = story.to_dict()
    jsonschema.validate(document, SCHEMA)
    first = next(i for i in document["incidents"] if len(i["findings"]) > 1)
    assert set(first) == {"id", "root", "findings", "summary"}
    assert document["findings"][first["root"]]["rule"] == "cleanup-anomaly"
    assert len(document["findings"]) == 4  # findings keep their own entries


def test_every_format_tells_the_incident_root_cause_first(story: Result) -> None:
    text = _render(story, "text")
    assert "incident: cleanup-anomaly → stale-pid → ipc-failure\n" in text
    markdown = _render(story, "markdown", redact=True)
    assert "> **One incident:** Root cause: Sidecar process 21824 was gone" in markdown
    assert "### Incidents (1)" in markdown and "张伟" not in markdown
    html = cmarkgfm.github_flavored_markdown_to_html(markdown)
    assert "<strong>Incomplete or failed cleanup</strong> (<code>cleanup-anomaly</code>) → Stale pid" in html
    page = _render(story, "html", redact=True)
    assert '<span class="label">One incident:</span> Root cause: Sidecar process 21824' in page
    assert '<ol class="incidents">' in page and "<script" not in page.lower()
    # The verdict's cause and first step are the root's, not the worst consequence's.
    assert "**Most likely cause:** The sidecar died unexpectedly" in markdown


def test_the_macos_stale_pid_sample_is_one_incident_and_the_slow_start_sample_two() -> None:
    stale = analyze([ROOT / "sample_logs" / "macos-stale-pid"], mine=False)
    assert [[stale.finding_list[i].rule for i in x.findings] for x in stale.incident_list] == [
        ["cleanup-anomaly", "stale-pid", "ipc-failure"]
    ]
    slow = analyze([ROOT / "sample_logs" / "windows-slow-start"], mine=False)
    assert [len(x.findings) for x in slow.incident_list] == [1, 1]


def test_a_link_needs_what_it_says_shared(story: Result, tmp_path: Path) -> None:
    data = tmp_path / "incidents.yaml"
    data.write_text("links:\n  - root: cleanup-anomaly\n    then: [stale-pid]\n    share: [pid]\n")
    by_pid = group_incidents(story.finding_list, story.session_list, load_incident_rules(data))
    assert sorted(len(i.findings) for i in by_pid) == [1, 1, 2]
    data.write_text("links:\n  - root: cleanup-anomaly\n    then: [stale-pid]\n    share: [session]\n")
    by_session = group_incidents(story.finding_list, story.session_list, load_incident_rules(data))
    assert all(len(i.findings) == 1 for i in by_session)  # the death is in no session
    data.write_text("links:\n  - root: cleanup-anomaly\n    then: [stale-pid]\n    share: [colour]\n")
    with pytest.raises(ConfigError, match="share keys"):
        load_incident_rules(data)


def test_a_dateless_paste_tells_the_same_story_by_its_shared_pid() -> None:
    paste = analyze([ROOT / "sample_logs" / "indented-stale-pid.txt"], mine=False)
    assert all(f.start is None for f in paste.finding_list)
    assert [[paste.finding_list[i].rule for i in x.findings] for x in paste.incident_list] == [
        ["cleanup-anomaly", "stale-pid", "ipc-failure"]
    ]


def _pairwise_incidents(result: Result) -> list[tuple[int, ...]]:
    """The reference grouping: every ordered pair of findings asked whether one follows the other."""
    from qoderlog.rules.incidents import _follows, _keys, incident_rules

    findings, links = result.finding_list, incident_rules().links
    by_session = {s.id: s for s in result.session_list}
    keys = [_keys(f, by_session) for f in findings]
    parent = list(range(len(findings)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for a in range(len(findings)):
        for b in range(len(findings)):
            if a != b and _follows(findings[a], keys[a], findings[b], keys[b], links):
                parent[find(b)] = find(a)
    groups: dict[int, list[int]] = {}
    for index in range(len(findings)):
        groups.setdefault(find(index), []).append(index)
    return sorted(tuple(members) for members in groups.values())


@pytest.mark.parametrize(
    "sample", sorted(p.name for p in (ROOT / "sample_logs").iterdir() if not p.name.startswith("."))
)
def test_windowed_pairing_groups_every_sample_as_comparing_every_pair_does(sample: str) -> None:
    result = analyze([ROOT / "sample_logs" / sample], mine=False)
    grouped = sorted(tuple(sorted(incident.findings)) for incident in result.incident_list)
    assert grouped == _pairwise_incidents(result)


def test_windowed_pairing_groups_a_corpus_of_many_sessions_as_comparing_every_pair_does(tmp_path: Path) -> None:
    from qoderlog.synth import write_corpus

    path = tmp_path / "main.log"
    write_corpus(path, lines=100_000, seed=3, qoder_share=0.05)
    result = analyze([path], mine=False)
    grouped = sorted(tuple(sorted(incident.findings)) for incident in result.incident_list)
    assert len(result.finding_list) > 200 and sum(len(g) > 1 for g in grouped) > 20
    assert grouped == _pairwise_incidents(result)
