"""The store's Core tables: columns as attributes, the table wherever SQLAlchemy wants one."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import create_engine, delete, func, insert, select

from bot.storage.tables import METADATA, BookmarkRow, OutboxRow, PreferenceRow


def test_a_column_reads_as_an_attribute_and_an_unknown_one_fails_loudly() -> None:
    """`BookmarkRow.user_id` is the table's column; a misspelt column is an AttributeError."""
    assert BookmarkRow.user_id is BookmarkRow.__table__.c.user_id
    assert OutboxRow.key.name == "key"  # a column, not Table.key (the table's own name)
    with pytest.raises(AttributeError, match="no column 'user'"):
        _ = BookmarkRow.user
    assert copy.copy(BookmarkRow).user_id is BookmarkRow.user_id  # no recursion while probing


def test_every_table_is_in_the_metadata_with_its_nullability() -> None:
    """The ten tables are registered; NOT NULL follows the columns' meaning (what the migrations create)."""
    assert set(METADATA.tables) == {
        "bookmarks",
        "preferences",
        "follows",
        "dm_channels",
        "schedule_snapshots",
        "outbox",
        "outbox_budget",
        "outbox_messages",
        "calendar_tokens",
        "calendar_sessions",
    }
    assert not PreferenceRow.user_id.nullable
    assert PreferenceRow.timezone.nullable
    assert not OutboxRow.due_at.nullable
    assert OutboxRow.session_id.nullable
    assert OutboxRow.message_digest.nullable


def test_the_wrapper_goes_wherever_a_table_goes() -> None:
    """INSERT, SELECT ... FROM, and DELETE take the wrapper as its table, on a real SQLite."""
    engine = create_engine("sqlite://")
    METADATA.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(PreferenceRow).values(user_id="U1", timezone="Asia/Hong_Kong", lead_minutes=5)
        )
        assert conn.scalar(select(func.count()).select_from(PreferenceRow)) == 1
        assert conn.scalar(select(PreferenceRow.timezone)) == "Asia/Hong_Kong"
        conn.execute(delete(PreferenceRow).where(PreferenceRow.user_id == "U1"))
        assert conn.scalar(select(func.count()).select_from(PreferenceRow)) == 0
    engine.dispose()
