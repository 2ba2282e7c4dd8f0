"""The store: the database is the single truth for the bot's state.

Bookmarks, preferences, follows, reminder deliveries, DM channels, the last good schedule
and change notices all live here, in SQLite or PostgreSQL through SQLAlchemy 2.0. Every
instant is stored in UTC and comes back timezone-aware UTC, whatever the backend.

The store never reads the wall clock: every method that records a time takes it as `at`.
Callers only ever see the small frozen dataclasses defined here, never ORM objects.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Engine,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    create_engine,
    delete,
    event,
    exists,
    func,
    inspect,
    literal,
    select,
    text,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from bot.storage.database import WRITE_OPTION, Database
from bot.storage.outbox import DISMISSED, OutboxRepository
from bot.storage.types import Base, UTCDateTime, utc

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "DISMISSED",
    "MIGRATIONS_DIR",
    "Base",
    "OutboxRepository",
    "Preferences",
    "Snapshot",
    "Store",
    "UTCDateTime",
    "alembic_config",
]

#: The alembic script folder, found next to this module so any install and any cwd work.
MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
SCHEMA_HEAD: Final = "0002_outbox"
"""The newest migration; a database already there opens without loading alembic at all."""

#: How long a SQLite connection waits for another writer before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS: Final = 30_000

# Pause between attempts to switch a SQLite file to WAL, in milliseconds.
_WAL_RETRY_MS: Final = 20
# Key of the PostgreSQL advisory lock held while migrating, so that processes opening
# a fresh database at the same moment migrate it one after the other.
_MIGRATION_LOCK_KEY: Final = 0x5355_4D4D_4954  # "SUMMIT"
# How many ids one `IN (...)` list of the reload queries holds.
_CHUNK: Final = 500
_utc = utc


class BookmarkRow(Base):
    """A person keeps a session in their agenda."""

    __tablename__ = "bookmarks"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", "session_id", name="pk_bookmarks"),
        Index("ix_bookmarks_session_id", "session_id"),
    )

    user_id: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PreferenceRow(Base):
    """A person's settings; a missing row means every default."""

    __tablename__ = "preferences"
    __table_args__ = (PrimaryKeyConstraint("user_id", name="pk_preferences"),)

    user_id: Mapped[str] = mapped_column(String(64))
    lead_minutes: Mapped[int | None] = mapped_column(Integer)
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    timezone: Mapped[str | None] = mapped_column(Text)
    timezone_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FollowRow(Base):
    """A person follows a track and hears about its sessions."""

    __tablename__ = "follows"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", "track", name="pk_follows"),
        Index("ix_follows_track", "track"),
    )

    user_id: Mapped[str] = mapped_column(String(64))
    track: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DmChannelRow(Base):
    """The direct-message channel the bot opened with a person."""

    __tablename__ = "dm_channels"
    __table_args__ = (PrimaryKeyConstraint("user_id", name="pk_dm_channels"),)

    user_id: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str] = mapped_column(String(64))


class ScheduleSnapshotRow(Base):
    """A schedule that loaded cleanly, as native JSON text."""

    __tablename__ = "schedule_snapshots"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(128))
    content: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True, slots=True)
class Preferences:
    """A person's settings; `lead_minutes` None means the bot's default lead time."""

    user_id: str
    lead_minutes: int | None = None
    reminders_enabled: bool = True
    timezone: str | None = None
    timezone_checked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The last good schedule: where it came from, its digest and its native JSON text."""

    id: int
    loaded_at: datetime
    source: str
    digest: str
    content: str


def _lock_key(*parts: str) -> int:
    """A stable signed 64-bit key for a PostgreSQL advisory lock."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


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


def _make_engine(url: str) -> tuple[Engine, bool]:
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
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine, memory


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic configuration built in code, pointing at the packaged migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


