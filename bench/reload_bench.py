"""A schedule reload at summit scale, and how fast the change DMs go out.

`python -m bench reload` (or `python -m bench.reload_bench --people 20000 --moved 100`):
a 1,000-session schedule on a SQLite file with 20,000 people holding 200,000 bookmarks
(each with its pending reminder); a reload moves 100 sessions. Reported: the time to
diff and guard, to apply the reload (save, swap, re-plan the reminders of the moved
sessions, work out who to tell), and the DM rate against the fake Slack's limit on
chat.postMessage (`--rate`, e.g. 100/s) for a bounded number of the notices (`--dms`).
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.query_bench import synthetic
from bot.clock import fixed_clock
from bot.commands import build_registry
from bot.core import Core
from bot.core.schedule_source import ScheduleSource
from bot.edge.slack import SlackMessenger, make_client
from bot.reload import NoticeSender, Reloader, plan_notices, schedule_digest
from bot.reload.reloader import SEND_WORKERS
from bot.reminders import install_planning
from bot.reminders.messenger import PermanentError
from bot.reminders.pacing import Pacer
from bot.settings import Settings
from bot.store import DeliveryStatus, Store
from schedule.diff import ReloadGuard, diff_schedules
from schedule.importers import dump_schedule
from schedule.index import ScheduleIndex
from schedule.model import Schedule
from tests.support.fake_slack import FakeSlack

LEAD = timedelta(minutes=10)


def summit(sessions: int) -> Schedule:
    """`sessions` synthetic sessions, one track per room."""
    base = synthetic(sessions)
    return dataclasses.replace(
        base,
        sessions=tuple(dataclasses.replace(s, track=f"Track {s.room}") for s in base.sessions),
    )


def moved(schedule: Schedule, count: int, seed: int = 3) -> Schedule:
    """`schedule` with `count` random sessions two hours later (half of them in a new room)."""
    rng = random.Random(seed)
    chosen = set(rng.sample([s.id for s in schedule.sessions], count))
    later = timedelta(hours=2)
    sessions = []
    for n, session in enumerate(schedule.sessions):
        if session.id in chosen:
            room = f"{session.room} annex" if n % 2 else session.room
            session = dataclasses.replace(
                session, start=session.start + later, end=session.end + later, room=room
            )
        sessions.append(session)
    return dataclasses.replace(schedule, sessions=tuple(sessions))


def _sqlite(instant: datetime) -> str:
    """An instant as the store keeps it in SQLite (naive UTC text with microseconds)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def seed(store: Store, path: Path, schedule: Schedule, people: int, bookmarks: int) -> float:
    """Bookmarks (store.bookmarks.add) and their pending reminders; returns seconds taken."""
    rng = random.Random(1)
    ids = [s.id for s in schedule.sessions]
    per_person = max(bookmarks // people, 1)
    pairs = [
        (f"U{n:06d}", session_id)
        for n in range(people)
        for session_id in rng.sample(ids, per_person)
    ]
    at = schedule.sessions[0].start - timedelta(days=1)
    began = time.perf_counter()
    store.bookmarks.add(pairs, at)
    starts = {s.id: s.start for s in schedule.sessions}
    stamp = _sqlite(at)
    rows = [
        (
            user,
            sid,
            _sqlite(starts[sid]),
            _sqlite(starts[sid] - LEAD),
            DeliveryStatus.PENDING.value,
            stamp,
            stamp,
        )
        for user, sid in pairs
    ]
    # Reminders as the planner writes them, inserted in one go for the set-up's sake.
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO deliveries (user_id, session_id, start_at, due_at, status, attempts,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
            rows,
        )
    return time.perf_counter() - began


def main(argv: list[str]) -> None:
    """Seed, reload, send, and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench reload")
    parser.add_argument("--sessions", type=int, default=1_000, help="sessions in the schedule")
    parser.add_argument("--people", type=int, default=20_000, help="people with bookmarks")
    parser.add_argument("--bookmarks", type=int, default=200_000, help="bookmarks in all")
    parser.add_argument("--moved", type=int, default=100, help="sessions the reload moves")
    parser.add_argument("--dms", type=int, default=2_000, help="change DMs actually sent")
    parser.add_argument("--rate", type=float, default=100.0, help="fake Slack's limit per second")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reload.db"
        store = Store.open(f"sqlite:///{path}")
        old = summit(args.sessions)
        seconds = seed(store, path, old, args.people, args.bookmarks)
        print(
            f"seeded {store.bookmarks.count()} bookmarks of {args.people} people on "
            f"{len(old.sessions)} sessions (with their reminders) in {seconds:.1f} s"
        )
        at = old.sessions[0].start - timedelta(hours=12)
        store.snapshots.save(
            "bench",
            schedule_digest(old),
            dump_schedule(old),
            at - timedelta(hours=1),
            previous_digest=None,
        )
        new = moved(old, args.moved)

        began = time.perf_counter()
        diff = diff_schedules(old, new)
        assert ReloadGuard().check(old, new) is None
        check = time.perf_counter() - began

        settings = Settings(slack_messages_per_second=args.rate)
        clock = fixed_clock(at)
        source = ScheduleSource(old)
        marks: dict[str, float] = {}
        source.subscribe(lambda _old, _new: marks.__setitem__("replan", time.perf_counter()))
        reloader = Reloader(settings, store, source, clock=clock)  # no notifier: plan only
        core = Core(
            settings=settings, store=store, schedules=source, commands=build_registry(reloader)
        )
        install_planning(core, clock)
        source.subscribe(lambda _old, _new: marks.__setitem__("replanned", time.perf_counter()))
        began = time.perf_counter()
        outcome = reloader.apply(new, "bench", at)
        applied = time.perf_counter() - began
        replan = marks["replanned"] - marks["replan"]
        began = time.perf_counter()
        notices = plan_notices(store, diff, ScheduleIndex(new), at)
        who = time.perf_counter() - began
        moved_reminders = sum(
            1
            for d in store.deliveries.find(sessions={c.new.id for c in diff.changed})
            if d.status is DeliveryStatus.PENDING and d.start_at != d.due_at + LEAD
        )
        print(f"reload: {diff.summary()}; {len(outcome.notices)} DMs to {outcome.people} people")
        print(f"  diff + guard             {check * 1000:8.0f} ms")
        print(f"  apply (all of it)        {applied * 1000:8.0f} ms")
        print(f"    of which re-planning   {replan * 1000:8.0f} ms (reminders of moved sessions)")
        print(f"  who to tell (again)      {who * 1000:8.0f} ms ({len(notices)} notices)")
        print(f"  reminders off their new start: {moved_reminders} (target 0)")

        with FakeSlack() as slack:
            slack.rate_limit("chat.postMessage", args.rate)
            slack_settings = dataclasses.replace(
                settings, slack_bot_token="xoxb-bench", slack_api_url=slack.api_url
            )
            sender = NoticeSender(
                store,
                SlackMessenger(make_client(slack_settings), store),
                permanent=(PermanentError,),
                pacer=Pacer(args.rate),
                workers=SEND_WORKERS,
                retry_seconds=0.5,
            )
            batch = notices[: args.dms]
            began = time.perf_counter()
            report = sender.send(batch, at)
            took = time.perf_counter() - began
            posts = slack.calls("chat.postMessage")
            limited = len(posts) - report.sent
        rate = report.sent / took if took else 0.0
        print(
            f"DMs: {report.sent} sent in {took:.1f} s = {rate:.1f}/s against a limit of "
            f"{args.rate:g}/s ({rate / args.rate:.0%}); 429 answers {limited}, "
            f"given back {report.retry}, failed {report.failed}"
        )
        print(f"  all {len(notices)} notices at that rate: {len(notices) / rate:.0f} s")
        store.close()


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
