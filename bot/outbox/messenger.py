"""How the outbox's messages travel: the messenger protocol, its errors, and the console one."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Protocol

from bot.core.message import Message

OUTBOX_EVENT = "summit_bot_outbox"
"""The `event_type` of the metadata every outbox message carries."""


def outbox_metadata(key: str) -> dict[str, Any]:
    """Slack message metadata naming outbox row `key`, so the message can be found again."""
    return {"event_type": OUTBOX_EVENT, "event_payload": {"outbox_key": key}}


def names_key(message: Mapping[str, Any], key: str) -> bool:
    """Whether a message read back from Slack carries the metadata of outbox row `key`."""
    metadata = message.get("metadata")
    if not isinstance(metadata, Mapping) or metadata.get("event_type") != OUTBOX_EVENT:
        return False
    payload = metadata.get("event_payload")
    return isinstance(payload, Mapping) and payload.get("outbox_key") == key


class TransientError(Exception):
    """Sending failed for now (rate limit, server error, network); try again later.

    `retry_after` is how many seconds the other side asked everybody to wait, if it said.
    `unknown` is True when the request may have been carried out all the same (a timeout,
    a connection lost after the request was written, a server error): the message may
    have been posted, so it is read back before it is sent again.
    """

    def __init__(
        self, message: str, retry_after: float | None = None, *, unknown: bool = False
    ) -> None:
        """Describe the failure; `retry_after` seconds is the wait the other side asked for."""
        super().__init__(message)
        self.retry_after = retry_after
        self.unknown = unknown


class PermanentError(Exception):
    """Sending can never work for this person (no such user, DMs impossible ...)."""

    def __init__(self, reason: str) -> None:
        """Record `reason`, the other side's error code."""
        super().__init__(reason)
        self.reason = reason


class SlotMissed(Exception):
    """A post called off by its `before_send` check: nothing was written, it may be made again."""


BeforeSend = Callable[[], None]
"""Called right before a request is written (connection open); raises SlotMissed to call it off."""


class Messenger(Protocol):
    """Posts messages, one call each; raises TransientError or PermanentError when it cannot.

    The outbox's sender paces every call (each one takes a slot of the workspace budget).
    """

    def open_dm(self, user_id: str) -> str:
        """The DM channel with the person (one call: conversations.open)."""
        ...

    def post(
        self,
        channel: str,
        message: Message,
        metadata: Mapping[str, Any] | None = None,
        *,
        before_send: BeforeSend | None = None,
    ) -> tuple[str, str]:
        """Post `message` in `channel` (a person's id: their DM); returns (channel, ts).

        `metadata` is Slack message metadata (`event_type`, `event_payload`). `before_send`
        is called as late as the messenger can, right before the request is written; the
        SlotMissed it may raise is passed on (the post was not made).
        """
        ...

    def find(self, channel: str, key: str, within: timedelta) -> str | None:
        """The ts of the bot's message in `channel` whose metadata names outbox `key`.

        Only messages posted in the last `within` are read.
        """
        ...

    def update(self, channel: str, ts: str, message: Message) -> tuple[str, str]:
        """Replace the bot's message `ts` in `channel` by `message` (chat.update)."""
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

    def post(
        self,
        channel: str,
        message: Message,
        metadata: Mapping[str, Any] | None = None,
        *,
        before_send: BeforeSend | None = None,
    ) -> tuple[str, str]:
        """Show the message to the person; its "timestamp" is a running number."""
        if before_send is not None:
            before_send()
        user_id = channel.removeprefix("console:")
        with self._lock:
            number = next(self._numbers)
            self._show(user_id, message)
        return self.open_dm(user_id), f"{number}.000000"

    def send_dm(self, user_id: str, message: Message) -> tuple[str, str]:
        """Show a DM to the person."""
        return self.post(self.open_dm(user_id), message)

    def find(self, channel: str, key: str, within: timedelta) -> str | None:
        """Nothing shown is ever in doubt on a console."""
        return None

    def update(self, channel: str, ts: str, message: Message) -> tuple[str, str]:
        """Show the new version of a message (a console cannot edit what it printed)."""
        with self._lock:
            self._show(channel.removeprefix("console:"), message)
        return channel, ts
