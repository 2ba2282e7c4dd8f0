"""Bookmarks in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.storage.database import IN_CHUNK
from bot.store import Store
from tests.factories import local
from tests.support.store_helpers import race

T0 = datetime(2013, 11, 5, 3, 0, tzinfo=UTC)
AT = local("2013-11-04 09:00")


def test_bookmark_twice_keeps_one_row(store: Store) -> None:
    """Bookmarking the same session twice stores it once and reports only the first as new."""
    assert store.bookmarks.add([("U1", "s-keynote")], T0) == 1
    assert store.bookmarks.add([("U1", "s-keynote")], T0 + timedelta(minutes=1)) == 0
    assert store.bookmarks.sessions_of("U1") == frozenset({"s-keynote"})
    assert store.bookmarks.count() == 1


def test_bookmarks_are_per_person(store: Store) -> None:
    """Bookmarks, bookmarkers and the count keep people and sessions apart."""
    store.bookmarks.add([("U2", "s-a")], T0)
    store.bookmarks.add([("U1", "s-a")], T0)
    store.bookmarks.add([("U1", "s-b")], T0)
    assert store.bookmarks.sessions_of("U1") == frozenset({"s-a", "s-b"})
    assert store.bookmarks.sessions_of("U3") == frozenset()
    assert store.bookmarks.bookmarkers(["s-a", "s-missing"]) == {"s-a": ["U1", "U2"]}
    assert "s-a" in store.bookmarks.sessions_of("U2")
    assert "s-b" not in store.bookmarks.sessions_of("U2")
    assert store.bookmarks.count() == 3


def test_remove_bookmark(store: Store) -> None:
    """Removing a bookmark drops it once and reports False when there is none."""
    store.bookmarks.add([("U1", "s-a")], T0)
    store.bookmarks.add([("U1", "s-b")], T0)
    assert store.bookmarks.remove("U1", "s-a") is True
    assert store.bookmarks.remove("U1", "s-a") is False
    assert store.bookmarks.sessions_of("U1") == frozenset({"s-b"})
    assert store.bookmarks.add([("U1", "s-a")], T0) == 1


def test_concurrent_bookmark_from_threads_keeps_one_row(store_url: str, store: Store) -> None:
    """Eight stores bookmarking the same session at once leave one row and one winner."""
    stores = [Store.open(store_url) for _ in range(8)]
    try:
        results = race(8, lambda i: stores[i].bookmarks.add([("U1", "s-race")], T0) == 1)
    finally:
        for other in stores:
            other.close()
    assert results.count(True) == 1
    assert results.count(False) == 7
    assert store.bookmarks.count() == 1


def test_bookmarkers_in_bulk(store: Store) -> None:
    """Bulk lookups group people by session, optionally only the earlier bookmarks."""
    assert store.bookmarks.add([("U2", "a"), ("U1", "a"), ("U1", "b"), ("U1", "a")], AT) == 3
    assert store.bookmarks.add([("U1", "a"), ("U3", "b")], AT + timedelta(hours=1)) == 1
    assert store.bookmarks.bookmarkers(["a", "b", "zzz"]) == {"a": ["U1", "U2"], "b": ["U1", "U3"]}
    assert store.bookmarks.bookmarkers(["a", "b"], before=AT) == {"a": ["U1", "U2"], "b": ["U1"]}
    assert store.bookmarks.bookmarkers([]) == {}


def test_bookmarkers_scoped_by_people_and_sessions(store: Store) -> None:
    """Either scope may be None (everything) or a collection; an empty one selects nothing."""
    store.bookmarks.add([("U1", "a"), ("U1", "b"), ("U2", "a"), ("U3", "c")], T0)
    everything = {"a": ["U1", "U2"], "b": ["U1"], "c": ["U3"]}
    assert store.bookmarks.bookmarkers() == everything
    assert store.bookmarks.bookmarkers(users=["U1", "U9"]) == {"a": ["U1"], "b": ["U1"]}
    assert store.bookmarks.bookmarkers(["a", "c"], users=["U2", "U3"]) == {"a": ["U2"], "c": ["U3"]}
    assert store.bookmarks.bookmarkers(users=[]) == {}


def test_bookmarkers_over_many_chunks_stay_sorted_and_whole(store: Store) -> None:
    """More people than one IN list holds still come back complete and sorted per session."""
    people = [f"U{n:04d}" for n in range(2 * IN_CHUNK + 7)]
    assert store.bookmarks.add([(u, s) for u in people for s in ("a", "b")], T0) == 2 * len(people)
    found = store.bookmarks.bookmarkers(["a", "b"], users=reversed(people))
    assert found == {"a": people, "b": people}
    assert store.bookmarks.bookmarkers(users=people[:3]) == {"a": people[:3], "b": people[:3]}


def test_a_bare_string_is_refused_where_ids_are_expected(store: Store) -> None:
    """A single id passed where a collection belongs is an error, not a list of characters."""
    with pytest.raises(TypeError, match="collection of ids"):
        store.bookmarks.bookmarkers("abc")
    with pytest.raises(TypeError, match="pairs"):
        store.bookmarks.add(("U1", "a"), T0)  # type: ignore[arg-type]
    assert store.bookmarks.count() == 0


def test_co_bookmarkers_are_the_people_with_both_sessions_of_a_pair(store: Store) -> None:
    """For each pair (a, b), b lists exactly who bookmarked both a and b."""
    store.bookmarks.add(
        [
            ("U1", "a"),
            ("U1", "b"),
            ("U2", "b"),  # b without a: not listed
            ("U3", "a"),
            ("U3", "c"),
            ("U4", "x"),
            ("U4", "c"),  # c with x, but (x, c) is no pair: not listed
            ("U5", "x"),
            ("U5", "b"),
        ],
        T0,
    )
    pairs = [("a", "b"), ("a", "c"), ("x", "b"), ("a", "b"), ("a", "nobody")]
    assert store.bookmarks.co_bookmarkers(pairs) == {"b": {"U1", "U5"}, "c": {"U3"}}
    assert store.bookmarks.co_bookmarkers([]) == {}
