"""The outbox: every message the bot sends on its own, one row each, and the send budget.

Reminders, change notices (and the channel board) are rows of one table, each with a
unique key, a recipient and a send window: not before `not_before`, ideally by `due_at`,
given up after `give_up_at`. One sender claims rows, sends them and records the outcome.

The workspace's send budget is one row (`outbox_budget`): the instant of the next free
send slot. A claim takes a batch of slots in the same transaction that claims the rows,
so every process sharing the database draws from one budget; other Slack calls take
slots with `grant`. Claims take turns (the budget row is locked), which also keeps one
message per recipient in flight.

Instants are the engine clock's (UTC); the store never reads the wall clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Connection,
    Text,
    and_,
    bindparam,
    false,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from bot.storage.columns import OUTBOX_COLUMNS, outbox_item_from
from bot.storage.database import Database, binary_execute, driver_rows, scoped_clauses
from bot.storage.records import (
    DISMISSED,
    Claim,
    NewItem,
    OutboxItem,
    OutboxKind,
    OutboxStatus,
    Retime,
    WindowRow,
    reminder_key,
)
from bot.storage.tables import BudgetRow, OutboxRow, UTCDateTime, utc

__all__ = [
    "BUDGET",
    "DISMISSED",
    "NewItem",
    "OutboxItem",
    "OutboxKind",
    "OutboxRepository",
    "OutboxStatus",
    "Retime",
    "WindowRow",
    "message_digest",
    "reminder_key",
    "sqlite_instant",
]

#: The name of the workspace's budget row.
BUDGET: Final = "slack"
#: How many rows one statement (or one `IN` list) handles: short transactions.
BATCH: Final = 1000
#: How many rows one set-based write (one statement, one transaction) carries.
SET_BATCH: Final = 5000

# The columns of a new row, with their PostgreSQL array types for `unnest`.
_NEW_COLUMNS: Final = (
    ("kind", "text"),
    ("key", "text"),
    ("recipient", "text"),
    ("session_id", "text"),
    ("starts_at", "timestamptz"),
    ("not_before", "timestamptz"),
    ("due_at", "timestamptz"),
    ("give_up_at", "timestamptz"),
    ("status", "text"),
    ("attempts", "integer"),
    ("uncertain", "boolean"),
    ("message_digest", "text"),
    ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
)

_NEW_INSTANTS: Final = tuple(kind == "timestamptz" for _, kind in _NEW_COLUMNS)
_DIGEST: Final = [name for name, _ in _NEW_COLUMNS].index("message_digest")

# PostgreSQL: queue a batch as one statement over parallel arrays (a small fixed text
# that psycopg parses once, whatever the batch size).
# SQLite: the same, one prepared statement that sqlite3 runs for every row in C.
_SQLITE_ENQUEUE: Final = (
    f"INSERT INTO outbox ({', '.join(name for name, _ in _NEW_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _NEW_COLUMNS)}) ON CONFLICT (key) DO NOTHING"
)
_SQLITE_KEEP_MESSAGES: Final = (
    "INSERT INTO outbox_messages (digest, body, created_at) VALUES (?, ?, ?) "
    "ON CONFLICT (digest) DO NOTHING"
)
_PG_KEEP_MESSAGES: Final = text(
    "INSERT INTO outbox_messages (digest, body, created_at) "
    "SELECT d, b, :at FROM unnest(CAST(:digests AS text[]), CAST(:bodies AS text[])) AS m(d, b) "
    "ON CONFLICT (digest) DO NOTHING"
)
_SQLITE_SET_WINDOW: Final = "UPDATE outbox SET not_before = ? WHERE id = ? AND status = 'pending'"


def message_digest(body: str) -> str:
    """The name a message body is kept under: its SHA-256, in hex."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def read_instant(value: Any) -> Any:
    """An instant as a driver returns it (SQLite text, a PostgreSQL datetime), as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def memo(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`convert` remembering its answers, for one bulk read or write.

    Its rows share few instants (a burst's due instant, a session's start): each is then
    converted once.
    """
    seen: dict[Any, Any] = {}

    def converted(value: Any) -> Any:
        found = seen.get(value, seen)
        if found is seen:
            found = seen[value] = convert(value)
        return found

    return converted


def sqlite_instant(value: datetime | None) -> str | None:
    """An instant as the store keeps it in SQLite: naive UTC text, always with microseconds.

    The very text SQLAlchemy's SQLite DATETIME writes (tested), made in C by `isoformat`;
    bulk writes bind it directly instead of converting every value in Python.
    """
    if value is None:
        return None
    return utc(value).replace(tzinfo=None).isoformat(" ", timespec="microseconds")


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)


def epoch_micros(value: datetime | None) -> int | None:
    """An instant as whole microseconds since 1970 UTC, as PostgreSQL's bulk writes send it.

    psycopg dumps an array of datetimes about four times slower than one of integers (a
    timestamptz array of 5,000 takes ~12 ms); the statement turns them back into instants
    (`_pg_rows`), exactly: integers travel unrounded.
    """
    if value is None:
        return None
    return (utc(value) - _EPOCH) // _MICROSECOND


