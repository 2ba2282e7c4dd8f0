"""Run benchmarks by name: `python -m bench queries ask answer http burst reload planning feeds` (no name: all)."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "queries": "bench.query_bench",
    "ask": "bench.ask_bench",
    "answer": "bench.answer_bench",
    "http": "bench.http_bench",
    "burst": "bench.reminder_burst",
    "reload": "bench.reload_bench",
    "planning": "bench.planning_bench",
    "feeds": "bench.feeds_bench",
}


def main(argv: list[str]) -> int:
    """Run each named benchmark's `main()` in turn."""
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    for name in names:
        print(f"== {name}")
        module = importlib.import_module(BENCHMARKS[name])
        module.main([])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
