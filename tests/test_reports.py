"""The HTML and Markdown reports: content, redaction, hostile log text, chart files, the notebook API."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from qoderlog.analysis import Analysis, analyze
from qoderlog.cli import cli
from qoderlog.report.banner import QUIET_VERDICTS
from qoderlog.report.templating import md_escape, template_dir
from qoderlog.reporters import REPORTERS
from qoderlog.testing import rule_cases

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
HOSTILE = (
    "2025-08-22 10:24:01.000 [error] [uncaught exception in main]: Error: ``` </code></pre>"
    '<script>alert(1)</script> "><img src=x onerror=alert(2)> <a href="javascript:alert(3)">x</a> '
    "[click](javascript:alert(4)) ![i](http://evil.example/i.png) &lt;b&gt; | a | b | www.evil.example "
    "http://evil.example/ `code` **bold**"
)


def slow_log(user: str = "zhanghui") -> str:
    """The catalog's 10.2 s start (the rule case), with the user name of the home paths replaced."""
    case = next(c for c in rule_cases() if c.rule == "startup-slow" and "10.2" in c.name)
    return case.log.replace("zhanghui", user)


@pytest.fixture(scope="module")
def slow_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("slow") / "main.log"
    path.write_text(slow_log(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def slow(slow_file: Path) -> Analysis:
    return analyze([slow_file])


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["analyze", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def html(slow: Analysis) -> str:
    return slow.to_html()


def test_formats_are_registered() -> None:
    assert {"html", "markdown", "json", "text"} <= set(REPORTERS)
    assert (template_dir() / "report.html.j2").is_file()


def test_html_states_the_slow_start_its_latency_causes_and_fix(html: str) -> None:
    banner = html[html.index('class="verdict') : html.index("</section>")]
    assert "ERROR" in banner
    assert "Slow Go sidecar start" in banner
    assert "took 10.2 s to start, where under 5 s is normal" in banner
    assert "Most likely cause:</span> Antivirus / Windows Defender scanning" in banner
    assert "antivirus exclusions" in banner
    assert "What you can try yourself" in html
    assert "What to send to the Qoder developers" in html
    assert "<code>" in html and "— lines 1, 3" in html
    # The offending values are highlighted in the line-numbered evidence.
    assert "<mark>10:23:45.123</mark>" in html
    assert "<mark>10:23:55.301</mark>" in html
    assert "<mark>21824</mark>" in html
    assert '<span class="ln">3</span>' in html


def test_html_is_self_contained_with_a_strict_csp(html: str) -> None:
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in html.replace("&#39;", "'")
    assert "<script" not in html.lower()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//|file:)""", html, re.I)
    assert all(href.startswith("#") for href in re.findall(r'href="([^"]*)"', html))
    images = re.findall(r'<img src="([^"]+)"', html)
    assert len(images) == 3
    assert all(src.startswith("data:image/svg+xml;base64,") for src in images)


def test_html_tables_accounting_and_environment(html: str) -> None:
    sessions = html[html.index('id="sessions"') : html.index('id="inputs"')]
    assert "10.2 s" in sessions and "21824" in sessions and "ready" in sessions and "pipe" in sessions
    inputs = html[html.index('id="inputs"') : html.index('id="environment"')]
    assert "utf-8" in inputs and "586 B" in inputs
    environment = html[html.index('id="environment"') :]
    assert "windows/x86_64" in environment
    assert r"C:\Users\&lt;user-1&gt;\AppData\Local\Programs\Qoder" in environment


def test_html_redacts_by_default_and_no_redact_keeps_names(slow_file: Path, tmp_path: Path) -> None:
    redacted = tmp_path / "r.html"
    raw = tmp_path / "raw.html"
    run(str(slow_file), "--format", "html", "-o", str(redacted), "--no-charts")
    run(str(slow_file), "--format", "html", "-o", str(raw), "--no-charts", "--no-redact")
    assert "zhanghui" not in redacted.read_text(encoding="utf-8")
    assert "&lt;user-1&gt;" in redacted.read_text(encoding="utf-8")
    assert "zhanghui" in raw.read_text(encoding="utf-8")
    assert "<img" not in redacted.read_text(encoding="utf-8")


@pytest.mark.parametrize("encoding", ["utf-16", "gbk"])
def test_non_ascii_user_names_in_utf16_and_gbk_inputs_are_redacted(tmp_path: Path, encoding: str) -> None:
    log = tmp_path / "main.log"
    log.write_bytes(slow_log("张伟").replace("\n", "\r\n").encode(encoding))
    raw = run(str(log), "--format", "markdown", "--no-charts", "--no-redact")
    assert "张伟" in raw  # the input was decoded, so the redacted runs below prove something
    for fmt in ("markdown", "html"):
        out = run(str(log), "--format", fmt, "--no-charts")
        assert "张伟" not in out
        assert "10.2 s" in out
    assert "张伟" not in run(str(log), "--format", "json", "--redact")
    assert "张伟" in run(str(log), "--format", "json")


def test_json_and_text_redact_only_when_asked(slow_file: Path) -> None:
    raw = json.loads(run(str(slow_file), "--format", "json"))
    assert "zhanghui" in raw["sessions"][0]["binary_path"]
    hidden = json.loads(run(str(slow_file), "--format", "json", "--redact"))
    assert hidden["sessions"][0]["binary_path"].startswith(r"C:\Users\<user-1>\AppData")
    assert hidden["findings"][0]["metrics"]["latency_s"] == 10.178
    assert "zhanghui" in run(str(slow_file))
    text = run(str(slow_file), "--redact")
    assert "zhanghui" not in text and r"C:\Users\<user-1>" in text


def test_markdown_renders_as_gfm(slow_file: Path) -> None:
    cmarkgfm = pytest.importorskip("cmarkgfm")
    markdown = run(str(slow_file), "--format", "markdown", "--no-charts")
    assert "zhanghui" not in markdown
    page = cmarkgfm.github_flavored_markdown_to_html(markdown)
    assert "<blockquote>" in page and "took 10.2 s to start" in page
    assert page.count("<table>") == 3  # events, sessions, inputs
    assert '<td align="right">10.2 s</td>' in page
    assert '<pre lang="text"><code>1  2025-08-22 10:23:45.123 [info] [GoProcessService] Starting go process' in page
    assert "<li>Add the Qoder install folder and the SharedClientCache folder to the antivirus exclusions" in page
    assert r"C:\Users\&lt;user-1&gt;\AppData" in page
    assert "<a " not in page and "<img" not in page


def test_markdown_hostile_log_line_stays_text(tmp_path: Path) -> None:
    cmarkgfm = pytest.importorskip("cmarkgfm")
    log = tmp_path / "main.log"
    log.write_text(slow_log() + HOSTILE + "\n", encoding="utf-8")
    markdown = run(str(log), "--format", "markdown", "--no-charts")
    # The fence is longer than any backtick run in the evidence, so the ``` in the line cannot close it.
    assert "\n````text\n" in markdown
    page = cmarkgfm.github_flavored_markdown_to_html(markdown)
    assert "<script" not in page and "<img" not in page and "<a " not in page
    assert "raw HTML omitted" not in page
    assert 'href="javascript' not in page
    # The whole line, untouched, is inside one code block.
    assert "Error: ``` &lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "[click](javascript:alert(4)) ![i](http://evil.example/i.png) &amp;lt;b&amp;gt; | a | b |" in page
    # Outside the fence (the finding's summary) it is escaped text too.
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in page


@pytest.mark.parametrize(
    "text",
    [
        "[click](javascript:alert(1))",
        "![img](http://x/y.png)",
        "<script>alert(1)</script>",
        "&lt;b&gt; &amp; &#64;",
        "*bold* _it_ __x__ `code` ~~strike~~",
        "# heading",
        "- item",
        "1. one",
        "> quote",
        "---",
        r"C:\Users\<user-1>\AppData\x86_64_windows\Qoder.exe",
        "see http://evil.example/x www.evil.example bob@example.com",
        "trailing backslash\\",
    ],
)
def test_md_escape_renders_as_the_same_text(text: str) -> None:
    cmarkgfm = pytest.importorskip("cmarkgfm")
    import html as htmllib

    page = cmarkgfm.github_flavored_markdown_to_html(md_escape(text)).strip()
    assert page.startswith("<p>") and page.endswith("</p>")
    assert "<a " not in page and "<em>" not in page and "<code>" not in page and "<del>" not in page
    assert htmllib.unescape(page[3:-4]).replace("\u2060", "") == text


def test_markdown_cells_escape_pipes(tmp_path: Path) -> None:
    cmarkgfm = pytest.importorskip("cmarkgfm")
    log = tmp_path / "a|b.log"
    log.write_text(slow_log(), encoding="utf-8")
    page = cmarkgfm.github_flavored_markdown_to_html(run(str(log), "--format", "markdown", "--no-charts"))
    sessions = page[page.index("<h2>Sessions</h2>") :]
    row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", sessions, re.S)
    assert row is not None
    assert re.findall(r"<td[^>]*>(.*?)</td>", row[1])[:2] == ["1", "a|b.log"]


def test_markdown_assets_are_written_and_linked(slow_file: Path, tmp_path: Path) -> None:
    report = tmp_path / "out" / "report.md"
    report.parent.mkdir()
    assets = tmp_path / "out" / "charts"
    markdown = run(str(slow_file), "--format", "markdown", "-o", str(report), "--assets", str(assets))
    assert markdown == ""
    text = report.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links == ["charts/sessions.png", "charts/latency.png", "charts/events.png"]
    for link in links:
        data = (report.parent / link).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000


def test_markdown_default_assets_sit_beside_the_report(slow_file: Path, tmp_path: Path) -> None:
    report = tmp_path / "ticket.md"
    run(str(slow_file), "--format", "markdown", "-o", str(report))
    assert "](ticket-charts/latency.png)" in report.read_text(encoding="utf-8")
    assert (tmp_path / "ticket-charts" / "latency.png").is_file()


def test_markdown_no_charts_leaves_them_out(slow_file: Path, tmp_path: Path) -> None:
    report = tmp_path / "r.md"
    run(str(slow_file), "--format", "markdown", "-o", str(report), "--no-charts")
    assert "![" not in report.read_text(encoding="utf-8")
    assert not (tmp_path / "r-charts").exists()
    stdout = run(str(slow_file), "--format", "markdown")
    assert "![" not in stdout and "Charts were not written" in stdout


def test_clean_logs_say_so(tmp_path: Path) -> None:
    case = next(c for c in rule_cases() if c.rule == "startup-slow" and "4.9" in c.name)
    log = tmp_path / "main.log"
    log.write_text(case.log, encoding="utf-8")
    html = analyze([log]).to_html(charts=False)
    assert "No problems found" in html and "sev-ok" in html
    assert "came up normally in 1 of 1 session(s)" in html


def test_notebook_api(slow: Analysis, tmp_path: Path) -> None:
    frame = slow._repr_html_()
    assert frame.startswith("<iframe") and "sandbox" in frame and 'srcdoc="&lt;!doctype html&gt;' in frame
    assert "zhanghui" in frame  # your own notebook: not redacted
    markdown = slow.to_markdown(assets=tmp_path)
    assert "(latency.png)" in markdown or "latency.png)" in markdown
    assert "zhanghui" not in markdown
    figure = slow.plot_latency()
    assert figure is not None
    axes = figure.axes[0]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["#1 main.log  10:23:45"]
    assert sorted(line.get_xdata()[0] for line in axes.lines) == [5.0, 10.0]
    assert axes.patches[0].get_width() == pytest.approx(10.178)
    sessions = slow.plot_sessions()
    assert sessions is not None and len(sessions.axes[0].patches) >= 2


def test_charts_leave_matplotlib_settings_alone(slow: Analysis) -> None:
    import matplotlib

    before = dict(matplotlib.rcParams)
    slow.plot_sessions()
    slow.to_html()
    assert dict(matplotlib.rcParams) == before


def test_html_hostile_log_line_is_escaped(tmp_path: Path) -> None:
    log = tmp_path / "main.log"
    log.write_text(slow_log() + HOSTILE + "\n", encoding="utf-8")
    html = analyze([log]).to_html(charts=False)
    assert "<script" not in html.lower() and "<img" not in html and '<a href="javascript' not in html
    assert (
        "&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt; &#34;&gt;&lt;img src=x onerror=alert(2)&gt;"
        in html
    )
    assert "&amp;lt;b&amp;gt;" in html


SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"


@pytest.mark.parametrize(
    ("sample", "name"), [("windows-utf16-ipc-reconnect", "张伟"), ("windows-gbk-slow-start", "李娜")]
)
def test_sample_user_names_are_redacted(sample: str, name: str) -> None:
    if not (SAMPLES / sample).is_dir():
        pytest.skip(f"sample_logs/{sample} is not there")
    analysis = analyze([SAMPLES / sample])
    assert name in analysis.to_markdown(redact=False)
    assert name not in analysis.to_markdown()
    assert name not in analysis.to_html(charts=False)


def test_every_sample_renders() -> None:
    samples = sorted(p for p in SAMPLES.iterdir() if p.name != "README.md") if SAMPLES.is_dir() else []
    if not samples:
        pytest.skip("sample_logs is empty")
    for sample in samples:
        analysis = analyze([sample])
        quiet = QUIET_VERDICTS[analysis.verdict.kind][1] if analysis.verdict.kind in QUIET_VERDICTS else "OK"
        label = str(analysis.worst).upper() if analysis.worst is not None else quiet
        assert f'<div class="verdict-badge">{label}</div>' in analysis.to_html(charts=False), sample
        assert f"> **{label}: " in analysis.to_markdown(), sample


def test_dollar_signs_in_file_names_do_not_break_the_charts(tmp_path: Path) -> None:
    # Regression: matplotlib parses "$…$" in labels as math, and "$^^$" fails to parse.
    log = tmp_path / "main$^^$.log"
    log.write_text(slow_log(), encoding="utf-8")
    html = analyze([log]).to_html()
    assert html.count("<img") == 3


def test_hostile_member_names_in_the_accounting_and_limits_stay_text(tmp_path: Path) -> None:
    """A member name is log-derived text too: it reaches the inputs table and the new "Limits hit" section."""
    import zipfile

    cmarkgfm = pytest.importorskip("cmarkgfm")
    name = "logs/[x](javascript:alert(1))<img src=x onerror=alert(2)>|.log"
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr(name, slow_log() + "y" * 300 + "\n")
    run(str(bundle), "--format", "markdown", "--no-charts", "--max-line", "200", "-o", str(tmp_path / "r.md"))
    markdown = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "### Limits hit" in markdown
    page = cmarkgfm.github_flavored_markdown_to_html(markdown)
    assert "<img" not in page and "<a " not in page and "raw HTML omitted" not in page
    limits = page[page.index("Limits hit") :]
    assert "max_line 300 &gt; limit 200" in limits
    assert "&lt;img src=x onerror=alert(2)&gt;" in limits
    run(str(bundle), "--format", "html", "--no-charts", "--max-line", "200", "-o", str(tmp_path / "r.html"))
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert 'id="limits"' in html and "max_line 300 &gt; limit 200" in html


def test_a_report_of_a_big_bundle_shows_the_worst_findings_and_says_how_many_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rendering costs the same whatever the log size: a report shows the worst findings and some sessions."""
    import qoderlog.report.presentation as presentation

    monkeypatch.setattr(presentation, "MAX_SHOWN_FINDINGS", 2)
    monkeypatch.setattr(presentation, "MAX_SHOWN_SESSIONS", 1)
    analysis = analyze(SAMPLES / "json-start-failure")
    assert len(analysis.finding_list) == 6 and len(analysis.session_list) == 4
    report = presentation.build_report(analysis, redact=False)
    worst = min(analysis.finding_list, key=lambda f: -f.severity.value).severity.name.lower()
    assert report.finding_count == 6 and report.findings_shown == 2 and report.session_count == 4
    assert report.groups[0].severity == worst and len(report.sessions) == 1
    counts = dict(report.verdict.counts)  # the verdict counts every finding, not only the ones shown
    assert sum(counts.values()) == 6
    html = analysis.to_html(charts=False)
    assert "Showing the 2 most severe of 6 findings" in html and "Listing 1 of 4 sessions" in html
    assert "Showing the 2 most severe of 6 findings" in analysis.to_markdown()
