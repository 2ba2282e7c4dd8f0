"""The store's tables (SQLAlchemy 2.0 Core) and the UTC instant type they share.

The alembic migrations in `bot/migrations/` create exactly these tables; a test compares
the two. Callers of the store never see these rows: `bot/storage/records.py` turns them
into small frozen dataclasses.

The tables are plain Core `Table`s, each wrapped in `Columns` so that the repositories read
a column as an attribute (`BookmarkRow.user_id`): the store uses no ORM, and importing
`sqlalchemy.orm` would cost every process, `summit-bot ask` among them, 30-45 ms.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.types import TypeDecorator

from bot.storage.records import utc

__all__ = [
    "METADATA",
    "BookmarkRow",
    "BudgetRow",
    "CalendarSessionRow",
    "CalendarTokenRow",
    "Columns",
    "DmChannelRow",
    "FollowRow",
    "OutboxMessageRow",
    "OutboxRow",
    "PreferenceRow",
    "ScheduleSnapshotRow",
    "UTCDateTime",
    "utc",
]


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored in UTC that always comes back as a timezone-aware UTC datetime.

    PostgreSQL keeps it as `timestamptz`; SQLite keeps naive UTC text, which sorts and
    compares correctly because every value is normalised to UTC before it is written.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to UTC (naive on SQLite, which cannot store an offset)."""
        if value is None:
            return None
        value = utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as aware UTC; naive values were written as UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


METADATA: Final = MetaData(naming_convention={"pk": "pk_%(table_name)s"})
"""The tables of the store; the alembic migrations create exactly these."""


class Columns:
    """A table of the store whose columns read as attributes; SQLAlchemy takes it as the table."""

    def __init__(self, table: Table) -> None:
        """Wrap `table`."""
        self.__table__: Final = table

    def __getattr__(self, name: str) -> Column[Any]:
        """The column `name` (AttributeError when the table has none)."""
        if name.startswith("__"):  # copy, pickle and friends probe before `__init__` ran
            raise AttributeError(name)
        try:
            return self.__table__.c[name]
        except KeyError:
            raise AttributeError(f"table {self.__table__.name} has no column {name!r}") from None

    # Typed Any: SQLAlchemy's stubs ask for an expression role here, yet a table is what
    # its coercions take from any `__clause_element__` in FROM, INSERT, UPDATE and DELETE.
    def __clause_element__(self) -> Any:
        """The table itself, wherever SQLAlchemy expects one (select, insert, delete ...)."""
        return self.__table__


