"""The package's import graph, built from the AST (function-level and TYPE_CHECKING imports included), has no cycle.

``lint-imports`` holds the layer order in CI; this test holds the weaker, always-on property in the suite, and
that a function-level import is only ever for a heavy optional dependency, with its reason beside it, or is one of
the start-up deferrals of the dispatchers (``cli``'s commands, ``reporters``' formats, the package's names, the entry point), marked
``# startup:``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import qoderlog

PACKAGE = Path(qoderlog.__file__).parent
# Imported where they are needed, not at start-up: heavy third-party packages, dask (optional), tqdm (a terminal only),
# importlib.metadata (30 ms; the version line and wheel installs only), PyYAML (40 ms; a file not in the cache) and
# ctypes (4 ms; the command's own process only, to pin glibc's mmap threshold).
HEAVY = (
    "pandas",
    "matplotlib",
    "drain3",
    "dask",
    "pyarrow",
    "playwright",
    "tqdm",
    "importlib",
    "scipy",
    "fsspec",
    "yaml",
    "ctypes",
)
# A command or a format loads its own stack when it runs, so that `qoderlog parse` does not pay for the analysis,
# report, nightly and generator modules (~0.15 s and ~15 MB on the 1M-line benchmark corpus), and the package's
# front door loads a stage when one of its names is first used and the command's entry point loads the CLI for
# everything but --version, so that `qoderlog --version` loads none. Only here, downward only.
DISPATCHERS = (
    "qoderlog/cli.py",
    "qoderlog/reporters/__init__.py",
    "qoderlog/__init__.py",
    "qoderlog/__main__.py",
    "qoderlog/events/__init__.py",  # one pass, or the pool for one big file
)


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module → the package modules it imports anywhere in its file."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        base = name.split(".") if is_package else name.split(".")[:-1]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    stem = base[: len(base) - (node.level - 1)]
                    module = ".".join([*stem, node.module] if node.module else stem)
                else:
                    module = node.module or ""
                candidates = [module, *(f"{module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            targets.update(c for c in candidates if c in modules and c != name)
        graph[name] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as a path that ends where it starts, or ``None``."""
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_find_cycle_finds_a_cycle_and_none_in_a_tree() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_sees_relative_function_level_and_parent_package_imports() -> None:
    graph = import_graph()
    assert "qoderlog.engine" in graph["qoderlog.analysis"]
    assert "qoderlog.rules" in graph["qoderlog.rules.crash"]  # ``from . import Facts``
    assert "qoderlog.cli" in graph["qoderlog.__main__"]


def test_the_package_has_no_import_cycle() -> None:
    assert find_cycle(import_graph()) is None


def test_function_level_imports_are_heavy_optional_dependencies_with_a_reason() -> None:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for function in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if not isinstance(node, ast.Import | ast.ImportFrom):
                    continue
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                heavy = all(getattr(node, "level", 0) == 0 and n.split(".")[0] in HEAVY for n in names)
                reason = "  # " in lines[node.lineno - 1]
                deferred = (
                    str(path.relative_to(PACKAGE.parent)) in DISPATCHERS
                    and getattr(node, "level", 0) == 1
                    and "  # startup: " in lines[node.lineno - 1]
                )
                if not ((heavy and reason) or deferred):
                    problems.append(
                        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {lines[node.lineno - 1].strip()}"
                    )
    assert problems == []
