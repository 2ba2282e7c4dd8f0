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
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Connection,
    DateTime,
    Dialect,
    Engine,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    exists,
    func,
    inspect,
    literal,
    null,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.engine import RowMapping, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, aliased, mapped_column
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import CompoundSelect
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.dialects import postgresql, sqlite

__all__ = [
    "DISMISSED",
    "MIGRATIONS_DIR",
    "Delivery",
    "DeliveryStatus",
    "Preferences",
    "Snapshot",
    "Store",
    "UTCDateTime",
    "Viewer",
    "alembic_config",
]

#: The alembic script folder, found next to this module so any install and any cwd work.
MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
SCHEMA_HEAD: Final = "0001_initial"
"""The newest migration; a database already there opens without loading alembic at all."""

#: How long opening a PostgreSQL connection may take before it counts as failed, in seconds.
POSTGRES_CONNECT_TIMEOUT_SECONDS: Final = 5

#: How long a SQLite connection waits for another writer before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS: Final = 30_000

# Pause between attempts to switch a SQLite file to WAL, in milliseconds.
_WAL_RETRY_MS: Final = 20
# Execution option that makes a SQLite transaction start with BEGIN IMMEDIATE.
_WRITE_OPTION: Final = "summit_bot_write"
# Key of the PostgreSQL advisory lock held while migrating, so that processes opening
# a fresh database at the same moment migrate it one after the other.
_MIGRATION_LOCK_KEY: Final = 0x5355_4D4D_4954  # "SUMMIT"


class DeliveryStatus(StrEnum):
    """Where a planned reminder is in its life."""

    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    MISSED = "missed"
    FAILED = "failed"
    CANCELLED = "cancelled"


# How many ids one `IN (...)` list of the reload queries holds.
_CHUNK: Final = 500
_NOTICE_CLAIMED: Final = "claimed"
_NOTICE_SENT: Final = "sent"

#: The `error` of a reminder its person cancelled (the bookmark stays).
DISMISSED: Final = "dismissed by the person"


def _utc(value: datetime, name: str = "instant") -> datetime:
    """`value` in UTC; a naive datetime is refused rather than guessed at."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored in UTC that always comes back as a timezone-aware UTC datetime.

    PostgreSQL keeps it as `timestamptz`; SQLite keeps naive UTC text, which sorts and
    compares correctly because every value is normalised to UTC before it is written.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to UTC (naive on SQLite, which cannot store an offset)."""
        if value is None:
            return None
        value = _utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as aware UTC; naive values were written as UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """The tables of the store; the alembic migrations create exactly these."""

    metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})


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


class DeliveryRow(Base):
    """One reminder: a person, a session and the instant it starts."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("user_id", "session_id", "start_at", name="uq_deliveries_key"),
        Index("ix_deliveries_status_due_at", "status", "due_at"),
        CheckConstraint(
            "status IN ('pending', 'claimed', 'sent', 'missed', 'failed', 'cancelled')",
            name="ck_deliveries_status",
        ),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    user_id: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str] = mapped_column(String(255))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    channel_id: Mapped[str | None] = mapped_column(String(64))
    message_ts: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


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


class ChangeNoticeRow(Base):
    """A person was (or is being) told about one schedule change."""

    __tablename__ = "change_notices"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", "change_key", name="pk_change_notices"),
        CheckConstraint("status IN ('claimed', 'sent')", name="ck_change_notices_status"),
    )

    user_id: Mapped[str] = mapped_column(String(64))
    change_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    message_ts: Mapped[str | None] = mapped_column(String(64))


def _viewer_query() -> CompoundSelect[Any]:
    """A person's settings row and bookmark rows as one UNION ALL, for `Store.viewer`."""
    pref, mark = PreferenceRow, BookmarkRow
    user_id: BindParameter[str] = bindparam("user_id")
    return union_all(
        select(
            literal(0).label("kind"),
            pref.timezone.label("value"),
            pref.lead_minutes,
            pref.reminders_enabled,
            pref.timezone_checked_at,
        ).where(pref.user_id == user_id),
        select(literal(1), mark.session_id, null(), null(), null()).where(mark.user_id == user_id),
    )


# Built once: making the statement anew on every read costs more than running it.
_VIEWER_QUERY: Final = _viewer_query()


