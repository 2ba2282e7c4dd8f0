"""The store methods reloads rely on, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

from bot.store import Store
from tests.bot.reload.conftest import AT


def test_advance_saves_only_over_the_expected_latest(store: Store) -> None:
    """A snapshot is saved only while the latest one is the one the writer compared with."""
    first = store.snapshots.save("a.json", "d1", "{}", AT, previous_digest=None)
    assert first is not None
    assert store.snapshots.save("b.json", "d2", "{}", AT, previous_digest=None) is None
    second = store.snapshots.save("b.json", "d2", "{}", AT, previous_digest="d1")
    assert second is not None
    assert store.snapshots.save("c.json", "d3", "{}", AT, previous_digest="d1") is None
    assert store.snapshots.latest_digest() == "d2"
    assert [s.digest for s in store.snapshots.recent()] == ["d2", "d1"]
    assert [s.digest for s in store.snapshots.recent(1)] == ["d2"]


def test_advance_keeps_the_last_few(store: Store) -> None:
    """Only the latest SNAPSHOTS_KEPT snapshots stay."""
    previous = None
    for n in range(5):
        assert store.snapshots.save("s", f"d{n}", "{}", AT, previous_digest=previous) is not None
        previous = f"d{n}"
    assert [s.digest for s in store.snapshots.recent()] == ["d4", "d3", "d2"]


def test_concurrent_advances_let_one_writer_win(store_url: str) -> None:
    """Writers racing from the same latest snapshot: exactly one saves."""
    stores = [Store.open(store_url) for _ in range(4)]
    try:
        stores[0].snapshots.save("s", "base", "{}", AT, previous_digest=None)
        barrier = threading.Barrier(len(stores))
        won: list[bool] = []

        def race(n: int) -> None:
            barrier.wait(timeout=10)
            saved = stores[n].snapshots.save("s", f"new{n}", "{}", AT, previous_digest="base")
            won.append(saved is not None)

        threads = [threading.Thread(target=race, args=(n,)) for n in range(len(stores))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(won) == [False, False, False, True]
        assert len(stores[0].snapshots.recent()) == 2
    finally:
        for opened in stores:
            opened.close()


def test_bookmarkers_and_followers_in_bulk(store: Store) -> None:
    """Bulk lookups group people by session and by track, optionally only the earlier ones."""
    assert store.bookmarks.add([("U2", "a"), ("U1", "a"), ("U1", "b"), ("U1", "a")], AT) == 3
    assert store.bookmarks.add([("U1", "a"), ("U3", "b")], AT + timedelta(hours=1)) == 1
    assert store.bookmarks.bookmarkers(["a", "b", "zzz"]) == {"a": ["U1", "U2"], "b": ["U1", "U3"]}
    assert store.bookmarks.bookmarkers(["a", "b"], before=AT) == {"a": ["U1", "U2"], "b": ["U1"]}
    store.follows.follow("U4", "Nova", AT)
    store.follows.follow("U5", "Nova", AT + timedelta(hours=1))
    assert store.follows.followers(["Nova", "Cinder"]) == {"Nova": ["U4", "U5"]}
    assert store.follows.followers(["Nova"], before=AT) == {"Nova": ["U4"]}
    assert store.bookmarks.bookmarkers([]) == {}


def test_claimed_change_notices_lists_claims_of_those_keys(store: Store) -> None:
    """Claimed and sent notices of the given keys are listed; released ones are not."""
    assert store.notices.claim("U1", "change:1", AT)
    assert store.notices.claim("U2", "change:1", AT)
    assert store.notices.claim("U1", "change:2", AT)
    store.notices.mark_sent("U2", "change:1", "1.0")
    store.notices.release("U1", "change:1")
    assert store.notices.claimed(["change:1", "change:3"]) == {("U2", "change:1")}


def test_analyze_leaves_the_data_alone(store: Store) -> None:
    """Refreshing the planner's statistics works on the backend and changes no row."""
    store.bookmarks.add([(f"U{n}", "a") for n in range(50)], AT)
    store.analyze()
    assert store.bookmarks.count() == 50
