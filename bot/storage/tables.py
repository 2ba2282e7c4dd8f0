"""The store's tables (SQLAlchemy 2.0 declarative) and the UTC instant type they share.

The alembic migrations in `bot/migrations/` create exactly these tables; a test compares
the two. Callers of the store never see these rows: `bot/storage/records.py` turns them
into small frozen dataclasses.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "Base",
    "BookmarkRow",
    "BudgetRow",
    "CalendarSessionRow",
    "CalendarTokenRow",
    "DmChannelRow",
    "FollowRow",
    "OutboxMessageRow",
    "OutboxRow",
    "PreferenceRow",
    "ScheduleSnapshotRow",
    "UTCDateTime",
    "utc",
]


def utc(value: datetime, name: str = "instant") -> datetime:
    """`value` in UTC; a naive datetime is refused rather than guessed at."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


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


class Base(DeclarativeBase):
    """The tables of the store; the alembic migrations create exactly these."""

    metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})


class BookmarkRow(Base):
    """A person keeps a session in their agenda."""

    __tablename__ = "bookmarks"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", "session_id", name="pk_bookmarks"),
        Index("ix_bookmarks_session_id", "session_id"),
    )

    user_id: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PreferenceRow(Base):
    """A person's settings; a missing row means every default."""

    __tablename__ = "preferences"
    __table_args__ = (PrimaryKeyConstraint("user_id", name="pk_preferences"),)

    user_id: Mapped[str] = mapped_column(String(64))
    lead_minutes: Mapped[int | None] = mapped_column(Integer)
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    timezone: Mapped[str | None] = mapped_column(Text)
    timezone_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FollowRow(Base):
    """A person follows a track and hears about its sessions."""

    __tablename__ = "follows"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", "track", name="pk_follows"),
        Index("ix_follows_track", "track"),
    )

    user_id: Mapped[str] = mapped_column(String(64))
    track: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DmChannelRow(Base):
    """The direct-message channel the bot opened with a person."""

    __tablename__ = "dm_channels"
    __table_args__ = (PrimaryKeyConstraint("user_id", name="pk_dm_channels"),)

    user_id: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str] = mapped_column(String(64))


class ScheduleSnapshotRow(Base):
    """A schedule that loaded cleanly, as native JSON text."""

    __tablename__ = "schedule_snapshots"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(128))
    content: Mapped[str] = mapped_column(Text)


class OutboxRow(Base):
    """One message to send (created by migration 0002_outbox; due index 0003_outbox_due_index).

    A message body (notices, the board) is kept once in `outbox_messages` and named by
    `message_digest` (0005_outbox_messages); `payload` holds it inline for older rows.
    """

    __tablename__ = "outbox"
    __table_args__ = (
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

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(Text)
    recipient: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str | None] = mapped_column(String(255))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    give_up_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    slot_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    channel_id: Mapped[str | None] = mapped_column(String(64))
    message_ts: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    message_digest: Mapped[str | None] = mapped_column(String(64))


class OutboxMessageRow(Base):
    """A message body (Slack JSON) kept once, however many outbox rows send it."""

    __tablename__ = "outbox_messages"
    __table_args__ = (PrimaryKeyConstraint("digest", name="pk_outbox_messages"),)

    digest: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the body (hex)."""
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BudgetRow(Base):
    """The workspace's send budget: the next free slot and the outage back-off."""

    __tablename__ = "outbox_budget"
    __table_args__ = (PrimaryKeyConstraint("name", name="pk_outbox_budget"),)

    name: Mapped[str] = mapped_column(String(32))
    next_slot_at: Mapped[datetime] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CalendarTokenRow(Base):
    """A person's private calendar feed: only the SHA-256 of its secret token is kept."""

    __tablename__ = "calendar_tokens"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", name="pk_calendar_tokens"),
        UniqueConstraint("token_sha256", name="uq_calendar_tokens_token_sha256"),
    )

    user_id: Mapped[str] = mapped_column(String(64))
    token_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CalendarSessionRow(Base):
    """What calendar feeds last said about a session: its UID, SEQUENCE and whereabouts.

    A session the schedule dropped keeps its row with `removed_at` set, so feeds can show
    it cancelled until the summit ends.
    """

    __tablename__ = "calendar_sessions"
    __table_args__ = (
        PrimaryKeyConstraint("session_id", name="pk_calendar_sessions"),
        Index("ix_calendar_sessions_track", "track"),
    )

    session_id: Mapped[str] = mapped_column(String(255))
    uid: Mapped[str] = mapped_column(String(255))
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    room: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    track: Mapped[str] = mapped_column(String(255))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
