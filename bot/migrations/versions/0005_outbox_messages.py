"""Message bodies stored once: outbox rows that send the same message share one body.

A reload that moves a session tells thousands of people the same few messages; each
outbox row now names its body by digest (`outbox.message_digest` → `outbox_messages`)
instead of carrying its own copy. Rows queued before keep their inline `payload`.

Revision ID: 0005_outbox_messages
Revises: 0004_calendar_feed
Create Date: 2026-12-01 06:30:00+00:00

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_outbox_messages"
down_revision: str | None = "0004_calendar_feed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Instant = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the message table and the outbox's reference to it."""
    op.create_table(
        "outbox_messages",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.PrimaryKeyConstraint("digest", name="pk_outbox_messages"),
    )
    op.add_column("outbox", sa.Column("message_digest", sa.String(64), nullable=True))


def downgrade() -> None:
    """Put every shared body back inline, then drop the reference and the table."""
    op.execute(
        "UPDATE outbox SET payload = (SELECT body FROM outbox_messages "
        "WHERE outbox_messages.digest = outbox.message_digest) "
        "WHERE message_digest IS NOT NULL"
    )
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("message_digest")
    op.drop_table("outbox_messages")
