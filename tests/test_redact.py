"""Redaction: each kind of personal value, stable placeholders, what must be left alone."""

from __future__ import annotations

import pytest

from qoderlog.redact import Redactor, redact_document, redact_text

START = (
    r"Starting go process: C:\Users\zhanghui\AppData\Local\Programs\Qoder\resources\app\resources"
    r"\bin\x86_64_windows\Qoder.exe start --workDir C:\Users\zhanghui\AppData\Roaming\Qoder\SharedClientCache"
)


def test_windows_user_name_in_every_path_gets_one_placeholder() -> None:
    text = redact_text(START)
    assert "zhanghui" not in text
    assert text.count(r"C:\Users\<user-1>\AppData") == 2
    assert "<user-2>" not in text


@pytest.mark.parametrize(
    ("line", "name", "redacted"),
    [
        (r"C:\Users\张伟\AppData\Roaming\Qoder", "张伟", r"C:\Users\<user-1>\AppData\Roaming\Qoder"),
        ("/Users/li/Library/Application Support/Qoder", "/li/", "/Users/<user-1>/Library/Application Support/Qoder"),
        ("/home/bob/.config/Qoder/x", "bob", "/home/<user-1>/.config/Qoder/x"),
        (r"C:\\Users\\John Smith\\AppData", "John", r"C:\\Users\\<user-1>\\AppData"),
        ("C:/Users/Ana/AppData", "Ana", "C:/Users/<user-1>/AppData"),
        (r"C:\Users\Ünal", "Ünal", r"C:\Users\<user-1>"),
    ],
)
def test_home_path_user_names(line: str, name: str, redacted: str) -> None:
    assert redact_text(line) == redacted
    assert name not in redact_text(line)


def test_shared_profile_folders_are_not_people() -> None:
    assert redact_text(r"C:\Users\Public\Desktop and /Users/Shared/x") == r"C:\Users\Public\Desktop and /Users/Shared/x"


def test_a_learnt_name_is_hidden_where_it_stands_alone_too() -> None:
    document = {"a": r"C:\Users\张伟\AppData", "b": "张伟 started Qoder; zhanghui too", "c": [r"/home/zhanghui/x"]}
    redacted = redact_document(document)
    assert redacted == {
        "a": r"C:\Users\<user-1>\AppData",
        "b": "<user-1> started Qoder; <user-2> too",
        "c": ["/home/<user-2>/x"],
    }


def test_short_names_are_only_hidden_inside_their_path() -> None:
    # "li" would hit every "li" in "client" or "line" if it were replaced everywhere.
    assert redact_document(["/Users/li/x", "client line li"]) == ["/Users/<user-1>/x", "client line li"]


def test_emails() -> None:
    assert redact_text("mail zhang.wei+qoder@example.com.cn or ops@corp.io") == "mail <email-1> or <email-2>"


def test_ip_addresses_but_not_loopback_versions_times_or_ports() -> None:
    text = (
        "connect 192.168.1.20:8080 and 10.0.0.7, tcp (127.0.0.1:56510), [::1]:80, fe80::1%eth0, "
        "2001:db8::8a2e:370:7334, version 1.23.0, at 10:23:45.123, 0.0.0.0"
    )
    assert redact_text(text) == (
        "connect <ip-1>:8080 and <ip-2>, tcp (127.0.0.1:56510), [::1]:80, <ip-3>, "
        "<ip-4>, version 1.23.0, at 10:23:45.123, 0.0.0.0"
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Authorization: Bearer eyJhbGciOi.JIUzI1NiJ9xx.abcdefghij", "Authorization: Bearer <token-1>"),
        ("url?token=s3cr3tvalue123&x=1", "url?token=<token-1>&x=1"),
        ('{"apiKey": "AKIAIOSFODNN7EXAMPLE"}', '{"apiKey": "<token-1>"}'),
        ("key sk-abcdefghijklmnop1234 used", "key <token-1> used"),
        ("gh token ghp_abcdefghijklmnopqrstuvwx1234", "gh token <token-1>"),
        ("password: hunter2hunter2", "password: <token-1>"),
    ],
)
def test_tokens(line: str, expected: str) -> None:
    assert redact_text(line) == expected


def test_token_counts_are_not_secrets() -> None:
    assert redact_text("max_token=409600 maxTokens=4096") == "max_token=409600 maxTokens=4096"


def test_machine_ids() -> None:
    text = "machineId=0123456789abcdef0123456789abcdef devDeviceId: 1b2c3d4e-aaaa-bbbb-cccc-1234567890ab mac 00:1A:2b:3c:4d:5e"
    assert redact_text(text) == "machineId=<machine-1> devDeviceId: <machine-2> mac <machine-3>"


def test_pipes_pids_ports_and_sockets_are_left_alone() -> None:
    line = r"Read cosy info from .info.json: port=56510, pid=21824, socketPath=\\.\pipe\qoder-cc4e6c, isDev=false"
    assert redact_text(line) == line
    assert redact_text("/tmp/qoder-3275742.sock") == "/tmp/qoder-3275742.sock"


def test_placeholders_are_stable_across_calls_and_counted() -> None:
    redactor = Redactor()
    first = redactor.redact_text(r"C:\Users\alice\x 192.168.0.9")
    second = redactor.redact_text(r"C:\Users\bob\y C:\Users\ALICE\z 192.168.0.9")
    assert first == r"C:\Users\<user-1>\x <ip-1>"
    assert second == r"C:\Users\<user-2>\y C:\Users\<user-1>\z <ip-1>"
    assert redactor.replaced == {"user": 2, "email": 0, "ip": 1, "token": 0, "machine": 0}


def test_redaction_is_idempotent() -> None:
    once = redact_text(START + " bob@example.com 8.8.8.8")
    assert redact_text(once) == once


def test_document_keeps_keys_numbers_and_shape() -> None:
    document = {"pid": 21824, "ok": True, "none": None, "path": "/home/bob/x", "list": [1.5, {"ip": "8.8.8.8"}]}
    assert redact_document(document) == {
        "pid": 21824,
        "ok": True,
        "none": None,
        "path": "/home/<user-1>/x",
        "list": [1.5, {"ip": "<ip-1>"}],
    }
