"""What the store hands out: small frozen dataclasses, and the one place rows become them.

Each record has the columns it is read from beside the function that builds it from a
row selected with those columns, so a repository never assembles a record by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from bot.storage.tables import DeliveryRow, PreferenceRow, ScheduleSnapshotRow

__all__ = [
    "DELIVERY_COLUMNS",
    "DISMISSED",
    "PREFERENCE_COLUMNS",
    "SNAPSHOT_COLUMNS",
    "Delivery",
    "DeliveryStatus",
    "Preferences",
    "Snapshot",
    "Viewer",
    "delivery_from",
    "preferences_from",
    "snapshot_from",
]

#: The `error` of a reminder its person cancelled (the bookmark stays).
DISMISSED: Final = "dismissed by the person"


class DeliveryStatus(StrEnum):
    """Where a planned reminder is in its life."""

    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    MISSED = "missed"
    FAILED = "failed"
    CANCELLED = "cancelled"


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


@dataclass(frozen=True, slots=True)
class Delivery:
    """One planned reminder and where it stands."""

    id: int
    user_id: str
    session_id: str
    start_at: datetime
    due_at: datetime
    status: DeliveryStatus
    attempts: int
    claimed_by: str | None
    lease_until: datetime | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    channel_id: str | None
    message_ts: str | None
    error: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The last good schedule: where it came from, its digest and its native JSON text."""

    id: int
    loaded_at: datetime
    source: str
    digest: str
    content: str


PREFERENCE_COLUMNS: Final = (
    PreferenceRow.user_id,
    PreferenceRow.lead_minutes,
    PreferenceRow.reminders_enabled,
    PreferenceRow.timezone,
    PreferenceRow.timezone_checked_at,
)

DELIVERY_COLUMNS: Final = (
    DeliveryRow.id,
    DeliveryRow.user_id,
    DeliveryRow.session_id,
    DeliveryRow.start_at,
    DeliveryRow.due_at,
    DeliveryRow.status,
    DeliveryRow.attempts,
    DeliveryRow.claimed_by,
    DeliveryRow.lease_until,
    DeliveryRow.next_attempt_at,
    DeliveryRow.sent_at,
    DeliveryRow.channel_id,
    DeliveryRow.message_ts,
    DeliveryRow.error,
    DeliveryRow.created_at,
    DeliveryRow.updated_at,
)

SNAPSHOT_COLUMNS: Final = (
    ScheduleSnapshotRow.id,
    ScheduleSnapshotRow.loaded_at,
    ScheduleSnapshotRow.source,
    ScheduleSnapshotRow.digest,
    ScheduleSnapshotRow.content,
)


def preferences_from(row: Any) -> Preferences:
    """Preferences from a row selected with `PREFERENCE_COLUMNS`."""
    return Preferences(
        user_id=row.user_id,
        lead_minutes=row.lead_minutes,
        reminders_enabled=bool(row.reminders_enabled),
        timezone=row.timezone,
        timezone_checked_at=row.timezone_checked_at,
    )


def delivery_from(row: Any) -> Delivery:
    """A delivery from a row selected with `DELIVERY_COLUMNS`."""
    return Delivery(
        id=row.id,
        user_id=row.user_id,
        session_id=row.session_id,
        start_at=row.start_at,
        due_at=row.due_at,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        claimed_by=row.claimed_by,
        lease_until=row.lease_until,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def snapshot_from(row: Any) -> Snapshot:
    """A snapshot from a row selected with `SNAPSHOT_COLUMNS`."""
    return Snapshot(
        id=row.id,
        loaded_at=row.loaded_at,
        source=row.source,
        digest=row.digest,
        content=row.content,
    )
