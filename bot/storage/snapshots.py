"""Schedule snapshots: the last few schedules that loaded cleanly, for restarts and replicas.

Reading them is the first thing every process does; a one-shot process on SQLite reads
them through `SqliteReads`, so this module loads SQLAlchemy only in the methods that use it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Final

from bot.storage.records import Snapshot, utc

if TYPE_CHECKING:
    from bot.storage.database import Database
    from bot.storage.sqlite_reads import SqliteReads

__all__ = ["Snapshots"]


class Snapshots:
    """The kept schedules, newest last saved first; the latest one is the one in service."""

    #: How many good schedules `save` keeps.
    KEPT: Final = 3

    def __init__(self, db: Callable[[], Database], reads: SqliteReads | None = None) -> None:
        """Write through the database `db` returns; read through `reads` when given."""
        self._db = db
        self._reads = reads

    def save(
        self, source: str, digest: str, content: str, at: datetime, *, previous_digest: str | None
    ) -> Snapshot | None:
        """Save a schedule only while the latest one still has `previous_digest`.

        `previous_digest` None means "there is no snapshot yet". Returns the new snapshot,
        or None when another writer saved a different latest schedule first (nothing is
        written then). Writers take turns: a PostgreSQL advisory lock, SQLite's write lock.
        Only the latest `KEPT` stay.
        """
        from sqlalchemy import delete, select

        from bot.storage.tables import ScheduleSnapshotRow as snap

        loaded_at = utc(at, "at")
        db = self._db()
        with db.write() as conn:
            db.take_turns(conn, "schedule-snapshot")
            latest = conn.scalar(select(snap.digest).order_by(snap.id.desc()).limit(1))
            if latest != previous_digest:
                return None
            new_id = conn.execute(
                db.insert(snap)
                .values(loaded_at=loaded_at, source=source, digest=digest, content=content)
                .returning(snap.id)
            ).scalar_one()
            stale = list(conn.scalars(select(snap.id).order_by(snap.id.desc()).offset(self.KEPT)))
            if stale:
                conn.execute(delete(snap).where(snap.id.in_(stale)))
        return Snapshot(
            id=new_id, loaded_at=loaded_at, source=source, digest=digest, content=content
        )

    def latest(self) -> Snapshot | None:
        """The schedule saved last, or None when there is none."""
        recent = self.recent(1)
        return recent[0] if recent else None

    def latest_digest(self) -> str | None:
        """The digest of the schedule saved last (a cheap check for a newer schedule)."""
        if self._reads is not None:
            return self._reads.latest_digest()
        from sqlalchemy import select

        from bot.storage.tables import ScheduleSnapshotRow as snap

        stmt = select(snap.digest).order_by(snap.id.desc()).limit(1)
        with self._db().read() as conn:
            return conn.scalar(stmt)

    def recent(self, limit: int | None = None) -> list[Snapshot]:
        """The kept schedules, newest first (at most `limit` of them when given)."""
        if self._reads is not None:
            return self._reads.snapshots(limit)
        from sqlalchemy import select

        from bot.storage.columns import SNAPSHOT_COLUMNS, snapshot_from
        from bot.storage.tables import ScheduleSnapshotRow

        stmt = select(*SNAPSHOT_COLUMNS).order_by(ScheduleSnapshotRow.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._db().read() as conn:
            return [snapshot_from(row) for row in conn.execute(stmt)]
