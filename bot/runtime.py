"""Putting the bot together from settings: schedule, store, clock and core."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock, make_clock
from bot.core import Core
from bot.schedule_source import ScheduleSource
from bot.settings import Settings
from bot.store import Store
from schedule.importers import load_bundled, load_schedule
from schedule.index import ScheduleIndex
from schedule.model import Schedule
from schedule.timeparse import parse_instant


@dataclass
class Runtime:
    """The parts one bot process runs with."""

    settings: Settings
    clock: Clock
    core: Core

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


def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    """Load the schedule, open the store and make the clock the settings ask for."""
    schedule = load_configured_schedule(settings)
    store = Store.open(settings.database_url)
    core = Core(settings=settings, store=store, schedules=ScheduleSource(schedule))
    chosen = clock or make_clock(settings.clock_start, settings.clock_speed)
    return Runtime(settings=settings, clock=chosen, core=core)


def read_time(text: str, index: ScheduleIndex, now: datetime) -> datetime:
    """A human time read in the summit's zone; days default to the summit's when outside it."""
    reference = now
    first, ends = index.first, index.ends_at
    if first is not None and ends is not None and not first.start <= now < ends:
        reference = first.start
    return parse_instant(text, index.schedule.zone, reference)
