"""The read behind every answer: a person's settings and bookmarks in one query."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from bot.store import Preferences, Store, Viewer

AT = datetime(2013, 11, 5, 3, 0, tzinfo=UTC)


def test_viewer_gives_what_the_repositories_give(store: Store) -> None:
    """`viewer` gives what `people.preferences` and `bookmarks.sessions_of` give."""
    assert store.viewer("U1") == Viewer(Preferences("U1"), frozenset())
    store.bookmarks.add([("U1", "a-session")], AT)
    assert store.viewer("U1") == Viewer(Preferences("U1"), frozenset({"a-session"}))
    store.people.set_timezone("U1", "Europe/Paris", AT)
    store.people.set_lead_minutes("U1", 5)
    store.bookmarks.add([("U1", "x" * 200), ("U2", "someone-elses")], AT)
    store.people.set_reminders_enabled("U3", False)
    seen = store.viewer("U1")
    assert seen.preferences == store.people.preferences(["U1"])["U1"]
    assert seen.preferences.timezone_checked_at == AT
    assert seen.bookmarks == store.bookmarks.sessions_of("U1") == {"a-session", "x" * 200}
    assert store.viewer("U3") == Viewer(store.people.preferences(["U3"])["U3"], frozenset())


def test_viewer_is_one_statement_on_one_connection(store: Store) -> None:
    """One connection from the pool, and on SQLite (which can tell) exactly one SELECT run."""
    store.bookmarks.add([("U1", "a-session")], AT)
    checkouts: list[Any] = []
    statements: list[str] = []
    engine = store._db.engine

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
    assert seen.bookmarks == {"a-session"}
    assert len(checkouts) == 1, "one connection from the pool"
    if store.dialect_name == "sqlite":
        assert len(statements) == 1, statements
        assert statements[0].lstrip().upper().startswith("SELECT")
