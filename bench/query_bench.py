"""now/next on a synthetic 10,000-session schedule, in-process (target < 1 ms per query)."""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from schedule.index import ScheduleIndex
from schedule.model import Schedule, Session


def synthetic(count: int, rooms: int = 20, seed: int = 1) -> Schedule:
    """`count` sessions in `rooms` parallel rooms, 30-90 minutes each, with breaks."""
    rng = random.Random(seed)
    start = datetime(2030, 6, 1, 1, 0, tzinfo=UTC)
    sessions = []
    per_room = count // rooms
    for room in range(rooms):
        at = start + timedelta(minutes=rng.randrange(0, 30, 5))
        for n in range(per_room):
            length = timedelta(minutes=rng.choice([30, 40, 45, 60, 90]))
            sessions.append(
                Session(
                    id=f"r{room}-s{n}",
                    title=f"Session {n} in room {room}",
                    start=at,
                    end=at + length,
                    room=f"Room {room}",
                    description="synthetic",
                )
            )
            at += length + timedelta(minutes=rng.choice([0, 10, 15, 30]))
    return Schedule(name="synthetic", timezone="Europe/Berlin", sessions=tuple(sessions))


def measure(index: ScheduleIndex, instants: list[datetime]) -> dict[str, float]:
    """Mean and p99 microseconds per now() and next() call."""
    figures: dict[str, float] = {}
    for name, query in (("now", index.now), ("next", index.next)):
        samples = []
        for at in instants:
            begin = time.perf_counter_ns()
            query(at)
            samples.append((time.perf_counter_ns() - begin) / 1000)
        samples.sort()
        figures[f"{name}_mean_us"] = statistics.fmean(samples)
        figures[f"{name}_p99_us"] = samples[int(len(samples) * 0.99)]
    return figures


def main(argv: list[str]) -> None:
    """Build the index, query at random instants, print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench queries")
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=20_000)
    args = parser.parse_args(argv)
    schedule = synthetic(args.sessions)
    begin = time.perf_counter()
    index = ScheduleIndex(schedule)
    build = time.perf_counter() - begin
    first, last = schedule.sessions[0].start, max(s.end for s in schedule.sessions)
    span = (last - first).total_seconds()
    rng = random.Random(2)
    instants = [
        first + timedelta(seconds=rng.uniform(-3600, span + 3600)) for _ in range(args.queries)
    ]
    figures = measure(index, instants)
    print(f"sessions={len(schedule.sessions)} build={build * 1000:.0f} ms queries={args.queries}")
    for key, value in figures.items():
        print(f"  {key:14} {value:8.1f}")
    worst = max(figures["now_p99_us"], figures["next_p99_us"])
    print(f"  target < 1000 us per query: {'met' if worst < 1000 else 'NOT met'}")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
