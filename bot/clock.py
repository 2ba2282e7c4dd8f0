"""The one module that reads the wall clock: real, fixed or replayed time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the bot what instant it is, and how long real time takes to reach another."""

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...

    def wall_seconds_until(self, instant: datetime) -> float | None:
        """Real seconds until the clock shows `instant`; None when it never will."""
        ...

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever the clock is set or warped."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        return datetime.now(UTC)

    def wall_seconds_until(self, instant: datetime) -> float | None:
        """Real seconds until `instant` (0 when it has passed)."""
        return max((instant - self.now()).total_seconds(), 0.0)

    def subscribe(self, callback: Callable[[], None]) -> None:
        """The real clock is never set, so nobody is ever called."""


class ReplayClock:
    """A clock that shows `start` when made and runs at `speed` (0 = fixed, 60 = 1 h per min)."""

    def __init__(
        self,
        start: datetime,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Start showing `start` now; `monotonic` is the real-time source (for tests)."""
        if start.tzinfo is None:
            raise ValueError("the clock's start must be timezone-aware")
        if speed < 0:
            raise ValueError("the clock's speed cannot be negative")
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []
        self._start = start.astimezone(UTC)
        self._speed = speed
        self._origin = monotonic()

    @property
    def speed(self) -> float:
        """How many clock seconds pass per real second."""
        return self._speed

    def now(self) -> datetime:
        """The instant the clock shows."""
        with self._lock:
            elapsed = (self._monotonic() - self._origin) * self._speed
            return self._start + timedelta(seconds=elapsed)

    def wall_seconds_until(self, instant: datetime) -> float | None:
        """Real seconds until the clock shows `instant`; None if it is fixed before it."""
        ahead = (instant - self.now()).total_seconds()
        if ahead <= 0:
            return 0.0
        if self._speed == 0:
            return None
        return ahead / self._speed

    def set(self, at: datetime, speed: float | None = None) -> None:
        """Jump to `at` (and optionally change speed), then tell the subscribers."""
        if at.tzinfo is None:
            raise ValueError("the clock's time must be timezone-aware")
        with self._lock:
            self._start = at.astimezone(UTC)
            self._origin = self._monotonic()
            if speed is not None:
                if speed < 0:
                    raise ValueError("the clock's speed cannot be negative")
                self._speed = speed
            listeners = list(self._listeners)
        for callback in listeners:
            callback()

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever the clock is set."""
        with self._lock:
            self._listeners.append(callback)


def fixed_clock(at: datetime) -> ReplayClock:
    """A clock that always shows `at` until it is set."""
    return ReplayClock(at, speed=0.0)


def make_clock(start: datetime | None, speed: float = 1.0) -> Clock:
    """The real clock when no start is given, otherwise a replay from `start` at `speed`."""
    if start is None:
        if speed != 1.0:
            raise ValueError("a clock speed needs a start instant")
        return SystemClock()
    return ReplayClock(start, speed)
