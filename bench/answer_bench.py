"""What one `/nova now` answer costs, part by part, in-process on SQLite.

The HTTP benchmark compares whole servers; this one says where summit-bot's share of the
CPU per answer goes: the core's answer (the viewer's one read, the schedule question,
rendering), the viewer's read alone (through SQLAlchemy as a serving process does, and
through sqlite3 as `ask` does), the JSON of the acknowledgement, and the hop of the
answer to a worker thread and back (`run_in_executor`, as the slash command handler
does). Best of three repeats, in microseconds.

    python -m bench answer
    python bench/answer_bench.py --number 5000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

USER = "UBENCH01"
BOOKMARKS = ("conductor-tasks-next-steps", "instance-tasks-in-api")
AT = datetime(2013, 11, 5, 3, 20, tzinfo=UTC)  # Tue 5 Nov 11:20 in Hong Kong


def best(work: Callable[[], object], number: int) -> float:
    """Microseconds per call of `work`, the best of three repeats of `number` calls."""
    return min(timeit.repeat(work, number=number, repeat=3)) / number * 1e6


def hop(number: int) -> float:
    """Microseconds for a call handed to the loop's default executor and awaited back."""

    async def run() -> float:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, int)  # the pool's threads start outside the timing
        begin = time.perf_counter()
        for _ in range(number):
            await loop.run_in_executor(None, int)
        return (time.perf_counter() - begin) / number * 1e6

    return asyncio.run(run())


def main(argv: list[str]) -> None:
    """Time each part and print one line per part."""
    parser = argparse.ArgumentParser(prog="python -m bench answer")
    parser.add_argument("--number", type=int, default=3000, help="calls per repeat")
    args = parser.parse_args(argv)

    from bot.runtime import build_runtime
    from bot.settings import Settings
    from bot.store import Store

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/answer.db"
        with Store.open(url) as store:
            store.bookmarks.add([(USER, s) for s in BOOKMARKS], AT)
        settings = Settings.from_env({"DATABASE_URL": url, "SUMMIT_BOT_REMINDERS": "off"}, None)
        runtime = build_runtime(settings)
        one_shot = Store.open(url, one_shot=True)
        try:
            core = runtime.core
            message = core.answer("now", USER, AT)
            payload = message.payload(response_type="ephemeral")
            parts = {
                "core.answer('now') (read + question + blocks)": best(
                    lambda: core.answer("now", USER, AT), args.number
                ),
                "viewer read, SQLAlchemy (serving)": best(
                    lambda: core.store.viewer(USER), args.number
                ),
                "viewer read, sqlite3 (ask)": best(lambda: one_shot.viewer(USER), args.number),
                f"JSON of the ack ({len(json.dumps(payload))} bytes)": best(
                    lambda: json.dumps(payload), args.number
                ),
                "worker-thread hop (run_in_executor)": hop(args.number),
            }
        finally:
            one_shot.close()
            runtime.close()
    print(f"one /nova now answer, in-process, best of 3 x {args.number} calls")
    for name, micros in parts.items():
        print(f"  {name:<48} {micros:7.1f} µs")


if __name__ == "__main__":
    main(sys.argv[1:])
