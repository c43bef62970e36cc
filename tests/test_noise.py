"""Known noise is data that checks itself: every entry has a reason and examples, and they must hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from qoderlog.errors import PatternError
from qoderlog.noise import load_noise, read_noise


def test_the_built_in_table_is_sound_and_every_entry_says_why() -> None:
    table = load_noise()
    assert len(table.entries) >= 15 and table.problems() == []
    assert all(entry.why and entry.examples for entry in table.entries)
    assert table.match("x", "[12:0101/1.1:ERROR:gpu_process_host.cc(995)] GPU process exited unexpectedly") is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("- {id: n.a, literal: x, component: c, examples: [x]}", "missing why"),
        ("- {id: n.a, literal: x, component: c, why: w, examples: [y]}", "example does not match"),
        ("- {id: n.a, literal: x, regex: x, component: c, why: w, examples: [x]}", "exactly one of"),
        ("- {id: n.a, literal: x, component: c, why: w, examples: [x], not_examples: [xx]}", "not-example matches"),
    ],
)
def test_an_unsound_entry_is_refused_with_its_file_and_line(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "bad.yaml").write_text("noise:\n  " + body + "\n", encoding="utf-8")
    with pytest.raises(PatternError, match=message) as caught:
        read_noise(tmp_path)
    assert caught.value.path == str(tmp_path / "bad.yaml") and caught.value.line == 2
