"""The read behind every answer: a person's settings and bookmarks in one query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, literal, null, select, union_all
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import CompoundSelect

from bot.storage.database import Database
from bot.storage.records import Viewer, viewer_from
from bot.storage.tables import BookmarkRow, PreferenceRow, UTCDateTime

__all__ = ["Viewers"]


def viewer_query() -> CompoundSelect[Any]:
    """A person's settings row and bookmark rows as one UNION ALL.

    The first column tells the rows apart; the second holds the time zone (settings) or
    the session id (a bookmark).
    """
    pref, mark = PreferenceRow, BookmarkRow
    user_id: BindParameter[str] = bindparam("user_id")
    return union_all(
        select(
            literal(0).label("kind"),
            pref.timezone.label("value"),
            pref.lead_minutes,
            pref.reminders_enabled,
            pref.timezone_checked_at,
        ).where(pref.user_id == user_id),
        select(literal(1), mark.session_id, null(), null(), null()).where(mark.user_id == user_id),
    )


class Viewers:
    """Reads `Viewer`s: one statement, compiled once, per answer."""

    def __init__(self, db: Database) -> None:
        """Compile the query for `db`'s dialect."""
        self._read = db.compiled_read(viewer_query())
        dialect = db.engine.dialect
        self._to_utc = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)

    def read(self, user_id: str) -> Viewer:
        """A person's settings (the defaults when they never set any) and bookmarks."""
        to_utc = self._to_utc
        return viewer_from(
            user_id, self._read.rows(user_id=user_id), to_utc if to_utc else lambda value: value
        )
