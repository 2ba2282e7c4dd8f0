"""Follows: the tracks each person follows, to hear about all their sessions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select

from bot.storage.database import Database, chunks
from bot.storage.tables import FollowRow, utc

__all__ = ["Follows"]


class Follows:
    """Who follows which track, and since when."""

    def __init__(self, db: Database) -> None:
        """Work through `db`."""
        self._db = db

    def follow(self, user_id: str, track: str, at: datetime) -> bool:
        """Follow a track; True when the person did not follow it before."""
        stmt = (
            self._db.insert(FollowRow)
            .values(user_id=user_id, track=track, created_at=utc(at, "at"))
            .on_conflict_do_nothing(index_elements=["user_id", "track"])
            .returning(FollowRow.user_id)
        )
        with self._db.write() as conn:
            return conn.execute(stmt).first() is not None

    def unfollow(self, user_id: str, track: str) -> bool:
        """Stop following a track; True when the person followed it."""
        stmt = delete(FollowRow).where(FollowRow.user_id == user_id, FollowRow.track == track)
        with self._db.write() as conn:
            return conn.execute(stmt).rowcount == 1

    def tracks_of(self, user_id: str) -> frozenset[str]:
        """The tracks a person follows."""
        stmt = select(FollowRow.track).where(FollowRow.user_id == user_id)
        with self._db.read() as conn:
            return frozenset(conn.scalars(stmt))

    def followers(
        self, tracks: Iterable[str], *, before: datetime | None = None
    ) -> dict[str, list[str]]:
        """Track → the people who follow it (sorted); only tracks with any.

        With `before`, only follows made at or before that instant count.
        """
        row = FollowRow
        stmt = select(row.track, row.user_id).order_by(row.track, row.user_id)
        if before is not None:
            stmt = stmt.where(row.created_at <= utc(before, "before"))
        found: dict[str, list[str]] = {}
        with self._db.read() as conn:
            for chunk in chunks(tracks):
                for track, user_id in conn.execute(stmt.where(row.track.in_(chunk))):
                    found.setdefault(track, []).append(user_id)
        return found
