"""Putting the bot together from settings: schedule, store, clock and core."""

from __future__ import annotations

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
from schedule.timeparse import ParsedTime, parse_time

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


def read_time(text: str, index: ScheduleIndex, now: datetime) -> ParsedTime:
    """A human time read in the summit's zone (see `schedule.timeparse`).

    Weekdays name the summit's days; a bare time or hour is on the clock's day while the
    clock is within the summit's days, else on the summit's first day.
    """
    zone = index.schedule.zone
    days = index.days()
    reference = now
    first = index.first
    if first is not None and days and not days[0] <= now.astimezone(zone).date() <= days[-1]:
        reference = first.start
    return parse_time(text, zone, reference, days)
