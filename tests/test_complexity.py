"""No function of the bot or the schedule core is more complex than 15 (radon's cyclomatic complexity)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from radon.complexity import cc_visit
from radon.visitors import Class, Function

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (ROOT / "bot", ROOT / "schedule")
# Alembic revisions are generated, straight-line scripts: not code anybody grows.
EXCLUDED = ROOT / "bot" / "migrations" / "versions"
MAX_COMPLEXITY = 15


def _modules() -> list[Path]:
    """Every .py file of bot/ and schedule/, migrations' revisions left out."""
    return sorted(
        path
        for package in PACKAGES
        for path in package.rglob("*.py")
        if not path.is_relative_to(EXCLUDED)
    )


def _functions(blocks: Iterable[Function | Class]) -> Iterator[Function]:
    """Every function in `blocks`, with methods, closures and those of nested classes."""
    for block in blocks:
        if isinstance(block, Class):
            yield from _functions([*block.methods, *block.inner_classes])
        else:
            yield block
            yield from _functions(block.closures)


def complexities() -> dict[str, int]:
    """The complexity of every function, by `path:qualified name`."""
    found: dict[str, int] = {}
    for path in _modules():
        name = path.relative_to(ROOT).as_posix()
        for function in _functions(cc_visit(path.read_text(encoding="utf-8"))):
            found[f"{name}:{function.fullname}:{function.lineno}"] = function.complexity
    return found


def test_no_function_is_more_complex_than_15() -> None:
    """Every function in bot/ and schedule/ has a cyclomatic complexity of at most 15."""
    found = complexities()
    # The walk really reaches functions, methods and the once-offending places.
    assert any(key.startswith("bot/reminders/planner.py:with_windows:") for key in found)
    assert any(key.startswith("bot/outbox/sender.py:OutboxSender._deliver:") for key in found)
    assert any(key.startswith("bot/reload/confine.py:SourcePolicy._fetch:") for key in found)
    assert any(key.startswith("schedule/") for key in found)
    too_complex = {key: c for key, c in sorted(found.items()) if c > MAX_COMPLEXITY}
    assert too_complex == {}, f"functions above complexity {MAX_COMPLEXITY}: {too_complex}"
