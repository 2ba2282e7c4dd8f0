"""Planning reminders as a set: 5,000 people bookmarked one session, planned at once.

`python -m bench planning` (or `python -m bench.planning_bench --people 5000`): on SQLite
and on PostgreSQL, the time of one `plan_reminders` over everybody (read the bookmarks,
preferences and existing rows; decide; insert the rows in batches; open their send
windows), then of planning again (nothing to write), then of a lead-time change that
re-times them all. Target: the first planning ≤ 1 s.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bench.databases import fresh_database
from bot.commands import build_registry
from bot.core import Core
from bot.core.schedule_source import ScheduleSource
from bot.reload import Reloader
from bot.reminders.planner import plan_reminders
from bot.settings import Settings
from bot.storage.outbox import OutboxStatus
from bot.store import Store
from schedule.model import Schedule, Session

AT = datetime(2013, 11, 5, 1, 0, tzinfo=UTC)


def one_session() -> Schedule:
    """A schedule of one session, two hours after `AT`."""
    start = AT + timedelta(hours=2)
    session = Session(id="s", title="Burst", start=start, end=start + timedelta(minutes=40))
    return Schedule(name="Planning", timezone="Asia/Hong_Kong", sessions=(session,))


def run(backend: str, people: int, rate: float) -> None:
    """Seed `people` bookmarks on `backend`, plan, plan again, re-time; print the times."""
    with fresh_database(backend) as url, Store.open(url) as store:
        users = [f"U{n:06d}" for n in range(people)]
        store.bookmarks.add([(u, "s") for u in users], AT - timedelta(days=1))
        settings = replace(Settings(), database_url=url, slack_messages_per_second=rate)
        schedules = ScheduleSource(one_session())
        reloader = Reloader(settings, store, schedules, background=False)
        core = Core(
            settings=settings, store=store, schedules=schedules, commands=build_registry(reloader)
        )
        began = time.perf_counter()
        first = plan_reminders(core, AT)
        planned = time.perf_counter() - began
        began = time.perf_counter()
        again = plan_reminders(core, AT)
        idle = time.perf_counter() - began
        for user in users:
            store.people.set_lead_minutes(user, 15)
        began = time.perf_counter()
        moved = plan_reminders(core, AT)
        retimed = time.perf_counter() - began
        pending = store.outbox.counts()[OutboxStatus.PENDING]
        opens = sorted(i.not_before for i in store.outbox.items(statuses=[OutboxStatus.PENDING]))
    early = (AT + timedelta(minutes=105) - opens[0]).total_seconds()
    print(
        f"{backend:10s} plan {len(first.planned)} reminders {planned * 1000:7.0f} ms"
        f"   again (no change) {idle * 1000:6.0f} ms ({len(again.planned)} written)"
        f"   new lead for all {retimed * 1000:7.0f} ms ({len(moved.planned)} re-timed)"
        f"   pending {pending}; first window {early:.1f} s before due (N/R {people / rate:.1f} s)"
    )


def main(argv: list[str]) -> None:
    """Run on SQLite and PostgreSQL."""
    parser = argparse.ArgumentParser(prog="python -m bench planning")
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--rate", type=float, default=100.0, help="messages a second")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    for backend in args.backends.split(","):
        run(backend, args.people, args.rate)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
