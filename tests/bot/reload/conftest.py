"""Fixtures for reload tests: a schedule file, a store, a recording notifier, a reloader."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.base import BaseScheduler

from bot.clock import ReplayClock, fixed_clock
from bot.core.message import Message
from bot.core.schedule_source import ScheduleSource
from bot.outbox.sender import OutboxSender, SenderOptions, stored_message
from bot.reload import Reloader, Startup, start_schedule
from bot.reminders.engine import new_scheduler
from bot.settings import Settings
from bot.storage.outbox import OutboxKind
from bot.store import Store
from schedule.importers import dump_schedule
from schedule.model import Schedule
from tests.factories import local, schedule, session

AT = local("2013-11-04 09:00")
"""The day before the summit: every session is still to come."""


def base_schedule() -> Schedule:
    """Six sessions over two days, five in the Nova track and one in Cinder."""
    return schedule(
        session("a", "2013-11-05 11:00", room="Room 201"),
        session("b", "2013-11-05 11:50", room="Room 201"),
        session("c", "2013-11-05 11:00", room="Room 202"),
        session("d", "2013-11-05 14:00", room="Room 201"),
        session("e", "2013-11-06 09:00", room="Room 201"),
        session("f", "2013-11-06 09:00", room="Room 203", track="Cinder"),
    )


def write(path: Path, sched: Schedule) -> Path:
    """Write `sched` as summit-bot JSON at `path`."""
    path.write_text(dump_schedule(sched), encoding="utf-8")
    return path


class RecordingNotifier:
    """A messenger that records every DM; can be told to fail for a person a few times first."""

    def __init__(self) -> None:
        """Start with nothing sent and no failures planned."""
        self.sent: list[tuple[str, Message]] = []
        self.keys: dict[str, str] = {}
        self.failures: dict[str, list[BaseException]] = {}
        self._lock = threading.Lock()

    def open_dm(self, user_id: str) -> str:
        """The person's pretend DM channel."""
        return f"D{user_id}"

    def post(
        self,
        channel: str,
        message: Message,
        metadata: Mapping[str, Any] | None = None,
        *,
        before_send: Callable[[], None] | None = None,
    ) -> tuple[str, str]:
        """Record the DM to `channel` (a person's id), or raise the next failure planned."""
        if before_send is not None:
            before_send()
        user_id = channel.removeprefix("D")
        with self._lock:
            planned = self.failures.get(user_id)
            if planned:
                raise planned.pop(0)
            self.sent.append((user_id, message))
            ts = f"{len(self.sent)}.000100"
            if metadata:
                self.keys[str(metadata["event_payload"]["outbox_key"])] = ts
            return f"D{user_id}", ts

    def find(self, channel: str, key: str, within: timedelta) -> str | None:
        """The ts of the DM that carried outbox `key`, if one was recorded."""
        with self._lock:
            return self.keys.get(key)

    def to(self, user_id: str) -> list[str]:
        """The fallback texts sent to `user_id`, in order."""
        with self._lock:
            return [m.text for u, m in self.sent if u == user_id]

    def counts(self) -> Counter[tuple[str, str]]:
        """How many DMs each (person, text) pair got."""
        with self._lock:
            return Counter((u, m.text) for u, m in self.sent)


def notice_sender(
    store: Store, notifier: RecordingNotifier, clock: ReplayClock | None = None
) -> OutboxSender:
    """The outbox's sender over `notifier`, for notices, fast and on a fixed clock (AT)."""
    return OutboxSender(
        store.outbox,
        notifier,
        clock or fixed_clock(AT),
        f"replica-{uuid.uuid4().hex[:8]}",
        {OutboxKind.NOTICE: stored_message},
        options=SenderOptions(per_second=10_000.0, per_channel=timedelta(0), retry_seconds=0.01),
    )


@dataclass
class World:
    """One replica: settings naming the schedule file, its store, source and reloader."""

    settings: Settings
    store: Store
    schedules: ScheduleSource
    reloader: Reloader
    notifier: RecordingNotifier
    clock: ReplayClock
    path: Path
    startup: Startup
    scheduler: BaseScheduler

    def start(self) -> None:
        """Start the replica's scheduler, then its reloader (sync, announcements, timers)."""
        self.scheduler.start()
        self.reloader.start(self.startup)

    def stop(self) -> None:
        """Stop the reloader, then the scheduler when it was started."""
        self.reloader.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)

    def publish(self, sched: Schedule) -> Path:
        """Replace the configured schedule file with `sched`."""
        return write(self.path, sched)


def make_world(
    url: str,
    path: Path,
    *,
    notifier: RecordingNotifier | None = None,
    admins: frozenset[str] = frozenset({"UADMIN"}),
    background: bool = False,
    **overrides: object,
) -> World:
    """A replica over the database at `url` serving the schedule file at `path`."""
    settings = replace(Settings(), schedule_path=str(path), admin_user_ids=admins, **overrides)
    store = Store.open(url)
    clock = fixed_clock(AT)
    startup = start_schedule(settings, store, clock.now())
    schedules = ScheduleSource(startup.schedule)
    notifier = notifier or RecordingNotifier()
    sender = notice_sender(store, notifier, clock)
    scheduler = new_scheduler()
    reloader = Reloader(
        settings,
        store,
        schedules,
        clock=clock,
        sender=sender,
        background=background,
        sync_seconds=0.05,
        scheduler=scheduler,
    )
    return World(settings, store, schedules, reloader, notifier, clock, path, startup, scheduler)


@pytest.fixture
def schedule_file(tmp_path: Path) -> Path:
    """The configured schedule file, holding the base schedule."""
    return write(tmp_path / "schedule.json", base_schedule())


@pytest.fixture
def world(sqlite_url: str, schedule_file: Path) -> Iterator[World]:
    """One replica on a SQLite file, started from the base schedule."""
    made = make_world(sqlite_url, schedule_file)
    yield made
    made.stop()
    made.store.close()
