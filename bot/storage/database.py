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
from typing import TYPE_CHECKING, Any, Final, cast

from sqlalchemy import Connection, Engine, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from bot.storage.sqlite_reads import SQLITE_BUSY_TIMEOUT_MS
from bot.storage.tables import Columns

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.sql.compiler import SQLCompiler
    from sqlalchemy.sql.elements import ClauseElement

__all__ = [
    "IN_CHUNK",
    "POSTGRES_CONNECT_TIMEOUT_SECONDS",
    "SQLITE_BUSY_TIMEOUT_MS",
    "WRITE_OPTION",
    "CompiledRead",
    "Database",
    "binary_execute",
    "chunks",
    "driver_rows",
    "id_list",
    "make_engine",
    "scoped_clauses",
]

#: How long opening a PostgreSQL connection may take before it counts as failed, in seconds.
POSTGRES_CONNECT_TIMEOUT_SECONDS: Final = 5

#: How many ids one `IN (...)` list holds, well under every backend's parameter limit.
IN_CHUNK: Final = 500

# Pause between attempts to switch a SQLite file to WAL, in milliseconds.
_WAL_RETRY_MS: Final = 20
#: Execution option of a write transaction (on SQLite it starts with BEGIN IMMEDIATE).
WRITE_OPTION: Final = "summit_bot_write"


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
        # An unreachable server fails a connection within seconds instead of the minutes
        # TCP would take, so answers made without the database come out in time.
        connect_args = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS}
        return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args), False
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
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
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


Clauses = tuple[list[str], list[Any]]
"""WHERE clauses of a hand-written statement (joined with AND) and their parameters."""


def scoped_clauses(
    marker: str,
    base: Clauses,
    first: tuple[str, Iterable[str] | None],
    second: tuple[str, Iterable[str] | None],
) -> list[Clauses]:
    """`base` restricted to `column IN ids` for `first` and `second`, in chunks.

    Each is (column, ids): None ids means no restriction; an empty collection selects
    nothing (no statement at all). The larger list is split so that no statement carries
    more than `IN_CHUNK` ids for it, in consecutive ranges of the sorted ids. `marker` is
    the driver's parameter marker.
    """
    lists = [(column, id_list(ids)) for column, ids in (first, second) if ids is not None]
    if any(not ids for _, ids in lists):
        return []
    where, params = base
    if not lists:
        return [(list(where), list(params))]
    lists.sort(key=lambda item: len(item[1]))
    *small, (column, ids) = lists
    for other, other_ids in small:
        where = [*where, f"{other} IN ({', '.join(marker for _ in other_ids)})"]
        params = [*params, *other_ids]
    return [
        ([*where, f"{column} IN ({', '.join(marker for _ in chunk)})"], [*params, *chunk])
        for chunk in chunks(ids)
    ]


def driver_rows(conn: Connection, sql: str, params: Any = ()) -> Iterator[Any]:
    """The rows of a hand-written SELECT in `conn`'s transaction, as the driver returns them.

    For reads of tens of thousands of rows: SQLAlchemy's per-row layer (a Row object and
    a type conversion per value) costs more than the query; the caller converts what it
    needs, row by row as the driver's cursor hands them out (each row can go as soon as
    it was used). The statement runs through `conn`, so its errors are SQLAlchemy's.
    """
    result = conn.exec_driver_sql(sql, params)
    try:
        cursor: Any = result.cursor  # the DBAPI cursor (sqlite3, psycopg): iterable
        if cursor is not None:
            yield from cursor
    finally:
        result.close()


def binary_execute(conn: Connection, statement: Any, params: dict[str, Any]) -> Any:
    """PostgreSQL: run a `text()` statement in `conn`'s transaction, parameters in binary.

    Returns the psycopg cursor. For the set-based writes, whose parameters are arrays of thousands of values: in
    text form psycopg escapes every string of an array in Python (a regular expression
    each); in binary form nothing needs escaping. Errors are raised as SQLAlchemy's.
    """
    dialect = conn.dialect
    sql = str(statement.compile(dialect=dialect))
    cursor: Any = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params, binary=True)
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(sql, params, exc, dialect.loaded_dbapi.Error) from exc
    return cursor


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
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction with one consistent view of the database."""
        with self._lock, self.engine.connect() as conn, conn.begin():
            yield conn

    def insert(self, table: Columns) -> postgresql.Insert | sqlite.Insert:
        """The dialect's INSERT, which knows ON CONFLICT."""
        # Each dialect's module is loaded on first use: a SQLite process never loads PostgreSQL's.
        if self.postgres:
            from sqlalchemy.dialects.postgresql import insert as postgresql_insert

            return postgresql_insert(table)
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)

    def compiled_read(self, statement: ClauseElement) -> CompiledRead:
        """`statement` compiled once, to run with `CompiledRead.rows` (the hot reads)."""
        compiled = statement.compile(dialect=self.engine.dialect)
        return CompiledRead(self, cast("SQLCompiler", compiled))

    def take_turns(self, conn: Connection, *parts: str) -> None:
        """On PostgreSQL, wait for a transaction-long advisory lock named by `parts`.

        Writers of the same `parts` then run one after the other. SQLite needs nothing:
        every write transaction already holds its one write lock (BEGIN IMMEDIATE).
        """
        if self.postgres:
            conn.execute(select(func.pg_advisory_xact_lock(_lock_key(*parts))))


class CompiledRead:
    """One SELECT compiled once for the engine's dialect and run on a pooled DBAPI cursor.

    For the read behind every answer (`Store.viewer`): SQLAlchemy's per-execution work
    (transaction events, statement cache key, result objects) costs several times the
    query itself, and a single SELECT needs none of it: it is atomic on its own. The
    connection still comes from the engine's pool (with its pre-ping) and goes back to
    it; DBAPI errors are raised as SQLAlchemy's, like those of every other read.
    """

    def __init__(self, db: Database, compiled: SQLCompiler) -> None:
        """Run `compiled` on `db`."""
        self._db = db
        self._compiled = compiled
        self._sql = str(compiled)
        self._positions = compiled.positiontup

    def rows(self, **params: Any) -> list[Any]:
        """The rows of the statement with `params` bound."""
        values = self._compiled.construct_params(params)
        args: Any = tuple(values[name] for name in self._positions) if self._positions else values
        engine = self._db.engine
        dialect = engine.dialect
        with self._db._lock:
            try:
                conn = engine.raw_connection()
            except dialect.loaded_dbapi.Error as exc:
                raise DBAPIError.instance(
                    self._sql, args, exc, dialect.loaded_dbapi.Error, dialect=dialect
                ) from exc
            try:
                cursor = conn.cursor()
                try:
                    cursor.execute(self._sql, args)
                    return list(cursor.fetchall())
                finally:
                    cursor.close()
            except dialect.loaded_dbapi.Error as exc:
                if dialect.is_disconnect(exc, conn, None):
                    conn.invalidate(exc)
                raise DBAPIError.instance(
                    self._sql, args, exc, dialect.loaded_dbapi.Error, dialect=dialect
                ) from exc
            finally:
                conn.close()
