"""The schedule the bot is serving now, replaceable while it runs."""

from __future__ import annotations

import threading
from collections.abc import Callable

from bot.render import RenderCache
from schedule.index import ScheduleIndex
from schedule.model import Schedule


class ScheduleSource:
    """Holds the current schedule's index and render cache; a reload swaps both atomically."""

    def __init__(self, schedule: Schedule) -> None:
        """Serve `schedule` until it is replaced."""
        self._index = ScheduleIndex(schedule)
        self._cache = RenderCache(schedule.zone)
        self._lock = threading.Lock()
        self._listeners: list[Callable[[ScheduleIndex, ScheduleIndex], None]] = []

    @property
    def index(self) -> ScheduleIndex:
        """The index of the current schedule."""
        return self._index

    @property
    def render_cache(self) -> RenderCache:
        """The rendered parts of the current schedule's sessions (a new cache per version)."""
        return self._cache

    @property
    def schedule(self) -> Schedule:
        """The current schedule."""
        return self._index.schedule

    def replace(self, schedule: Schedule) -> ScheduleIndex:
        """Serve `schedule` from now on, tell the listeners, and return the old index."""
        new = ScheduleIndex(schedule)
        with self._lock:
            old, self._index = self._index, new
            self._cache = RenderCache(schedule.zone)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(old, new)
        return old

    def subscribe(self, listener: Callable[[ScheduleIndex, ScheduleIndex], None]) -> None:
        """Call `listener(old, new)` after every replacement."""
        with self._lock:
            self._listeners.append(listener)
