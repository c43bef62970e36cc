"""qoderlog's own YAML files are parsed once: the cached document is the parsed one, and a warm run imports no YAML."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from qoderlog import yamlfiles
from qoderlog.yamlfiles import YamlProblem, load_yaml

TEXT = "rule: demo\nsteps:\n  windows:\n    - text: 'do this'\n      command: x\nlist: [1, 2]\n"


def _cached(cache: Path) -> list[Path]:
    return sorted((cache / "qoderlog").glob("yaml-*.pickle"))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("QODERLOG_CACHE_DIR", str(tmp_path / "cache" / "qoderlog"))
    return tmp_path / "cache"


def test_a_document_keeps_its_lines_and_is_read_back_from_the_cache(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(TEXT, encoding="utf-8")
    first = load_yaml(path, lines=True)
    assert first["__line__"] == 1 and first["steps"]["windows"][0] == {"text": "do this", "command": "x", "__line__": 4}
    assert load_yaml(path) == {
        "rule": "demo",
        "steps": {"windows": [{"text": "do this", "command": "x"}]},
        "list": [1, 2],
    }
    (with_lines, plain) = sorted(_cached(cache), key=lambda p: len(p.read_bytes()), reverse=True)
    # The next run takes what the cache holds: a document put there stands for the file.
    with_lines.write_bytes(pickle.dumps(({"from": "the cache"},)))
    assert load_yaml(path, lines=True) == {"from": "the cache"}
    assert plain.exists()


@pytest.mark.parametrize("damage", [b"", b"not a pickle", pickle.dumps(["no tuple"]), pickle.dumps((1, 2))])
def test_a_damaged_entry_is_parsed_again_and_replaced(tmp_path: Path, cache: Path, damage: bytes) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(TEXT, encoding="utf-8")
    load_yaml(path)
    (entry,) = _cached(cache)
    entry.write_bytes(damage)
    assert load_yaml(path)["rule"] == "demo"
    assert pickle.loads(entry.read_bytes())[0]["rule"] == "demo"


def test_a_changed_file_is_parsed_again_and_nothing_is_kept_with_the_cache_off(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(TEXT, encoding="utf-8")
    load_yaml(path)
    path.write_text(TEXT.replace("demo", "other"), encoding="utf-8")
    assert load_yaml(path)["rule"] == "other" and len(_cached(cache)) == 2
    monkeypatch.setenv("QODERLOG_CACHE_DIR", "off")
    path.write_text(TEXT.replace("demo", "third"), encoding="utf-8")
    assert load_yaml(path)["rule"] == "third" and len(_cached(cache)) == 2


def test_a_file_that_does_not_parse_says_where_and_is_not_cached(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("a: 1\nb: [unclosed\nc: 3\n", encoding="utf-8")
    with pytest.raises(YamlProblem) as caught:
        load_yaml(path, lines=True)
    assert caught.value.line is not None and caught.value.line >= 2 and caught.value.problem
    assert _cached(cache) == []
    path.write_bytes(b"a: \xff\n")
    with pytest.raises(UnicodeDecodeError):
        load_yaml(path)


def test_a_warm_analysis_imports_no_yaml(tmp_path: Path) -> None:
    log = tmp_path / "main.log"
    log.write_text(
        "2025-01-01 10:00:00.000 [error] [GoProcessService] Process startup failed: boom\n", encoding="utf-8"
    )
    env = {**os.environ, "QODERLOG_CACHE_DIR": str(tmp_path / "cache")}
    code = (
        "import sys, json; from qoderlog.engine import analyze; r = analyze([sys.argv[1]]); "
        "print(json.dumps(['yaml' in sys.modules, len(r.finding_list)]))"
    )
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", code, str(log)], env=env, capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(2)
    ]
    assert runs == [[True, runs[0][1]], [False, runs[0][1]]] and runs[0][1] >= 1
    assert yamlfiles.FORMAT == 1
