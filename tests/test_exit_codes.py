"""The exit-code table: every form a log prints a code in decodes alike, and the table refuses to contradict itself."""

from __future__ import annotations

import copy

import pytest
import yaml

from qoderlog.errors import ConfigError
from qoderlog.rules.exit_codes import CAUSES, KINDS, TABLE_PATH, ExitDecoding, build_table, decode_exit, load_table


@pytest.mark.parametrize("code", [-1073741819, 3221225477, "0xC0000005", "0xc0000005", "-1073741819"])
def test_access_violation_in_every_form(code: int | str) -> None:
    decoding = decode_exit(code=code)
    assert (decoding.kind, decoding.name, decoding.cause, decoding.is_crash) == (
        "ntstatus",
        "STATUS_ACCESS_VIOLATION",
        "native-crash",
        True,
    )


@pytest.mark.parametrize(
    ("code", "name", "cause"),
    [
        (-1073740791, "STATUS_STACK_BUFFER_OVERRUN", "native-crash"),
        (-1073741571, "STATUS_STACK_OVERFLOW", "stack-overflow"),
        (-2147483645, "STATUS_BREAKPOINT", "fatal-check"),
        (-536870904, "CHROMIUM_OOM_EXCEPTION", "memory"),
        (3758096392, "CHROMIUM_OOM_EXCEPTION", "memory"),
        ("0xC0000135", "STATUS_DLL_NOT_FOUND", "install"),
        (-1073741502, "STATUS_DLL_INIT_FAILED", "install"),
        (3221225501, "STATUS_ILLEGAL_INSTRUCTION", "native-crash"),
        (-1073741795, "STATUS_ILLEGAL_INSTRUCTION", "native-crash"),
        (-1073741510, "STATUS_CONTROL_C_EXIT", "killed"),
        (1073807364, "DBG_TERMINATE_PROCESS", "killed"),
        (-532462766, "CLR_EXCEPTION", "native-crash"),
    ],
)
def test_ntstatus_codes(code: int | str, name: str, cause: str) -> None:
    decoding = decode_exit(code=code)
    assert (decoding.kind, decoding.name, decoding.cause) == ("ntstatus", name, cause)


@pytest.mark.parametrize(
    ("code", "name", "cause"),
    [
        (133, "SIGTRAP", "fatal-check"),
        (134, "SIGABRT", "fatal-check"),
        (135, "SIGBUS", "native-crash"),
        (137, "SIGKILL", "killed"),
        (139, "SIGSEGV", "native-crash"),
        (143, "SIGTERM", "killed"),
        (159, "SIGSYS", "sandbox"),
        (132, "SIGILL", "native-crash"),
        (136, "SIGFPE", "native-crash"),
        (129, "SIGHUP", "killed"),
        (130, "SIGINT", "killed"),
    ],
)
def test_128_plus_n_is_the_signal(code: int, name: str, cause: str) -> None:
    decoding = decode_exit(code=code)
    assert (decoding.kind, decoding.name, decoding.cause, decoding.is_crash) == ("signal", name, cause, True)
    assert f"128 + {code - 128}" in decoding.meaning


def test_133_is_sigtrap_a_fatal_check_and_shm_only_one_cause() -> None:
    decoding = decode_exit(code=133, reason="crashed")
    assert decoding.name == "SIGTRAP"
    assert decoding.cause == "fatal-check"
    # The meaning names no platform: /dev/shm is the rule's Linux-only second cause (rules/cases/app-crash.yaml).
    assert "shm" not in decoding.meaning and "Linux" not in decoding.meaning


@pytest.mark.parametrize(
    ("signal", "name", "cause"),
    [
        ("SIGTERM", "SIGTERM", "killed"),
        ("SIGKILL", "SIGKILL", "killed"),
        ("sigsegv", "SIGSEGV", "native-crash"),
        ("TERM", "SIGTERM", "killed"),
        (15, "SIGTERM", "killed"),
        ("9", "SIGKILL", "killed"),
        ("SIGSYS", "SIGSYS", "sandbox"),
    ],
)
def test_signals_by_name_and_number(signal: int | str, name: str, cause: str) -> None:
    decoding = decode_exit(signal=signal)
    assert (decoding.kind, decoding.name, decoding.cause) == ("signal", name, cause)


