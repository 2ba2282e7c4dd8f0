"""Only the clock module reads the wall clock; everything else is given the instant."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLOCK = ROOT / "bot" / "clock.py"
# Calls that read the current date or time of day. Durations (monotonic, perf_counter)
# are not readings of the wall clock and stay allowed.
WALL_READS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
}


def wall_reads(source: str) -> list[int]:
    """The lines of `source` that call one of `WALL_READS` (`datetime.now(...)` and the like)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value
        name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
        if (name, node.func.attr) in WALL_READS:
            found.append(node.lineno)
    return found


def test_the_check_sees_a_wall_clock_read() -> None:
    """The scan finds the forms a wall-clock read takes, and leaves durations alone."""
    source = "datetime.now(UTC)\ndt.datetime.utcnow()\ntime.time()\ntime.monotonic()\nx.now()\n"
    assert wall_reads(source) == [1, 2, 3]


@pytest.mark.parametrize(
    "module",
    sorted(
        path.relative_to(ROOT).as_posix()
        for package in ("bot", "schedule")
        for path in (ROOT / package).rglob("*.py")
        if path != CLOCK
    ),
)
def test_no_module_but_the_clock_reads_the_wall_clock(module: str) -> None:
    """Every other module of bot/ and schedule/ takes `at` (or a Clock) instead of reading the time."""
    assert wall_reads((ROOT / module).read_text(encoding="utf-8")) == []
