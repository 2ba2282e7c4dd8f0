"""Pages under load, in-process: a calendar feed, the screen, /metrics (SQLite, 1,000 sessions).

Measures the time to build each answer (no HTTP): the feed of a person with 40 bookmarks
and 2 followed rooms' worth of a track, `/screen` and `/screen?room=`, the metrics text,
and recording a reload that moves 100 sessions (the SEQUENCE bookkeeping).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from bench.query_bench import synthetic
from bot.calendar_feed import person_feed
from bot.commands import build_registry
from bot.core import Core
from bot.core.schedule_source import ScheduleSource
from bot.metrics import Metrics
from bot.settings import Settings
from bot.store import Store
from bot.web.screen import render_screen
from schedule.model import Schedule


def timed(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and worst milliseconds of `repeat` calls."""
    seconds = []
    for _ in range(repeat):
        begin = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - begin)
    return statistics.median(seconds) * 1000, max(seconds) * 1000


def main(argv: list[str]) -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench feeds")
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args(argv)
    schedule = synthetic(args.sessions)
    schedule = replace(
        schedule,
        sessions=tuple(
            replace(s, track="Busy" if s.room == "Room 3" else "") for s in schedule.sessions
        ),
    )
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(f"sqlite:///{Path(folder) / 'bench.db'}")
        core = Core(
            settings=Settings(),
            store=store,
            schedules=ScheduleSource(schedule),
            commands=build_registry(None),
            metrics=Metrics(),
        )
        at = schedule.sessions[0].start - timedelta(days=1)
        begin = time.perf_counter()
        store.calendar.record_schedule(schedule, at)
        first = (time.perf_counter() - begin) * 1000
        for session in schedule.sessions[::25][:40]:
            store.bookmarks.add([("U1", session.id)], at)
        store.follows.follow("U1", "Busy", at)
        feed = person_feed(core, "U1", at)
        events = feed.count(b"BEGIN:VEVENT")
        middle = schedule.sessions[len(schedule.sessions) // 2].start
        rows = [
            (
                "feed",
                timed(lambda: person_feed(core, "U1", at), args.repeat),
                f"{events} events, {len(feed):,} bytes",
            ),
            ("/screen", timed(lambda: render_screen(core.index, middle, None), args.repeat), ""),
            (
                "/screen?room=",
                timed(lambda: render_screen(core.index, middle, "Room 3"), args.repeat),
                "",
            ),
            (
                "/metrics",
                timed(
                    lambda: core.metrics.exposition(store.outbox.counts()["pending"]),
                    args.repeat,
                ),
                "",
            ),
        ]
        moved = tuple(
            replace(s, start=s.start + timedelta(minutes=5), end=s.end + timedelta(minutes=5))
            if n % 10 == 0
            else s
            for n, s in enumerate(schedule.sessions)
        )
        changed = Schedule(schedule.name, schedule.timezone, moved)
        begin = time.perf_counter()
        bumped = store.calendar.record_schedule(changed, at + timedelta(hours=1))
        reload_ms = (time.perf_counter() - begin) * 1000
        again = timed(lambda: store.calendar.record_schedule(changed, at + timedelta(hours=2)), 20)
        store.close()
    print(f"{args.sessions} sessions, SQLite, in-process; median / worst of {args.repeat}")
    for name, (median, worst), note in rows:
        print(f"  {name:<14} {median:7.2f} ms / {worst:7.2f} ms  {note}")
    print(
        f"  record first schedule: {first:.1f} ms; a reload moving {bumped}: {reload_ms:.1f} ms; "
        f"the same again (nothing to write): {again[0]:.1f} ms"
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