def test_a_signal_beats_the_code_it_came_with() -> None:
    # `Extension host with pid 9120 exited with code: 0, signal: SIGKILL.`
    decoding = decode_exit(code=0, signal="SIGKILL")
    assert (decoding.name, decoding.cause, decoding.is_crash) == ("SIGKILL", "killed", True)
    # `code: null, signal: SIGTERM`
    assert decode_exit(code="null", signal="SIGTERM").name == "SIGTERM"


@pytest.mark.parametrize("signal", ["unknown", "null", None, "", "<unknown>"])
def test_no_signal_leaves_the_code_to_speak(signal: str | None) -> None:
    assert decode_exit(code=133, signal=signal).name == "SIGTRAP"
    assert decode_exit(code=0, signal=signal).is_crash is False


def test_electron_bare_signal_numbers_with_a_reason() -> None:
    # `renderer process gone (reason: killed, code: 15)`, macOS `(reason: crashed, code: 5)`
    assert decode_exit(code=15, reason="killed").name == "SIGTERM"
    assert decode_exit(code=9, reason="killed").cause == "killed"
    assert decode_exit(code=5, reason="crashed").name == "SIGTRAP"
    assert decode_exit(code=6, reason="crashed").name == "SIGABRT"
    # Without a reason a small code is a plain exit status, not a signal.
    assert decode_exit(code=15).kind == "unknown"


def test_killed_with_windows_code_1_is_killed() -> None:
    decoding = decode_exit(code=1, reason="killed")
    assert (decoding.kind, decoding.name, decoding.cause) == ("electron", "killed", "killed")
    assert decode_exit(code=1).name == "EXIT_FAILURE"


@pytest.mark.parametrize(
    ("reason", "cause", "is_crash"),
    [
        ("clean-exit", "none", False),
        ("abnormal-exit", "unknown", True),
        ("killed", "killed", True),
        ("crashed", "unknown", True),
        ("oom", "memory", True),
        ("launch-failed", "install", True),
        ("integrity-failure", "sandbox", True),
        ("memory-eviction", "memory", True),
    ],
)
def test_electron_reasons(reason: str, cause: str, is_crash: bool) -> None:
    decoding = decode_exit(reason=reason)
    assert (decoding.name, decoding.cause, decoding.is_crash) == (reason, cause, is_crash)


def test_clean_exits_are_not_crashes() -> None:
    for decoding in (decode_exit(reason="clean-exit"), decode_exit(code=0), decode_exit(code="0", signal="unknown")):
        assert (decoding.kind, decoding.cause, decoding.is_crash) == ("clean", "none", False)
    # VS Code prints exit code 0 as `<unknown>`: clean-exit with no code is still clean.
    assert decode_exit(reason="clean-exit", code="<unknown>").is_crash is False


def test_a_decisive_reason_beats_the_code() -> None:
    # A V8 OOM in a renderer on Linux ends with SIGTRAP's 133, but Electron says oom.
    assert decode_exit(code=133, reason="oom").cause == "memory"
    assert decode_exit(code=-536870904, reason="oom").cause == "memory"
    assert decode_exit(code=0, reason="clean-exit").is_crash is False


def test_crashed_with_code_zero_is_still_a_crash() -> None:
    decoding = decode_exit(code=0, reason="crashed")
    assert (decoding.name, decoding.is_crash) == ("crashed", True)


@pytest.mark.parametrize("code", [12345, 42, 200, "77"])
def test_unknown_codes_say_unknown(code: int | str) -> None:
    decoding = decode_exit(code=code)
    assert (decoding.kind, decoding.name, decoding.cause, decoding.is_crash) == ("unknown", None, "unknown", True)
    assert str(code) in decoding.meaning


