"""Putting the bot together from settings: schedule, store, clock and core."""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock, make_clock
from bot.core import Core
from bot.reload import Startup, start_schedule
from bot.reminders.planner import install_planning
from bot.schedule_source import ScheduleSource
from bot.settings import Settings
from bot.store import Store
from schedule.importers import load_bundled, load_schedule
from schedule.index import ScheduleIndex
from schedule.model import Schedule
from schedule.timeparse import parse_instant

ClockChoice = Callable[[ScheduleIndex, Clock], Clock]
"""Picks the process's clock once the schedule is known (`--at` is read in its zone)."""


@dataclass
class Runtime:
    """The parts one bot process runs with."""

    settings: Settings
    clock: Clock
    core: Core
    startup: Startup | None = None

    def close(self) -> None:
        """Release the database."""
        self.core.store.close()


def load_configured_schedule(settings: Settings) -> Schedule:
    """The schedule file the settings name, or the bundled Icehouse Nova schedule."""
    if settings.schedule_path:
        return load_schedule(
            settings.schedule_path,
            timezone=settings.schedule_timezone,
            track=settings.schedule_track,
        )
    return load_bundled()


def build_runtime(
    settings: Settings, choose_clock: ClockChoice | None = None, *, clock: Clock | None = None
) -> Runtime:
    """Open the store, decide the schedule (the last good one if the file is refused), plan.

    The clock is `clock`, else the settings' one, then `choose_clock` may replace it.
    """
    store = Store.open(settings.database_url)
    try:
        clock = clock or make_clock(settings.clock_start, settings.clock_speed)
        startup = start_schedule(settings, store, clock.now())
        schedules = ScheduleSource(startup.schedule)
        if choose_clock is not None:
            clock = choose_clock(schedules.index, clock)
    except BaseException:
        store.close()
        raise
    core = Core(settings=settings, store=store, schedules=schedules)
    install_planning(core, clock)
    return Runtime(settings=settings, clock=clock, core=core, startup=startup)


def freeze_startup_heap() -> None:
    """Leave what start-up built (schedule, index, SQLAlchemy's tables, Bolt) out of every GC pass.

    A serving process keeps those objects for its whole life; without this, each full
    collection walks them all, and the pause shows as the slowest answers (p99).
    """
    gc.collect()
    gc.freeze()


def read_time(text: str, index: ScheduleIndex, now: datetime) -> datetime:
    """A human time read in the summit's zone; days default to the summit's when outside it."""
    reference = now
    first, ends = index.first, index.ends_at
    if first is not None and ends is not None and not first.start <= now < ends:
        reference = first.start
    return parse_instant(text, index.schedule.zone, reference)
