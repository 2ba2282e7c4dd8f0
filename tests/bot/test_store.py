"""The store on real SQLite and PostgreSQL, one small behaviour per test."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, event, func, inspect, select, text
from sqlalchemy.pool import NullPool

from bot.store import (
    MIGRATIONS_DIR,
    Base,
    DeliveryStatus,
    Preferences,
    ScheduleSnapshotRow,
    Store,
    Viewer,
    alembic_config,
)

T = TypeVar("T")

T0 = datetime(2013, 11, 5, 3, 0, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))
TABLES = {
    "bookmarks",
    "preferences",
    "follows",
    "deliveries",
    "dm_channels",
    "schedule_snapshots",
    "change_notices",
}


@contextmanager
def raw(url: str) -> Iterator[Connection]:
    """A plain connection to the store's database, outside the store."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def head_revision() -> str:
    """The newest migration shipped with the bot."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def race(count: int, work: Callable[[int], T]) -> list[T]:
    """Run `work(i)` in `count` threads released together; their results in thread order."""
    barrier = threading.Barrier(count)
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as exc:  # re-raised in the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return [results[i] for i in range(count)]


# -- bookmarks ---------------------------------------------------------------------------


def test_bookmark_twice_keeps_one_row(store: Store) -> None:
    """Bookmarking the same session twice stores it once and reports only the first as new."""
    assert store.add_bookmark("U1", "s-keynote", T0) is True
    assert store.add_bookmark("U1", "s-keynote", T0 + timedelta(minutes=1)) is False
    assert store.bookmarks("U1") == frozenset({"s-keynote"})
    assert store.bookmark_count() == 1


def test_bookmarks_are_per_person(store: Store) -> None:
    """Bookmarks, bookmarkers and the count keep people and sessions apart."""
    store.add_bookmark("U2", "s-a", T0)
    store.add_bookmark("U1", "s-a", T0)
    store.add_bookmark("U1", "s-b", T0)
    assert store.bookmarks("U1") == frozenset({"s-a", "s-b"})
    assert store.bookmarks("U3") == frozenset()
    assert store.bookmarkers("s-a") == ["U1", "U2"]
    assert store.bookmarkers("s-missing") == []
    assert store.is_bookmarked("U2", "s-a") is True
    assert store.is_bookmarked("U2", "s-b") is False
    assert store.bookmark_count() == 3


def test_remove_bookmark(store: Store) -> None:
    """Removing a bookmark drops it once and reports False when there is none."""
    store.add_bookmark("U1", "s-a", T0)
    store.add_bookmark("U1", "s-b", T0)
    assert store.remove_bookmark("U1", "s-a") is True
    assert store.remove_bookmark("U1", "s-a") is False
    assert store.bookmarks("U1") == frozenset({"s-b"})
    assert store.add_bookmark("U1", "s-a", T0) is True


def test_concurrent_bookmark_from_threads_keeps_one_row(store_url: str, store: Store) -> None:
    """Eight stores bookmarking the same session at once leave one row and one winner."""
    stores = [Store.open(store_url) for _ in range(8)]
    try:
        results = race(8, lambda i: stores[i].add_bookmark("U1", "s-race", T0))
    finally:
        for other in stores:
            other.close()
    assert results.count(True) == 1
    assert results.count(False) == 7
    assert store.bookmark_count() == 1


# -- preferences -------------------------------------------------------------------------


def test_preferences_default_when_never_set(store: Store) -> None:
    """A person who never changed anything gets the defaults."""
    assert store.preferences("U1") == Preferences(
        user_id="U1",
        lead_minutes=None,
        reminders_enabled=True,
        timezone=None,
        timezone_checked_at=None,
    )


def test_preferences_updates_keep_other_fields(store: Store) -> None:
    """Each setter changes its own field and leaves the others as they were."""
    store.set_lead_minutes("U1", 15)
    store.set_reminders_enabled("U1", False)
    store.set_timezone("U1", "Asia/Shanghai", T0.astimezone(SHANGHAI))
    assert store.preferences("U1") == Preferences(
        user_id="U1",
        lead_minutes=15,
        reminders_enabled=False,
        timezone="Asia/Shanghai",
        timezone_checked_at=T0,
    )
    store.set_lead_minutes("U1", None)
    store.set_reminders_enabled("U1", True)
    store.set_timezone("U1", None, T0 + timedelta(hours=1))
    assert store.preferences("U1") == Preferences(
        user_id="U1", timezone_checked_at=T0 + timedelta(hours=1)
    )
    assert store.preferences("U2") == Preferences(user_id="U2")


def test_timezone_alone_keeps_reminders_enabled_by_default(store: Store) -> None:
    """A row created by setting the time zone still has reminders on and no lead time."""
    store.set_timezone("U1", "Europe/Paris", T0)
    prefs = store.preferences("U1")
    assert prefs.reminders_enabled is True
    assert prefs.lead_minutes is None
    assert prefs.timezone == "Europe/Paris"


def test_negative_lead_minutes_refused(store: Store) -> None:
    """A negative lead time is refused and nothing is stored."""
    with pytest.raises(ValueError, match="negative"):
        store.set_lead_minutes("U1", -5)
    assert store.preferences("U1").lead_minutes is None


# -- follows -----------------------------------------------------------------------------


def test_follow_and_unfollow(store: Store) -> None:
    """Following is idempotent, per person, and undone by unfollowing."""
    assert store.follow("U1", "Nova", T0) is True
    assert store.follow("U1", "Nova", T0) is False
    assert store.follow("U1", "Swift", T0) is True
    assert store.follow("U2", "Nova", T0) is True
    assert store.follows("U1") == frozenset({"Nova", "Swift"})
    assert store.followers("Nova") == ["U1", "U2"]
    assert store.unfollow("U1", "Nova") is True
    assert store.unfollow("U1", "Nova") is False
    assert store.follows("U1") == frozenset({"Swift"})
    assert store.followers("Nova") == ["U2"]
    assert store.followers("Glance") == []


# -- DM channels -------------------------------------------------------------------------


def test_dm_channel_saved_and_replaced(store: Store) -> None:
    """A DM channel is unknown until saved, and saving again replaces it."""
    assert store.dm_channel("U1") is None
    store.save_dm_channel("U1", "D100")
    store.save_dm_channel("U2", "D200")
    assert store.dm_channel("U1") == "D100"
    store.save_dm_channel("U1", "D101")
    assert store.dm_channel("U1") == "D101"
    assert store.dm_channel("U2") == "D200"


# -- schedule snapshots ------------------------------------------------------------------


def test_snapshot_save_and_load(store: Store) -> None:
    """The latest snapshot comes back whole, with its instant in UTC."""
    assert store.latest_schedule_snapshot() is None
    content = '{"sessions": [{"id": "s-1", "title": "Nova \u2013 scheduler"}]}'
    saved = store.save_schedule_snapshot(
        "https://example.org/s.json", "sha256:abc", content, T0.astimezone(SHANGHAI)
    )
    latest = store.latest_schedule_snapshot()
    assert latest == saved
    assert latest is not None
    assert latest.content == content
    assert latest.loaded_at == T0
    assert latest.loaded_at.tzinfo is UTC


def test_snapshot_keeps_only_the_latest_few(store_url: str, store: Store) -> None:
    """Saving more snapshots than are kept drops the oldest ones."""
    for i in range(Store.SNAPSHOTS_KEPT + 3):
        store.save_schedule_snapshot("bundled", f"d{i}", f'{{"n": {i}}}', T0 + timedelta(i))
    latest = store.latest_schedule_snapshot()
    assert latest is not None
    assert latest.digest == f"d{Store.SNAPSHOTS_KEPT + 2}"
    with raw(store_url) as conn:
        digests = conn.scalars(select(ScheduleSnapshotRow.digest).order_by("id")).all()
    assert digests == [f"d{i}" for i in range(3, Store.SNAPSHOTS_KEPT + 3)]


def test_latest_snapshot_is_the_last_saved_even_with_an_older_clock(store: Store) -> None:
    """The snapshot saved last wins even when its load time is earlier (a replayed clock)."""
    store.save_schedule_snapshot("a", "d-new-clock", "{}", T0 + timedelta(days=1))
    store.save_schedule_snapshot("b", "d-replayed", "{}", T0)
    latest = store.latest_schedule_snapshot()
    assert latest is not None
    assert latest.digest == "d-replayed"


# -- change notices ----------------------------------------------------------------------


def test_change_notice_claimed_once(store: Store) -> None:
    """Only the first claim of a notice wins; marking it sent does not free it again."""
    assert store.claim_change_notice("U1", "moved:s-1", T0) is True
    assert store.claim_change_notice("U1", "moved:s-1", T0) is False
    assert store.claim_change_notice("U2", "moved:s-1", T0) is True
    assert store.mark_change_notice_sent("U1", "moved:s-1", "1383620400.000100") is True
    assert store.release_change_notice("U1", "moved:s-1") is False
    assert store.claim_change_notice("U1", "moved:s-1", T0) is False
    assert store.mark_change_notice_sent("U3", "moved:s-1", "1.2") is False


def test_released_change_notice_can_be_claimed_again(store: Store) -> None:
    """A notice given back after a failed send can be claimed again."""
    assert store.claim_change_notice("U1", "k", T0) is True
    assert store.release_change_notice("U1", "k") is True
    assert store.claim_change_notice("U1", "k", T0) is True


def test_change_notice_race_has_one_winner(store_url: str, store: Store) -> None:
    """Six stores claiming the same notice at once: exactly one of them wins."""
    stores = [Store.open(store_url) for _ in range(6)]
    try:
        results = race(6, lambda i: stores[i].claim_change_notice("U1", "cancelled:s-9", T0))
    finally:
        for other in stores:
            other.close()
    assert results.count(True) == 1
    assert store.claim_change_notice("U1", "cancelled:s-9", T0) is False


# -- instants ----------------------------------------------------------------------------


def test_instants_come_back_aware_utc(store: Store) -> None:
    """Instants written with any offset come back as the same instant in UTC."""
    start = datetime(2013, 11, 5, 14, 0, tzinfo=SHANGHAI)
    due = start - timedelta(minutes=10)
    store.plan_delivery("U1", "s-1", start, due, T0.astimezone(SHANGHAI))
    [delivery] = store.deliveries_for("U1")
    for instant, expected in [
        (delivery.start_at, start),
        (delivery.due_at, due),
        (delivery.created_at, T0),
        (delivery.updated_at, T0),
    ]:
        assert instant == expected
        assert instant.tzinfo is UTC
    assert delivery.start_at.hour == 6
    store.set_timezone("U1", "Asia/Shanghai", start)
    checked = store.preferences("U1").timezone_checked_at
    assert checked == start
    assert checked is not None
    assert checked.tzinfo is UTC


def test_naive_instants_refused(store: Store) -> None:
    """A naive datetime is refused instead of being guessed at, and nothing is written."""
    naive = datetime(2013, 11, 5, 3, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.add_bookmark("U1", "s-1", naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.plan_delivery("U1", "s-1", naive, T0, T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.claim_due(naive, worker_id="w", limit=1, lease_seconds=30)
    assert store.bookmark_count() == 0
    assert store.deliveries_for("U1") == []


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
    store.add_bookmark("U1", "s-1", T0)
    store.plan_delivery("U1", "s-1", T0 + timedelta(hours=1), T0, T0)
    for _ in range(2):
        again = Store.open(store_url)
        assert again.bookmarks("U1") == frozenset({"s-1"})
        assert again.delivery_counts()[DeliveryStatus.PENDING] == 1
        again.close()
    with raw(store_url) as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    assert [v for (v,) in versions] == [head_revision()]


def test_concurrent_open_of_an_empty_database_migrates_once(store_url: str) -> None:
    """Stores opening a fresh database at the same moment all succeed on one schema."""
    stores = race(4, lambda _i: Store.open(store_url))
    try:
        for opened in stores:
            opened.add_bookmark("U1", "s-1", T0)
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
        assert store.add_bookmark("U1", "s-1", T0) is True
    finally:
        store.close()
    assert (elsewhere / "relative.db").is_file()


def test_sqlite_file_uses_wal_and_foreign_keys(sqlite_url: str) -> None:
    """A SQLite file store runs in WAL mode with foreign keys and a busy timeout."""
    store = Store.open(sqlite_url)
    try:
        with store._read() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        store.close()


def test_sqlite_in_memory_store_is_shared_between_threads() -> None:
    """An in-memory SQLite store is one database, usable from several threads."""
    store = Store.open("sqlite:///:memory:")
    try:
        results = race(5, lambda i: store.add_bookmark(f"U{i}", "s-1", T0))
        assert results == [True] * 5
        assert store.bookmarkers("s-1") == [f"U{i}" for i in range(5)]
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
        store.save_dm_channel("U1", "D1")
        assert store.dm_channel("U1") == "D1"
    with raw(sqlite_url) as conn:
        assert conn.scalar(select(func.count()).select_from(text("dm_channels"))) == 1


def test_viewer_reads_settings_and_bookmarks_in_one_query(store: Store) -> None:
    """`viewer` gives what `preferences` and `bookmarks` give, in one statement to the database."""
    at = datetime(2013, 11, 5, 3, 0, tzinfo=UTC)
    assert store.viewer("U1") == Viewer(Preferences("U1"), frozenset())
    store.add_bookmark("U1", "a-session", at)
    assert store.viewer("U1") == Viewer(Preferences("U1"), frozenset({"a-session"}))
    store.set_timezone("U1", "Europe/Paris", at)
    store.set_lead_minutes("U1", 5)
    store.add_bookmark("U1", "x" * 200, at)
    store.add_bookmark("U2", "someone-elses", at)
    store.set_reminders_enabled("U3", False)
    seen = store.viewer("U1")
    assert seen.preferences == store.preferences("U1")
    assert seen.bookmarks == store.bookmarks("U1") == {"a-session", "x" * 200}
    assert store.viewer("U3") == Viewer(store.preferences("U3"), frozenset())
    checkouts: list[object] = []
    statements: list[str] = []
    engine = store._engine

    def checkout(dbapi_connection: Any, record: object, proxy: object) -> None:
        checkouts.append(dbapi_connection)
        if hasattr(dbapi_connection, "set_trace_callback"):  # SQLite tells each statement run
            dbapi_connection.set_trace_callback(statements.append)

    event.listen(engine.pool, "checkout", checkout)
    try:
        seen = store.viewer("U1")
    finally:
        event.remove(engine.pool, "checkout", checkout)
        for connection in checkouts:
            if hasattr(connection, "set_trace_callback"):
                connection.set_trace_callback(None)
    assert seen.bookmarks == {"a-session", "x" * 200}
    assert len(checkouts) == 1, "one connection from the pool"
    if store.dialect_name == "sqlite":
        assert len(statements) == 1, statements
        assert statements[0].lstrip().upper().startswith("SELECT")
