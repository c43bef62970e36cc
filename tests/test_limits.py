"""Input limits: defaults, the [limits] table of --config, flags over config, and how a hit reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qoderlog.cli import cli
from qoderlog.config import load_limits
from qoderlog.errors import ConfigError
from qoderlog.limits import DEFAULT_LIMITS, Limits, limits_from
from qoderlog.model import LimitHit


def test_defaults_are_the_documented_ones() -> None:
    assert (
        Limits(
            max_bytes=2 << 30,
            max_members=5000,
            max_ratio=250.0,
            max_line=1 << 20,
            max_json_depth=64,
            regex_timeout_s=0.25,
            max_regex_timeouts=3,
            timeout_s=300.0,
        )
        == DEFAULT_LIMITS
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"max_lines": 3}, "unknown limit 'max_lines'"),
        ({"max_line": 0}, "limits.max_line must be a positive number, not 0"),
        ({"max_line": True}, "limits.max_line must be a positive number, not True"),
        ({"max_members": 2.5}, "limits.max_members must be a whole number, not 2.5"),
        (["max_line"], "'limits' must be a table of limit names"),
    ],
)
def test_a_bad_limits_table_is_a_config_error_naming_the_key(table: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        limits_from(table, "q.toml")


def test_config_file_limits_and_flags_over_them(tmp_path: Path) -> None:
    config = tmp_path / "q.toml"
    config.write_text("[limits]\nmax_line = 10\nmax_json_depth = 3\n")
    assert load_limits(config) == Limits(max_line=10, max_json_depth=3)
    log = tmp_path / "main.log"
    log.write_text("x" * 30 + "\n" + "y" * 15 + "\n")

    def cut(*flags: str) -> tuple[int, list[tuple[str, float]]]:
        out = tmp_path / "stats.json"
        result = CliRunner().invoke(cli, ["parse", str(log), "--stats", "--format", "json", "-o", str(out), *flags])
        assert result.exit_code == 0, result.output
        stats = json.loads(out.read_text())
        return stats["cut_lines"], [(h["limit"], h["allowed"]) for h in stats["limits"]]

    assert cut() == (0, [])
    assert cut("--config", str(config)) == (2, [("max_line", 10)])
    assert cut("--config", str(config), "--max-line", "20") == (1, [("max_line", 20)])


def test_a_hit_reads_as_limit_value_and_allowed() -> None:
    hit = LimitHit(input="a.log", limit="max_line", allowed=100, value=5000, count=2, detail="2 lines cut")
    assert hit.describe() == "max_line 5000 > limit 100 (2 lines cut)"
    assert LimitHit(input="a.log", limit="regex_timeout_s", allowed=0.25, value=None).describe() == (
        "regex_timeout_s over limit 0.25"
    )
    assert LimitHit(**hit.to_dict()) == hit


def test_archive_bounds_are_judged_in_one_place_for_the_reader_and_the_batch_pre_check() -> None:
    limits = Limits(max_ratio=250, max_members=3, max_bytes=100)
    assert limits.ratio_over(300 << 20, 1 << 20) == 300.0  # the reader: judged past 1 MiB
    assert limits.ratio_over(1 << 20, 1) is None  # exactly the floor: not judged
    assert limits.ratio_over(1 << 20, 1, floor=0) == float(1 << 20)  # the pre-check judges every member
    assert limits.ratio_over(500, 0, floor=0) is None  # no compressed size declared
    assert limits.ratio_over(250 << 20, 1 << 20) is None  # at the bound is within it
    assert (limits.members_over(3), limits.members_over(4)) == (False, True)
    assert (limits.bytes_over(100), limits.bytes_over(101)) == (False, True)