def _pg_rows(columns: Sequence[tuple[str, str]]) -> str:
    """PostgreSQL: the rows of parallel arrays `:name` (`columns`: name, type) as `v(names)`.

    Instants (`timestamptz`) come as `epoch_micros` integers and are made instants again.
    """
    arrays = ", ".join(
        f"CAST(:{name} AS {'bigint' if kind == 'timestamptz' else kind}[])"
        for name, kind in columns
    )
    values = ", ".join(
        f"TIMESTAMPTZ 'epoch' + u.{name} * INTERVAL '1 microsecond' AS {name}"
        if kind == "timestamptz"
        else f"u.{name}"
        for name, kind in columns
    )
    names = ", ".join(name for name, _ in columns)
    return f"(SELECT {values} FROM unnest({arrays}) AS u({names})) AS v"


def pg_arrays(
    columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
) -> dict[str, list[Any]]:
    """`rows` as the parallel arrays `_pg_rows(columns)` reads (instants as `epoch_micros`)."""
    micros = memo(epoch_micros)
    arrays: dict[str, list[Any]] = {}
    for n, (name, kind) in enumerate(columns):
        if kind == "timestamptz":
            arrays[name] = [micros(r[n]) for r in rows]
        else:
            arrays[name] = [r[n] for r in rows]
    return arrays


# The columns every new row has alike, sent once per statement rather than as arrays.
_NEW_ALIKE: Final = ("status", "attempts", "uncertain", "created_at", "updated_at")
_NEW_ARRAYS: Final = tuple((name, kind) for name, kind in _NEW_COLUMNS if name not in _NEW_ALIKE)
_PG_ENQUEUE: Final = text(
    f"INSERT INTO outbox ({', '.join(name for name, _ in _NEW_COLUMNS)}) SELECT "
    + ", ".join(
        f"CAST(:{name} AS {kind})" if name in _NEW_ALIKE else f"v.{name}"
        for name, kind in _NEW_COLUMNS
    )
    + f" FROM {_pg_rows(_NEW_ARRAYS)} ON CONFLICT (key) DO NOTHING"
)


def _pg_update_from(assignments: str, where: str, columns: Sequence[tuple[str, str]]) -> Any:
    """PostgreSQL: UPDATE outbox from parallel arrays (`columns`: name, type), joined on id."""
    return text(
        f"UPDATE outbox AS o SET {assignments} FROM {_pg_rows(columns)} "
        f"WHERE o.id = v.id AND {where}"
    )


_RETIME_COLUMNS: Final = (
    ("id", "bigint"),
    ("not_before", "timestamptz"),
    ("due_at", "timestamptz"),
    ("give_up_at", "timestamptz"),
)
_RETIME_SET: Final = (
    "not_before = v.not_before, due_at = v.due_at, give_up_at = v.give_up_at, updated_at = :at"
)
_PG_RETIME: Final = _pg_update_from(_RETIME_SET, "o.status = 'pending'", _RETIME_COLUMNS)
_PG_REVIVE: Final = _pg_update_from(
    _RETIME_SET + ", status = 'pending', attempts = 0, uncertain = false, claimed_by = NULL, "
    "lease_until = NULL, slot_at = NULL, retry_at = NULL, sent_at = NULL, channel_id = NULL, "
    "message_ts = NULL, error = NULL",
    "o.status = 'cancelled'",
    _RETIME_COLUMNS,
)
# A pending reminder never tried moves to a new start's key, unless a row holds that key.
# It takes a new id, as a row queued now would: windows order the rows due together by id.
_SQLITE_REKEY: Final = (
    "UPDATE outbox SET id = (SELECT max(id) FROM outbox) + 1, key = ?, starts_at = ?, "
    "not_before = ?, due_at = ?, give_up_at = ?, updated_at = ? "
    "WHERE id = ? AND status = 'pending' AND attempts = 0 AND NOT uncertain "
    "AND NOT EXISTS (SELECT 1 FROM outbox AS taken WHERE taken.key = ?)"
)
_REKEY_COLUMNS: Final = (
    ("id", "bigint"),
    ("key", "text"),
    ("starts_at", "timestamptz"),
    ("not_before", "timestamptz"),
    ("due_at", "timestamptz"),
    ("give_up_at", "timestamptz"),
)
_PG_REKEY: Final = text(
    "UPDATE outbox AS o SET id = nextval(pg_get_serial_sequence('outbox', 'id')), "
    "key = v.key, starts_at = v.starts_at, not_before = v.not_before, "
    "due_at = v.due_at, give_up_at = v.give_up_at, updated_at = :at "
    f"FROM {_pg_rows(_REKEY_COLUMNS)} "
    "WHERE o.id = v.id AND o.status = 'pending' AND o.attempts = 0 AND NOT o.uncertain "
    "AND NOT EXISTS (SELECT 1 FROM outbox AS taken WHERE taken.key = v.key) RETURNING v.id"
)
_WINDOW_COLUMNS: Final = (("id", "bigint"), ("not_before", "timestamptz"))
_PG_SET_WINDOWS: Final = _pg_update_from(
    "not_before = v.not_before", "o.status = 'pending'", _WINDOW_COLUMNS
)


def _join_by_id(conn: Connection) -> None:
    """PostgreSQL: join a batch of rows to the outbox by its primary key, in this transaction.

    Without this the planner hashes the whole outbox for every batch of a few thousand
    rows (a scan of every row, spilling to disk) where a primary-key lookup per row is
    several times faster.
    """
    conn.exec_driver_sql("SET LOCAL enable_hashjoin = off")
    conn.exec_driver_sql("SET LOCAL enable_mergejoin = off")


