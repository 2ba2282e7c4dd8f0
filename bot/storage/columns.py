"""Which columns each record of the store is read from, and the rows made into records.

Kept apart from `bot/storage/records.py` because these are SQLAlchemy expressions: the
records themselves load without SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Final

from sqlalchemy import case, select
from sqlalchemy.engine import RowMapping

from bot.storage.records import OutboxItem, OutboxKind, OutboxStatus, Preferences, Snapshot
from bot.storage.tables import OutboxMessageRow, OutboxRow, PreferenceRow, ScheduleSnapshotRow

__all__ = [
    "OUTBOX_COLUMNS",
    "PREFERENCE_COLUMNS",
    "SNAPSHOT_COLUMNS",
    "outbox_item_from",
    "preferences_from",
    "snapshot_from",
]

PREFERENCE_COLUMNS: Final = (
    PreferenceRow.user_id,
    PreferenceRow.lead_minutes,
    PreferenceRow.reminders_enabled,
    PreferenceRow.timezone,
    PreferenceRow.timezone_checked_at,
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


def snapshot_from(row: Any) -> Snapshot:
    """A snapshot from a row selected with `SNAPSHOT_COLUMNS`."""
    return Snapshot(
        id=row.id,
        loaded_at=row.loaded_at,
        source=row.source,
        digest=row.digest,
        content=row.content,
    )


# A row's message: its shared body when it names one, else the body it carries inline.
_PAYLOAD: Final = case(
    (OutboxRow.message_digest.is_(None), OutboxRow.payload),
    else_=select(OutboxMessageRow.body)
    .where(OutboxMessageRow.digest == OutboxRow.message_digest)
    .scalar_subquery(),
).label("payload")

OUTBOX_COLUMNS: Final = tuple(
    _PAYLOAD if f.name == "payload" else getattr(OutboxRow, f.name) for f in fields(OutboxItem)
)


def outbox_item_from(values: RowMapping) -> OutboxItem:
    """An outbox item from a row selected with `OUTBOX_COLUMNS`."""
    found = dict(values)
    found["kind"] = OutboxKind(found["kind"])
    found["status"] = OutboxStatus(found["status"])
    found["uncertain"] = bool(found["uncertain"])
    return OutboxItem(**found)
