"""A schedule reload at summit scale, on SQLite and PostgreSQL, and how fast its DMs go out.

`python -m bench reload` (or `python -m bench.reload_bench --people 20000 --moved 100`):
a 1,000-session schedule with 20,000 people holding 200,000 bookmarks, each with its
pending reminder (planned by `plan_reminders` over everybody, timed too); a reload moves
100 sessions. Reported per backend: the time to diff and guard, to apply the reload (save,
swap, re-plan the reminders of the moved sessions in batches, queue the change notices in
the outbox), and the longest write transaction meanwhile (what an answer or a click
waits for at most); then the outbox's sender sends a
bounded number of the notices (`--dms`) to the fake Slack limited to `--rate` messages a
second. Target: apply ≤ 3 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import time
from datetime import datetime, timedelta

from sqlalchemy import Connection, event

from bench.databases import fresh_database
from bench.query_bench import synthetic
from bot.clock import fixed_clock, make_clock
from bot.commands import build_registry
from bot.core import Core
from bot.core.schedule_source import ScheduleSource
from bot.edge.slack import SlackMessenger, make_client
from bot.outbox.sender import OutboxSender, SenderOptions, stored_message
from bot.reload import Reloader, schedule_digest
from bot.reminders.planner import install_planning, plan_reminders
from bot.settings import Settings
from bot.storage.database import WRITE_OPTION
from bot.storage.outbox import OutboxKind, OutboxStatus
from bot.store import Store
from schedule.diff import ReloadGuard, diff_schedules
from schedule.importers import dump_schedule
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


def seed(store: Store, schedule: Schedule, people: int, bookmarks: int) -> list[tuple[str, str]]:
    """`bookmarks` bookmarks of `people` people over the sessions of `schedule`."""
    rng = random.Random(1)
    ids = [s.id for s in schedule.sessions]
    per_person = max(bookmarks // people, 1)
    pairs = [
        (f"U{n:06d}", session_id)
        for n in range(people)
        for session_id in rng.sample(ids, per_person)
    ]
    store.bookmarks.add(pairs, schedule.sessions[0].start - timedelta(days=1))
    return pairs


def run(backend: str, args: argparse.Namespace) -> None:
    """Seed, reload, send, and print the figures for one backend."""
    with fresh_database(backend) as url, Store.open(url) as store:
        old = summit(args.sessions)
        at = old.sessions[0].start - timedelta(hours=12)
        seed(store, old, args.people, args.bookmarks)
        settings = Settings(slack_messages_per_second=args.rate)
        clock = fixed_clock(at)
        source = ScheduleSource(old)
        reloader = Reloader(settings, store, source, clock=clock)  # queues, sends nothing
        core = Core(
            settings=settings, store=store, schedules=source, commands=build_registry(reloader)
        )
        began = time.perf_counter()
        everybody = plan_reminders(core, at)
        seeded = time.perf_counter() - began
        print(
            f"{backend}: {store.bookmarks.count()} bookmarks of {args.people} people on "
            f"{len(old.sessions)} sessions; planning all {len(everybody.planned)} reminders "
            f"took {seeded:.1f} s"
        )
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

        marks: dict[str, float] = {}
        source.subscribe(lambda _old, _new: marks.__setitem__("replan", time.perf_counter()))
        install_planning(core, clock)
        source.subscribe(lambda _old, _new: marks.__setitem__("replanned", time.perf_counter()))
        writes = WriteTimes(store)
        began = time.perf_counter()
        outcome = reloader.apply(new, "bench", at)
        applied = time.perf_counter() - began
        writes.stop()
        replan = marks["replanned"] - marks["replan"]
        moved_ids = {c.new.id for c in diff.changed}
        off_start = sum(
            1
            for d in store.outbox.reminders_in(None, moved_ids)
            if d.status is OutboxStatus.PENDING and d.starts_at != d.due_at + LEAD
        )
        queued = store.outbox.counts(OutboxKind.NOTICE)[OutboxStatus.PENDING]
        print(f"  reload: {diff.summary()}; {len(outcome.notices)} DMs to {outcome.people} people")
        print(f"  diff + guard             {check * 1000:8.0f} ms")
        print(f"  apply (all of it)        {applied * 1000:8.0f} ms   target ≤ 3000 ms")
        print(f"    of which re-planning   {replan * 1000:8.0f} ms (reminders of moved sessions)")
        print(
            f"  write transactions: {len(writes.took)}, the longest "
            f"{max(writes.took, default=0.0) * 1000:.0f} ms (answers and clicks wait at most this)"
        )
        print(f"  notices queued: {queued}; reminders off their new start: {off_start} (target 0)")
        send(store, settings, outbox_notices(store, args.dms, at), at, args.rate)


class WriteTimes:
    """How long each write transaction of `store` takes, from BEGIN to COMMIT or ROLLBACK."""

    def __init__(self, store: Store) -> None:
        """Listen on the store's engine until `stop`."""
        self.engine = store._db.engine
        self.took: list[float] = []
        self._began: dict[int, float] = {}
        event.listen(self.engine, "begin", self._begin)
        event.listen(self.engine, "commit", self._end)
        event.listen(self.engine, "rollback", self._end)

    def _begin(self, conn: Connection) -> None:
        if conn.get_execution_options().get(WRITE_OPTION):
            self._began[id(conn)] = time.perf_counter()

    def _end(self, conn: Connection) -> None:
        began = self._began.pop(id(conn), None)
        if began is not None:
            self.took.append(time.perf_counter() - began)

    def stop(self) -> None:
        """Stop listening."""
        event.remove(self.engine, "begin", self._begin)
        event.remove(self.engine, "commit", self._end)
        event.remove(self.engine, "rollback", self._end)


