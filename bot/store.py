"""The store: the database is the single truth for the bot's state.

`Store.open(url)` connects to SQLite or PostgreSQL (SQLAlchemy 2.0), brings the schema up
to date with the alembic migrations when it is behind, and hands out one repository per
concern (each in `bot/storage/`):

- `store.people`: preferences (lead time, reminders on or off, time zone) and DM channels;
- `store.bookmarks`: the sessions each person bookmarked;
- `store.follows`: the tracks each person follows;
- `store.snapshots`: the last good schedules;
- `store.outbox`: every message the bot sends on its own (reminders, change notices) and
  the workspace's send budget.
- `store.calendar`: calendar feed tokens (hashed) and each session's UID and SEQUENCE.

Every instant is stored in UTC and comes back timezone-aware UTC, whatever the backend.
The store never reads the wall clock: every method that records a time takes it as `at`.
Callers only ever see the small frozen dataclasses of `bot/storage/records.py`.
"""

from __future__ import annotations

import threading
from datetime import datetime
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Final, Self

from bot.storage.records import (
    DISMISSED,
    OutboxItem,
    OutboxStatus,
    Preferences,
    Snapshot,
    Viewer,
)
from bot.storage.snapshots import Snapshots
from bot.storage.sqlite_reads import SQLITE_BUSY_TIMEOUT_MS, SqliteReads, sqlite_file

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection

    from bot.storage.bookmarks import Bookmarks
    from bot.storage.calendar_feed import CalendarFeeds
    from bot.storage.database import Database
    from bot.storage.follows import Follows
    from bot.storage.outbox import OutboxRepository
    from bot.storage.people import People
    from bot.storage.viewers import Viewers

__all__ = [
    "DISMISSED",
    "MIGRATIONS_DIR",
    "SCHEMA_HEAD",
    "OutboxItem",
    "OutboxStatus",
    "Preferences",
    "Snapshot",
    "Store",
    "Viewer",
    "alembic_config",
]

#: The alembic script folder, found next to this module so any install and any cwd work.
MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
SCHEMA_HEAD: Final = "0005_outbox_messages"

# SQLite: how many rows of each index ANALYZE looks at (SQLite's recommended range).
_ANALYSIS_LIMIT: Final = 1000
"""The newest migration; a database already there opens without loading alembic at all."""

# Key of the PostgreSQL advisory lock held while migrating, so that processes opening
# a fresh database at the same moment migrate it one after the other.
_MIGRATION_LOCK_KEY: Final = 0x5355_4D4D_4954  # "SUMMIT"


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic configuration built in code, pointing at the packaged migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


_REPOSITORIES: Final = (
    "people",
    "bookmarks",
    "follows",
    "snapshots",
    "outbox",
    "calendar",
    "_viewers",
)
"""The repositories a store hands out, made on first use (all at once by a serving process)."""


