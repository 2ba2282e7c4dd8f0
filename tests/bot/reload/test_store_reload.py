"""The store methods reloads rely on, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

from bot.storage.outbox import NewItem, OutboxKind
from bot.store import Store
from tests.bot.reload.conftest import AT


def test_advance_saves_only_over_the_expected_latest(store: Store) -> None:
    """A snapshot is saved only while the latest one is the one the writer compared with."""
    first = store.advance_schedule_snapshot(None, "a.json", "d1", "{}", AT)
    assert first is not None
    assert store.advance_schedule_snapshot(None, "b.json", "d2", "{}", AT) is None
    second = store.advance_schedule_snapshot("d1", "b.json", "d2", "{}", AT)
    assert second is not None
    assert store.advance_schedule_snapshot("d1", "c.json", "d3", "{}", AT) is None
    assert store.latest_schedule_digest() == "d2"
    assert [s.digest for s in store.schedule_snapshots()] == ["d2", "d1"]
    assert [s.digest for s in store.schedule_snapshots(1)] == ["d2"]


def test_advance_keeps_the_last_few(store: Store) -> None:
    """Only the latest SNAPSHOTS_KEPT snapshots stay."""
    previous = None
    for n in range(5):
        assert store.advance_schedule_snapshot(previous, "s", f"d{n}", "{}", AT) is not None
        previous = f"d{n}"
    assert [s.digest for s in store.schedule_snapshots()] == ["d4", "d3", "d2"]


def test_concurrent_advances_let_one_writer_win(store_url: str) -> None:
    """Writers racing from the same latest snapshot: exactly one saves."""
    stores = [Store.open(store_url) for _ in range(4)]
    try:
        stores[0].advance_schedule_snapshot(None, "s", "base", "{}", AT)
        barrier = threading.Barrier(len(stores))
        won: list[bool] = []

        def race(n: int) -> None:
            barrier.wait(timeout=10)
            saved = stores[n].advance_schedule_snapshot("base", "s", f"new{n}", "{}", AT)
            won.append(saved is not None)

        threads = [threading.Thread(target=race, args=(n,)) for n in range(len(stores))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(won) == [False, False, False, True]
        assert len(stores[0].schedule_snapshots()) == 2
    finally:
        for opened in stores:
            opened.close()


def test_bookmarkers_and_followers_in_bulk(store: Store) -> None:
    """Bulk lookups group people by session and by track, optionally only the earlier ones."""
    assert store.add_bookmarks([("U2", "a"), ("U1", "a"), ("U1", "b"), ("U1", "a")], AT) == 3
    assert store.add_bookmarks([("U1", "a"), ("U3", "b")], AT + timedelta(hours=1)) == 1
    assert store.bookmarkers_of(["a", "b", "zzz"]) == {"a": ["U1", "U2"], "b": ["U1", "U3"]}
    assert store.bookmarkers_of(["a", "b"], before=AT) == {"a": ["U1", "U2"], "b": ["U1"]}
    store.follow("U4", "Nova", AT)
    store.follow("U5", "Nova", AT + timedelta(hours=1))
    assert store.followers_of(["Nova", "Cinder"]) == {"Nova": ["U4", "U5"]}
    assert store.followers_of(["Nova"], before=AT) == {"Nova": ["U4"]}
    assert store.bookmarkers_of([]) == {}


def test_queued_notice_keys_are_found_in_batches(store: Store) -> None:
    """Every queued notice key is found, over more keys than one IN list holds; others are not."""
    notices = [
        NewItem(
            OutboxKind.NOTICE, f"notice:U{n}:change:1", f"U{n}", AT, AT, AT + timedelta(hours=1)
        )
        for n in range(1500)
    ]
    assert store.outbox.enqueue(notices, AT) == 1500
    asked = [n.key for n in notices] + ["notice:U1:change:2"]
    assert store.outbox.queued_keys(asked) == {n.key for n in notices}


def test_analyze_leaves_the_data_alone(store: Store) -> None:
    """Refreshing the planner's statistics works on the backend and changes no row."""
    store.add_bookmarks([(f"U{n}", "a") for n in range(50)], AT)
    store.analyze()
    assert store.bookmark_count() == 50
