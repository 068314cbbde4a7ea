"""The layout of ARCHITECTURE.md holds: dependencies point one way and no module cycle exists.

The layers contract lives in ``pyproject.toml`` (``[tool.importlinter]``) and is what
``lint-imports`` checks; this test runs the same contract so ``pytest`` alone catches an
import that runs upwards. The cycle check covers every import, including those under
``TYPE_CHECKING``: a cycle hidden from the interpreter is still a tangle for a reader.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import grimp
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "models",
    "config_schema",
    "audit",
    "access",
    "pki",
    "historian",
    "twin",
    "plc_bridge",
    "analytics",
    "dashboard",
    "gmp_twin",
)


def test_import_contracts_are_kept(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    # import-linter configures logging with dictConfig, which disables every existing logger of
    # this process: later tests reading log records (caplog) would see nothing. Put them back.
    loggers = [lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    disabled = {lg.name: lg.disabled for lg in loggers}
    try:
        assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0, (
            "run `lint-imports` to see the import"
        )
    finally:
        for lg in loggers:
            lg.disabled = disabled[lg.name]


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.find_modules_directly_imported_by(v):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return groups


def test_no_import_cycle() -> None:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=False, cache_dir=None)
    assert strongly_connected(graph) == []


def test_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for name in ("a", "b", "c"):
        graph.add_module(name)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="a")
    graph.add_import(importer="c", imported="a")
    assert strongly_connected(graph) == [["a", "b"]]
