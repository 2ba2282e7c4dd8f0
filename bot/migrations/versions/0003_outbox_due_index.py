"""The outbox's pending rows by due instant: send windows are re-planned around due instants.

Revision ID: 0003_outbox_due_index
Revises: 0002_outbox
Create Date: 2026-12-01 04:40:00+00:00

"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003_outbox_due_index"
down_revision: str | None = "0002_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Index (status, due_at), so the rows around a few due instants are found without a scan."""
    op.create_index("ix_outbox_status_due_at", "outbox", ["status", "due_at"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_outbox_status_due_at", table_name="outbox")
