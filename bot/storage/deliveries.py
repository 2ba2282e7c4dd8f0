"""Reminder deliveries: one row per (person, session, start instant), claimed with a lease.

The database decides what is due and what was sent: a worker claims due rows for a
while (`claim_due`), sends them, and finishes each only while it still holds the claim.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, and_, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from bot.storage.database import Database, scoped
from bot.storage.records import (
    DELIVERY_COLUMNS,
    DISMISSED,
    Delivery,
    DeliveryStatus,
    delivery_from,
)
from bot.storage.tables import DeliveryRow, utc

__all__ = ["Deliveries"]

_PENDING: Final = DeliveryStatus.PENDING.value
_CLAIMED: Final = DeliveryStatus.CLAIMED.value
_CANCELLED: Final = DeliveryStatus.CANCELLED.value
_GIVEN_UP: Final = (DeliveryStatus.MISSED, DeliveryStatus.FAILED)


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Rows a worker may take at `now`: due pending rows and claims whose lease ran out."""
    row = DeliveryRow
    return or_(
        and_(
            row.status == _PENDING,
            row.due_at <= now,
            or_(row.next_attempt_at.is_(None), row.next_attempt_at <= now),
        ),
        and_(row.status == _CLAIMED, row.lease_until <= now),
    )


def _in_due_order(deliveries: Iterable[Delivery]) -> list[Delivery]:
    """`deliveries` sorted by due time, then id."""
    return sorted(deliveries, key=lambda d: (d.due_at, d.id))


