"""The reply to the user: golden replies per sample and language, complete catalogs, the right platform's steps.

The golden files in tests/expected/replies/ are regenerated with
``python -m qoderlog.testing sample_logs tests/expected`` (after a catalog
change, ``python -m qoderlog.catalogs`` first) and reviewed in the diff.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from qoderlog.catalogs import extract_template
from qoderlog.i18n import LANGUAGES, LOCALE_DIR
from qoderlog.testing import sample_reply, samples

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = samples(ROOT / "sample_logs")
GOLDEN = ROOT / "tests" / "expected" / "replies"
# Words that are the same in Chinese: product and platform names, shells, file names.
SAME_IN_CHINESE = {"Linux", "PowerShell", "Windows", "macOS"}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _catalog(lang: str, suffix: str = ".po") -> dict[str, str]:
    path = LOCALE_DIR / LANGUAGES[lang] / "LC_MESSAGES" / f"qoderlog{suffix}"
    with open(path, "rb") as source:
        catalog = read_po(source) if suffix == ".po" else read_mo(source)
    return {str(m.id): str(m.string) for m in catalog if m.id and not m.fuzzy}


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_the_reply_of_each_sample_equals_its_golden_file(sample: Path, lang: str) -> None:
    expected = (GOLDEN / f"{sample.name}.{lang}.txt").read_text(encoding="utf-8")
    assert sample_reply(sample, lang) == expected


def test_every_sample_has_a_golden_reply_per_language_and_no_stale_ones() -> None:
    assert {p.name for p in GOLDEN.iterdir()} == {f"{s.name}.{lang}.txt" for s in SAMPLES for lang in LANGUAGES}


@pytest.fixture(scope="module")
def template_ids() -> set[str]:
    return {str(m.id) for m in extract_template() if m.id}


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_string_of_the_reply_and_the_playbooks_is_translated(lang: str, template_ids: set[str]) -> None:
    catalog = _catalog(lang)
    untranslated = sorted(i for i in template_ids if not catalog.get(i))
    assert untranslated == [], "run `python -m qoderlog.catalogs` and translate these"
    assert set(catalog) == template_ids, "the catalog has strings no code uses: run `python -m qoderlog.catalogs`"


def test_the_chinese_catalog_is_chinese_and_keeps_every_placeholder() -> None:
    placeholder = re.compile(r"\{[a-z_]+\}|%\([a-z]+\)s")
    for msgid, text in _catalog("zh-CN").items():
        if msgid not in SAME_IN_CHINESE:
            assert _CJK.search(text), msgid
        assert sorted(placeholder.findall(text)) == sorted(placeholder.findall(msgid)), msgid


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_the_committed_mo_is_the_po_compiled(lang: str) -> None:
    assert _catalog(lang, ".mo") == _catalog(lang)


def test_the_playbook_extractor_finds_every_step_text(template_ids: set[str]) -> None:
    assert "Quit Qoder (File → Exit) and check that no Qoder process is left." in template_ids
    assert "Delete the stale .info.json ({info_json}); the next start writes a fresh one." in template_ids
    assert "What you can try on %(platform)s (commands for %(shell)s):" in template_ids


def test_a_reply_in_chinese_has_no_english_sentence_outside_commands_and_paths() -> None:
    for sample in SAMPLES:
        for line in (GOLDEN / f"{sample.name}.zh-CN.txt").read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if not text or (line.startswith("     ") and not _CJK.search(text)):
                continue  # a command, indented under its step
            if text.startswith("- ") and ":" in text and not _CJK.search(text.split(":", 1)[0]):
                continue  # "- Windows: %APPDATA%\Qoder\logs": a platform name and a folder
            assert _CJK.search(text), (sample.name, line)


def test_the_reply_for_a_bundle_without_qoder_lines_asks_for_the_log_folder_on_every_platform() -> None:
    reply = (GOLDEN / "no-qoder-lines.log.en.txt").read_text(encoding="utf-8")
    # The verdict finds error records no rule explains in it, and no sidecar line: the reply says both.
    assert "They hold errors that we cannot match to a known problem yet" in reply
    assert "They contain no line from Qoder's AI service either" in reply
    assert "Please quit Qoder, zip the folder below and attach the zip to this ticket:" in reply
    for folder in (r"%APPDATA%\Qoder\logs", "~/Library/Application Support/Qoder/logs", "~/.config/Qoder/logs",
                   "~/.qoder-server/data/logs"):  # fmt: skip
        assert f": {folder}\n" in reply
    assert "not a single file or a screenshot" in reply


def test_a_windows_reply_gives_powershell_only_and_a_macos_reply_sh_only() -> None:
    windows = (GOLDEN / "windows-slow-start.en.txt").read_text(encoding="utf-8")
    assert "What you can try on Windows (commands for PowerShell):" in windows
    assert "Add-MpPreference -ExclusionPath 'C:\\Users\\<user-1>\\AppData\\Local\\Programs\\Qoder'" in windows
    assert "/tmp" not in windows and "zhanghui" not in windows
    mac = (GOLDEN / "macos-stale-pid.en.txt").read_text(encoding="utf-8")
    assert "What you can try on macOS (commands for Terminal):" in mac and "Get-" not in mac
    assert "chenjie" not in mac


def test_the_stale_pid_reply_tells_one_story_root_cause_first() -> None:
    reply = (GOLDEN / "macos-stale-pid.en.txt").read_text(encoding="utf-8")
    story = reply.split("What happened\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert story == [
        "- Qoder's AI service stopped unexpectedly and did not clean up after itself.",
        "  As a result: Qoder tried to connect to a copy of its AI service that had already stopped: a file it left "
        "behind (.info.json) still pointed to it.",
        "  As a result: Qoder could not reach its AI service over the local connection.",
    ]


def test_the_cli_writes_the_reply_in_the_language_asked_and_redacts_by_default() -> None:
    sample = str(ROOT / "sample_logs" / "windows-gbk-slow-start")
    run = [sys.executable, "-m", "qoderlog", "analyze", sample, "--format", "reply"]
    chinese = subprocess.run([*run, "--lang", "zh-CN"], capture_output=True, text=True, check=True).stdout
    assert chinese.startswith("您好\uff1a\n") and "<user-1>" in chinese and "李娜" not in chinese
    plain = subprocess.run([*run, "--no-redact"], capture_output=True, text=True, check=True).stdout
    assert plain.startswith("Hello,\n") and "李娜" in plain
    refused = subprocess.run([*run, "--lang", "fr"], capture_output=True, text=True, check=False)
    assert refused.returncode == 2


def test_the_wheel_carries_the_compiled_catalogs_the_playbooks_and_the_incident_links() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"]["qoderlog"]
    package = ROOT / "qoderlog"
    files = [
        *package.glob("locale/*/LC_MESSAGES/qoderlog.mo"),
        *package.glob("rules/playbooks/*.yaml"),
        package / "rules" / "incidents.yaml",
    ]
    from qoderlog.rules.registry import REGISTRY

    assert len(files) == 2 + len(REGISTRY) + 1  # a playbook per rule
    assert all(any(path.relative_to(package).match(glob) for glob in globs) for path in files)


def test_the_reply_for_files_that_could_not_be_read_says_so_and_names_them(tmp_path: Path) -> None:
    from qoderlog.engine import analyze
    from qoderlog.reporters.reply_report import reply_text

    (tmp_path / "renderer.log").write_bytes(b"\x00\x00\x00\x00 not text\n")
    result = analyze([tmp_path / "main.log", tmp_path / "renderer.log"])  # main.log is not there
    assert result.verdict.nothing_read and len(result.verdict.unread) == 2
    english = reply_text(result, "en")
    assert "We could not open what you sent (main.log, renderer.log)" in english
    assert "They contain no line from Qoder's AI service" not in english and "%APPDATA%\\Qoder\\logs" in english
    assert "\uff08main.log, renderer.log\uff09" in reply_text(result, "zh-CN")  # in full-width brackets
    # A file that was read, if empty, is not "could not open".
    (tmp_path / "main.log").write_text("", encoding="utf-8")
    read = analyze([tmp_path / "main.log"])
    assert not read.verdict.nothing_read and "could not open" not in reply_text(read, "en")
