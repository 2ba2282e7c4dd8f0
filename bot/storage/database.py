"""The engine and the transactions every repository of the store works through.

`make_engine` sets SQLAlchemy up for SQLite (WAL, busy timeout, writers queueing on the
write lock with BEGIN IMMEDIATE) or PostgreSQL (psycopg 3). `Database` hands out read
and write transactions, the dialect's INSERT with ON CONFLICT, and PostgreSQL advisory
locks; the repositories never touch the engine themselves.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Final

from sqlalchemy import Connection, Engine, create_engine, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from bot.storage.tables import Base

__all__ = [
    "IN_CHUNK",
    "SQLITE_BUSY_TIMEOUT_MS",
    "Database",
    "chunks",
    "id_list",
    "make_engine",
    "scoped",
]

#: How long a SQLite connection waits for another writer before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS: Final = 30_000

#: How many ids one `IN (...)` list holds, well under every backend's parameter limit.
IN_CHUNK: Final = 500

# Pause between attempts to switch a SQLite file to WAL, in milliseconds.
_WAL_RETRY_MS: Final = 20
# Execution option that makes a SQLite transaction start with BEGIN IMMEDIATE.
_WRITE_OPTION: Final = "summit_bot_write"


def _enable_wal(cursor: Any) -> None:
    """Switch a SQLite file to write-ahead logging (it stays so once switched).

    The switch needs the file to itself and SQLite reports "locked" at once, without
    waiting, while another connection holds it; so it is retried for a while.
    """
    attempts = SQLITE_BUSY_TIMEOUT_MS // _WAL_RETRY_MS
    for attempt in range(attempts):
        try:
            cursor.execute("PRAGMA journal_mode")
            if str(cursor.fetchone()[0]).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.fetchone()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(_WAL_RETRY_MS / 1000)


def make_engine(url: str) -> tuple[Engine, bool]:
    """An engine for `url` set up for the store, and whether it is an in-memory SQLite."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True), False
    if backend != "sqlite":
        raise ValueError(f"unsupported database (use sqlite or postgresql): {parsed!r}")

    memory = parsed.database in (None, "", ":memory:")
    if memory:
        engine = create_engine(
            parsed, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        engine = create_engine(
            parsed,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from the sqlite3 module: the "begin" hook below
        # emits BEGIN itself, so reads are repeatable and writers queue on the lock.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            if not memory:
                _enable_wal(cursor)
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer takes the write lock up front; upgrading a read lock later can fail
        # at once with "database is locked" instead of waiting for busy_timeout.
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine, memory


def _lock_key(*parts: str) -> int:
    """A stable signed 64-bit key for a PostgreSQL advisory lock."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def id_list(ids: Iterable[str]) -> list[str]:
    """`ids` sorted and deduplicated; one bare string is refused, not read as characters."""
    if isinstance(ids, str):
        raise TypeError(f"expected a collection of ids, got the string {ids!r}")
    return sorted(set(ids))


def chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    """`ids` sorted and deduplicated, in lists of at most `IN_CHUNK`."""
    wanted = id_list(ids)
    for start in range(0, len(wanted), IN_CHUNK):
        yield wanted[start : start + IN_CHUNK]


def scoped(
    stmt: Any,
    first: Any,
    first_ids: Iterable[str] | None,
    second: Any,
    second_ids: Iterable[str] | None,
) -> Iterator[Any]:
    """`stmt` restricted to `first IN first_ids` and `second IN second_ids`, in chunks.

    None means no restriction; an empty collection selects nothing. The larger list is
    split so that no statement carries more than `IN_CHUNK` ids for it.
    """
    lists = [
        (column, id_list(ids))
        for column, ids in ((first, first_ids), (second, second_ids))
        if ids is not None
    ]
    if any(not ids for _, ids in lists):
        return
    lists.sort(key=lambda item: len(item[1]))
    if not lists:
        yield stmt
        return
    *small, (column, ids) = lists
    for other, other_ids in small:
        stmt = stmt.where(other.in_(other_ids))
    for chunk in chunks(ids):
        yield stmt.where(column.in_(chunk))


class Database:
    """Transactions on one engine; safe to share between threads and processes."""

    def __init__(self, engine: Engine, *, serialize: bool = False) -> None:
        """Work on `engine`; `serialize` makes threads take turns (an in-memory SQLite)."""
        self.engine = engine
        # An in-memory SQLite has one shared connection, so its users take turns.
        self._lock: AbstractContextManager[object] = (
            threading.RLock() if serialize else nullcontext()
        )
        self.postgres: Final = engine.dialect.name == "postgresql"

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that will write (BEGIN IMMEDIATE on SQLite); commits on success."""
        with self._lock, self.engine.connect() as conn:
            conn.execution_options(**{_WRITE_OPTION: True})
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction with one consistent view of the database."""
        with self._lock, self.engine.connect() as conn, conn.begin():
            yield conn

    def insert(self, table: type[Base]) -> postgresql.Insert | sqlite.Insert:
        """The dialect's INSERT, which knows ON CONFLICT."""
        if self.postgres:
            return postgresql.insert(table)
        return sqlite.insert(table)

    def take_turns(self, conn: Connection, *parts: str) -> None:
        """On PostgreSQL, wait for a transaction-long advisory lock named by `parts`.

        Writers of the same `parts` then run one after the other. SQLite needs nothing:
        every write transaction already holds its one write lock (BEGIN IMMEDIATE).
        """
        if self.postgres:
            conn.execute(select(func.pg_advisory_xact_lock(_lock_key(*parts))))
