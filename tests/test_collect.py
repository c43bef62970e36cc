"""``qoderlog collect`` on fake Windows, macOS, Linux and remote-host trees: the zip, its manifest, redaction.

Each layout is built from the samples' own files in a fake home (and APPDATA);
the zip must give ``analyze`` the same findings as the original folder and
hold no trace of the user name, in file contents or member names.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from qoderlog.collect import Found, discover, parse_since, write_bundle
from qoderlog.engine import analyze
from qoderlog.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"
NOW = datetime.now(tz=UTC)


@dataclass(frozen=True)
class Layout:
    platform: str
    home: Path
    env: dict[str, str]
    logs: Path
    user: str


def _copy(source: Path, target: Path, *, days_old: float = 0) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    stamp = (NOW - timedelta(days=days_old)).timestamp()
    os.utime(target, (stamp, stamp))


def _windows(tmp: Path) -> Layout:
    home = tmp / "张伟"
    env = {"APPDATA": str(home / "AppData" / "Roaming"), "LOCALAPPDATA": str(home / "AppData" / "Local")}
    logs = home / "AppData" / "Roaming" / "Qoder" / "logs"
    sample = SAMPLES / "windows-utf16-ipc-reconnect"
    _copy(sample / "main.log", logs / "20251009T140208" / "main.log")
    channel = "output_logging_20251009T140208/1-Qoder.log"
    _copy(sample / "exthost" / channel, logs / "20251009T140208" / "window1" / "exthost" / channel)
    rotated = SAMPLES / "windows-restart-loop-rotated"
    _copy(rotated / "main.log.1.gz", logs / "20251010T164000" / "main.log.1.gz")
    _copy(rotated / "main.log", logs / "20251010T164000" / "main.log")
    _copy(SAMPLES / "windows-slow-start" / "main.log", logs / "20250822T102345" / "main.log", days_old=10)
    cache = home / "AppData" / "Roaming" / "Qoder" / "SharedClientCache"
    cache.mkdir(parents=True)
    info = {
        "pid": 14236,
        "port": 56510,
        "socketPath": r"\\.\pipe\qoder-e07c3f",
        "isDev": False,
        "authToken": "s3cr3t-value",
    }
    (cache / ".info.json").write_text(json.dumps(info), encoding="utf-8")
    return Layout("windows", home, env, logs, "张伟")


def _macos(tmp: Path) -> Layout:
    home = tmp / "chenjie"
    logs = home / "Library" / "Application Support" / "Qoder" / "logs"
    _copy(SAMPLES / "macos-stale-pid" / "main.log", logs / "20250903T090211" / "main.log")
    _copy(SAMPLES / "json-start-failure" / "qoder-service.log", logs / "20250822T102345" / "main.log")
    return Layout("macos", home, {}, logs, "chenjie")


def _linux(tmp: Path) -> Layout:
    home = tmp / "lihua"
    data = home / ".config" / "Qoder"
    with zipfile.ZipFile(SAMPLES / "bundle-crash.zip") as bundle:
        for member in bundle.namelist():
            if member.endswith("/"):
                continue
            target = data / member
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(bundle.read(member))
            os.utime(target, (NOW.timestamp(), NOW.timestamp()))
    # A line naming the user outside any home path: only the learnt name can hide it.
    main = data / "logs" / "20250822T102345" / "main.log"
    main.write_text(
        main.read_text(encoding="utf-8") + "2025-08-22 11:41:00.000 [info] opened by lihua\n", encoding="utf-8"
    )
    return Layout("linux", home, {}, data / "logs", "lihua")


def _remote(tmp: Path) -> Layout:
    home = tmp / "devuser"
    logs = home / ".qoder-server" / "data" / "logs"
    sample = SAMPLES / "linux-remote-tcp-fallback" / "20260320T141205"
    channel = "exthost1/output_logging_20260320T141207/1-Qoder.log"
    _copy(sample / channel, logs / "20260320T141205" / channel)
    cache = home / ".config" / "Qoder" / "59434f87" / "SharedClientCache"
    cache.mkdir(parents=True)
    (cache / ".info.json").write_text('{"pid": 2815120, "port": 56781, "socketPath": "/tmp/qoder-2815120.sock"}')
    return Layout("remote", home, {}, logs, "devuser")


LAYOUTS = {"windows": _windows, "macos": _macos, "linux": _linux, "remote": _remote}


def _findings(paths: list[Path]) -> list[tuple[str, str, list[tuple[str, int]]]]:
    result = analyze(paths, mine=False)
    shown = []
    for finding in result.finding_list:
        evidence = [
            (e.source.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".gz"), e.line) for e in finding.evidence
        ]
        shown.append((finding.rule, str(finding.severity), evidence))
    return sorted(shown)


@pytest.fixture(params=sorted(LAYOUTS))
def layout(request: pytest.FixtureRequest, tmp_path: Path) -> Layout:
    return LAYOUTS[request.param](tmp_path)


def _found(layout: Layout) -> Found:
    return discover(layout.platform, home=layout.home, env=layout.env, since=timedelta(days=3), now=NOW)


def test_collect_finds_each_layouts_logs_and_the_zip_gives_the_same_findings_as_the_folder(
    layout: Layout, tmp_path: Path
) -> None:
    found = _found(layout)
    assert found.files, found.looked_in
    bundle = write_bundle(found, tmp_path / "out" / "bundle.zip", with_dumps=True, home=layout.home)
    # The original files (the layout's folder less what --since leaves out), as the user has them.
    originals = [item.path for item in found.files] + [dump.path for dump in found.dumps]
    assert _findings([bundle.path]) == _findings(originals)
    if layout.platform != "windows":  # the Windows tree also has a folder older than --since
        assert _findings([layout.logs.parent if layout.platform == "linux" else layout.logs]) == _findings(originals)
    assert _findings([bundle.path])  # every layout has something to find


def test_the_zip_holds_every_file_of_its_manifest_with_its_hash_and_no_user_name(
    layout: Layout, tmp_path: Path
) -> None:
    bundle = write_bundle(_found(layout), tmp_path / "bundle.zip", home=layout.home)
    with zipfile.ZipFile(bundle.path) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        for entry in manifest["files"]:
            data = archive.read(entry["member"])
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            assert len(data) == entry["stored_size"]
        everything = "\n".join([*names, *(archive.read(n).decode("utf-8", "replace") for n in names)])
    assert sorted(names) == sorted([e["member"] for e in manifest["files"]] + ["manifest.json"])
    assert layout.user not in everything
    assert manifest["redacted"] is True and manifest["platform"] == layout.platform
    assert all(e["first_time"] and e["last_time"] and e["first_time"] <= e["last_time"] for e in manifest["files"])


def test_the_windows_layout_manifest(tmp_path: Path) -> None:
    layout = _windows(tmp_path)
    bundle = write_bundle(_found(layout), tmp_path / "bundle.zip", home=layout.home)
    manifest = bundle.manifest
    members = [e["member"] for e in manifest["files"]]
    assert members == [
        "logs/20251009T140208/main.log",
        "logs/20251009T140208/window1/exthost/output_logging_20251009T140208/1-Qoder.log",
        "logs/20251010T164000/main.log",
        "logs/20251010T164000/main.log.1",
    ]
    first = manifest["files"][0]
    assert first["encoding"] == "utf-16" and first["replacements"] > 0 and "<user-1>" in first["source"]
    assert manifest["skipped_old"] == 1  # the 10-day-old folder is outside --since
    assert manifest["info_json"]["fields"] == {
        "pid": 14236,
        "port": 56510,
        "socketPath": r"\\.\pipe\qoder-e07c3f",
        "isDev": False,
    }
    # Two user names: 张伟's (the home, the UTF-16 log) and liuyang's (the rotated logs come from another machine).
    assert manifest["redaction"]["user"] == 2 and manifest["replacements"] == sum(
        e["replacements"] for e in manifest["files"]
    )


def test_dumps_are_listed_and_only_taken_when_asked(tmp_path: Path) -> None:
    layout = _linux(tmp_path)
    found = _found(layout)
    assert [d.path.name for d in found.dumps] == ["f002bfc2-b685-9752-e42d-bda5afd039d9.dmp"]
    listed = write_bundle(found, tmp_path / "a.zip", home=layout.home).manifest
    assert listed["dumps"][0]["included"] is False and listed["dumps"][0]["size"] == 1536
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert not any(n.endswith(".dmp") for n in archive.namelist())
    write_bundle(found, tmp_path / "b.zip", with_dumps=True, home=layout.home)
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        assert "Crashpad/completed/f002bfc2-b685-9752-e42d-bda5afd039d9.dmp" in archive.namelist()


def test_no_redact_keeps_the_text_as_it_was(tmp_path: Path) -> None:
    layout = _macos(tmp_path)
    bundle = write_bundle(_found(layout), tmp_path / "bundle.zip", redact=False, home=layout.home)
    with zipfile.ZipFile(bundle.path) as archive:
        text = archive.read("logs/20250903T090211/main.log")
    assert text == (SAMPLES / "macos-stale-pid" / "main.log").read_bytes()
    assert bundle.manifest["redacted"] is False and bundle.manifest["replacements"] == 0


def test_since_and_path_and_the_units(tmp_path: Path) -> None:
    layout = _windows(tmp_path)
    everything = discover("windows", home=layout.home, env=layout.env, since=timedelta(days=30), now=NOW)
    assert len(everything.files) == 5 and everything.skipped_old == 0
    chosen = discover("linux", home=tmp_path / "nobody", env={}, paths=[layout.logs / "20251010T164000"], now=NOW)
    assert [f.member for f in chosen.files] == ["20251010T164000/main.log", "20251010T164000/main.log.1.gz"]
    assert parse_since("12h") == timedelta(hours=12) and parse_since("1w") == timedelta(weeks=1)
    with pytest.raises(UsageError, match="expected a number and a unit"):
        parse_since("soon")


def _cli(*args: str, home: Path, env: dict[str, str] | None = None, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "HOME": str(home), **(env or {})}
    environment.pop("XDG_CONFIG_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "qoderlog", *args], capture_output=True, text=True, env=environment, cwd=cwd, check=False
    )


def test_the_cli_collects_lists_and_says_where_it_looked(tmp_path: Path) -> None:
    layout = _windows(tmp_path)
    listed = _cli("collect", "--platform", "windows", "--dry-run", home=layout.home, env=layout.env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "would take 4 log file(s)" in listed.stdout and ".info.json  [its fields only]" in listed.stdout
    assert not list(tmp_path.glob("*.zip"))
    wrote = _cli("collect", "--platform", "windows", "-o", "out.zip", home=layout.home, env=layout.env, cwd=tmp_path)
    assert wrote.returncode == 0, wrote.stderr
    assert wrote.stdout.startswith("wrote out.zip: 4 log file(s), 0 minidump(s)")
    analysed = _cli("analyze", "out.zip", "--format", "json", home=layout.home, cwd=tmp_path)
    rules = sorted({f["rule"] for f in json.loads(analysed.stdout)["findings"]})
    assert rules == ["ipc-failure", "restart-loop"]
    empty = _cli("collect", "--platform", "macos", home=tmp_path / "empty", cwd=tmp_path)
    assert empty.returncode == 3
    assert "No Qoder log files found. Looked in:" in empty.stderr
    assert "Library/Application Support/Qoder/logs" in empty.stderr and "--path DIR" in empty.stderr


def test_analyze_without_a_path_reads_this_machines_logs(tmp_path: Path) -> None:
    layout = _macos(tmp_path)
    linux_home = tmp_path / "linuxuser"
    (linux_home / ".config" / "Qoder").mkdir(parents=True)
    shutil.copytree(layout.logs, linux_home / ".config" / "Qoder" / "logs")
    done = _cli("analyze", "--format", "json", home=linux_home, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "stale-pid" in {f["rule"] for f in json.loads(done.stdout)["findings"]}
    nothing = _cli("analyze", home=tmp_path / "empty", cwd=tmp_path)
    assert nothing.returncode == 3 and "No Qoder log files found" in nothing.stderr


def test_qoders_crash_reports_are_taken_redacted_and_read_back_as_crash_reports(tmp_path: Path) -> None:
    from tests.test_crashreports import NEW_IPS, WER

    mac = _macos(tmp_path / "mac")
    reports = mac.home / "Library" / "Logs" / "DiagnosticReports"
    reports.mkdir(parents=True)
    (reports / "Qoder Helper (Renderer)-2025-03-01-091502.ips").write_text(
        NEW_IPS.replace('"launchd"', f'"/Users/{mac.user}/x"'), encoding="utf-8"
    )
    (reports / "Safari-2025-03-01-091502.ips").write_text(NEW_IPS, encoding="utf-8")  # another app's: left alone
    windows = _windows(tmp_path / "win")
    archive = Path(windows.env["LOCALAPPDATA"]) / "Microsoft" / "Windows" / "WER" / "ReportArchive"
    (archive / "AppCrash_Qoder.exe_6b1d2e_1a2b3c4d").mkdir(parents=True)
    (archive / "AppCrash_Qoder.exe_6b1d2e_1a2b3c4d" / "Report.wer").write_bytes(WER.encode("utf-16"))
    (archive / "AppCrash_explorer.exe_77aa_1").mkdir()
    (archive / "AppCrash_explorer.exe_77aa_1" / "Report.wer").write_bytes(WER.encode("utf-16"))
    for layout, member in (
        (mac, "CrashReports/Qoder Helper (Renderer)-2025-03-01-091502.ips"),
        (windows, "CrashReports/AppCrash_Qoder.exe_6b1d2e_1a2b3c4d/Report.wer"),
    ):
        found = _found(layout)
        assert [f.member for f in found.files if f.member.startswith("CrashReports/")] == [member]
        bundle = tmp_path / f"{layout.platform}.zip"
        write_bundle(found, bundle, home=layout.home)
        with zipfile.ZipFile(bundle) as zipped:
            text = zipped.read(next(n for n in zipped.namelist() if n.startswith("CrashReports/"))).decode("utf-8")
        assert layout.user not in text
        reports_read = [d for d in analyze([bundle]).accounting.discovery.minidumps if d.kind == "crash report"]
        assert [(d.process, d.reason) for d in reports_read] == [
            ("Qoder Helper (Renderer)", "EXC_BAD_ACCESS (SIGSEGV)")
            if layout is mac
            else ("ipv6dup-ui.exe", "APPCRASH exception code 0xe0434352")
        ]