def _by_id(change: Retime) -> int:
    """Sort key: the row's id."""
    return change.id


def _batches(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _claimable(at: datetime, horizon: timedelta = timedelta(0)) -> ColumnElement[bool]:
    """Rows a sender may take at `at`.

    Pending rows whose window opens by `at + horizon`, and claims whose lease ran out by
    `at` itself (never early: their holder may still send).
    """
    row = OutboxRow
    soon = at + horizon
    return or_(
        and_(
            row.status == OutboxStatus.PENDING.value,
            row.not_before <= soon,
            or_(row.retry_at.is_(None), row.retry_at <= soon),
        ),
        and_(row.status == OutboxStatus.CLAIMED.value, row.lease_until <= at),
    )


# Every column of an outbox item, as hand-written SQL (the message as in OUTBOX_COLUMNS).
_RAW_COLUMNS: Final = ", ".join(
    "CASE WHEN message_digest IS NULL THEN payload ELSE (SELECT body FROM outbox_messages "
    "WHERE outbox_messages.digest = outbox.message_digest) END"
    if f.name == "payload"
    else f.name
    for f in fields(OutboxItem)
)
_RAW_INSTANTS: Final = tuple("datetime" in str(f.type) for f in fields(OutboxItem))
_RAW_READERS: Final = tuple(
    {"kind": OutboxKind, "status": OutboxStatus, "uncertain": bool}.get(f.name)
    for f in fields(OutboxItem)
)


def _raw_items(rows: Iterable[Sequence[Any]]) -> Iterator[OutboxItem]:
    """Outbox items from a driver's rows of `_RAW_COLUMNS` (instants converted once each)."""
    read = memo(read_instant)
    readers = [
        read if instant else reader
        for instant, reader in zip(_RAW_INSTANTS, _RAW_READERS, strict=True)
    ]
    for values in rows:
        yield OutboxItem(
            *(
                v if reader is None or v is None else reader(v)
                for reader, v in zip(readers, values, strict=True)
            )
        )


class OutboxRepository:
    """The outbox table and the budget row; every method is one short transaction."""

    def __init__(self, db: Database) -> None:
        """Work in `db`."""
        self._db = db

    # -- queueing -------------------------------------------------------------------------

    def enqueue(self, items: Iterable[NewItem], at: datetime) -> int:
        """Queue rows whose key is new (a key already queued is told once); returns how many.

        Each distinct message body is kept once (`outbox_messages`), in the transaction of
        the first batch that sends it; rows name it by digest.
        """
        at = utc(at, "at")
        bodies: dict[str, str] = {}  # body → digest, each hashed once
        aware = memo(utc)
        rows = [self._new_values(item, at, bodies, aware) for item in items]
        kept: set[str] = set()
        added = 0
        for batch in _batches(rows, SET_BATCH):
            with self._db.write() as conn:
                self._keep_messages(conn, batch, bodies, kept, at)
                if self._db.postgres:
                    # One statement per batch: the rows as parallel arrays.
                    result = binary_execute(conn, _PG_ENQUEUE, self._pg_new_rows(batch))
                else:
                    result = conn.exec_driver_sql(_SQLITE_ENQUEUE, self._sqlite_rows(batch))
                added += max(result.rowcount, 0)
        return added

    @staticmethod
    def _pg_new_rows(batch: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
        """New rows as `_PG_ENQUEUE`'s parameters: arrays, and the values all rows share."""
        names = [name for name, _ in _NEW_COLUMNS]
        picked = [names.index(name) for name, _ in _NEW_ARRAYS]
        params: dict[str, Any] = pg_arrays(_NEW_ARRAYS, [[r[n] for n in picked] for r in batch])
        first = batch[0]
        params.update((name, first[names.index(name)]) for name in _NEW_ALIKE)
        return params

    @staticmethod
    def _sqlite_rows(batch: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """New rows as SQLite parameter tuples (instants as the store's text)."""
        text_of = memo(sqlite_instant)
        return [
            tuple(text_of(v) if instant else v for v, instant in zip(r, _NEW_INSTANTS, strict=True))
            for r in batch
        ]

    def _keep_messages(
        self,
        conn: Connection,
        batch: Sequence[tuple[Any, ...]],
        bodies: dict[str, str],
        kept: set[str],
        at: datetime,
    ) -> None:
        """Store the bodies `batch` names that are not kept yet (`kept`: digests done)."""
        wanted = {r[_DIGEST] for r in batch if r[_DIGEST] is not None} - kept
        if not wanted:
            return
        found = [(digest, body) for body, digest in bodies.items() if digest in wanted]
        kept.update(wanted)
        if self._db.postgres:
            binary_execute(
                conn,
                _PG_KEEP_MESSAGES,
                {"digests": [d for d, _ in found], "bodies": [b for _, b in found], "at": at},
            )
            return
        stamp = sqlite_instant(at)
        conn.exec_driver_sql(_SQLITE_KEEP_MESSAGES, [(d, b, stamp) for d, b in found])

    @staticmethod
    def _new_values(
        item: NewItem, at: datetime, bodies: dict[str, str], aware: Callable[[Any], Any]
    ) -> tuple[Any, ...]:
        """A new row's values in `_NEW_COLUMNS` order (instants aware UTC)."""
        digest = None
        if item.payload is not None:
            digest = bodies.get(item.payload)
            if digest is None:
                digest = bodies[item.payload] = message_digest(item.payload)
        return (
            item.kind.value,
            item.key,
            item.recipient,
            item.session_id,
            None if item.starts_at is None else aware(item.starts_at),
            aware(item.not_before),
            aware(item.due_at),
            aware(item.give_up_at),
            OutboxStatus.PENDING.value,
            0,
            False,
            digest,
            at,
            at,
        )

    def retime(self, changes: Sequence[Retime], at: datetime) -> int:
        """Give pending rows (and revived cancelled ones) a new window; returns rows changed."""
        at = utc(at, "at")
        row = OutboxRow
        moved = (
            update(row)
            .where(row.id == bindparam("b_id"), row.status == OutboxStatus.PENDING.value)
            .values(
                not_before=bindparam("b_not_before"),
                due_at=bindparam("b_due_at"),
                give_up_at=bindparam("b_give_up_at"),
                updated_at=bindparam("b_at"),
            )
        )
        revived = (
            update(row)
            .where(row.id == bindparam("b_id"), row.status == OutboxStatus.CANCELLED.value)
            .values(
                status=OutboxStatus.PENDING.value,
                not_before=bindparam("b_not_before"),
                due_at=bindparam("b_due_at"),
                give_up_at=bindparam("b_give_up_at"),
                attempts=0,
                uncertain=False,
                claimed_by=None,
                lease_until=None,
                slot_at=None,
                retry_at=None,
                sent_at=None,
                channel_id=None,
                message_ts=None,
                error=None,
                updated_at=bindparam("b_at"),
            )
        )
        changed = self._rekey([c for c in changes if c.key is not None], at)
        for revive, stmt, pg_stmt in ((False, moved, _PG_RETIME), (True, revived, _PG_REVIVE)):
            rows = [
                (c.id, utc(c.not_before), utc(c.due_at), utc(c.give_up_at))
                for c in sorted(changes, key=_by_id)
                if c.revive is revive and c.key is None
            ]
            if self._db.postgres:
                changed += self._pg_many(pg_stmt, _RETIME_COLUMNS, rows, {"at": at})
                continue
            params = [
                {"b_id": i, "b_not_before": nb, "b_due_at": due, "b_give_up_at": up, "b_at": at}
                for i, nb, due, up in rows
            ]
            changed += self._many(stmt, params)
        return changed

    def _rekey(self, changes: Sequence[Retime], at: datetime) -> int:
        """Move pending, never-tried rows to a new key and window (`Retime.key`), in batches.

        One UPDATE per batch. A moved row takes a new id, in the order of `changes` after
        every row there is, as a row queued now would (window planning orders rows due
        together by id, and counts on it). A row that did not move (it was taken, tried or
        cancelled meanwhile, or a row holds the new key) is dealt with as before keys could
        move: a row with the new key is queued, copied from it, and the row is cancelled if
        still pending.
        """
        moved: set[int] = set()
        for batch in _batches(changes, SET_BATCH):
            try:
                with self._db.write() as conn:
                    moved.update(self._rekey_batch(conn, batch, at))
            except IntegrityError:
                continue  # a row took one of the keys meanwhile: the batch goes the old way
        left = [c for c in changes if c.id not in moved]
        for change in left:
            self._queue_copy(change, at)
        self.cancel([c.id for c in left], at)
        return len(moved) + len(left)

    def _rekey_batch(self, conn: Connection, batch: Sequence[Retime], at: datetime) -> set[int]:
        """Move the rows of `batch` that may move, in `conn`; returns the ids moved."""
        if self._db.postgres:
            arrays = pg_arrays(
                _REKEY_COLUMNS,
                [(c.id, c.key, c.starts_at, c.not_before, c.due_at, c.give_up_at) for c in batch],
            )
            _join_by_id(conn)
            cursor = binary_execute(conn, _PG_REKEY, {**arrays, "at": at})
            return {i for (i,) in cursor.fetchall()}
        stamp = sqlite_instant(at)
        text_of = memo(sqlite_instant)
        conn.exec_driver_sql(
            _SQLITE_REKEY,
            [
                (
                    c.key,
                    text_of(c.starts_at),
                    text_of(c.not_before),
                    text_of(c.due_at),
                    text_of(c.give_up_at),
                    stamp,
                    c.id,
                    c.key,
                )
                for c in batch
            ],
        )
        # A row that moved left its id behind (new ids are above every id there was).
        moved = {c.id for c in batch}
        for ids in _batches(sorted(moved)):
            marks = ", ".join("?" for _ in ids)
            stayed = conn.exec_driver_sql(
                f"SELECT id FROM outbox WHERE id IN ({marks})", tuple(ids)
            )
            moved.difference_update(i for (i,) in stayed)
        return moved

    def _queue_copy(self, change: Retime, at: datetime) -> None:
        """Queue a row with `change`'s key and window, copied from the row it names."""
        row = OutboxRow
        instant = UTCDateTime()
        copy = (
            self._db.insert(row)
            .from_select(
                [
                    "kind",
                    "key",
                    "recipient",
                    "session_id",
                    "starts_at",
                    "not_before",
                    "due_at",
                    "give_up_at",
                    "status",
                    "attempts",
                    "uncertain",
                    "created_at",
                    "updated_at",
                ],
                select(
                    row.kind,
                    literal(change.key, Text()),
                    row.recipient,
                    row.session_id,
                    literal(change.starts_at, instant),
                    literal(change.not_before, instant),
                    literal(change.due_at, instant),
                    literal(change.give_up_at, instant),
                    literal(OutboxStatus.PENDING.value, Text()),
                    literal(0),
                    false(),
                    literal(at, instant),
                    literal(at, instant),
                ).where(row.id == change.id),
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        with self._db.write() as conn:
            conn.execute(copy)

    def _pg_many(
        self,
        stmt: Any,
        columns: Sequence[tuple[str, str]],
        rows: Sequence[tuple[Any, ...]],
        extra: dict[str, Any] | None = None,
    ) -> int:
        """PostgreSQL: run `stmt` over `rows` as parallel arrays, one statement per batch."""
        count = 0
        for batch in _batches(rows, SET_BATCH):
            arrays = pg_arrays(columns, batch)
            with self._db.write() as conn:
                _join_by_id(conn)
                cursor = binary_execute(conn, stmt, {**arrays, **(extra or {})})
                count += max(cursor.rowcount, 0)
        return count

    def cancel(self, ids: Iterable[int], at: datetime, error: str | None = None) -> int:
        """Cancel the pending rows among `ids`; returns how many."""
        at = utc(at, "at")
        row = OutboxRow
        values: dict[str, Any] = {"status": OutboxStatus.CANCELLED.value, "updated_at": at}
        if error is not None:
            values["error"] = error
        count = 0
        for batch in _batches(sorted(set(ids))):  # one statement per batch of ids
            stmt = (
                update(row)
                .where(row.id.in_(batch), row.status == OutboxStatus.PENDING.value)
                .values(**values)
            )
            with self._db.write() as conn:
                count += max(conn.execute(stmt).rowcount, 0)
        return count

    def _many(self, stmt: Any, params: list[dict[str, Any]], size: int = SET_BATCH) -> int:
        """Run `stmt` once per parameter set (executemany), a batch per transaction."""
        count = 0
        for batch in _batches(params, size):
            with self._db.write() as conn:
                result = conn.execute(stmt, list(batch))
                count += max(result.rowcount, 0)
        return count

    # -- send windows ---------------------------------------------------------------------

    def window_rows_in(self, ranges: Sequence[tuple[datetime, datetime]]) -> list[WindowRow]:
        """Pending rows due within any of `ranges` (both ends included), in one read.

        Tens of thousands of rows around a reload's due instants: read as the driver
        returns them (no per-value conversion layer) and made aware UTC here.
        """
        found: list[WindowRow] = []
        read = memo(read_instant)
        with self._db.read() as conn:
            for batch in _batches(ranges, 100):
                where = " OR ".join(f"due_at BETWEEN {self._mark} AND {self._mark}" for _ in batch)
                sql = (
                    "SELECT id, due_at, starts_at, not_before FROM outbox "
                    f"WHERE status = 'pending' AND ({where})"
                )
                bounds = tuple(self._bind(t) for pair in batch for t in pair)
                found.extend(
                    WindowRow(i, read(due), read(starts), read(nb))
                    for i, due, starts, nb in driver_rows(conn, sql, bounds)
                )
        return found

    @property
    def _mark(self) -> str:
        """The driver's parameter marker."""
        return "%s" if self._db.postgres else "?"

    def _bind(self, value: datetime) -> Any:
        """An instant as the driver takes it in a hand-written statement."""
        return utc(value) if self._db.postgres else sqlite_instant(value)

    def set_windows(self, opens: Iterable[tuple[int, datetime]]) -> int:
        """Set `not_before` of pending rows (id, instant); returns rows changed."""
        aware = memo(lambda nb: utc(nb, "not_before"))
        rows = sorted((i, aware(nb)) for i, nb in opens)
        if self._db.postgres:
            return self._pg_many(_PG_SET_WINDOWS, _WINDOW_COLUMNS, rows)
        count = 0
        for batch in _batches(rows, SET_BATCH):
            text_of = memo(sqlite_instant)
            params = [(text_of(nb), i) for i, nb in batch]
            with self._db.write() as conn:
                count += max(conn.exec_driver_sql(_SQLITE_SET_WINDOW, params).rowcount, 0)
        return count

    # -- sending --------------------------------------------------------------------------

    def claim(
        self,
        at: datetime,
        *,
        worker_id: str,
        limit: int,
        lease: timedelta,
        interval: timedelta,
        per_channel: timedelta,
        horizon: timedelta = timedelta(0),
        earliest: datetime | None = None,
    ) -> list[Claim]:
        """Take up to `limit` rows and a send slot for each, from the workspace's budget.

        No slot is before `earliest` (default `at`): time for the sender to get to it.

        Rows whose window opens by `at + horizon` may be taken; each slot is at or after
        its row's window opens, slots are `interval` apart across every process, and a
        recipient with a message in flight or sent less than `per_channel` ago is left
        for later. A row taken over from an expired lease is marked uncertain (its first
        send may have arrived). Rows past giving up are recorded missed first.
        """
        at = utc(at, "at")
        if limit <= 0:
            return []
        row = OutboxRow
        with self._db.write() as conn:
            # Expiry first: the slots are granted after it, from as late an instant as possible.
            self._expire(conn, at)
            cursor = self._lock_budget(conn, max(at, utc(earliest or at, "earliest")))
            candidates = [
                outbox_item_from(r)
                for r in conn.execute(
                    select(*OUTBOX_COLUMNS)
                    .where(_claimable(at, horizon))
                    .order_by(row.due_at, row.not_before, row.id)
                    .limit(limit * 4)
                ).mappings()
            ]
            busy = self._busy(conn, {c.recipient for c in candidates}, at, per_channel)
            picked: list[OutboxItem] = []
            for item in candidates:
                if len(picked) >= limit:
                    break
                if item.recipient in busy or not self._ready(item, at, horizon):
                    continue
                busy.add(item.recipient)
                picked.append(item)
            picked.sort(key=lambda i: (max(i.not_before, at), i.due_at, i.id))
            claims: list[Claim] = []
            for item in picked:
                slot = max(cursor, item.not_before, item.retry_at or cursor)
                cursor = slot + interval
                taken = (
                    conn.execute(
                        update(row)
                        .where(row.id == item.id, _claimable(at, horizon))
                        .values(
                            status=OutboxStatus.CLAIMED.value,
                            claimed_by=worker_id,
                            attempts=row.attempts + 1,
                            lease_until=slot + lease,
                            slot_at=slot,
                            uncertain=item.uncertain or item.status is OutboxStatus.CLAIMED,
                            updated_at=at,
                        )
                        .returning(*OUTBOX_COLUMNS)
                    )
                    .mappings()
                    .first()
                )
                if taken is not None:
                    claims.append(Claim(outbox_item_from(taken), slot))
            if claims:
                self._set_cursor(conn, cursor)
        return claims

    @staticmethod
    def _ready(item: OutboxItem, at: datetime, horizon: timedelta) -> bool:
        """A retry waits for its retry time (within the horizon)."""
        return item.retry_at is None or item.retry_at <= at + horizon

    @staticmethod
    def _busy(
        conn: Connection, recipients: set[str], at: datetime, per_channel: timedelta
    ) -> set[str]:
        """Recipients with a message in flight or sent less than `per_channel` ago."""
        row = OutboxRow
        busy: set[str] = set()
        wanted = sorted(recipients)
        for batch in _batches(wanted):
            stmt = select(row.recipient).where(
                row.recipient.in_(batch),
                or_(
                    and_(row.status == OutboxStatus.CLAIMED.value, row.lease_until > at),
                    and_(row.status == OutboxStatus.SENT.value, row.sent_at > at - per_channel),
                ),
            )
            busy.update(conn.scalars(stmt))
        return busy

    def _lock_budget(self, conn: Connection, at: datetime) -> datetime:
        """Lock the budget row (creating it) and return the first free slot at or after `at`."""
        budget = BudgetRow
        conn.execute(
            self._db.insert(budget)
            .values(name=BUDGET, next_slot_at=at, failures=0)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        stmt = select(budget.next_slot_at).where(budget.name == BUDGET)
        if self._db.postgres:
            stmt = stmt.with_for_update()
        next_slot = conn.scalar(stmt)
        return at if next_slot is None else max(next_slot, at)

    @staticmethod
    def _set_cursor(conn: Connection, cursor: datetime) -> None:
        conn.execute(update(BudgetRow).where(BudgetRow.name == BUDGET).values(next_slot_at=cursor))

    def grant(self, at: datetime, count: int, interval: timedelta) -> list[datetime]:
        """Take `count` send slots from the budget for calls other than a claimed send."""
        at = utc(at, "at")
        with self._db.write() as conn:
            cursor = self._lock_budget(conn, at)
            slots = [cursor + interval * i for i in range(count)]
            self._set_cursor(conn, cursor + interval * count)
        return slots

    def report_failure(
        self, at: datetime, *, retry_after: float | None, base: float, cap: float
    ) -> datetime:
        """Hold every sender back after a failed call; returns when sending may go on.

        With `retry_after` (a 429) everybody waits that long. Otherwise (an outage) the
        hold doubles with each failure after the previous hold ended, from `base` up to
        `cap` seconds; failures of calls made before or during a hold do not lengthen it.
        """
        at = utc(at, "at")
        budget = BudgetRow
        with self._db.write() as conn:
            cursor = self._lock_budget(conn, at)
            found = conn.execute(
                select(budget.failures, budget.held_until).where(budget.name == BUDGET)
            ).one()
            failures, held = int(found.failures or 0), found.held_until
            if retry_after is not None:
                until = at + timedelta(seconds=retry_after)
            elif held is not None and at < held:
                until = held  # the same outage: already held back
            else:
                until = at + timedelta(seconds=min(base * 2**failures, cap))
                failures += 1
            until = max(until, held or until)
            conn.execute(
                update(budget)
                .where(budget.name == BUDGET)
                .values(next_slot_at=max(cursor, until), failures=failures, held_until=until)
            )
        return until

    def report_success(self) -> None:
        """A call went through: the outage back-off starts over."""
        budget = BudgetRow
        with self._db.write() as conn:
            conn.execute(
                update(budget).where(budget.name == BUDGET, budget.failures > 0).values(failures=0)
            )

    def budget_failures(self) -> int:
        """How many calls in a row failed (0 when the last one went through)."""
        with self._db.read() as conn:
            found = conn.scalar(select(BudgetRow.failures).where(BudgetRow.name == BUDGET))
        return int(found or 0)

    def _expire(self, conn: Connection, at: datetime) -> dict[str, int]:
        """Record missed every row that could not go out before giving up; counts by kind."""
        row = OutboxRow
        # Every row's window opens before it is given up (`not_before < give_up_at`), so
        # only pending rows already open can be late: that bound lets the claim's index on
        # (status, not_before) find them instead of reading the whole outbox on every claim.
        late = or_(
            and_(row.status == OutboxStatus.PENDING.value, row.not_before <= at),
            and_(row.status == OutboxStatus.CLAIMED.value, row.lease_until <= at),
        )
        stmt = (
            update(row)
            .where(late, row.give_up_at <= at)
            .values(
                status=OutboxStatus.MISSED.value,
                error="it could not go out in time",
                lease_until=None,
                updated_at=at,
            )
            .returning(row.kind)
        )
        counts: dict[str, int] = {}
        for kind in conn.scalars(stmt):
            counts[kind] = counts.get(kind, 0) + 1
        return counts

    def expire(self, at: datetime, kind: OutboxKind | None = None) -> int:
        """Record missed the rows past giving up at `at`; returns how many (of `kind`, if given)."""
        with self._db.write() as conn:
            counts = self._expire(conn, utc(at, "at"))
        return counts.get(kind.value, 0) if kind is not None else sum(counts.values())

    def mark_sent(self, item_id: int, channel_id: str, message_ts: str, at: datetime) -> bool:
        """Record a row sent as message `message_ts` (found by read-back, or just posted).

        The message exists, so the row is sent whoever holds it now; False when it was
        already recorded (or cancelled meanwhile).
        """
        row = OutboxRow
        stmt = (
            update(row)
            .where(
                row.id == item_id,
                row.status.in_([OutboxStatus.PENDING.value, OutboxStatus.CLAIMED.value]),
            )
            .values(
                status=OutboxStatus.SENT.value,
                sent_at=utc(at, "at"),
                channel_id=channel_id,
                message_ts=message_ts,
                lease_until=None,
                uncertain=False,
                error=None,
                updated_at=at,
            )
        )
        with self._db.write() as conn:
            return conn.execute(stmt).rowcount == 1

    def mark_sent_many(self, sent: Sequence[tuple[int, str, str]], at: datetime) -> int:
        """Record many rows sent at once, each (id, channel, ts); returns how many were recorded."""
        at = utc(at, "at")
        row = OutboxRow
        stmt = (
            update(row)
            .where(
                row.id == bindparam("b_id"),
                # No IN list: an expanding parameter cannot go with executemany.
                or_(
                    row.status == OutboxStatus.PENDING.value,
                    row.status == OutboxStatus.CLAIMED.value,
                ),
            )
            .values(
                status=OutboxStatus.SENT.value,
                sent_at=at,
                channel_id=bindparam("b_channel"),
                message_ts=bindparam("b_ts"),
                lease_until=None,
                uncertain=False,
                error=None,
                updated_at=at,
            )
        )
        params = [{"b_id": i, "b_channel": c, "b_ts": ts} for i, c, ts in sorted(sent)]
        return self._many(stmt, params)

    def release(
        self,
        item_id: int,
        worker_id: str,
        *,
        retry_at: datetime,
        error: str | None,
        uncertain: bool,
        at: datetime,
    ) -> bool:
        """Hand a claimed row back to be tried at `retry_at`; `uncertain`: it may have arrived."""
        return self._finish(
            item_id,
            worker_id,
            {
                "status": OutboxStatus.PENDING.value,
                "retry_at": utc(retry_at, "retry_at"),
                "claimed_by": None,
                "lease_until": None,
                "uncertain": uncertain,
                "error": error,
                "updated_at": utc(at, "at"),
            },
        )

    def give_up(
        self, item_id: int, worker_id: str, status: OutboxStatus, reason: str, at: datetime
    ) -> bool:
        """Record a claimed row missed (too late) or failed (can never be sent)."""
        if status not in (OutboxStatus.MISSED, OutboxStatus.FAILED):
            raise ValueError(f"not an ending: {status}")
        return self._finish(
            item_id,
            worker_id,
            {
                "status": status.value,
                "lease_until": None,
                "error": reason,
                "updated_at": utc(at, "at"),
            },
        )

    def _finish(self, item_id: int, worker_id: str, values: dict[str, Any]) -> bool:
        row = OutboxRow
        stmt = (
            update(row)
            .where(
                row.id == item_id,
                row.status == OutboxStatus.CLAIMED.value,
                row.claimed_by == worker_id,
            )
            .values(**values)
        )
        with self._db.write() as conn:
            return conn.execute(stmt).rowcount == 1

    def next_wake(self, ahead: timedelta = timedelta(0)) -> datetime | None:
        """The earliest instant a claim could take something: a window, a retry, a lease end.

        Windows and retries count `ahead` early (a claim with that much horizon takes them
        then); a lease's end never does (its holder may still send).
        """
        row = OutboxRow
        pending = row.status == OutboxStatus.PENDING.value
        queries = (
            select(func.min(row.not_before)).where(pending, row.retry_at.is_(None)),
            select(func.min(row.retry_at)).where(pending, row.retry_at.is_not(None)),
            select(func.min(row.lease_until)).where(row.status == OutboxStatus.CLAIMED.value),
        )
        with self._db.read() as conn:
            window, retry, lease = (conn.scalar(query) for query in queries)
        found = [instant - ahead for instant in (window, retry) if instant is not None]
        if lease is not None:
            found.append(lease)
        return min(found, default=None)

    # -- reading --------------------------------------------------------------------------

    def get(self, item_id: int) -> OutboxItem | None:
        """One row by id, or None."""
        with self._db.read() as conn:
            found = conn.execute(select(*OUTBOX_COLUMNS).where(OutboxRow.id == item_id)).mappings()
            values = found.first()
        return None if values is None else outbox_item_from(values)

    def by_key(self, key: str) -> OutboxItem | None:
        """One row by key, or None."""
        with self._db.read() as conn:
            values = (
                conn.execute(select(*OUTBOX_COLUMNS).where(OutboxRow.key == key)).mappings().first()
            )
        return None if values is None else outbox_item_from(values)

    def items(
        self,
        kind: OutboxKind | None = None,
        statuses: Iterable[OutboxStatus] | None = None,
        recipient: str | None = None,
    ) -> list[OutboxItem]:
        """Rows of `kind`, in `statuses`, for `recipient` (each: any when None), in due order."""
        row = OutboxRow
        stmt = select(*OUTBOX_COLUMNS)
        if kind is not None:
            stmt = stmt.where(row.kind == kind.value)
        if statuses is not None:
            stmt = stmt.where(row.status.in_([OutboxStatus(s).value for s in statuses]))
        if recipient is not None:
            stmt = stmt.where(row.recipient == recipient)
        with self._db.read() as conn:
            found = conn.execute(stmt.order_by(row.due_at, row.id)).mappings()
            return [outbox_item_from(values) for values in found]

    def reminders_in(
        self, users: Iterable[str] | None = None, sessions: Iterable[str] | None = None
    ) -> list[OutboxItem]:
        """The reminder rows of `users` for `sessions` (everybody / every session when None).

        A re-plan reads tens of thousands of rows: they are read as the driver returns
        them and made records here (`_raw_item`).
        """
        parts = scoped_clauses(self._mark, ([], []), ("recipient", users), ("session_id", sessions))
        found: list[OutboxItem] = []
        with self._db.read() as conn:
            for clauses, values in parts:
                where = " AND ".join(["kind = 'reminder'", *clauses])
                sql = f"SELECT {_RAW_COLUMNS} FROM outbox WHERE {where}"
                found.extend(_raw_items(driver_rows(conn, sql, tuple(values))))
        return sorted(found, key=lambda i: (i.due_at, i.id))

    def counts(self, kind: OutboxKind | None = None) -> dict[str, int]:
        """How many rows are in each status (every status listed, zeros included)."""
        stmt = select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
        if kind is not None:
            stmt = stmt.where(OutboxRow.kind == kind.value)
        counts = {status.value: 0 for status in OutboxStatus}
        with self._db.read() as conn:
            for status, count in conn.execute(stmt):
                counts[status] = int(count)
        return counts

    def queued_keys(self, keys: Iterable[str]) -> frozenset[str]:
        """The keys among `keys` that already have a row."""
        wanted = sorted(set(keys))
        found: set[str] = set()
        with self._db.read() as conn:
            for batch in _batches(wanted):
                found.update(conn.scalars(select(OutboxRow.key).where(OutboxRow.key.in_(batch))))
        return frozenset(found)

    # -- a person's reminders -------------------------------------------------------------

    def dismiss(self, item_id: int, user_id: str, at: datetime) -> bool:
        """Cancel one pending reminder at its person's request, marked `DISMISSED`."""
        row = OutboxRow
        stmt = (
            update(row)
            .where(
                row.id == item_id,
                row.recipient == user_id,
                row.kind == OutboxKind.REMINDER.value,
                row.status == OutboxStatus.PENDING.value,
            )
            .values(status=OutboxStatus.CANCELLED.value, error=DISMISSED, updated_at=utc(at))
        )
        with self._db.write() as conn:
            return conn.execute(stmt).rowcount == 1

    def rename_session(
        self, conn: Connection, old_id: str, new_id: str, stamp: dict[str, datetime]
    ) -> None:
        """Move reminders from session `old_id` to `new_id` inside the caller's transaction.

        A reminder whose key under the new id is taken stays behind, cancelled if pending;
        `stamp` holds the `updated_at` to set, if any.
        """
        row = OutboxRow
        found = conn.execute(
            select(row.id, row.recipient, row.starts_at, row.status).where(
                row.kind == OutboxKind.REMINDER.value, row.session_id == old_id
            )
        ).all()
        if not found:
            return
        keys = {
            r.id: reminder_key(r.recipient, new_id, r.starts_at)
            for r in found
            if r.starts_at is not None
        }
        taken: set[str] = set()
        for batch in _batches(sorted(keys.values())):
            taken.update(conn.scalars(select(row.key).where(row.key.in_(batch))))
        for r in found:
            key = keys.get(r.id)
            if key is None or key in taken:
                if r.status == OutboxStatus.PENDING.value:
                    conn.execute(
                        update(row)
                        .where(row.id == r.id)
                        .values(status=OutboxStatus.CANCELLED.value, **stamp)
                    )
                continue
            conn.execute(
                update(row).where(row.id == r.id).values(session_id=new_id, key=key, **stamp)
            )