class _HotRead:
    """One SELECT compiled once for an engine's dialect and run on a pooled DBAPI cursor.

    For the read behind every answer (`Store.viewer`): SQLAlchemy's per-execution work
    (transaction events, statement cache key, result objects) costs several times the
    query itself, and a single SELECT needs none of it: it is atomic on its own. The
    connection still comes from the engine's pool (with its pre-ping) and goes back to
    it; DBAPI errors are raised as SQLAlchemy's, like every other read of the store.
    """

    def __init__(self, engine: Engine, statement: CompoundSelect[Any]) -> None:
        """Compile `statement` for `engine`'s dialect."""
        self._engine = engine
        self._compiled = statement.compile(dialect=engine.dialect)
        self._sql = str(self._compiled)
        self._positions = self._compiled.positiontup

    def rows(self, **params: Any) -> list[Any]:
        """The rows of the statement with `params` bound."""
        values = self._compiled.construct_params(params)
        args: Any = tuple(values[name] for name in self._positions) if self._positions else values
        dialect = self._engine.dialect
        try:
            conn = self._engine.raw_connection()
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


@dataclass(frozen=True, slots=True)
class Preferences:
    """A person's settings; `lead_minutes` None means the bot's default lead time."""

    user_id: str
    lead_minutes: int | None = None
    reminders_enabled: bool = True
    timezone: str | None = None
    timezone_checked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Viewer:
    """What an answer needs to know about the person it is for, read at once."""

    preferences: Preferences
    bookmarks: frozenset[str]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One planned reminder and where it stands."""

    id: int
    user_id: str
    session_id: str
    start_at: datetime
    due_at: datetime
    status: DeliveryStatus
    attempts: int
    claimed_by: str | None
    lease_until: datetime | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    channel_id: str | None
    message_ts: str | None
    error: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The last good schedule: where it came from, its digest and its native JSON text."""

    id: int
    loaded_at: datetime
    source: str
    digest: str
    content: str


_DELIVERY_COLUMNS: Final = (
    DeliveryRow.id,
    DeliveryRow.user_id,
    DeliveryRow.session_id,
    DeliveryRow.start_at,
    DeliveryRow.due_at,
    DeliveryRow.status,
    DeliveryRow.attempts,
    DeliveryRow.claimed_by,
    DeliveryRow.lease_until,
    DeliveryRow.next_attempt_at,
    DeliveryRow.sent_at,
    DeliveryRow.channel_id,
    DeliveryRow.message_ts,
    DeliveryRow.error,
    DeliveryRow.created_at,
    DeliveryRow.updated_at,
)


