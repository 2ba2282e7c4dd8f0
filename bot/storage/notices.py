"""Change-notice claims: who was (or is being) told about which schedule change.

A claim is taken before the DM is sent and only its first taker wins, so several
processes announcing the same change tell each person once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final

from sqlalchemy import delete, select, update

from bot.storage.database import Database, chunks
from bot.storage.tables import ChangeNoticeRow, utc

__all__ = ["Notices"]

_CLAIMED: Final = "claimed"
_SENT: Final = "sent"


class Notices:
    """Claims on telling a person about a change, keyed on (person, change key)."""

    def __init__(self, db: Database) -> None:
        """Work through `db`."""
        self._db = db

    def claim(self, user_id: str, change_key: str, at: datetime) -> bool:
        """Take the job of telling a person about a change; True only for the first taker."""
        stmt = (
            self._db.insert(ChangeNoticeRow)
            .values(
                user_id=user_id, change_key=change_key, created_at=utc(at, "at"), status=_CLAIMED
            )
            .on_conflict_do_nothing(index_elements=["user_id", "change_key"])
            .returning(ChangeNoticeRow.user_id)
        )
        with self._db.write() as conn:
            return conn.execute(stmt).first() is not None

    def mark_sent(self, user_id: str, change_key: str, message_ts: str) -> bool:
        """Record that the notice went out as message `message_ts`."""
        notice = ChangeNoticeRow
        stmt = (
            update(notice)
            .where(notice.user_id == user_id, notice.change_key == change_key)
            .values(status=_SENT, message_ts=message_ts)
        )
        with self._db.write() as conn:
            return conn.execute(stmt).rowcount == 1

    def release(self, user_id: str, change_key: str) -> bool:
        """Give back a claimed notice that could not be sent, so it can be claimed again."""
        notice = ChangeNoticeRow
        stmt = delete(notice).where(
            notice.user_id == user_id, notice.change_key == change_key, notice.status == _CLAIMED
        )
        with self._db.write() as conn:
            return conn.execute(stmt).rowcount == 1

    def claimed(self, change_keys: Iterable[str]) -> frozenset[tuple[str, str]]:
        """(person, key) of every notice already claimed or sent for one of `change_keys`."""
        notice = ChangeNoticeRow
        found: set[tuple[str, str]] = set()
        with self._db.read() as conn:
            for chunk in chunks(change_keys):
                stmt = select(notice.user_id, notice.change_key).where(notice.change_key.in_(chunk))
                found.update((row.user_id, row.change_key) for row in conn.execute(stmt))
        return frozenset(found)