def outbox_notices(store: Store, keep: int, at: datetime) -> int:
    """Cancel all but the first `keep` queued notices (the benchmark sends a bounded number)."""
    pending = store.outbox.items(OutboxKind.NOTICE, [OutboxStatus.PENDING])
    store.outbox.cancel([n.id for n in pending[keep:]], at)
    return min(keep, len(pending))


def send(store: Store, settings: Settings, count: int, at: datetime, rate: float) -> None:
    """Send the kept notices through the outbox's sender to a fake Slack limited to `rate`/s."""
    with FakeSlack() as slack:
        slack.rate_limit("chat.postMessage", rate)
        slack_settings = dataclasses.replace(
            settings, slack_bot_token="xoxb-bench", slack_api_url=slack.api_url
        )
        sender = OutboxSender(
            store.outbox,
            SlackMessenger(make_client(slack_settings), store),
            make_clock(at, 1.0),  # the reload's instant, running at real speed
            "bench",
            {OutboxKind.NOTICE: stored_message},
            options=SenderOptions(per_second=rate),
        )
        began = time.perf_counter()
        report = sender.drain(rounds=100_000)
        took = time.perf_counter() - began
        sender.close()
        posts = slack.calls("chat.postMessage")
        limited = len(posts) - report.sent
        peak = slack.peak_per_second("chat.postMessage")
    sent_rate = report.sent / took if took else 0.0
    print(
        f"  DMs: {report.sent} of {count} sent in {took:.1f} s = {sent_rate:.1f}/s against a "
        f"limit of {rate:g}/s; 429 answers {limited}; peak {peak} in one second"
    )


def main(argv: list[str]) -> None:
    """Run on each backend."""
    parser = argparse.ArgumentParser(prog="python -m bench reload")
    parser.add_argument("--sessions", type=int, default=1_000, help="sessions in the schedule")
    parser.add_argument("--people", type=int, default=20_000, help="people with bookmarks")
    parser.add_argument("--bookmarks", type=int, default=200_000, help="bookmarks in all")
    parser.add_argument("--moved", type=int, default=100, help="sessions the reload moves")
    parser.add_argument("--dms", type=int, default=500, help="change DMs actually sent")
    parser.add_argument("--rate", type=float, default=100.0, help="fake Slack's limit per second")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    for backend in args.backends.split(","):
        run(backend, args)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
