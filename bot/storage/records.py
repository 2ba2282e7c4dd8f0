"""What the store hands out: small frozen dataclasses, free of SQLAlchemy.

Every module that only needs the store's records (the reminder planner, the board, the
commands) imports them from here without loading SQLAlchemy, so a process that never
writes (`summit-bot ask` on SQLite) never loads it. Which columns each record is read
from, and the functions building records from those rows, are in `bot/storage/columns.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, NamedTuple

__all__ = [
    "DISMISSED",
    "Claim",
    "NewItem",
    "OutboxItem",
    "OutboxKind",
    "OutboxStatus",
    "Preferences",
    "Retime",
    "Snapshot",
    "Viewer",
    "WindowRow",
    "reminder_key",
    "utc",
    "viewer_from",
]


def utc(value: datetime, name: str = "instant") -> datetime:
    """`value` in UTC; a naive datetime is refused rather than guessed at."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


#: The `error` of a reminder its person cancelled (the bookmark stays).
DISMISSED: Final = "dismissed by the person"


@dataclass(frozen=True, slots=True)
class Preferences:
    """A person's settings; `lead_minutes` None means the bot's default lead time."""

    user_id: str
    lead_minutes: int | None = None
    reminders_enabled: bool = True
    timezone: str | None = None
    timezone_checked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Viewer:
    """What an answer needs to know about the person it is for, read at once."""

    preferences: Preferences
    bookmarks: frozenset[str]


def viewer_from(
    user_id: str, rows: Iterable[Sequence[Any]], instant: Callable[[Any], datetime | None]
) -> Viewer:
    """A viewer from the rows of the viewer statement (`bot.storage.viewers.viewer_query`).

    Each row is (kind, value, lead_minutes, reminders_enabled, timezone_checked_at): kind
    0 is the settings row (value: the time zone), kind 1 a bookmark (value: the session
    id). `instant` makes the backend's stored instant an aware UTC datetime.
    """
    preferences = Preferences(user_id=user_id)
    bookmarks: set[str] = set()
    for kind, value, lead, enabled, checked in rows:
        if kind == 1:
            bookmarks.add(value)
            continue
        preferences = Preferences(
            user_id=user_id,
            lead_minutes=lead,
            reminders_enabled=bool(enabled),
            timezone=value,
            timezone_checked_at=None if checked is None else instant(checked),
        )
    return Viewer(preferences=preferences, bookmarks=frozenset(bookmarks))


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The last good schedule: where it came from, its digest and its native JSON text."""

    id: int
    loaded_at: datetime
    source: str
    digest: str
    content: str


class OutboxKind(StrEnum):
    """What a row is: a reminder DM, a change notice DM, a channel board message."""

    REMINDER = "reminder"
    NOTICE = "notice"
    BOARD = "board"


class OutboxStatus(StrEnum):
    """Where a row is in its life."""

    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    MISSED = "missed"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One row of the outbox and where it stands."""

    id: int
    kind: OutboxKind
    key: str
    recipient: str
    session_id: str | None
    starts_at: datetime | None
    not_before: datetime
    due_at: datetime
    give_up_at: datetime
    status: OutboxStatus
    attempts: int
    uncertain: bool
    claimed_by: str | None
    lease_until: datetime | None
    slot_at: datetime | None
    retry_at: datetime | None
    sent_at: datetime | None
    channel_id: str | None
    message_ts: str | None
    payload: str | None
    error: str | None

    @property
    def user_id(self) -> str:
        """The person a DM goes to (the recipient)."""
        return self.recipient

    def message_json(self) -> dict[str, Any]:
        """The stored message (`text`, `blocks`) of a notice or board row."""
        return dict(json.loads(self.payload or "{}"))


@dataclass(frozen=True, slots=True)
class NewItem:
    """A row to queue."""

    kind: OutboxKind
    key: str
    recipient: str
    not_before: datetime
    due_at: datetime
    give_up_at: datetime
    session_id: str | None = None
    starts_at: datetime | None = None
    payload: str | None = None


@dataclass(frozen=True, slots=True)
class Retime:
    """A new send window for an existing row (`revive`: a cancelled row planned afresh).

    With `key` (and `starts_at`), a pending reminder never tried moves to its session's
    new start under that start's key: one row changed instead of one cancelled and one
    queued. A row that cannot move so (taken meanwhile, or the key already has a row) is
    cancelled and a row with the new key queued instead, as before.
    """

    id: int
    not_before: datetime
    due_at: datetime
    give_up_at: datetime
    revive: bool = False
    key: str | None = None
    starts_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """A claimed row and the send slot granted with it."""

    item: OutboxItem
    slot: datetime


class WindowRow(NamedTuple):
    """What window planning needs of a pending row.

    A named tuple: a reload plans windows over tens of thousands of these, and tuples of
    plain values are left alone by the garbage collector.
    """

    id: int
    due_at: datetime
    starts_at: datetime | None
    not_before: datetime


def reminder_key(user_id: str, session_id: str, starts_at: datetime) -> str:
    """The unique key of the reminder of (person, session, start instant)."""
    return f"reminder:{user_id}:{session_id}:{utc(starts_at):%Y%m%dT%H%M%SZ}"
