"""Bulk writes on SQLite bind instants as text: exactly the text SQLAlchemy itself writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from bot.storage.outbox import sqlite_instant
from bot.storage.tables import OutboxRow


@given(
    instant=st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ),
    offset_minutes=st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_sqlite_instant_is_the_text_sqlalchemy_writes(
    instant: datetime, offset_minutes: int
) -> None:
    """Any aware instant, in any offset, becomes the same text as the column type's own binding."""
    dialect = sqlite.dialect()
    column_type = OutboxRow.__table__.c.not_before.type
    bind = column_type.dialect_impl(dialect).bind_processor(dialect)
    assert bind is not None
    local = instant.astimezone(timezone(timedelta(minutes=offset_minutes)))
    assert sqlite_instant(local) == bind(local)
    assert sqlite_instant(None) is None


def test_sqlite_instant_refuses_a_naive_datetime() -> None:
    """A naive datetime is refused, as the column type refuses it."""
    with pytest.raises(ValueError, match="naive"):
        sqlite_instant(datetime(2013, 11, 5, 9, 0))
