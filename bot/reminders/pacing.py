"""Pacing sends to Slack's limits: a workspace-wide rate, one message per channel, pauses."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Pacer:
    """A token bucket over real time for the whole workspace, with a shared pause.

    Tokens flow in at a steady rate just under `per_second` (by `headroom`, so that
    network jitter never lets a one-second window see more than the limit) into a bucket
    of `capacity` tokens; each send takes one (`acquire`). A burst of N sends so takes
    about N / `per_second` seconds. A capacity a little above one lets a sender that
    woke late keep the pace without ever bunching sends. `pause` makes every sender
    wait, as a 429 with Retry-After asks; `channel_slot` spaces the messages of one
    channel `per_channel_seconds` apart.
    """

    def __init__(
        self,
        per_second: float,
        *,
        capacity: float = 1.5,
        headroom: float = 0.05,
        per_channel_seconds: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Allow about `per_second` sends a second, and one per channel a second."""
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        if not 0 <= headroom < 1:
            raise ValueError("headroom must be in [0, 1)")
        self.interval = 1.0 / (per_second * (1.0 - headroom))
        self.per_channel_seconds = per_channel_seconds
        self._capacity = capacity
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._tokens = 1.0
        self._filled_at = monotonic()
        self._paused_until = 0.0
        self._channels: dict[str, float] = {}

    def acquire(self, stop: threading.Event) -> bool:
        """Wait for a token; False when `stop` was set while waiting."""
        while True:
            with self._lock:
                now = self._monotonic()
                if self._paused_until > now:
                    wait = self._paused_until - now
                else:
                    flowed = (now - self._filled_at) / self.interval
                    self._tokens = min(self._capacity, self._tokens + flowed)
                    self._filled_at = now
                    if self._tokens >= 1.0:
                        self._tokens -= 1.0
                        return True
                    wait = (1.0 - self._tokens) * self.interval
            if stop.wait(wait):
                return False

    def pause(self, seconds: float) -> None:
        """Make every sender wait `seconds` from now (a Retry-After)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._monotonic() + seconds)

    @property
    def paused_for(self) -> float:
        """Seconds left in the current pause (0 when none)."""
        with self._lock:
            return max(self._paused_until - self._monotonic(), 0.0)

    def channel_ready_in(self, channel: str) -> float:
        """Seconds until `channel` may take another message (0: now)."""
        with self._lock:
            return max(self._channels.get(channel, 0.0) - self._monotonic(), 0.0)

    def channel_slot(self, channel: str) -> None:
        """Note that `channel` takes a message now."""
        with self._lock:
            now = self._monotonic()
            self._channels[channel] = now + self.per_channel_seconds
            if len(self._channels) > 10_000:
                self._channels = {k: v for k, v in self._channels.items() if v > now}
