"""Building a core the way the runtime does, for tests that need no whole runtime."""

from __future__ import annotations

from bot.commands import build_registry
from bot.core import Core
from bot.core.schedule_source import ScheduleSource
from bot.reload import Reloader
from bot.settings import Settings
from bot.store import Store


def make_core(
    settings: Settings, store: Store, schedules: ScheduleSource, *, reloader: Reloader | None = None
) -> Core:
    """A core whose `/nova reload` uses `reloader` (by default one that sends no DMs)."""
    reloader = reloader or Reloader(settings, store, schedules, background=False)
    return Core(
        settings=settings, store=store, schedules=schedules, commands=build_registry(reloader)
    )