class Store:
    """The bot's state in one database; safe to share between threads and processes."""

    #: How many good schedules `save_schedule_snapshot` keeps.
    SNAPSHOTS_KEPT: Final = 3

    def __init__(self, engine: Engine, *, serialize: bool = False) -> None:
        """Wrap `engine`; use `Store.open`, which also migrates the database."""
        self._engine = engine
        # An in-memory SQLite has one shared connection, so its users take turns.
        self._db = Database(engine, serialize=serialize)
        self._postgres = self._db.postgres
        self.outbox = OutboxRepository(self._db)
        """Every message the bot sends on its own, and the workspace's send budget."""

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to `url` and bring its schema up to date (`alembic upgrade head`)."""
        engine, memory = _make_engine(url)
        store = cls(engine, serialize=memory)
        try:
            store.migrate()
        except BaseException:
            engine.dispose()
            raise
        return store

    def migrate(self) -> None:
        """Run every migration the database lacks; a database at head is left alone."""
        if self.schema_revision() == SCHEMA_HEAD:
            return
        from alembic import command

        with self._write() as conn:
            if self._postgres:
                conn.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK_KEY)))
            command.upgrade(alembic_config(conn), "head")

    def schema_revision(self) -> str | None:
        """The migration the database is at, or None for a database never migrated."""
        with self._read() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    @property
    def dialect_name(self) -> str:
        """The backend in use: "sqlite" or "postgresql"."""
        return self._engine.dialect.name

    def close(self) -> None:
        """Close every pooled connection; the store cannot be used afterwards."""
        self._engine.dispose()

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

    # -- transactions -------------------------------------------------------------------

    def _write(self) -> AbstractContextManager[Connection]:
        """A transaction that will write (BEGIN IMMEDIATE on SQLite); commits on success."""
        return self._db.write()

    def _read(self) -> AbstractContextManager[Connection]:
        """A read-only transaction with one consistent view of the database."""
        return self._db.read()

    def _insert(self, table: type[Base]) -> postgresql.Insert | sqlite.Insert:
        """The dialect's INSERT, which knows ON CONFLICT."""
        return self._db.insert(table)

    # -- bookmarks ----------------------------------------------------------------------

    def add_bookmark(self, user_id: str, session_id: str, at: datetime) -> bool:
        """Bookmark a session; True when it was not bookmarked before."""
        at = _utc(at, "at")
        stmt = (
            self._insert(BookmarkRow)
            .values(user_id=user_id, session_id=session_id, created_at=at)
            .on_conflict_do_nothing(index_elements=["user_id", "session_id"])
            .returning(BookmarkRow.user_id)
        )
        with self._write() as conn:
            return conn.execute(stmt).first() is not None

    def remove_bookmark(self, user_id: str, session_id: str) -> bool:
        """Drop a bookmark; True when there was one."""
        stmt = delete(BookmarkRow).where(
            BookmarkRow.user_id == user_id, BookmarkRow.session_id == session_id
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def bookmarks(self, user_id: str) -> frozenset[str]:
        """The session ids a person has bookmarked."""
        stmt = select(BookmarkRow.session_id).where(BookmarkRow.user_id == user_id)
        with self._read() as conn:
            return frozenset(conn.scalars(stmt))

    def is_bookmarked(self, user_id: str, session_id: str) -> bool:
        """Whether a person has bookmarked a session."""
        stmt = select(
            exists().where(BookmarkRow.user_id == user_id, BookmarkRow.session_id == session_id)
        )
        with self._read() as conn:
            return bool(conn.scalar(stmt))

    def bookmarkers(self, session_id: str) -> list[str]:
        """The people who bookmarked a session, sorted by user id."""
        stmt = (
            select(BookmarkRow.user_id)
            .where(BookmarkRow.session_id == session_id)
            .order_by(BookmarkRow.user_id)
        )
        with self._read() as conn:
            return list(conn.scalars(stmt))

    def bookmark_count(self) -> int:
        """How many bookmarks there are, over everybody."""
        with self._read() as conn:
            return int(conn.scalar(select(func.count()).select_from(BookmarkRow)) or 0)

    def rename_session(self, old_id: str, new_id: str, *, at: datetime | None = None) -> int:
        """Move bookmarks and reminders from `old_id` to `new_id`; returns bookmarks moved.

        A person who already bookmarked `new_id` keeps that bookmark. A reminder whose key
        (person, `new_id`, start) is already taken stays behind, and is cancelled if it
        was still pending. `at`, when given, stamps the moved reminders' `updated_at`.
        """
        if old_id == new_id:
            return 0
        stamp = {} if at is None else {"updated_at": _utc(at, "at")}
        bookmark = BookmarkRow
        copy = (
            self._insert(bookmark)
            .from_select(
                ["user_id", "session_id", "created_at"],
                select(bookmark.user_id, literal(new_id, String(255)), bookmark.created_at).where(
                    bookmark.session_id == old_id
                ),
            )
            .on_conflict_do_nothing(index_elements=["user_id", "session_id"])
        )
        with self._write() as conn:
            conn.execute(copy)
            moved = conn.execute(delete(bookmark).where(bookmark.session_id == old_id)).rowcount
            self.outbox.rename_session(conn, old_id, new_id, stamp)
        return moved

    # -- preferences --------------------------------------------------------------------

    def preferences(self, user_id: str) -> Preferences:
        """A person's settings, with the defaults when they never changed any."""
        pref = PreferenceRow
        stmt = select(
            pref.lead_minutes, pref.reminders_enabled, pref.timezone, pref.timezone_checked_at
        ).where(pref.user_id == user_id)
        with self._read() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            return Preferences(user_id=user_id)
        return Preferences(
            user_id=user_id,
            lead_minutes=row.lead_minutes,
            reminders_enabled=bool(row.reminders_enabled),
            timezone=row.timezone,
            timezone_checked_at=row.timezone_checked_at,
        )

    def _set_preferences(self, user_id: str, values: Mapping[str, Any]) -> None:
        """Create or update a person's settings row with `values`."""
        stmt = self._insert(PreferenceRow).values(user_id=user_id, **values)
        upsert = stmt.on_conflict_do_update(index_elements=["user_id"], set_=dict(values))
        with self._write() as conn:
            conn.execute(upsert)

    def set_lead_minutes(self, user_id: str, minutes: int | None) -> None:
        """How many minutes before a session to remind; None goes back to the default."""
        if minutes is not None and minutes < 0:
            raise ValueError(f"lead time cannot be negative: {minutes}")
        self._set_preferences(user_id, {"lead_minutes": minutes})

    def set_reminders_enabled(self, user_id: str, enabled: bool) -> None:
        """Turn a person's reminders on or off."""
        self._set_preferences(user_id, {"reminders_enabled": enabled})

    def set_timezone(self, user_id: str, tz: str | None, at: datetime) -> None:
        """Record a person's IANA time zone (None: unknown) as checked at `at`."""
        self._set_preferences(user_id, {"timezone": tz, "timezone_checked_at": _utc(at, "at")})

    # -- follows ------------------------------------------------------------------------

    def follow(self, user_id: str, track: str, at: datetime) -> bool:
        """Follow a track; True when the person did not follow it before."""
        stmt = (
            self._insert(FollowRow)
            .values(user_id=user_id, track=track, created_at=_utc(at, "at"))
            .on_conflict_do_nothing(index_elements=["user_id", "track"])
            .returning(FollowRow.user_id)
        )
        with self._write() as conn:
            return conn.execute(stmt).first() is not None

    def unfollow(self, user_id: str, track: str) -> bool:
        """Stop following a track; True when the person followed it."""
        stmt = delete(FollowRow).where(FollowRow.user_id == user_id, FollowRow.track == track)
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def follows(self, user_id: str) -> frozenset[str]:
        """The tracks a person follows."""
        stmt = select(FollowRow.track).where(FollowRow.user_id == user_id)
        with self._read() as conn:
            return frozenset(conn.scalars(stmt))

    def followers(self, track: str) -> list[str]:
        """The people who follow a track, sorted by user id."""
        stmt = select(FollowRow.user_id).where(FollowRow.track == track).order_by(FollowRow.user_id)
        with self._read() as conn:
            return list(conn.scalars(stmt))

    # -- DM channels --------------------------------------------------------------------

    def dm_channel(self, user_id: str) -> str | None:
        """The DM channel already opened with a person, if any."""
        stmt = select(DmChannelRow.channel_id).where(DmChannelRow.user_id == user_id)
        with self._read() as conn:
            return conn.scalar(stmt)

    def save_dm_channel(self, user_id: str, channel_id: str) -> None:
        """Remember the DM channel opened with a person."""
        stmt = self._insert(DmChannelRow).values(user_id=user_id, channel_id=channel_id)
        upsert = stmt.on_conflict_do_update(
            index_elements=["user_id"], set_={"channel_id": stmt.excluded.channel_id}
        )
        with self._write() as conn:
            conn.execute(upsert)

    # -- schedule snapshots -------------------------------------------------------------

    def save_schedule_snapshot(
        self, source: str, digest: str, content: str, at: datetime
    ) -> Snapshot:
        """Keep a schedule that loaded cleanly; only the latest `SNAPSHOTS_KEPT` stay."""
        snap = ScheduleSnapshotRow
        loaded_at = _utc(at, "at")
        with self._write() as conn:
            new_id = conn.execute(
                self._insert(snap)
                .values(loaded_at=loaded_at, source=source, digest=digest, content=content)
                .returning(snap.id)
            ).scalar_one()
            stale = list(
                conn.scalars(select(snap.id).order_by(snap.id.desc()).offset(self.SNAPSHOTS_KEPT))
            )
            if stale:
                conn.execute(delete(snap).where(snap.id.in_(stale)))
        return Snapshot(
            id=new_id, loaded_at=loaded_at, source=source, digest=digest, content=content
        )

    def latest_schedule_snapshot(self) -> Snapshot | None:
        """The schedule saved last, or None when there is none."""
        snap = ScheduleSnapshotRow
        stmt = (
            select(snap.id, snap.loaded_at, snap.source, snap.digest, snap.content)
            .order_by(snap.id.desc())
            .limit(1)
        )
        with self._read() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            return None
        return Snapshot(
            id=row.id,
            loaded_at=row.loaded_at,
            source=row.source,
            digest=row.digest,
            content=row.content,
        )

    def latest_schedule_digest(self) -> str | None:
        """The digest of the schedule saved last (a cheap check for a newer schedule)."""
        snap = ScheduleSnapshotRow
        stmt = select(snap.digest).order_by(snap.id.desc()).limit(1)
        with self._read() as conn:
            return conn.scalar(stmt)

    def schedule_snapshots(self, limit: int | None = None) -> list[Snapshot]:
        """The kept schedules, newest first (at most `limit` of them when given)."""
        snap = ScheduleSnapshotRow
        stmt = select(snap.id, snap.loaded_at, snap.source, snap.digest, snap.content).order_by(
            snap.id.desc()
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._read() as conn:
            rows = conn.execute(stmt).all()
        return [
            Snapshot(
                id=row.id,
                loaded_at=row.loaded_at,
                source=row.source,
                digest=row.digest,
                content=row.content,
            )
            for row in rows
        ]

    def advance_schedule_snapshot(
        self, previous_digest: str | None, source: str, digest: str, content: str, at: datetime
    ) -> Snapshot | None:
        """Save a schedule only while the latest one still has `previous_digest`.

        `previous_digest` None means "there is no snapshot yet". Returns the new snapshot,
        or None when another writer saved a different latest schedule first (nothing is
        written then). Writers take turns: a PostgreSQL advisory lock, SQLite's write lock.
        Only the latest `SNAPSHOTS_KEPT` stay.
        """
        snap = ScheduleSnapshotRow
        loaded_at = _utc(at, "at")
        with self._write() as conn:
            if self._postgres:
                conn.execute(select(func.pg_advisory_xact_lock(_lock_key("schedule-snapshot"))))
            latest = conn.scalar(select(snap.digest).order_by(snap.id.desc()).limit(1))
            if latest != previous_digest:
                return None
            new_id = conn.execute(
                self._insert(snap)
                .values(loaded_at=loaded_at, source=source, digest=digest, content=content)
                .returning(snap.id)
            ).scalar_one()
            stale = list(
                conn.scalars(select(snap.id).order_by(snap.id.desc()).offset(self.SNAPSHOTS_KEPT))
            )
            if stale:
                conn.execute(delete(snap).where(snap.id.in_(stale)))
        return Snapshot(
            id=new_id, loaded_at=loaded_at, source=source, digest=digest, content=content
        )

    # -- who a schedule change concerns --------------------------------------------------

    def bookmarkers_of(
        self, session_ids: Iterable[str], *, before: datetime | None = None
    ) -> dict[str, list[str]]:
        """Session id → the people who bookmarked it (sorted); only sessions with any.

        With `before`, only bookmarks made at or before that instant count.
        """
        return self._people_by(BookmarkRow.session_id, BookmarkRow, session_ids, before)

    def followers_of(
        self, tracks: Iterable[str], *, before: datetime | None = None
    ) -> dict[str, list[str]]:
        """Track → the people who follow it (sorted); only tracks with any.

        With `before`, only follows made at or before that instant count.
        """
        return self._people_by(FollowRow.track, FollowRow, tracks, before)

    def _people_by(
        self,
        key: Any,
        row: type[BookmarkRow] | type[FollowRow],
        keys: Iterable[str],
        before: datetime | None,
    ) -> dict[str, list[str]]:
        wanted = sorted(set(keys))
        found: dict[str, list[str]] = {}
        with self._read() as conn:
            for start in range(0, len(wanted), _CHUNK):
                stmt = select(key, row.user_id).where(key.in_(wanted[start : start + _CHUNK]))
                if before is not None:
                    stmt = stmt.where(row.created_at <= _utc(before, "before"))
                for value, user_id in conn.execute(stmt.order_by(key, row.user_id)):
                    found.setdefault(value, []).append(user_id)
        return found

    def add_bookmarks(self, pairs: Iterable[tuple[str, str]], at: datetime) -> int:
        """Bookmark many (person, session) pairs in one transaction; returns how many are new.

        Pairs already bookmarked are left alone; the rows go in as one executemany.
        """
        at = _utc(at, "at")
        rows = [{"user_id": u, "session_id": s, "created_at": at} for u, s in set(pairs)]
        if not rows:
            return 0
        stmt = self._insert(BookmarkRow).on_conflict_do_nothing(
            index_elements=["user_id", "session_id"]
        )
        count = select(func.count()).select_from(BookmarkRow)
        with self._write() as conn:
            before = int(conn.scalar(count) or 0)
            conn.execute(stmt, rows)
            return int(conn.scalar(count) or 0) - before

    def analyze(self) -> None:
        """Refresh the query planner's statistics (ANALYZE).

        Without statistics SQLite may choose the status index for a per-person update
        of the deliveries (as in `plan_delivery`) and scan every pending reminder; a
        reload, which re-plans many reminders at once, refreshes them first.
        """
        with self._write() as conn:
            conn.exec_driver_sql("ANALYZE")

    # -- reminder planning --------------------------------------------------------------

    #: How many ids one `IN (...)` list holds, well under every backend's parameter limit.
    IN_CHUNK: Final = 500

    def bookmark_pairs(
        self, users: Iterable[str] | None = None, sessions: Iterable[str] | None = None
    ) -> list[tuple[str, str]]:
        """(person, session) of every bookmark, only of `users` and `sessions` when given."""
        mark = BookmarkRow
        stmt = select(mark.user_id, mark.session_id)
        found: list[tuple[str, str]] = []
        with self._read() as conn:
            for part in _scoped(stmt, mark.user_id, users, mark.session_id, sessions):
                found.extend((row.user_id, row.session_id) for row in conn.execute(part))
        return sorted(set(found))

    def preferences_of(self, user_ids: Iterable[str]) -> dict[str, Preferences]:
        """The settings of each of `user_ids` (the defaults for those who never set any)."""
        wanted = sorted(set(user_ids))
        pref = PreferenceRow
        found = {user_id: Preferences(user_id=user_id) for user_id in wanted}
        stmt = select(
            pref.user_id,
            pref.lead_minutes,
            pref.reminders_enabled,
            pref.timezone,
            pref.timezone_checked_at,
        )
        with self._read() as conn:
            for start in range(0, len(wanted), self.IN_CHUNK):
                chunk = wanted[start : start + self.IN_CHUNK]
                for row in conn.execute(stmt.where(pref.user_id.in_(chunk))):
                    found[row.user_id] = Preferences(
                        user_id=row.user_id,
                        lead_minutes=row.lead_minutes,
                        reminders_enabled=bool(row.reminders_enabled),
                        timezone=row.timezone,
                        timezone_checked_at=row.timezone_checked_at,
                    )
        return found


def _scoped(
    stmt: Any,
    first: Any,
    first_ids: Iterable[str] | None,
    second: Any,
    second_ids: Iterable[str] | None,
) -> Iterator[Any]:
    """`stmt` restricted to `first IN first_ids` and `second IN second_ids`, in chunks.

    None means no restriction; an empty collection selects nothing. The larger list is
    split so that no statement carries more than `Store.IN_CHUNK` ids for it.
    """
    lists = [
        (column, sorted(set(ids)))
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
    for start in range(0, len(ids), Store.IN_CHUNK):
        yield stmt.where(column.in_(ids[start : start + Store.IN_CHUNK]))
