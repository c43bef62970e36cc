"""The OS's crash reports in a bundle (macOS .ips / .crash, Windows .wer) are noted with the process and how it died.

The excerpts are real reports quoted in public issues (each with its source);
user names in paths are replaced.
"""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from qoderlog import analyze
from qoderlog.read.crashreports import crash_report
from qoderlog.reporters import REPORTERS, RenderOptions

# https://github.com/OnionBrowser/OnionBrowser/issues/76 — an older .ips: a JSON header line, then the text report.
OLD_IPS = (
    '{"bug_type":"109","os_version":"iPhone OS 9.3.5 (13G36)","build_version":"20161213.1","timestamp":"2016-12-14'
    ' 07:43:47.47 +0100","app_name":"OnionBrowser","bundleID":"com.miketigas.OnionBrowser","name":"OnionBrowser"}\n'
    "Incident Identifier: 737F38A3-81FB-4095-AB8A-59966149A055\n"
    "Process:             OnionBrowser [396]\n"
    "Date/Time:           2016-12-14 07:43:47.47 +0100\n"
    "Exception Type:  EXC_BAD_ACCESS (SIGSEGV)\n"
    "Exception Subtype: KERN_INVALID_ADDRESS at 0x00000054\n"
)
# https://github.com/airsdk/Adobe-Runtime-Support/issues/2993 — a macOS 12+ .ips body line (the header is made up).
NEW_IPS = (
    '{"app_name":"Qoder Helper (Renderer)","timestamp":"2025-03-01 09:15:02.00 +0800","bug_type":"309"}\n'
    "{\n"
    '  "procName" : "Qoder Helper (Renderer)",\n'
    '  "parentProc" : "launchd",\n'
    '  "exception" : {"codes":"0x0000000000000001, 0x0000000000000000","rawCodes":[1,0],"type":"EXC_BAD_ACCESS",'
    '"signal":"SIGSEGV","subtype":"KERN_INVALID_ADDRESS at 0x0000000000000000"},\n'
    "}\n"
)
# https://github.com/withinboredom/ipv6-wsl/issues/2 — a Report.wer (its first lines and the signature).
WER = """Version=1
EventType=APPCRASH
EventTime=133174872880298997
ReportType=2
Consent=1
NsAppName=ipv6dup-ui.exe
Sig[0].Name=Application Name
Sig[0].Value=ipv6dup-ui.exe
Sig[1].Name=Application Version
Sig[1].Value=1.0.0.0
Sig[3].Name=Fault Module Name
Sig[3].Value=KERNELBASE.dll
Sig[6].Name=Exception Code
Sig[6].Value=e0434352
Sig[7].Name=Exception Offset
Sig[7].Value=00000000000906bc
"""
# https://github.com/winauth/winauth/issues/573 — a German Windows names its signatures in German.
WER_DE = """Version=1
EventType=APPCRASH
EventTime=131567228387945860
Sig[0].Name=Anwendungsname
Sig[0].Value=WinAuth.exe
Sig[6].Name=Ausnahmecode
Sig[6].Value=80000001
"""


def test_an_older_ips_names_the_process_the_exception_and_the_time() -> None:
    report = crash_report("OnionBrowser-2016-12-14-074347.ips", OLD_IPS.encode(), 999, None)
    assert (report.kind, report.process, report.reason) == ("crash report", "OnionBrowser", "EXC_BAD_ACCESS (SIGSEGV)")
    assert report.time == datetime(2016, 12, 14, 7, 43, 47) and report.size == 999


def test_a_json_ips_names_the_process_from_its_body() -> None:
    report = crash_report("Qoder Helper (Renderer)-2025-03-01-091502.ips", NEW_IPS.encode(), 10, None)
    assert (report.process, report.reason) == ("Qoder Helper (Renderer)", "EXC_BAD_ACCESS (SIGSEGV)")
    assert report.time == datetime(2025, 3, 1, 9, 15, 2)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
def test_a_wer_report_names_the_application_and_the_exception_code(encoding: str) -> None:
    report = crash_report("Report.wer", WER.replace("\n", "\r\n").encode(encoding), 2048, None)
    assert (report.process, report.reason) == ("ipv6dup-ui.exe", "APPCRASH exception code 0xe0434352")
    assert report.time is not None and report.time.tzinfo is UTC and report.time.date().isoformat() == "2023-01-06"


def test_a_localised_wer_report_is_read_by_the_signatures_place() -> None:
    report = crash_report("Report.wer", WER_DE.encode("utf-16"), 512, None)
    assert (report.process, report.reason) == ("WinAuth.exe", "APPCRASH exception code 0x80000001")


def test_what_cannot_be_read_stays_unknown_and_the_report_is_noted_still() -> None:
    when = datetime(2025, 1, 1, 10, 0)
    report = crash_report("x.crash", b"\x00\xff garbage", 12, when)
    assert (report.kind, report.process, report.reason, report.time) == ("crash report", None, None, when)


def test_a_bundle_with_crash_reports_is_never_an_all_clear(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("logs/main.log", "2025-03-01 09:00:00.000 [info] update#setState idle\n")
        archive.writestr("DiagnosticReports/Qoder Helper (Renderer)-2025-03-01-091502.ips", NEW_IPS)
    tarred = tmp_path / "wer.tar.gz"
    with tarfile.open(tarred, "w:gz") as archive:
        data = WER.encode("utf-16")
        info = tarfile.TarInfo("ReportArchive/AppCrash_Qoder.exe_1/Report.wer")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    result = analyze([bundle, tarred])
    document = json.loads(result.to_json())
    assert document["verdict"]["kind"] == "problems"
    summaries = sorted(f["summary"] for f in document["findings"] if f["rule"] == "app-crash")
    assert len(summaries) == 2
    assert (
        "macOS wrote a crash report" in summaries[1]
        and "Qoder Helper (Renderer) died: EXC_BAD_ACCESS (SIGSEGV)" in summaries[1]
    )
    assert "Windows wrote a crash report" in summaries[0] and "APPCRASH exception code 0xe0434352" in summaries[0]
    kinds = {(d["kind"], d["process"]) for d in document["stats"]["minidumps"]}
    assert kinds == {("crash report", "Qoder Helper (Renderer)"), ("crash report", "ipv6dup-ui.exe")}
    steps = {f["source"].rsplit(".", 1)[-1]: f["remediation"]["steps"][0]["platform"] for f in document["findings"]}
    assert steps == {"ips": "macos", "wer": "windows"}


def test_the_reports_list_what_a_crash_report_says_died(tmp_path: Path) -> None:
    path = tmp_path / "Qoder Helper (Renderer)-2025-03-01-091502.ips"
    path.write_text(NEW_IPS, encoding="utf-8")
    out = io.StringIO()
    REPORTERS["markdown"](analyze([path]), out, RenderOptions())
    assert "— `Qoder Helper (Renderer): EXC_BAD_ACCESS (SIGSEGV)`" in out.getvalue()


def test_another_apps_crash_report_is_only_noted(tmp_path: Path) -> None:
    (tmp_path / "Safari-2025-03-01-091502.ips").write_text(NEW_IPS.replace("Qoder Helper (Renderer)", "Safari"))
    (tmp_path / "Code Helper-2025-03-01-091502.ips").write_text(
        NEW_IPS.replace("Qoder Helper (Renderer)", "Code Helper")
    )
    found = {f.metrics["process_name"]: f for f in analyze([tmp_path]).finding_list}
    assert str(found["Safari"].severity) == "info" and "not the editor's process" in found["Safari"].summary
    assert str(found["Code Helper"].severity) == "warning" and "not the editor" not in found["Code Helper"].summary
