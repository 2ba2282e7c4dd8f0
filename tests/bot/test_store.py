"""The store on real SQLite and PostgreSQL, one small behaviour per test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TypeVar

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text

from bot.storage.outbox import NewItem, OutboxKind, OutboxStatus
from bot.storage.tables import METADATA, OutboxRow
from bot.store import MIGRATIONS_DIR, Store, alembic_config
from tests.support.store_helpers import race, raw

T = TypeVar("T")

T0 = datetime(2013, 11, 5, 3, 0, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))
START = T0 + timedelta(hours=2)
DUE = START - timedelta(minutes=10)
TABLES = {
    "calendar_tokens",
    "calendar_sessions",
    "bookmarks",
    "preferences",
    "follows",
    "outbox",
    "outbox_budget",
    "outbox_messages",
    "dm_channels",
    "schedule_snapshots",
}


def head_revision() -> str:
    """The newest migration shipped with the bot."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


# -- instants ----------------------------------------------------------------------------


def test_instants_come_back_aware_utc(store: Store) -> None:
    """Instants written with any offset come back as the same instant in UTC."""
    start = datetime(2013, 11, 5, 14, 0, tzinfo=SHANGHAI)
    due = start - timedelta(minutes=10)
    item = NewItem(
        OutboxKind.REMINDER, "k", "U1", due, due, start, session_id="s-1", starts_at=start
    )
    store.outbox.enqueue([item], T0.astimezone(SHANGHAI))
    [delivery] = store.outbox.items(recipient="U1")
    with store._db.read() as conn:
        created = conn.scalar(select(OutboxRow.created_at))
    for instant, expected in [
        (delivery.starts_at, start),
        (delivery.due_at, due),
        (delivery.give_up_at, start),
        (created, T0),
    ]:
        assert instant == expected
        assert instant is not None
        assert instant.tzinfo is UTC
    assert delivery.starts_at is not None
    assert delivery.starts_at.hour == 6
    store.people.set_timezone("U1", "Asia/Shanghai", start)
    checked = store.people.preferences(["U1"])["U1"].timezone_checked_at
    assert checked == start
    assert checked is not None
    assert checked.tzinfo is UTC


def test_naive_instants_refused(store: Store) -> None:
    """A naive datetime is refused instead of being guessed at, and nothing is written."""
    naive = datetime(2013, 11, 5, 3, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.bookmarks.add([("U1", "s-1")], naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.people.set_timezone("U1", "Asia/Shanghai", naive)
    assert store.bookmarks.count() == 0
    assert store.people.preferences(["U1"])["U1"].timezone is None


def test_analyze_leaves_the_data_alone(store: Store) -> None:
    """Refreshing the planner's statistics works on the backend and changes no row."""
    store.bookmarks.add([(f"U{n}", "a") for n in range(50)], T0)
    store.analyze()
    assert store.bookmarks.count() == 50


# -- opening and migrations --------------------------------------------------------------


def test_migrations_create_every_table_on_an_empty_database(store_url: str) -> None:
    """Opening an empty database creates every table and stamps the head revision."""
    with raw(store_url) as conn:
        assert not TABLES & set(inspect(conn).get_table_names())
    store = Store.open(store_url)
    store.close()
    with raw(store_url) as conn:
        assert set(inspect(conn).get_table_names()) >= TABLES
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
        assert not {"deliveries", "change_notices"} & set(inspect(conn).get_table_names())
        unique = inspect(conn).get_unique_constraints("outbox")
        assert [c["column_names"] for c in unique] == [["key"]]
        indexes = {i["name"]: i["column_names"] for i in inspect(conn).get_indexes("outbox")}
        assert indexes["ix_outbox_status_not_before"] == ["status", "not_before"]
        assert indexes["ix_outbox_recipient_session"] == ["recipient", "session_id"]


def test_migrated_schema_matches_the_models(store_url: str, store: Store) -> None:
    """The migrations build exactly the tables the models describe."""
    with raw(store_url) as conn:
        diffs = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), METADATA
        )
    assert diffs == []


def test_reopening_is_idempotent_and_keeps_data(store_url: str, store: Store) -> None:
    """Opening a migrated database again changes nothing and keeps what was stored."""
    store.bookmarks.add([("U1", "s-1")], T0)
    item = NewItem(OutboxKind.NOTICE, "k", "U1", T0, T0, T0 + timedelta(hours=1))
    store.outbox.enqueue([item], T0)
    for _ in range(2):
        again = Store.open(store_url)
        assert again.bookmarks.sessions_of("U1") == frozenset({"s-1"})
        assert again.outbox.counts()[OutboxStatus.PENDING] == 1
        again.close()
    with raw(store_url) as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    assert [v for (v,) in versions] == [head_revision()]


def test_concurrent_open_of_an_empty_database_migrates_once(store_url: str) -> None:
    """Stores opening a fresh database at the same moment all succeed on one schema."""
    stores = race(4, lambda _i: Store.open(store_url))
    try:
        for opened in stores:
            opened.bookmarks.add([("U1", "s-1")], T0)
    finally:
        for opened in stores:
            opened.close()
    with raw(store_url) as conn:
        assert conn.scalar(text("SELECT count(*) FROM alembic_version")) == 1
        assert conn.scalar(text("SELECT count(*) FROM bookmarks")) == 1


def test_open_works_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migrations are found through the package, not the current directory."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert MIGRATIONS_DIR.is_dir()
    store = Store.open("sqlite:///relative.db")
    try:
        assert store.bookmarks.add([("U1", "s-1")], T0) == 1
    finally:
        store.close()
    assert (elsewhere / "relative.db").is_file()


def test_sqlite_file_uses_wal_and_foreign_keys(sqlite_url: str) -> None:
    """A SQLite file store runs in WAL mode with foreign keys and a busy timeout."""
    store = Store.open(sqlite_url)
    try:
        with store._db.read() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        store.close()


def test_sqlite_in_memory_store_is_shared_between_threads() -> None:
    """An in-memory SQLite store is one database, usable from several threads."""
    store = Store.open("sqlite:///:memory:")
    try:
        results = race(5, lambda i: store.bookmarks.add([(f"U{i}", "s-1")], T0) == 1)
        assert results == [True] * 5
        assert store.bookmarks.bookmarkers(["s-1"]).get("s-1", []) == [f"U{i}" for i in range(5)]
        assert store.dialect_name == "sqlite"
    finally:
        store.close()


def test_unsupported_database_refused() -> None:
    """A database other than SQLite or PostgreSQL is refused with a clear error."""
    with pytest.raises(ValueError, match="unsupported database"):
        Store.open("mysql://user:secret@localhost/summit")


def test_store_works_as_a_context_manager(sqlite_url: str) -> None:
    """A store opened in a with block is usable inside it and its writes outlive it."""
    with Store.open(sqlite_url) as store:
        store.people.save_dm_channel("U1", "D1")
        assert store.people.dm_channel("U1") == "D1"
    with raw(sqlite_url) as conn:
        assert conn.scalar(select(func.count()).select_from(text("dm_channels"))) == 1
