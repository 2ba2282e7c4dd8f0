"""How a reminder reaches a person: the messenger protocol, its errors, and the console one."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Protocol

from bot.core.message import Message


class TransientError(Exception):
    """Sending failed for now (rate limit, server error, network); try again later.

    `retry_after` is how many seconds the other side asked everybody to wait, if it said.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        """Describe the failure; `retry_after` seconds is the wait the other side asked for."""
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """Sending can never work for this person (no such user, DMs impossible ...)."""

    def __init__(self, reason: str) -> None:
        """Record `reason`, the other side's error code."""
        super().__init__(reason)
        self.reason = reason


class Messenger(Protocol):
    """Sends direct messages; raises TransientError or PermanentError when it cannot."""

    def open_dm(self, user_id: str) -> str:
        """The DM channel with the person, opened on first use (not counted as a message)."""
        ...

    def send_dm(self, user_id: str, message: Message) -> tuple[str, str]:
        """Send `message` to the person; return the channel and the message's timestamp."""
        ...


class ConsoleMessenger:
    """Shows each DM through `show(user_id, message)`, e.g. printed in the console."""

    def __init__(self, show: Callable[[str, Message], None]) -> None:
        """Pass every message to `show`."""
        self._show = show
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)

    def open_dm(self, user_id: str) -> str:
        """The console's pretend DM channel with the person."""
        return f"console:{user_id}"

    def send_dm(self, user_id: str, message: Message) -> tuple[str, str]:
        """Show the message; its "timestamp" is a running number."""
        with self._lock:
            number = next(self._numbers)
            self._show(user_id, message)
        return self.open_dm(user_id), f"{number}.000000"
