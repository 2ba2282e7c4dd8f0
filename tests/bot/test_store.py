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

from bot.storage.tables import Base
from bot.store import MIGRATIONS_DIR, DeliveryStatus, Store, alembic_config
from tests.support.store_helpers import race, raw

T = TypeVar("T")

T0 = datetime(2013, 11, 5, 3, 0, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))
START = T0 + timedelta(hours=2)
DUE = START - timedelta(minutes=10)
TABLES = {
    "bookmarks",
    "preferences",
    "follows",
    "deliveries",
    "dm_channels",
    "schedule_snapshots",
    "change_notices",
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
    store.deliveries.plan("U1", "s-1", start, due, T0.astimezone(SHANGHAI))
    [delivery] = store.deliveries.find(["U1"])
    for instant, expected in [
        (delivery.start_at, start),
        (delivery.due_at, due),
        (delivery.created_at, T0),
        (delivery.updated_at, T0),
    ]:
        assert instant == expected
        assert instant.tzinfo is UTC
    assert delivery.start_at.hour == 6
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
        store.deliveries.plan("U1", "s-1", naive, T0, T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.deliveries.claim_due(naive, worker_id="w", limit=1, lease_seconds=30)
    assert store.bookmarks.count() == 0
    assert store.deliveries.find(["U1"]) == []


# -- across repositories ---------------------------------------------------------------


def test_rename_session_moves_bookmarks_and_reminders(store: Store) -> None:
    """A renamed session keeps its bookmarkers and their reminders under the new id."""
    store.bookmarks.add([("U1", "old")], T0)
    store.bookmarks.add([("U2", "old")], T0)
    store.bookmarks.add([("U2", "new")], T0)
    store.bookmarks.add([("U3", "other")], T0)
    store.deliveries.plan("U1", "old", START, DUE, T0)
    store.deliveries.plan("U2", "old", START, DUE, T0)
    store.deliveries.plan("U2", "new", START, DUE, T0)
    assert store.rename_session("old", "new", at=DUE) == 2
    assert store.bookmarks.bookmarkers(["old", "new"]) == {"new": ["U1", "U2"]}
    assert store.bookmarks.sessions_of("U3") == frozenset({"other"})
    [moved] = store.deliveries.find(["U1"])
    assert (moved.session_id, moved.status, moved.updated_at) == (
        "new",
        DeliveryStatus.PENDING,
        DUE,
    )
    u2 = {(d.session_id, d.status) for d in store.deliveries.find(["U2"])}
    assert u2 == {("old", DeliveryStatus.CANCELLED), ("new", DeliveryStatus.PENDING)}


def test_rename_session_carries_sent_reminders_so_none_is_sent_twice(store: Store) -> None:
    """A reminder already sent follows the rename, so planning the new id sends nothing."""
    store.deliveries.plan("U1", "old", START, DUE, T0)
    [claimed] = store.deliveries.claim_due(DUE, worker_id="w1", limit=10, lease_seconds=60)
    store.deliveries.mark_sent(claimed.id, "w1", "D1", "1.1", DUE)
    store.rename_session("old", "new")
    store.deliveries.plan("U1", "new", START, DUE, DUE)
    [sent] = store.deliveries.find(["U1"])
    assert (sent.session_id, sent.status) == ("new", DeliveryStatus.SENT)
    assert store.rename_session("new", "new") == 0


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
        unique = inspect(conn).get_unique_constraints("deliveries")
        assert [c["column_names"] for c in unique] == [["user_id", "session_id", "start_at"]]
        indexes = {i["name"]: i["column_names"] for i in inspect(conn).get_indexes("deliveries")}
        assert indexes["ix_deliveries_status_due_at"] == ["status", "due_at"]


def test_migrated_schema_matches_the_models(store_url: str, store: Store) -> None:
    """The migrations build exactly the tables the models describe."""
    with raw(store_url) as conn:
        diffs = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diffs == []


def test_reopening_is_idempotent_and_keeps_data(store_url: str, store: Store) -> None:
    """Opening a migrated database again changes nothing and keeps what was stored."""
    store.bookmarks.add([("U1", "s-1")], T0)
    store.deliveries.plan("U1", "s-1", T0 + timedelta(hours=1), T0, T0)
    for _ in range(2):
        again = Store.open(store_url)
        assert again.bookmarks.sessions_of("U1") == frozenset({"s-1"})
        assert again.deliveries.counts()[DeliveryStatus.PENDING] == 1
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