BookmarkRow: Final = Columns(
    Table(
        "bookmarks",
        METADATA,
        Column("user_id", String(64), nullable=False),
        Column("session_id", String(255), nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        PrimaryKeyConstraint("user_id", "session_id", name="pk_bookmarks"),
        Index("ix_bookmarks_session_id", "session_id"),
    )
)
"""A person keeps a session in their agenda."""


PreferenceRow: Final = Columns(
    Table(
        "preferences",
        METADATA,
        Column("user_id", String(64), nullable=False),
        Column("lead_minutes", Integer, nullable=True),
        Column("reminders_enabled", Boolean, default=True, server_default=true(), nullable=False),
        Column("timezone", Text, nullable=True),
        Column("timezone_checked_at", UTCDateTime(), nullable=True),
        PrimaryKeyConstraint("user_id", name="pk_preferences"),
    )
)
"""A person's settings; a missing row means every default."""


FollowRow: Final = Columns(
    Table(
        "follows",
        METADATA,
        Column("user_id", String(64), nullable=False),
        Column("track", String(255), nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        PrimaryKeyConstraint("user_id", "track", name="pk_follows"),
        Index("ix_follows_track", "track"),
    )
)
"""A person follows a track and hears about its sessions."""


DmChannelRow: Final = Columns(
    Table(
        "dm_channels",
        METADATA,
        Column("user_id", String(64), nullable=False),
        Column("channel_id", String(64), nullable=False),
        PrimaryKeyConstraint("user_id", name="pk_dm_channels"),
    )
)
"""The direct-message channel the bot opened with a person."""


ScheduleSnapshotRow: Final = Columns(
    Table(
        "schedule_snapshots",
        METADATA,
        Column(
            "id",
            BigInteger().with_variant(Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        Column("loaded_at", UTCDateTime(), nullable=False),
        Column("source", Text, nullable=False),
        Column("digest", String(128), nullable=False),
        Column("content", Text, nullable=False),
    )
)
"""A schedule that loaded cleanly, as native JSON text."""


OutboxRow: Final = Columns(
    Table(
        "outbox",
        METADATA,
        Column(
            "id",
            BigInteger().with_variant(Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        Column("kind", String(16), nullable=False),
        Column("key", Text, nullable=False),
        Column("recipient", String(64), nullable=False),
        Column("session_id", String(255), nullable=True),
        Column("starts_at", UTCDateTime(), nullable=True),
        Column("not_before", UTCDateTime(), nullable=False),
        Column("due_at", UTCDateTime(), nullable=False),
        Column("give_up_at", UTCDateTime(), nullable=False),
        Column("status", String(16), nullable=False),
        Column("attempts", Integer, default=0, nullable=False),
        Column("uncertain", Boolean, default=False, nullable=False),
        Column("claimed_by", String(255), nullable=True),
        Column("lease_until", UTCDateTime(), nullable=True),
        Column("slot_at", UTCDateTime(), nullable=True),
        Column("retry_at", UTCDateTime(), nullable=True),
        Column("sent_at", UTCDateTime(), nullable=True),
        Column("channel_id", String(64), nullable=True),
        Column("message_ts", String(64), nullable=True),
        Column("payload", Text, nullable=True),
        Column("error", Text, nullable=True),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("updated_at", UTCDateTime(), nullable=False),
        Column("message_digest", String(64), nullable=True),
        UniqueConstraint("key", name="uq_outbox_key"),
        Index("ix_outbox_status_not_before", "status", "not_before"),
        Index("ix_outbox_status_due_at", "status", "due_at"),
        Index("ix_outbox_recipient_session", "recipient", "session_id"),
        Index("ix_outbox_session_id", "session_id"),
        CheckConstraint(
            "status IN ('pending', 'claimed', 'sent', 'missed', 'failed', 'cancelled')",
            name="ck_outbox_status",
        ),
        CheckConstraint("kind IN ('reminder', 'notice', 'board')", name="ck_outbox_kind"),
    )
)
"""One message to send (created by migration 0002_outbox; due index 0003_outbox_due_index).

A message body (notices, the board) is kept once in `outbox_messages` and named by
`message_digest` (0005_outbox_messages); `payload` holds it inline for older rows.
"""

OutboxMessageRow: Final = Columns(
    Table(
        "outbox_messages",
        METADATA,
        Column("digest", String(64), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        PrimaryKeyConstraint("digest", name="pk_outbox_messages"),
    )
)
"""A message body (Slack JSON) kept once, however many outbox rows send it (its SHA-256)."""


BudgetRow: Final = Columns(
    Table(
        "outbox_budget",
        METADATA,
        Column("name", String(32), nullable=False),
        Column("next_slot_at", UTCDateTime(), nullable=False),
        Column("failures", Integer, default=0, nullable=False),
        Column("held_until", UTCDateTime(), nullable=True),
        PrimaryKeyConstraint("name", name="pk_outbox_budget"),
    )
)
"""The workspace's send budget: the next free slot and the outage back-off."""


CalendarTokenRow: Final = Columns(
    Table(
        "calendar_tokens",
        METADATA,
        Column("user_id", String(64), nullable=False),
        Column("token_sha256", String(64), nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        PrimaryKeyConstraint("user_id", name="pk_calendar_tokens"),
        UniqueConstraint("token_sha256", name="uq_calendar_tokens_token_sha256"),
    )
)
"""A person's private calendar feed: only the SHA-256 of its secret token is kept."""


CalendarSessionRow: Final = Columns(
    Table(
        "calendar_sessions",
        METADATA,
        Column("session_id", String(255), nullable=False),
        Column("uid", String(255), nullable=False),
        Column("sequence", Integer, default=0, server_default="0", nullable=False),
        Column("start_at", UTCDateTime(), nullable=False),
        Column("end_at", UTCDateTime(), nullable=False),
        Column("room", Text, nullable=False),
        Column("title", Text, nullable=False),
        Column("track", String(255), nullable=False),
        Column("changed_at", UTCDateTime(), nullable=False),
        Column("removed_at", UTCDateTime(), nullable=True),
        PrimaryKeyConstraint("session_id", name="pk_calendar_sessions"),
        Index("ix_calendar_sessions_track", "track"),
    )
)
"""What calendar feeds last said about a session: its UID, SEQUENCE and whereabouts.

    A session the schedule dropped keeps its row with `removed_at` set, so feeds can show
    it cancelled until the summit ends.
    """
