"""The schedule the bot is serving now, replaceable while it runs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar, cast

from schedule.index import ScheduleIndex
from schedule.model import Schedule

T = TypeVar("T")


class ScheduleSource:
    """Holds the current schedule's index and what is derived from it; a reload swaps both.

    `derived(kind)` keeps one `kind(schedule)` per schedule version (the rendered parts of
    sessions, say): made on first use, dropped with its version. The source does not know
    what the derived things are, so the layers that make them stay above the core.
    """

    def __init__(self, schedule: Schedule) -> None:
        """Serve `schedule` until it is replaced."""
        # The index and what is derived from it, swapped together.
        self._current: tuple[ScheduleIndex, dict[object, object]] = (ScheduleIndex(schedule), {})
        self._lock = threading.Lock()
        self._listeners: list[Callable[[ScheduleIndex, ScheduleIndex], None]] = []

    @property
    def index(self) -> ScheduleIndex:
        """The index of the current schedule."""
        return self._current[0]

    @property
    def schedule(self) -> Schedule:
        """The current schedule."""
        return self._current[0].schedule

    def derived(self, kind: Callable[[Schedule], T]) -> T:
        """The one `kind(schedule)` of the current schedule version, made on first use."""
        index, derived = self._current
        found = derived.get(kind)
        if found is None:
            found = derived.setdefault(kind, kind(index.schedule))
        return cast(T, found)

    def replace(self, schedule: Schedule) -> ScheduleIndex:
        """Serve `schedule` from now on, tell the listeners, and return the old index."""
        new = ScheduleIndex(schedule)
        with self._lock:
            old = self._current[0]
            self._current = (new, {})
            listeners = list(self._listeners)
        for listener in listeners:
            listener(old, new)
        return old

    def subscribe(self, listener: Callable[[ScheduleIndex, ScheduleIndex], None]) -> None:
        """Call `listener(old, new)` after every replacement."""
        with self._lock:
            self._listeners.append(listener)