class Store:
    """The bot's state in one database; safe to share between threads and processes.

    SQLAlchemy's engine is made on first use. A one-shot process on a SQLite file (see
    `Store.open`) may never need it: its schema check, its saved schedules and its
    viewer's read go through `SqliteReads`, and SQLAlchemy is loaded only if it writes.
    """

    def __init__(self, url: str, *, reads: SqliteReads | None = None) -> None:
        """Work on the database at `url`; use `Store.open`, which also migrates it."""
        self._url = url
        self._reads = reads
        self._made = threading.Lock()
        self._database: Database | None = None

    @classmethod
    def open(cls, url: str, *, one_shot: bool = False) -> Store:
        """Connect to `url` and bring its schema up to date (`alembic upgrade head`).

        `one_shot` (a process that answers once and exits) reads an existing SQLite file
        through sqlite3 and makes SQLAlchemy's engine only when it needs more.
        """
        path = sqlite_file(url) if one_shot else None
        reads = None
        if path is not None and path.is_file():
            reads = SqliteReads(path, SQLITE_BUSY_TIMEOUT_MS / 1000)
        store = cls(url, reads=reads)
        try:
            store.migrate()
            if reads is None:
                store._make_repositories()
        except BaseException:
            store.close()
            raise
        return store

    def _make_repositories(self) -> None:
        """Make every repository now: a process with many threads then never races to."""
        for name in _REPOSITORIES:
            getattr(self, name)

    @property
    def _db(self) -> Database:
        """The SQLAlchemy side of the store, made (and SQLAlchemy loaded) on first use."""
        database = self._database
        if database is None:
            with self._made:
                if self._database is None:
                    from bot.storage.database import Database, make_engine

                    engine, memory = make_engine(self._url)
                    self._database = Database(engine, serialize=memory)
                database = self._database
        return database

    @cached_property
    def people(self) -> People:
        """Preferences and DM channels."""
        from bot.storage.people import People

        return People(self._db)

    @cached_property
    def bookmarks(self) -> Bookmarks:
        """The sessions each person bookmarked."""
        from bot.storage.bookmarks import Bookmarks

        return Bookmarks(self._db)

    @cached_property
    def follows(self) -> Follows:
        """The tracks each person follows."""
        from bot.storage.follows import Follows

        return Follows(self._db)

    @cached_property
    def snapshots(self) -> Snapshots:
        """The last good schedules."""
        return Snapshots(lambda: self._db, self._reads)

    @cached_property
    def outbox(self) -> OutboxRepository:
        """Every message the bot sends on its own, and the send budget."""
        from bot.storage.outbox import OutboxRepository

        return OutboxRepository(self._db)

    @cached_property
    def calendar(self) -> CalendarFeeds:
        """Calendar feed tokens and each session's UID and SEQUENCE."""
        from bot.storage.calendar_feed import CalendarFeeds

        return CalendarFeeds(self._db)

    @cached_property
    def _viewers(self) -> Viewers:
        from bot.storage.viewers import Viewers

        return Viewers(self._db)

    def migrate(self) -> None:
        """Run every migration the database lacks; a database at head is left alone."""
        if self.schema_revision() == SCHEMA_HEAD:
            return
        from alembic import command
        from sqlalchemy import func, select

        with self._db.write() as conn:
            if self._db.postgres:
                conn.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK_KEY)))
            command.upgrade(alembic_config(conn), "head")

    def schema_revision(self) -> str | None:
        """The migration the database is at, or None for a database never migrated."""
        if self._reads is not None:
            return self._reads.schema_revision()
        from sqlalchemy import inspect, text

        with self._db.read() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    @property
    def dialect_name(self) -> str:
        """The backend in use: "sqlite" or "postgresql"."""
        return self._db.engine.dialect.name

    def close(self) -> None:
        """Close every connection; the store cannot be used afterwards."""
        if self._reads is not None:
            self._reads.close()
        if self._database is not None:
            self._database.engine.dispose()

    def __enter__(self) -> Self:
        """Use the store in a `with` block that closes it."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the store."""
        self.close()

    # -- across repositories ----------------------------------------------------------

    def viewer(self, user_id: str) -> Viewer:
        """A person's settings and bookmarks in one query: the one read of an answer."""
        if self._reads is not None:
            return self._reads.viewer(user_id)
        return self._viewers.read(user_id)

    def rename_session(self, old_id: str, new_id: str, *, at: datetime | None = None) -> int:
        """Move bookmarks and reminders from `old_id` to `new_id`; returns bookmarks moved.

        One transaction. A person who already bookmarked `new_id` keeps that bookmark. A
        reminder whose key (person, `new_id`, start) is already taken stays behind, and is
        cancelled if it was still pending. `at`, when given, stamps the moved reminders'
        `updated_at`.
        """
        if old_id == new_id:
            return 0
        with self._db.write() as conn:
            moved = self.bookmarks.rename_in(conn, old_id, new_id)
            self.outbox.rename_session(
                conn, old_id, new_id, {} if at is None else {"updated_at": at}
            )
        return moved

    def analyze(self) -> None:
        """Refresh the query planner's statistics (ANALYZE).

        Without statistics SQLite may choose a poor index for the outbox's planning
        statements; a reload, which re-plans many reminders at once, refreshes them first.
        """
        with self._db.write() as conn:
            if not self._db.postgres:
                # Statistics from a sample of each index, as PostgreSQL takes them: a full
                # pass over hundreds of thousands of rows would hold the write lock longer.
                conn.exec_driver_sql(f"PRAGMA analysis_limit={_ANALYSIS_LIMIT}")
            conn.exec_driver_sql("ANALYZE")
