"""Bookmarks: the sessions each person keeps in their agenda."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, delete, func, literal, select

from bot.storage.database import Database, driver_rows, scoped_clauses
from bot.storage.outbox import sqlite_instant
from bot.storage.tables import BookmarkRow, utc

__all__ = ["Bookmarks"]


class Bookmarks:
    """Who bookmarked which session, and since when."""

    def __init__(self, db: Database) -> None:
        """Work through `db`."""
        self._db = db

    def add(self, pairs: Iterable[tuple[str, str]], at: datetime) -> int:
        """Bookmark (person, session) pairs in one transaction; returns how many are new.

        Pairs already bookmarked are left alone (ON CONFLICT DO NOTHING); the rows go in
        as one executemany, and only the rows really inserted are counted, so of people
        racing to bookmark the same session exactly one is told it is new.
        """
        at = utc(at, "at")
        unique = sorted(set(pairs))
        if any(not isinstance(pair, tuple) for pair in unique):
            raise TypeError("expected (person, session) pairs")
        rows = [{"user_id": u, "session_id": s, "created_at": at} for u, s in unique]
        if not rows:
            return 0
        stmt = (
            self._db.insert(BookmarkRow)
            .on_conflict_do_nothing(index_elements=["user_id", "session_id"])
            .returning(BookmarkRow.user_id)
        )
        with self._db.write() as conn:
            return len(conn.execute(stmt, rows).all())

    def remove(self, user_id: str, session_id: str) -> bool:
        """Drop a bookmark; True when there was one."""
        stmt = delete(BookmarkRow).where(
            BookmarkRow.user_id == user_id, BookmarkRow.session_id == session_id
        )
        with self._db.write() as conn:
            return conn.execute(stmt).rowcount == 1

    def sessions_of(self, user_id: str) -> frozenset[str]:
        """The session ids a person has bookmarked."""
        stmt = select(BookmarkRow.session_id).where(BookmarkRow.user_id == user_id)
        with self._db.read() as conn:
            return frozenset(conn.scalars(stmt))

    def bookmarkers(
        self,
        session_ids: Iterable[str] | None = None,
        *,
        users: Iterable[str] | None = None,
        before: datetime | None = None,
    ) -> dict[str, list[str]]:
        """Session id → the people who bookmarked it (sorted); only sessions with any.

        Only `session_ids` and `users` count when given (None: all of them; an empty
        collection: none). With `before`, only bookmarks made at or before it count.
        """
        marker = "%s" if self._db.postgres else "?"
        where: list[str] = []
        params: list[Any] = []
        if before is not None:
            where.append(f"created_at <= {marker}")
            at = utc(before, "before")
            params.append(at if self._db.postgres else sqlite_instant(at))
        parts = scoped_clauses(
            marker, (where, params), ("session_id", session_ids), ("user_id", users)
        )
        found: dict[str, list[str]] = {}
        with self._db.read() as conn:
            # Chunks are consecutive ranges of sorted ids, so each list stays sorted. Many
            # thousands of rows for a reload: read as the driver returns them.
            for clauses, values in parts:
                sql = (
                    "SELECT session_id, user_id FROM bookmarks "
                    f"WHERE {' AND '.join(['1 = 1', *clauses])} ORDER BY session_id, user_id"
                )
                for session_id, user_id in driver_rows(conn, sql, tuple(values)):
                    found.setdefault(session_id, []).append(user_id)
        return found

    def co_bookmarkers(self, pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
        """Session id b → the people who bookmarked both a and b, over the (a, b) `pairs`.

        For a reload's notices: who of a moved session's audience bookmarked a session it
        now overlaps. On PostgreSQL one read joins the two bookmarks in the database, so
        only the people in both come back instead of every bookmark of every session the
        moved ones overlap; SQLite reads both sides and intersects them here.
        """
        wanted = sorted(set(pairs))
        if not wanted:
            return {}
        found: dict[str, set[str]] = {}
        if not self._db.postgres:
            firsts = self.bookmarkers({a for a, _ in wanted})
            seconds = self.bookmarkers({b for _, b in wanted})
            for a, b in wanted:
                both = set(firsts.get(a, ())).intersection(seconds.get(b, ()))
                if both:
                    found.setdefault(b, set()).update(both)
            return found
        sql = (
            "SELECT y.session_id, y.user_id FROM bookmarks AS x "
            "JOIN bookmarks AS y ON y.user_id = x.user_id "
            "WHERE x.session_id = ANY(%s) AND y.session_id = ANY(%s) "
            "AND (x.session_id, y.session_id) IN "
            "(SELECT a, b FROM unnest(CAST(%s AS text[]), CAST(%s AS text[])) AS p(a, b))"
        )
        from_ids = sorted({a for a, _ in wanted})
        to_ids = sorted({b for _, b in wanted})
        params = (from_ids, to_ids, [a for a, _ in wanted], [b for _, b in wanted])
        with self._db.read() as conn:
            for session_id, user_id in driver_rows(conn, sql, params):
                found.setdefault(session_id, set()).add(user_id)
        return found

    def count(self) -> int:
        """How many bookmarks there are, over everybody."""
        with self._db.read() as conn:
            return int(conn.scalar(select(func.count()).select_from(BookmarkRow)) or 0)

    def rename_in(self, conn: Connection, old_id: str, new_id: str) -> int:
        """In the write transaction `conn`, move bookmarks of `old_id` to `new_id`.

        A person who already bookmarked `new_id` keeps that bookmark. Returns how many
        bookmarks `old_id` had. `Store.rename_session` calls this.
        """
        mark = BookmarkRow
        copy = (
            self._db.insert(mark)
            .from_select(
                ["user_id", "session_id", "created_at"],
                select(mark.user_id, literal(new_id, String(255)), mark.created_at).where(
                    mark.session_id == old_id
                ),
            )
            .on_conflict_do_nothing(index_elements=["user_id", "session_id"])
        )
        conn.execute(copy)
        return conn.execute(delete(mark).where(mark.session_id == old_id)).rowcount