def test_an_unknown_ntstatus_is_named_by_its_hex() -> None:
    decoding = decode_exit(code=-1073676287)  # 0xC0010001
    assert (decoding.kind, decoding.name, decoding.cause) == ("ntstatus", None, "unknown")
    assert "0xC0010001" in decoding.meaning


def test_an_unknown_reason_and_an_unknown_signal_are_kept_by_name() -> None:
    assert decode_exit(reason="evicted-by-aliens").name == "evicted-by-aliens"
    assert decode_exit(reason="evicted-by-aliens").cause == "unknown"
    decoding = decode_exit(signal="SIGWINCHX")
    assert (decoding.kind, decoding.name, decoding.cause) == ("signal", "SIGWINCHX", "unknown")


def test_nothing_to_decode() -> None:
    decoding = decode_exit()
    assert (decoding.kind, decoding.cause, decoding.is_crash) == ("unknown", "unknown", False)
    assert decode_exit(code="null", signal="null", reason="<unknown>") == decoding


def test_every_entry_uses_known_kinds_and_causes() -> None:
    table = load_table()
    decodings: list[ExitDecoding] = [
        *table.signals_by_number.values(),
        *table.ntstatus.values(),
        *table.statuses.values(),
        *table.reasons.values(),
    ]
    assert len(decodings) > 40
    assert {d.kind for d in decodings} <= KINDS
    assert {d.cause for d in decodings} <= CAUSES
    assert all(d.meaning for d in decodings)
    assert table.signals_by_name["SIGSYS"] is table.signals_by_number[31]


def _document() -> dict:
    return yaml.safe_load(TABLE_PATH.read_text(encoding="utf-8"))


def test_the_table_refuses_a_wrong_signed_form() -> None:
    document = copy.deepcopy(_document())
    document["ntstatus"][0]["signed"] = -1073741818
    with pytest.raises(ConfigError, match="signed 32-bit form"):
        build_table(document)


def test_the_table_refuses_an_unknown_cause() -> None:
    document = copy.deepcopy(_document())
    document["signals"][0]["cause"] = "gremlins"
    with pytest.raises(ConfigError, match="unknown cause 'gremlins'"):
        build_table(document)


def test_the_table_refuses_duplicates() -> None:
    document = copy.deepcopy(_document())
    document["signals"].append(dict(document["signals"][0]))
    with pytest.raises(ConfigError, match="listed twice"):
        build_table(document)


def test_the_table_refuses_a_clean_reason_that_is_a_crash() -> None:
    document = copy.deepcopy(_document())
    clean = next(entry for entry in document["electron_reasons"] if entry["reason"] == "clean-exit")
    clean["is_crash"] = True
    with pytest.raises(ConfigError, match="cause 'none'"):
        build_table(document)


def test_macos_numbers_its_signals_its_own_way() -> None:
    assert decode_exit(code=138).name == "SIGUSR1"
    assert decode_exit(code=138, platform="darwin").name == "SIGBUS"
    assert decode_exit(code=140, platform="macos").name == "SIGSYS"
    assert decode_exit(code=12, reason="crashed", platform="macos").cause == "sandbox"
    assert decode_exit(signal=10, platform="macos").name == "SIGBUS"
    # Signals numbered alike stay alike.
    assert decode_exit(code=5, reason="crashed", platform="macos").name == "SIGTRAP"


def test_windows_has_no_signals_in_its_codes() -> None:
    assert decode_exit(code=134, platform="windows").kind == "unknown"
    # `[UtilityProcess …]: crashed with code 15 and reason 'killed'` on Windows: killed, not SIGTERM.
    decoding = decode_exit(code=15, reason="killed", platform="win32")
    assert (decoding.kind, decoding.name, decoding.cause) == ("electron", "killed", "killed")
    assert decode_exit(code=-1073741819, platform="Windows").name == "STATUS_ACCESS_VIOLATION"
    # A signal named outright is still that signal (a remote Linux host in a Windows bundle).
    assert decode_exit(signal="SIGKILL", platform="windows").name == "SIGKILL"


def test_an_unknown_platform_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown platform 'beos'"):
        decode_exit(code=133, platform="beos")