class Deliveries:
    """The planned reminders and where each stands."""

    def __init__(self, db: Database) -> None:
        """Work through `db`."""
        self._db = db

    # -- planning ---------------------------------------------------------------------

    def plan(
        self, user_id: str, session_id: str, start_at: datetime, due_at: datetime, at: datetime
    ) -> None:
        """Plan a reminder for (person, session, start instant), due at `due_at`.

        A pending or claimed reminder with that key is re-timed, a cancelled one planned
        afresh, and a sent, missed or failed one left alone. Pending reminders of the
        same person and session for any other start instant are cancelled: it moved.
        """
        start_at = utc(start_at, "start_at")
        due_at = utc(due_at, "due_at")
        at = utc(at, "at")
        row = DeliveryRow
        key = and_(row.user_id == user_id, row.session_id == session_id, row.start_at == start_at)
        revive = (
            update(row)
            .where(key, row.status == _CANCELLED)
            .values(
                status=_PENDING,
                due_at=due_at,
                attempts=0,
                claimed_by=None,
                lease_until=None,
                next_attempt_at=None,
                sent_at=None,
                channel_id=None,
                message_ts=None,
                error=None,
                updated_at=at,
            )
        )
        stmt = self._db.insert(row).values(
            user_id=user_id,
            session_id=session_id,
            start_at=start_at,
            due_at=due_at,
            status=_PENDING,
            attempts=0,
            created_at=at,
            updated_at=at,
        )
        upsert = stmt.on_conflict_do_update(
            index_elements=["user_id", "session_id", "start_at"],
            set_={"due_at": stmt.excluded.due_at, "updated_at": stmt.excluded.updated_at},
            where=row.status.in_([_PENDING, _CLAIMED]),
        )
        moved = (
            update(row)
            .where(
                row.user_id == user_id,
                row.session_id == session_id,
                row.start_at != start_at,
                row.status == _PENDING,
            )
            .values(status=_CANCELLED, updated_at=at)
        )
        with self._db.write() as conn:
            # One planner at a time per (person, session) on PostgreSQL: the upsert and
            # the cancellation lock rows in different orders otherwise.
            self._db.take_turns(conn, "plan", user_id, session_id)
            conn.execute(revive)
            conn.execute(upsert)
            conn.execute(moved)

    def cancel(
        self,
        delivery_id: int,
        user_id: str,
        *,
        at: datetime | None = None,
        dismissed: bool = False,
    ) -> bool:
        """Cancel one pending reminder, only if it belongs to `user_id`.

        `dismissed` marks it cancelled at its person's request (`DISMISSED`): planning
        leaves it cancelled (the person keeps the bookmark) until they bookmark the
        session again. `at`, when given, stamps its `updated_at`.
        """
        row = DeliveryRow
        values: dict[str, Any] = {"status": _CANCELLED}
        if dismissed:
            values["error"] = DISMISSED
        if at is not None:
            values["updated_at"] = utc(at, "at")
        stmt = (
            update(row)
            .where(row.id == delivery_id, row.user_id == user_id, row.status == _PENDING)
            .values(**values)
        )
        with self._db.write() as conn:
            return conn.execute(stmt).rowcount == 1

    def rename_in(
        self, conn: Connection, old_id: str, new_id: str, *, at: datetime | None = None
    ) -> None:
        """In the write transaction `conn`, move reminders of session `old_id` to `new_id`.

        A delivery whose key (person, `new_id`, start) is already taken stays behind, and
        is cancelled if it was still pending. `at`, when given, stamps the moved ones'
        `updated_at`. `Store.rename_session` calls this.
        """
        stamp = {} if at is None else {"updated_at": utc(at, "at")}
        row = DeliveryRow
        taken = aliased(DeliveryRow)
        clash = (
            exists()
            .where(
                taken.user_id == row.user_id,
                taken.session_id == new_id,
                taken.start_at == row.start_at,
            )
            .correlate(row)
        )
        conn.execute(
            update(row)
            .where(row.session_id == old_id, row.status == _PENDING, clash)
            .values(status=_CANCELLED, **stamp)
        )
        conn.execute(
            update(row).where(row.session_id == old_id, ~clash).values(session_id=new_id, **stamp)
        )

    # -- sending ----------------------------------------------------------------------

    def claim_due(
        self, now: datetime, *, worker_id: str, limit: int, lease_seconds: float
    ) -> list[Delivery]:
        """Take up to `limit` reminders that are due at `now` for `worker_id`.

        Due pending rows (past any retry time) and claimed rows whose lease expired are
        claimed for `lease_seconds`, their attempts counted. Every row goes to exactly
        one worker: PostgreSQL skips rows another transaction holds (FOR UPDATE SKIP
        LOCKED); SQLite claims under its write lock (BEGIN IMMEDIATE). The result is in
        due order.
        """
        now = utc(now, "now")
        if limit <= 0:
            return []
        if lease_seconds <= 0:
            raise ValueError(f"lease_seconds must be positive: {lease_seconds}")
        row = DeliveryRow
        pick = select(row.id).where(_claimable(now)).order_by(row.due_at, row.id).limit(limit)
        if self._db.postgres:
            pick = pick.with_for_update(skip_locked=True)
        with self._db.write() as conn:
            ids = list(conn.scalars(pick))
            if not ids:
                return []
            # The condition is checked again, so a row is only ever taken while claimable.
            claimed = conn.execute(
                update(row)
                .where(row.id.in_(ids), _claimable(now))
                .values(
                    status=_CLAIMED,
                    claimed_by=worker_id,
                    lease_until=now + timedelta(seconds=lease_seconds),
                    attempts=row.attempts + 1,
                    updated_at=now,
                )
                .returning(*DELIVERY_COLUMNS)
            )
            taken = [delivery_from(r) for r in claimed]
        return _in_due_order(taken)

    def _finish(self, delivery_id: int, worker_id: str, values: Mapping[str, Any]) -> bool:
        """Update a reminder only while `worker_id` still holds its claim."""
        row = DeliveryRow
        stmt = (
            update(row)
            .where(row.id == delivery_id, row.status == _CLAIMED, row.claimed_by == worker_id)
            .values(**values)
        )
        with self._db.write() as conn:
            return conn.execute(stmt).rowcount == 1

    def mark_sent(
        self, delivery_id: int, worker_id: str, channel_id: str, message_ts: str, at: datetime
    ) -> bool:
        """Record a sent reminder; False when `worker_id` no longer holds the claim."""
        at = utc(at, "at")
        return self._finish(
            delivery_id,
            worker_id,
            {
                "status": DeliveryStatus.SENT.value,
                "sent_at": at,
                "channel_id": channel_id,
                "message_ts": message_ts,
                "lease_until": None,
                "error": None,
                "updated_at": at,
            },
        )

    def give_up(
        self,
        delivery_id: int,
        worker_id: str,
        at: datetime,
        reason: str,
        *,
        status: DeliveryStatus,
    ) -> bool:
        """Give up on a claimed reminder, `reason` saying why; False without the claim.

        `status` is MISSED for a reminder too late to be useful, FAILED for one that met
        a permanent error.
        """
        if status not in _GIVEN_UP:
            raise ValueError(f"a reminder is given up as missed or failed, not {status}")
        values = {
            "status": status.value,
            "lease_until": None,
            "error": reason,
            "updated_at": utc(at, "at"),
        }
        return self._finish(delivery_id, worker_id, values)

    def release(
        self,
        delivery_id: int,
        worker_id: str,
        retry_at: datetime,
        error: str | None,
        *,
        at: datetime | None = None,
    ) -> bool:
        """Hand a claimed reminder back after a transient error, to be retried at `retry_at`."""
        values: dict[str, Any] = {
            "status": _PENDING,
            "next_attempt_at": utc(retry_at, "retry_at"),
            "claimed_by": None,
            "lease_until": None,
            "error": error,
        }
        if at is not None:
            values["updated_at"] = utc(at, "at")
        return self._finish(delivery_id, worker_id, values)

    def next_due_at(self) -> datetime | None:
        """The earliest instant at which `claim_due` could return something, if any.

        That is a pending row's due time (or its retry time, when later) or the end of a
        claim's lease, whichever comes first; it may already be in the past.
        """
        row = DeliveryRow
        pending = row.status == _PENDING
        waiting_retry = and_(row.next_attempt_at.is_not(None), row.next_attempt_at > row.due_at)
        queries = (
            select(func.min(row.due_at)).where(pending, ~waiting_retry),
            select(func.min(row.next_attempt_at)).where(pending, waiting_retry),
            select(func.min(row.lease_until)).where(row.status == _CLAIMED),
        )
        with self._db.read() as conn:
            found = [conn.scalar(query) for query in queries]
        instants = [instant for instant in found if instant is not None]
        return min(instants, default=None)

    # -- reading ----------------------------------------------------------------------

    def get(self, delivery_id: int) -> Delivery | None:
        """One reminder by id, or None."""
        stmt = select(*DELIVERY_COLUMNS).where(DeliveryRow.id == delivery_id)
        with self._db.read() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else delivery_from(row)

    def find(
        self,
        users: Iterable[str] | None = None,
        sessions: Iterable[str] | None = None,
        statuses: Iterable[str] | None = None,
    ) -> list[Delivery]:
        """The reminders of `users` for `sessions` in due order, only those in `statuses`.

        None means everybody, every session, every status; an empty collection of
        people or sessions selects nothing. An unknown status is a ValueError.
        """
        row = DeliveryRow
        stmt = select(*DELIVERY_COLUMNS)
        if statuses is not None:
            stmt = stmt.where(row.status.in_([DeliveryStatus(s).value for s in statuses]))
        found: dict[int, Delivery] = {}
        with self._db.read() as conn:
            for part in scoped(stmt, row.user_id, users, row.session_id, sessions):
                found.update((r.id, delivery_from(r)) for r in conn.execute(part))
        return _in_due_order(found.values())

    def counts(self) -> dict[str, int]:
        """How many reminders are in each status (every status listed, zeros included)."""
        stmt = select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
        counts = {status.value: 0 for status in DeliveryStatus}
        with self._db.read() as conn:
            for status, count in conn.execute(stmt):
                counts[status] = int(count)
        return counts
