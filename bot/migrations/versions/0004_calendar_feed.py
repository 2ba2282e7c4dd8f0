"""Calendar feeds: each person's hashed feed token and what feeds said about each session.

Revision ID: 0004_calendar_feed
Revises: 0003_outbox_due_index
Create Date: 2026-12-01 03:40:00+00:00

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_calendar_feed"
down_revision: str | None = "0003_outbox_due_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Instant = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the calendar feed tables."""
    op.create_table(
        "calendar_tokens",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_calendar_tokens"),
        sa.UniqueConstraint("token_sha256", name="uq_calendar_tokens_token_sha256"),
    )
    op.create_table(
        "calendar_sessions",
        sa.Column("session_id", sa.String(255), nullable=False),
        sa.Column("uid", sa.String(255), nullable=False),
        sa.Column("sequence", sa.Integer(), server_default="0", nullable=False),
        sa.Column("start_at", Instant, nullable=False),
        sa.Column("end_at", Instant, nullable=False),
        sa.Column("room", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("track", sa.String(255), nullable=False),
        sa.Column("changed_at", Instant, nullable=False),
        sa.Column("removed_at", Instant, nullable=True),
        sa.PrimaryKeyConstraint("session_id", name="pk_calendar_sessions"),
    )
    op.create_index("ix_calendar_sessions_track", "calendar_sessions", ["track"])


def downgrade() -> None:
    """Drop the calendar feed tables."""
    op.drop_index("ix_calendar_sessions_track", table_name="calendar_sessions")
    op.drop_table("calendar_sessions")
    op.drop_table("calendar_tokens")