def _delivery(values: RowMapping) -> Delivery:
    """A delivery from a row selected with `_DELIVERY_COLUMNS`."""
    return Delivery(
        id=values["id"],
        user_id=values["user_id"],
        session_id=values["session_id"],
        start_at=values["start_at"],
        due_at=values["due_at"],
        status=DeliveryStatus(values["status"]),
        attempts=values["attempts"],
        claimed_by=values["claimed_by"],
        lease_until=values["lease_until"],
        next_attempt_at=values["next_attempt_at"],
        sent_at=values["sent_at"],
        channel_id=values["channel_id"],
        message_ts=values["message_ts"],
        error=values["error"],
        created_at=values["created_at"],
        updated_at=values["updated_at"],
    )


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Rows a worker may take at `now`: due pending rows and claims whose lease ran out."""
    row = DeliveryRow
    return or_(
        and_(
            row.status == DeliveryStatus.PENDING.value,
            row.due_at <= now,
            or_(row.next_attempt_at.is_(None), row.next_attempt_at <= now),
        ),
        and_(row.status == DeliveryStatus.CLAIMED.value, row.lease_until <= now),
    )


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
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
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
        self._lock: AbstractContextManager[object] = (
            threading.RLock() if serialize else nullcontext()
        )
        self._postgres = engine.dialect.name == "postgresql"
        self._viewer_read = _HotRead(engine, _VIEWER_QUERY)
        self._to_utc = (
            UTCDateTime().dialect_impl(engine.dialect).result_processor(engine.dialect, None)
        )

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

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A transaction that will write (BEGIN IMMEDIATE on SQLite); commits on success."""
        with self._lock, self._engine.connect() as conn:
            conn.execution_options(**{_WRITE_OPTION: True})
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A read-only transaction with one consistent view of the database."""
        with self._lock, self._engine.connect() as conn, conn.begin():
            yield conn

    def _insert(self, table: type[Base]) -> postgresql.Insert | sqlite.Insert:
        """The dialect's INSERT, which knows ON CONFLICT."""
        # Each dialect's module is loaded on first use: a SQLite process never loads PostgreSQL's.
        if self._postgres:
            from sqlalchemy.dialects.postgresql import insert as postgresql_insert

            return postgresql_insert(table)
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)

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

        A person who already bookmarked `new_id` keeps that bookmark. A delivery whose key
        (person, `new_id`, start) is already taken stays behind, and is cancelled if it
        was still pending. `at`, when given, stamps the moved deliveries' `updated_at`.
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
        with self._write() as conn:
            conn.execute(copy)
            moved = conn.execute(delete(bookmark).where(bookmark.session_id == old_id)).rowcount
            conn.execute(
                update(row)
                .where(
                    row.session_id == old_id,
                    row.status == DeliveryStatus.PENDING.value,
                    clash,
                )
                .values(status=DeliveryStatus.CANCELLED.value, **stamp)
            )
            conn.execute(
                update(row)
                .where(row.session_id == old_id, ~clash)
                .values(session_id=new_id, **stamp)
            )
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

    def viewer(self, user_id: str) -> Viewer:
        """A person's settings and bookmarks in one query (one round trip to the database).

        The settings row and the bookmark rows come back as one UNION ALL: the first
        column tells them apart, the second holds the time zone or the session id.
        """
        preferences = Preferences(user_id=user_id)
        bookmarks: set[str] = set()
        with self._lock:
            rows = self._viewer_read.rows(user_id=user_id)
        for kind, value, lead, enabled, checked in rows:
            if kind == 1:
                bookmarks.add(value)
                continue
            preferences = Preferences(
                user_id=user_id,
                lead_minutes=lead,
                reminders_enabled=bool(enabled),
                timezone=value,
                timezone_checked_at=self._to_utc(checked) if self._to_utc else checked,
            )
        return Viewer(preferences=preferences, bookmarks=frozenset(bookmarks))

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

    # -- change notices -----------------------------------------------------------------

    def claim_change_notice(self, user_id: str, change_key: str, at: datetime) -> bool:
        """Take the job of telling a person about a change; True only for the first taker."""
        stmt = (
            self._insert(ChangeNoticeRow)
            .values(
                user_id=user_id,
                change_key=change_key,
                created_at=_utc(at, "at"),
                status=_NOTICE_CLAIMED,
            )
            .on_conflict_do_nothing(index_elements=["user_id", "change_key"])
            .returning(ChangeNoticeRow.user_id)
        )
        with self._write() as conn:
            return conn.execute(stmt).first() is not None

    def mark_change_notice_sent(self, user_id: str, change_key: str, message_ts: str) -> bool:
        """Record that the notice went out as message `message_ts`."""
        notice = ChangeNoticeRow
        stmt = (
            update(notice)
            .where(notice.user_id == user_id, notice.change_key == change_key)
            .values(status=_NOTICE_SENT, message_ts=message_ts)
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def release_change_notice(self, user_id: str, change_key: str) -> bool:
        """Give back a claimed notice that could not be sent, so it can be claimed again."""
        notice = ChangeNoticeRow
        stmt = delete(notice).where(
            notice.user_id == user_id,
            notice.change_key == change_key,
            notice.status == _NOTICE_CLAIMED,
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def claimed_change_notices(self, change_keys: Iterable[str]) -> frozenset[tuple[str, str]]:
        """(person, key) of every notice already claimed or sent for one of `change_keys`."""
        keys = sorted(set(change_keys))
        notice = ChangeNoticeRow
        found: set[tuple[str, str]] = set()
        with self._read() as conn:
            for start in range(0, len(keys), _CHUNK):
                stmt = select(notice.user_id, notice.change_key).where(
                    notice.change_key.in_(keys[start : start + _CHUNK])
                )
                found.update((row.user_id, row.change_key) for row in conn.execute(stmt))
        return frozenset(found)

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

    # -- deliveries ---------------------------------------------------------------------

    def plan_delivery(
        self, user_id: str, session_id: str, start_at: datetime, due_at: datetime, at: datetime
    ) -> None:
        """Plan a reminder for (person, session, start instant), due at `due_at`.

        A pending or claimed reminder with that key is re-timed, a cancelled one planned
        afresh, and a sent, missed or failed one left alone. Pending reminders of the
        same person and session for any other start instant are cancelled: it moved.
        """
        start_at = _utc(start_at, "start_at")
        due_at = _utc(due_at, "due_at")
        at = _utc(at, "at")
        row = DeliveryRow
        key = and_(row.user_id == user_id, row.session_id == session_id, row.start_at == start_at)
        revive = (
            update(row)
            .where(key, row.status == DeliveryStatus.CANCELLED.value)
            .values(
                status=DeliveryStatus.PENDING.value,
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
        stmt = self._insert(row).values(
            user_id=user_id,
            session_id=session_id,
            start_at=start_at,
            due_at=due_at,
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            created_at=at,
            updated_at=at,
        )
        upsert = stmt.on_conflict_do_update(
            index_elements=["user_id", "session_id", "start_at"],
            set_={"due_at": stmt.excluded.due_at, "updated_at": stmt.excluded.updated_at},
            where=row.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.CLAIMED.value]),
        )
        moved = (
            update(row)
            .where(
                row.user_id == user_id,
                row.session_id == session_id,
                row.start_at != start_at,
                row.status == DeliveryStatus.PENDING.value,
            )
            .values(status=DeliveryStatus.CANCELLED.value, updated_at=at)
        )
        with self._write() as conn:
            if self._postgres:
                # One planner at a time per (person, session): the upsert and the
                # cancellation lock rows in different orders otherwise.
                lock = _lock_key("plan", user_id, session_id)
                conn.execute(select(func.pg_advisory_xact_lock(lock)))
            conn.execute(revive)
            conn.execute(upsert)
            conn.execute(moved)

    def cancel_deliveries(
        self, user_id: str, session_id: str | None = None, *, at: datetime | None = None
    ) -> int:
        """Cancel a person's pending reminders (for one session, or all); returns how many."""
        row = DeliveryRow
        stmt = update(row).where(row.user_id == user_id, row.status == DeliveryStatus.PENDING.value)
        if session_id is not None:
            stmt = stmt.where(row.session_id == session_id)
        stmt = stmt.values(status=DeliveryStatus.CANCELLED.value)
        if at is not None:
            stmt = stmt.values(updated_at=_utc(at, "at"))
        with self._write() as conn:
            return conn.execute(stmt).rowcount

    def cancel_delivery(
        self, delivery_id: int, user_id: str, *, at: datetime | None = None
    ) -> bool:
        """Cancel one pending reminder, only if it belongs to `user_id`."""
        row = DeliveryRow
        stmt = (
            update(row)
            .where(
                row.id == delivery_id,
                row.user_id == user_id,
                row.status == DeliveryStatus.PENDING.value,
            )
            .values(status=DeliveryStatus.CANCELLED.value)
        )
        if at is not None:
            stmt = stmt.values(updated_at=_utc(at, "at"))
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

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
        now = _utc(now, "now")
        if limit <= 0:
            return []
        if lease_seconds <= 0:
            raise ValueError(f"lease_seconds must be positive: {lease_seconds}")
        row = DeliveryRow
        pick = select(row.id).where(_claimable(now)).order_by(row.due_at, row.id).limit(limit)
        if self._postgres:
            pick = pick.with_for_update(skip_locked=True)
        with self._write() as conn:
            ids = list(conn.scalars(pick))
            if not ids:
                return []
            # The condition is checked again, so a row is only ever taken while claimable.
            claimed = conn.execute(
                update(row)
                .where(row.id.in_(ids), _claimable(now))
                .values(
                    status=DeliveryStatus.CLAIMED.value,
                    claimed_by=worker_id,
                    lease_until=now + timedelta(seconds=lease_seconds),
                    attempts=row.attempts + 1,
                    updated_at=now,
                )
                .returning(*_DELIVERY_COLUMNS)
            )
            taken = [_delivery(r) for r in claimed.mappings()]
        return sorted(taken, key=lambda d: (d.due_at, d.id))

    def _finish(self, delivery_id: int, worker_id: str, values: Mapping[str, Any]) -> bool:
        """Update a reminder only while `worker_id` still holds its claim."""
        row = DeliveryRow
        stmt = (
            update(row)
            .where(
                row.id == delivery_id,
                row.status == DeliveryStatus.CLAIMED.value,
                row.claimed_by == worker_id,
            )
            .values(**values)
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def mark_sent(
        self, delivery_id: int, worker_id: str, channel_id: str, message_ts: str, at: datetime
    ) -> bool:
        """Record a sent reminder; False when `worker_id` no longer holds the claim."""
        at = _utc(at, "at")
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

    def mark_missed(self, delivery_id: int, worker_id: str, at: datetime, reason: str) -> bool:
        """Give up on a reminder that is too late to be useful; `reason` says why."""
        at = _utc(at, "at")
        return self._finish(
            delivery_id,
            worker_id,
            {
                "status": DeliveryStatus.MISSED.value,
                "lease_until": None,
                "error": reason,
                "updated_at": at,
            },
        )

    def mark_failed(self, delivery_id: int, worker_id: str, at: datetime, error: str) -> bool:
        """Give up on a reminder after a permanent error."""
        at = _utc(at, "at")
        return self._finish(
            delivery_id,
            worker_id,
            {
                "status": DeliveryStatus.FAILED.value,
                "lease_until": None,
                "error": error,
                "updated_at": at,
            },
        )

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
            "status": DeliveryStatus.PENDING.value,
            "next_attempt_at": _utc(retry_at, "retry_at"),
            "claimed_by": None,
            "lease_until": None,
            "error": error,
        }
        if at is not None:
            values["updated_at"] = _utc(at, "at")
        return self._finish(delivery_id, worker_id, values)

    def next_due_at(self) -> datetime | None:
        """The earliest instant at which `claim_due` could return something, if any.

        That is a pending row's due time (or its retry time, when later) or the end of a
        claim's lease, whichever comes first; it may already be in the past.
        """
        row = DeliveryRow
        pending = row.status == DeliveryStatus.PENDING.value
        waiting_retry = and_(row.next_attempt_at.is_not(None), row.next_attempt_at > row.due_at)
        queries = (
            select(func.min(row.due_at)).where(pending, ~waiting_retry),
            select(func.min(row.next_attempt_at)).where(pending, waiting_retry),
            select(func.min(row.lease_until)).where(row.status == DeliveryStatus.CLAIMED.value),
        )
        with self._read() as conn:
            found = [conn.scalar(query) for query in queries]
        instants = [instant for instant in found if instant is not None]
        return min(instants, default=None)

    def delivery(self, delivery_id: int) -> Delivery | None:
        """One reminder by id, or None."""
        stmt = select(*_DELIVERY_COLUMNS).where(DeliveryRow.id == delivery_id)
        with self._read() as conn:
            row = conn.execute(stmt).mappings().first()
        return None if row is None else _delivery(row)

    def deliveries_for(self, user_id: str, statuses: Iterable[str] | None = None) -> list[Delivery]:
        """A person's reminders in due order, only those in `statuses` when given."""
        row = DeliveryRow
        stmt = select(*_DELIVERY_COLUMNS).where(row.user_id == user_id)
        if statuses is not None:
            wanted = [DeliveryStatus(status).value for status in statuses]
            stmt = stmt.where(row.status.in_(wanted))
        stmt = stmt.order_by(row.due_at, row.id)
        with self._read() as conn:
            return [_delivery(r) for r in conn.execute(stmt).mappings()]

    def delivery_counts(self) -> dict[str, int]:
        """How many reminders are in each status (every status listed, zeros included)."""
        stmt = select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
        counts = {status.value: 0 for status in DeliveryStatus}
        with self._read() as conn:
            for status, count in conn.execute(stmt):
                counts[status] = int(count)
        return counts

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

    def deliveries_in(
        self,
        users: Iterable[str] | None = None,
        sessions: Iterable[str] | None = None,
        statuses: Iterable[str] | None = None,
    ) -> list[Delivery]:
        """The reminders of `users` for `sessions` (everybody / every session when None)."""
        row = DeliveryRow
        stmt = select(*_DELIVERY_COLUMNS)
        if statuses is not None:
            stmt = stmt.where(row.status.in_([DeliveryStatus(s).value for s in statuses]))
        found: dict[int, Delivery] = {}
        with self._read() as conn:
            for part in _scoped(stmt, row.user_id, users, row.session_id, sessions):
                for values in conn.execute(part).mappings():
                    delivery = _delivery(values)
                    found[delivery.id] = delivery
        return sorted(found.values(), key=lambda d: (d.due_at, d.id))

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

    def dismiss_delivery(self, delivery_id: int, user_id: str, at: datetime) -> bool:
        """Cancel one pending reminder at its person's request, marked `DISMISSED`.

        Planning leaves a dismissed reminder cancelled (the person keeps the bookmark)
        until the person bookmarks the session again.
        """
        row = DeliveryRow
        stmt = (
            update(row)
            .where(
                row.id == delivery_id,
                row.user_id == user_id,
                row.status == DeliveryStatus.PENDING.value,
            )
            .values(status=DeliveryStatus.CANCELLED.value, error=DISMISSED, updated_at=_utc(at))
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1


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
