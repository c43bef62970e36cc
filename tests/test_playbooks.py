"""Playbooks: the loader's checks, and the steps every sample's findings get (platform, placeholders, shells)."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import cmarkgfm
import jsonschema
import pytest

from qoderlog.engine import Result, analyze
from qoderlog.errors import PlaybookError
from qoderlog.locations import PLATFORMS
from qoderlog.reporters import REPORTERS, RenderOptions
from qoderlog.rules.docs import rules_markdown
from qoderlog.rules.playbooks import DESTRUCTIVE, PLACEHOLDERS, Place, load_playbooks, steps_for
from qoderlog.rules.registry import REGISTRY, playbooks
from qoderlog.testing import samples

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = samples(ROOT / "sample_logs")
PLATFORM_OF_SAMPLE = {
    "windows-slow-start": "windows",
    "windows-gbk-slow-start": "windows",
    "windows-utf16-ipc-reconnect": "windows",
    "windows-restart-loop-rotated": "windows",
    "windows-healthy-lookalikes": "windows",
    "console-update-renderer-oom": "windows",
    "macos-stale-pid": "macos",
    "json-start-failure": "macos",
    "spdlog-update-stuck": "macos",
    "linux-remote-tcp-fallback": "remote",
    "bundle-crash.zip": "linux",
    "snippet.txt": "windows",  # no binary platform in the snippet, but a named pipe
    "gutter-tcp-fallback.txt": "remote",
    "indented-stale-pid.txt": "macos",
    "pasted-renderer-oom": "windows",
}
# No start line names a platform, but the socket is a Unix one: every platform but Windows.
UNIX_UNKNOWN = {"macos-reworded-lines"}
_LEFT = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


@pytest.fixture(scope="module")
def results() -> dict[str, Result]:
    return {sample.name: analyze([sample], mine=False) for sample in SAMPLES}


def _playbook(tmp_path: Path, body: str, name: str = "startup-slow") -> Path:
    folder = tmp_path / "books"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yaml").write_text(body, encoding="utf-8")
    return folder


def _every_platform(windows: str, other: str = "      - text: Restart Qoder.\n") -> str:
    return (
        "rule: startup-slow\nsteps:\n  windows:\n    default:\n"
        + windows
        + "".join(f"  {p}:\n    default:\n{other}" for p in PLATFORMS[1:])
    )


def test_the_builtin_playbooks_load_and_every_rule_and_cause_key_is_a_registered_ones() -> None:
    books = playbooks()
    assert set(books.by_rule) == set(REGISTRY)
    assert books.warnings == ()


def test_every_cause_of_every_rule_has_steps_on_every_platform_it_can_happen_on() -> None:
    # /dev/shm, the loader's libraries and glibc, Chromium's Linux sandbox, a root start, an X or Wayland display, GTK
    # and inotify's watch limit
    linux_only = {("app-crash", key) for key in ("shm", "library", "sandbox-setup", "root", "display", "gtk")}
    linux_only.add(("resource-limit", "watch_limit"))
    for rule in REGISTRY.values():
        for platform in PLATFORMS:
            missing = [
                key
                for key in rule.causes
                if key not in playbooks().by_rule[rule.id].steps[platform]
                and not ((rule.id, key) in linux_only and platform in ("windows", "macos"))
            ]
            assert missing == [], (rule.id, platform)


def test_every_rule_has_a_default_list_for_every_platform() -> None:
    books = playbooks().by_rule
    for rule in REGISTRY:
        for platform in PLATFORMS:
            assert books[rule].steps[platform]["default"], (rule, platform)


@pytest.mark.parametrize(
    ("windows", "message"),
    [
        ("      - text: x {nope}\n", "unknown placeholder"),
        ("      - text: x\n        command: Invoke-WebRequest x\n", "may not download"),
        ("      - text: x\n        command: curl -O x\n", "may not download"),
        ("      - text: x\n        command: Remove-Item -Force {info_json}\n", "no quit/backup step before it"),
        ("      - text: x\n        colour: red\n", "unknown step keys"),
    ],
)
def test_the_loader_refuses_a_bad_step(tmp_path: Path, windows: str, message: str) -> None:
    with pytest.raises(PlaybookError, match=message) as caught:
        load_playbooks(_playbook(tmp_path, _every_platform(windows)))
    assert caught.value.line is not None


def test_a_destructive_step_after_a_quit_step_is_accepted(tmp_path: Path) -> None:
    body = _every_platform(
        "      - text: Quit\n        quit: true\n      - text: x\n        command: Remove-Item -Force {info_json}\n"
    )
    book = load_playbooks(_playbook(tmp_path, body)).by_rule["startup-slow"]
    assert [s.quit for s in book.steps["windows"]["default"]] == [True, False]


def test_the_loader_refuses_a_missing_platform_an_unknown_one_and_a_wrong_file_name(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="no steps for remote"):
        load_playbooks(_playbook(tmp_path, _every_platform("      - text: x\n").split("  remote:")[0]))
    with pytest.raises(PlaybookError, match="unknown platform 'beos'"):
        load_playbooks(_playbook(tmp_path, _every_platform("      - text: x\n") + "  beos:\n    default: []\n"))
    shutil.rmtree(tmp_path / "books")
    with pytest.raises(PlaybookError, match=re.escape("name the file startup-slow.yaml")):
        load_playbooks(_playbook(tmp_path, _every_platform("      - text: x\n"), name="other"))


def test_an_unknown_rule_and_an_undeclared_cause_are_warnings_not_errors(tmp_path: Path) -> None:
    body = _every_platform("      - text: x\n").replace(
        "    default:\n", "    zzz:\n      - text: y\n    default:\n", 1
    )
    books = load_playbooks(_playbook(tmp_path, body), {"startup-slow": ("antivirus",)})
    assert books.warnings == ("startup-slow.yaml: cause keys zzz are not causes of startup-slow",)
    books = load_playbooks(_playbook(tmp_path, body), {"other": ()})
    assert books.warnings == ("startup-slow.yaml: no rule 'startup-slow' is registered (kept for when it is)",)


def test_every_step_of_every_playbook_fills_its_placeholders_and_destroys_nothing_before_a_quit() -> None:
    for rule, book in playbooks().by_rule.items():
        for platform in PLATFORMS:
            for key in book.steps[platform]:
                ranked = () if key == "default" else (key,)
                steps = steps_for(book, ranked, Place(platform=platform), causes_shown=1)
                quit_at = next((i for i, s in enumerate(steps) if "no Qoder process is left" in s.text), None)
                for index, step in enumerate(steps):
                    assert not _LEFT.search(step.text) and not _LEFT.search(step.command or ""), (rule, step)
                    if step.command and DESTRUCTIVE.search(step.command):
                        assert quit_at is not None and quit_at < index, (rule, platform, key, step.command)


def test_an_unknown_platform_gets_every_platforms_steps_in_order() -> None:
    steps = steps_for(playbooks().by_rule["stale-pid"], ("crash",), Place())
    assert list(dict.fromkeys(s.platform for s in steps)) == list(PLATFORMS)
    assert {s.shell for s in steps if s.platform == "windows" and s.command} == {"powershell"}
    assert {s.shell for s in steps if s.platform != "windows" and s.command} == {"sh"}


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_every_finding_of_every_sample_has_steps_for_its_platform_with_every_placeholder_filled(
    sample: Path, results: dict[str, Result]
) -> None:
    result = results[sample.name]
    platform = PLATFORM_OF_SAMPLE.get(sample.name)
    for finding in result.finding_list:
        steps = finding.remediation.steps
        assert steps, finding.rule
        shown = list(dict.fromkeys(s.platform for s in steps))
        if platform is not None:
            assert shown == [platform], finding.rule
        elif sample.name in UNIX_UNKNOWN:
            assert shown == ["macos", "linux", "remote"], finding.rule
        else:
            assert shown == list(PLATFORMS), finding.rule
        for step in steps:
            assert not _LEFT.search(step.text) and not _LEFT.search(step.command or ""), step
            assert (step.shell is None) == (step.command is None)
            assert step.shell == ("powershell" if step.platform == "windows" else "sh") or step.shell is None


def test_a_windows_bundle_is_never_shown_a_sh_command_nor_told_about_tmp(results: dict[str, Result]) -> None:
    for name in ("windows-utf16-ipc-reconnect", "windows-slow-start"):
        steps = [s for f in results[name].finding_list for s in f.remediation.steps]
        assert steps and all(s.shell in ("powershell", None) for s in steps)
        assert not any("/tmp" in s.text or "/tmp" in (s.command or "") for s in steps)
    steps = [s for f in results["macos-stale-pid"].finding_list for s in f.remediation.steps]
    assert steps and all(s.shell in ("sh", None) for s in steps)
    assert not any("Get-" in (s.command or "") for s in steps)


def test_the_steps_carry_the_bundles_own_paths(results: dict[str, Result]) -> None:
    slow = next(f for f in results["windows-slow-start"].finding_list if f.rule == "startup-slow")
    commands = "\n".join(s.command or "" for s in slow.remediation.steps)
    assert r"'C:\Users\zhanghui\AppData\Roaming\Qoder\SharedClientCache'" in commands
    assert r"'C:\Users\zhanghui\AppData\Local\Programs\Qoder'" in commands
    stale = next(f for f in results["macos-stale-pid"].finding_list if f.rule == "stale-pid")
    commands = "\n".join(s.command or "" for s in stale.remediation.steps)
    assert "ps -p 48211 " in commands
    assert "rm -f '/Users/chenjie/Library/Application Support/Qoder/SharedClientCache/.info.json'" in commands
    remote = results["linux-remote-tcp-fallback"].finding_list[0]
    assert "ls -l '/tmp/qoder-2815120.sock'" in [s.command for s in remote.remediation.steps]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_every_sh_command_of_every_sample_and_every_default_passes_bash_n(results: dict[str, Result]) -> None:
    commands = {
        s.command for r in results.values() for f in r.finding_list for s in f.remediation.steps if s.shell == "sh"
    }
    for book in playbooks().by_rule.values():
        for platform in PLATFORMS[1:]:
            for key in book.steps[platform]:
                ranked = () if key == "default" else (key,)
                commands |= {s.command for s in steps_for(book, ranked, Place(platform=platform)) if s.command}
    script = "\n".join(sorted(c for c in commands if c))
    assert len(commands) > 40
    checked = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def _render(result: Result, fmt: str, *, redact: bool) -> str:
    out = io.StringIO()
    REPORTERS[fmt](result, out, RenderOptions(redact=redact, charts=False))
    return out.getvalue()


def test_markdown_numbers_the_steps_and_fences_the_commands_redacted(results: dict[str, Result]) -> None:
    text = _render(results["windows-slow-start"], "markdown", redact=True)
    html = cmarkgfm.github_flavored_markdown_to_html(text)
    assert "zhanghui" not in text
    assert "**Step by step** (PowerShell)" in text
    assert '<pre lang="powershell"><code>Add-MpPreference -ExclusionPath' in html
    assert "'C:\\Users\\&lt;user-1&gt;\\AppData\\Local\\Programs\\Qoder'" in html
    assert "<li>\n<p>Check which folders Microsoft Defender already skips" in html


def test_html_shows_the_steps_without_script_and_redacted(results: dict[str, Result]) -> None:
    page = _render(results["macos-stale-pid"], "html", redact=True)
    assert "<script" not in page.lower()
    assert "chenjie" not in page
    assert '<pre class="command"><code>ps -p 48211 -o pid,comm,lstart</code></pre>' in page
    assert (
        "rm -f &#39;/Users/&lt;user-1&gt;/Library/Application Support/Qoder/SharedClientCache/.info.json&#39;" in page
    )


def test_text_shows_numbered_steps_with_prompts(results: dict[str, Result]) -> None:
    text = _render(results["macos-stale-pid"], "text", redact=False)
    assert "         steps (macOS):\n           1. Check whether the process .info.json names (pid 48211)" in text
    assert "              $ ps -p 48211 -o pid,comm,lstart\n" in text
    assert "PS> " in _render(results["windows-slow-start"], "text", redact=False)


def test_the_json_steps_validate_and_the_rules_markdown_documents_every_playbook(results: dict[str, Result]) -> None:
    schema = json.loads((ROOT / "qoderlog" / "schemas" / "analysis.schema.json").read_text(encoding="utf-8"))
    document = results["linux-remote-tcp-fallback"].to_dict()
    jsonschema.validate(document, schema)
    step = document["findings"][0]["remediation"]["steps"][0]
    assert set(step) == {"platform", "text", "shell", "command"} and step["platform"] == "remote"
    docs = rules_markdown(REGISTRY, playbooks().by_rule)
    for rule in playbooks().by_rule:
        assert f"## `{rule}`" in docs
    assert "Get-WinEvent -FilterHashtable @{LogName='Application'" in docs
    assert "| `{info_json}` |" in docs
