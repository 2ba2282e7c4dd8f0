"""The one-shot reads on sqlite3 give exactly what the SQLAlchemy store gives, on any input."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from bot.core import Core
from bot.core.schedule_source import ScheduleSource
from bot.settings import Settings
from bot.storage.failures import database_errors
from bot.storage.sqlite_reads import SQLITE_BUSY_TIMEOUT_MS, SqliteReads, sqlite_file
from bot.store import SCHEMA_HEAD, Store
from schedule.model import Schedule

AT = datetime(2013, 11, 5, 3, 0, 0, 123456, tzinfo=UTC)


def fill(store: Store) -> None:
    """Settings, bookmarks and three saved schedules, with the awkward values real ones have."""
    store.people.set_timezone("U1", "Europe/Paris", AT)
    store.people.set_lead_minutes("U1", 5)
    store.people.set_reminders_enabled("U2", False)
    store.bookmarks.add([("U1", "a"), ("U1", "ü-ß 'quoted' \"too\""), ("U2", "b")], AT)
    previous = None
    for n in range(4):
        saved = store.snapshots.save(
            f"src{n}", f"d{n}", f'{{"n": {n}}}', AT + timedelta(hours=n), previous_digest=previous
        )
        assert saved is not None
        previous = saved.digest


@pytest.fixture
def both(tmp_path: Path) -> tuple[Store, SqliteReads]:
    """A filled SQLite file, opened by the store (SQLAlchemy) and by the one-shot reads."""
    path = tmp_path / "state.db"
    store = Store.open(f"sqlite:///{path}")
    fill(store)
    reads = SqliteReads(path, SQLITE_BUSY_TIMEOUT_MS / 1000)
    yield store, reads
    reads.close()
    store.close()


def test_viewers_match_the_store(both: tuple[Store, SqliteReads]) -> None:
    """Each person's settings and bookmarks read on sqlite3 equal the store's, strangers included."""
    store, reads = both
    for user in ("U1", "U2", "UNOBODY", "'; DROP TABLE bookmarks; --"):
        assert reads.viewer(user) == store.viewer(user), user
    assert reads.viewer("U1").preferences.timezone_checked_at == AT


def test_snapshots_match_the_store(both: tuple[Store, SqliteReads]) -> None:
    """The kept schedules, their order, limits and instants equal the store's."""
    store, reads = both
    for limit in (None, 1, 2, 10):
        assert reads.snapshots(limit) == store.snapshots.recent(limit), limit
    assert [s.digest for s in reads.snapshots()] == ["d3", "d2", "d1"]
    assert reads.latest_digest() == store.snapshots.latest_digest() == "d3"


def test_an_empty_database_reads_as_the_store_reads_it(tmp_path: Path) -> None:
    """No revision before migrating; no schedule and default settings after."""
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    reads = SqliteReads(path, 1.0)
    assert reads.schema_revision() is None
    with Store.open(f"sqlite:///{path}") as store:
        assert reads.schema_revision() == store.schema_revision() == SCHEMA_HEAD
        assert reads.snapshots() == store.snapshots.recent() == []
        assert reads.latest_digest() is None
        assert reads.viewer("U1") == store.viewer("U1")
    reads.close()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    user=st.text(min_size=1, max_size=40),
    sessions=st.sets(st.text(min_size=1, max_size=60), max_size=6),
    zone=st.none() | st.text(max_size=40),
    lead=st.none() | st.integers(min_value=0, max_value=10_000),
)
def test_any_person_reads_alike(
    both: tuple[Store, SqliteReads],
    user: str,
    sessions: set[str],
    zone: str | None,
    lead: int | None,
) -> None:
    """Whatever the ids and values (quotes, NULs, any script), both reads agree."""
    store, reads = both
    store.bookmarks.add([(user, s) for s in sessions], AT)
    if zone is not None:
        store.people.set_timezone(user, zone, AT)
    if lead is not None:
        store.people.set_lead_minutes(user, lead)
    assert reads.viewer(user) == store.viewer(user)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///state.db", "state.db"),
        ("sqlite:////var/lib/summit bot/state.db", "/var/lib/summit bot/state.db"),
        ("sqlite+pysqlite:///a/b.db", "a/b.db"),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///state.db?mode=ro", None),
        ("sqlite:///caf%C3%A9.db", None),
        ("sqlite:///a.db#x", None),
        ("postgresql://u@localhost/db", None),
        ("sqlite+aiosqlite:///a.db", None),
        (" sqlite:///a.db", None),
        ("sqlite:///", None),
    ],
)
def test_only_plain_file_urls_take_the_short_path(url: str, path: str | None) -> None:
    """A plain file URL names its file; every other form is left to SQLAlchemy."""
    found = sqlite_file(url)
    assert (None if found is None else str(found)) == path


