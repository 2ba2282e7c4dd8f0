"""One outbox for every message the bot sends on its own, and the workspace's send budget.

Reminder deliveries become outbox rows of kind "reminder" (a claim in flight comes back
pending and uncertain, so it is read back before it is sent again); change notices
already told become rows of kind "notice" (sent, or failed when their outcome was never
recorded: they are not sent again). The old `deliveries` and `change_notices` tables go.

Revision ID: 0002_outbox
Revises: 0001_initial
Create Date: 2013-11-02 00:00:00+00:00

"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0002_outbox"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Instant = sa.DateTime(timezone=True)
Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# A reminder is given up when it could not go out before its session had run this long.
GIVE_UP_AFTER_START = timedelta(minutes=5)
# Rows moved per INSERT.
BATCH = 1000


def _aware(value: datetime | str | None) -> datetime | None:
    """An instant read back from either backend, as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _stored(value: datetime | None, sqlite: bool) -> datetime | None:
    """An instant as the store writes it: naive UTC on SQLite, aware elsewhere."""
    if value is None:
        return None
    return value.replace(tzinfo=None) if sqlite else value


def upgrade() -> None:
    """Create the outbox and the budget, move the old rows over, drop the old tables."""
    outbox = op.create_table(
        "outbox",
        sa.Column("id", Serial, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(255), nullable=True),
        sa.Column("starts_at", Instant, nullable=True),
        sa.Column("not_before", Instant, nullable=False),
        sa.Column("due_at", Instant, nullable=False),
        sa.Column("give_up_at", Instant, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("uncertain", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("claimed_by", sa.String(255), nullable=True),
        sa.Column("lease_until", Instant, nullable=True),
        sa.Column("slot_at", Instant, nullable=True),
        sa.Column("retry_at", Instant, nullable=True),
        sa.Column("sent_at", Instant, nullable=True),
        sa.Column("channel_id", sa.String(64), nullable=True),
        sa.Column("message_ts", sa.String(64), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("updated_at", Instant, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
        sa.CheckConstraint(
            "status IN ('pending', 'claimed', 'sent', 'missed', 'failed', 'cancelled')",
            name="ck_outbox_status",
        ),
        sa.CheckConstraint("kind IN ('reminder', 'notice', 'board')", name="ck_outbox_kind"),
    )
    op.create_index("ix_outbox_status_not_before", "outbox", ["status", "not_before"])
    op.create_index("ix_outbox_recipient_session", "outbox", ["recipient", "session_id"])
    op.create_index("ix_outbox_session_id", "outbox", ["session_id"])
    op.create_table(
        "outbox_budget",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("next_slot_at", Instant, nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("held_until", Instant, nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_outbox_budget"),
    )
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    rows = _reminders(bind, sqlite) + _notices(bind, sqlite)
    for start in range(0, len(rows), BATCH):
        op.bulk_insert(outbox, rows[start : start + BATCH])

    op.drop_table("change_notices")
    op.drop_index("ix_deliveries_status_due_at", table_name="deliveries")
    op.drop_table("deliveries")


def _reminders(bind: sa.Connection, sqlite: bool) -> list[dict[str, object]]:
    """The old deliveries as outbox rows."""
    found = bind.execute(
        sa.text(
            "SELECT user_id, session_id, start_at, due_at, status, attempts, sent_at, "
            "channel_id, message_ts, error, created_at, updated_at FROM deliveries"
        )
    ).mappings()
    rows: list[dict[str, object]] = []
    for old in found:
        start, due = _aware(old["start_at"]), _aware(old["due_at"])
        assert start is not None and due is not None
        status = old["status"]
        rows.append(
            {
                "kind": "reminder",
                "key": f"reminder:{old['user_id']}:{old['session_id']}:{start:%Y%m%dT%H%M%SZ}",
                "recipient": old["user_id"],
                "session_id": old["session_id"],
                "starts_at": _stored(start, sqlite),
                "not_before": _stored(due, sqlite),
                "due_at": _stored(due, sqlite),
                "give_up_at": _stored(start + GIVE_UP_AFTER_START, sqlite),
                "status": "pending" if status == "claimed" else status,
                "attempts": old["attempts"] or 0,
                "uncertain": status == "claimed",
                "sent_at": _stored(_aware(old["sent_at"]), sqlite),
                "channel_id": old["channel_id"],
                "message_ts": old["message_ts"],
                "error": old["error"],
                "created_at": _stored(_aware(old["created_at"]), sqlite),
                "updated_at": _stored(_aware(old["updated_at"]), sqlite),
            }
        )
    return rows


def _notices(bind: sa.Connection, sqlite: bool) -> list[dict[str, object]]:
    """The old change notice claims as outbox rows that are never sent again."""
    found = bind.execute(
        sa.text("SELECT user_id, change_key, created_at, status, message_ts FROM change_notices")
    ).mappings()
    rows: list[dict[str, object]] = []
    for old in found:
        at = _stored(_aware(old["created_at"]), sqlite)
        sent = old["status"] == "sent"
        rows.append(
            {
                "kind": "notice",
                "key": f"notice:{old['user_id']}:{old['change_key']}",
                "recipient": old["user_id"],
                "session_id": None,
                "starts_at": None,
                "sent_at": at if sent else None,
                "channel_id": None,
                "not_before": at,
                "due_at": at,
                "give_up_at": at,
                "status": "sent" if sent else "failed",
                "attempts": 1,
                "uncertain": False,
                "message_ts": old["message_ts"],
                "error": None if sent else "its outcome was never recorded (before the outbox)",
                "created_at": at,
                "updated_at": at,
            }
        )
    return rows


def downgrade() -> None:
    """Back to separate deliveries and change notices (reminders keep their state)."""
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
        "change_notices",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("change_key", sa.String(255), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message_ts", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("user_id", "change_key", name="pk_change_notices"),
        sa.CheckConstraint("status IN ('claimed', 'sent')", name="ck_change_notices_status"),
    )
    op.execute(
        "INSERT INTO deliveries (user_id, session_id, start_at, due_at, status, attempts, "
        "sent_at, channel_id, message_ts, error, created_at, updated_at) "
        "SELECT recipient, session_id, starts_at, due_at, "
        "CASE WHEN status = 'claimed' THEN 'pending' ELSE status END, attempts, sent_at, "
        "channel_id, message_ts, error, created_at, updated_at "
        "FROM outbox WHERE kind = 'reminder'"
    )
    op.drop_table("outbox_budget")
    op.drop_index("ix_outbox_session_id", table_name="outbox")
    op.drop_index("ix_outbox_recipient_session", table_name="outbox")
    op.drop_index("ix_outbox_status_not_before", table_name="outbox")
    op.drop_table("outbox")
