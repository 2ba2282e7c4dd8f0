"""The importers and the time parser stay simple: no function over complexity 15 (radon)."""

from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_visit

SCHEDULE = Path(__file__).resolve().parents[3] / "schedule"
MODULES = [
    *sorted((SCHEDULE / "importers").glob("*.py")),
    SCHEDULE / "timeparse.py",
    SCHEDULE / "ranges.py",
]
MAX_COMPLEXITY = 15


def test_no_importer_function_is_more_complex_than_15() -> None:
    """Every function of the importers, timeparse and ranges has complexity 15 or less."""
    worst = {}
    for path in MODULES:
        for block in cc_visit(path.read_text()):
            for item in [block, *getattr(block, "methods", []), *getattr(block, "closures", [])]:
                worst[f"{path.name}:{item.fullname}"] = item.complexity
    assert "frab.py:parse_frab" in worst
    assert {name: c for name, c in worst.items() if c > MAX_COMPLEXITY} == {}