@settings(max_examples=500)
@given(st.text(alphabet=st.characters(blacklist_characters="\x00"), min_size=1, max_size=60))
def test_a_file_taken_is_the_file_sqlalchemy_names(path: str) -> None:
    """Whenever the short path takes a URL, SQLAlchemy reads the same file from it."""
    url = f"sqlite:///{path}"
    found = sqlite_file(url)
    if found is not None:
        assert found == Path(make_url(url).database or "")


def test_one_shot_store_loads_sqlalchemy_only_to_write(tmp_path: Path) -> None:
    """Reads need no engine; the first write makes one, and the reads see it at once."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    Store.open(url).close()  # creates and migrates the file
    with Store.open(url, one_shot=True) as store:
        assert store.viewer("U1").bookmarks == frozenset()
        assert store.snapshots.latest() is None
        assert store._database is None, "no SQLAlchemy engine for reads"
        store.bookmarks.add([("U1", "a")], AT)
        assert store._database is not None
        assert store.viewer("U1").bookmarks == {"a"}


def test_one_shot_store_migrates_a_database_behind(tmp_path: Path) -> None:
    """A file that exists but was never migrated is migrated, then read the short way."""
    path = tmp_path / "state.db"
    sqlite3.connect(path).close()
    with Store.open(f"sqlite:///{path}", one_shot=True) as store:
        assert store.schema_revision() == SCHEMA_HEAD
        assert store.viewer("U1").bookmarks == frozenset()


def test_one_shot_store_in_memory_uses_sqlalchemy() -> None:
    """An in-memory database has one connection: the one-shot store keeps to SQLAlchemy's."""
    with Store.open("sqlite://", one_shot=True) as store:
        store.bookmarks.add([("U1", "a")], AT)
        assert store.viewer("U1").bookmarks == {"a"}


def test_a_broken_file_leaves_answers_without_state(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A database file that went bad mid-run: the viewer reads as unknown, logged once, no crash."""
    path = tmp_path / "state.db"
    Store.open(f"sqlite:///{path}").close()
    store = Store.open(f"sqlite:///{path}", one_shot=True)
    schedule = Schedule(name="S", timezone="UTC", sessions=())
    core = Core(
        settings=Settings(),
        store=store,
        schedules=ScheduleSource(schedule),
        commands=None,  # type: ignore[arg-type]
    )
    assert store._reads is not None
    store._reads._conn.execute("DROP TABLE bookmarks")
    with caplog.at_level(logging.WARNING):
        assert core.read_viewer("U1") is None
    assert "OperationalError" in caplog.text
    store.close()


def test_database_errors_name_sqlalchemys_only_once_loaded() -> None:
    """Without SQLAlchemy loaded only sqlite3's errors are named, and asking does not load it."""
    code = (
        "import sys; from bot.storage.failures import database_errors;"
        "print([e.__name__ for e in database_errors(OSError)], 'sqlalchemy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "['Error', 'OSError'] False"
    assert {e.__name__ for e in database_errors()} == {"Error", "SQLAlchemyError"}


def test_a_serving_store_makes_its_engine_and_repositories_at_open(tmp_path: Path) -> None:
    """Not one-shot: engine and every repository exist before any thread asks for one."""
    with Store.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        assert store._database is not None
        assert store._reads is None
        made = vars(store)
        for name in ("people", "bookmarks", "follows", "snapshots", "outbox", "calendar"):
            assert name in made, name
