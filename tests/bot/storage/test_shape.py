"""The store stays in focused pieces: small classes, simple functions, no upward imports."""

from __future__ import annotations

import ast
from pathlib import Path

from radon.complexity import cc_visit

BOT = Path(__file__).resolve().parents[3] / "bot"
STORE_MODULES = [BOT / "store.py", *sorted((BOT / "storage").glob("*.py"))]
MAX_PUBLIC_METHODS = 25
MAX_COMPLEXITY = 15


def test_the_store_is_a_front_door_and_a_package_of_modules() -> None:
    """The store is bot/store.py plus at least one module per repository."""
    names = {path.stem for path in STORE_MODULES}
    assert names >= {"store", "tables", "records", "people", "bookmarks", "follows", "snapshots"}


def test_no_store_class_has_more_than_25_public_methods() -> None:
    """Every class of the store keeps to at most 25 public methods."""
    counts = {}
    for path in STORE_MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                counts[f"{path.name}:{node.name}"] = sum(
                    1
                    for item in node.body
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                    and not item.name.startswith("_")
                )
    assert counts["store.py:Store"] >= 1
    assert {name: n for name, n in counts.items() if n > MAX_PUBLIC_METHODS} == {}


def test_no_store_function_is_more_complex_than_15() -> None:
    """Every function of the store has a cyclomatic complexity of at most 15 (radon)."""
    worst = {}
    for path in STORE_MODULES:
        for block in cc_visit(path.read_text()):
            for item in [block, *getattr(block, "methods", []), *getattr(block, "closures", [])]:
                worst[f"{path.name}:{item.fullname}"] = item.complexity
    assert worst, "radon found no functions"
    assert {name: c for name, c in worst.items() if c > MAX_COMPLEXITY} == {}


def test_the_store_imports_nothing_else_of_the_bot() -> None:
    """The store's modules import only each other from `bot`, never a front end or command."""
    outside = set()
    for path in STORE_MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            modules = []
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            outside.update(
                f"{path.name}: {m}"
                for m in modules
                if (m == "bot" or m.startswith("bot.")) and not m.startswith("bot.storage")
            )
    assert outside == set()
