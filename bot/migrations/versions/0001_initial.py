"""The store's tables: bookmarks, preferences, follows, deliveries, DM channels,
schedule snapshots and change notices.

Revision ID: 0001_initial
Revises:
Create Date: 2013-11-01 00:00:00+00:00

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every instant is stored in UTC: timestamptz on PostgreSQL, UTC text on SQLite.
Instant = sa.DateTime(timezone=True)
# An autoincrementing key: BIGINT on PostgreSQL, the rowid alias INTEGER on SQLite.
Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create every table of the store."""
    op.create_table(
        "bookmarks",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(255), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "session_id", name="pk_bookmarks"),
    )
    op.create_index("ix_bookmarks_session_id", "bookmarks", ["session_id"])

    op.create_table(
        "preferences",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("lead_minutes", sa.Integer(), nullable=True),
        sa.Column(
            "reminders_enabled", sa.Boolean(), server_default=sa.true(), nullable=False
        ),
        sa.Column("timezone", sa.Text(), nullable=True),
        sa.Column("timezone_checked_at", Instant, nullable=True),
        sa.PrimaryKeyConstraint("user_id", name="pk_preferences"),
    )

    op.create_table(
        "follows",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("track", sa.String(255), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "track", name="pk_follows"),
    )
    op.create_index("ix_follows_track", "follows", ["track"])

    op.create_table(
        "deliveries",
        sa.Column("id", Serial, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(255), nullable=False),
        sa.Column("start_at", Instant, nullable=False),
        sa.Column("due_at", Instant, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("claimed_by", sa.String(255), nullable=True),
        sa.Column("lease_until", Instant, nullable=True),
        sa.Column("next_attempt_at", Instant, nullable=True),
        sa.Column("sent_at", Instant, nullable=True),
        sa.Column("channel_id", sa.String(64), nullable=True),
        sa.Column("message_ts", sa.String(64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("updated_at", Instant, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.UniqueConstraint("user_id", "session_id", "start_at", name="uq_deliveries_key"),
        sa.CheckConstraint(
            "status IN ('pending', 'claimed', 'sent', 'missed', 'failed', 'cancelled')",
            name="ck_deliveries_status",
        ),
    )
    op.create_index("ix_deliveries_status_due_at", "deliveries", ["status", "due_at"])

    op.create_table(
        "dm_channels",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_dm_channels"),
    )

    op.create_table(
        "schedule_snapshots",
        sa.Column("id", Serial, autoincrement=True, nullable=False),
        sa.Column("loaded_at", Instant, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(128), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_snapshots"),
    )

    op.create_table(
        "change_notices",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("change_key", sa.String(255), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message_ts", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("user_id", "change_key", name="pk_change_notices"),
        sa.CheckConstraint("status IN ('claimed', 'sent')", name="ck_change_notices_status"),
    )


def downgrade() -> None:
    """Drop every table of the store."""
    op.drop_table("change_notices")
    op.drop_table("schedule_snapshots")
    op.drop_table("dm_channels")
    op.drop_index("ix_deliveries_status_due_at", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_follows_track", table_name="follows")
    op.drop_table("follows")
    op.drop_index("ix_bookmarks_session_id", table_name="bookmarks")
    op.drop_table("bookmarks")
