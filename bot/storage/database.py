"""Transactions over one engine, shared by the store and its repositories."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Final

from sqlalchemy import Connection, Engine
from sqlalchemy.dialects import postgresql, sqlite

#: Execution option that makes a SQLite transaction start with BEGIN IMMEDIATE.
WRITE_OPTION: Final = "summit_bot_write"


class Database:
    """Short transactions on `engine`: `write()` takes SQLite's write lock up front."""

    def __init__(self, engine: Engine, *, serialize: bool = False) -> None:
        """Wrap `engine`; `serialize` makes users take turns (one in-memory connection)."""
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self._lock: AbstractContextManager[object] = (
            threading.RLock() if serialize else nullcontext()
        )

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

    def insert(self, table: Any) -> postgresql.Insert | sqlite.Insert:
        """The dialect's INSERT, which knows ON CONFLICT."""
        if self.postgres:
            return postgresql.insert(table)
        return sqlite.insert(table)
