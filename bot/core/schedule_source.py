"""The schedule the bot is serving now, replaceable while it runs."""

from __future__ import annotations

import threading
from collections.abc import Callable

from schedule.index import ScheduleIndex
from schedule.model import Schedule


class ScheduleSource:
    """Holds the current schedule's index; a reload swaps it atomically."""

    def __init__(self, schedule: Schedule) -> None:
        """Serve `schedule` until it is replaced."""
        self._index = ScheduleIndex(schedule)
        self._lock = threading.Lock()
        self._listeners: list[Callable[[ScheduleIndex, ScheduleIndex], None]] = []

    @property
    def index(self) -> ScheduleIndex:
        """The index of the current schedule."""
        return self._index

    @property
    def schedule(self) -> Schedule:
        """The current schedule."""
        return self._index.schedule

    def replace(self, schedule: Schedule) -> ScheduleIndex:
        """Serve `schedule` from now on, tell the listeners, and return the old index."""
        new = ScheduleIndex(schedule)
        with self._lock:
            old, self._index = self._index, new
            listeners = list(self._listeners)
        for listener in listeners:
            listener(old, new)
        return old

    def subscribe(self, listener: Callable[[ScheduleIndex, ScheduleIndex], None]) -> None:
        """Call `listener(old, new)` after every replacement."""
        with self._lock:
            self._listeners.append(listener)
