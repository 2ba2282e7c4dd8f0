"""Schedule snapshots in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select

from bot.storage.snapshots import Snapshots
from bot.storage.tables import ScheduleSnapshotRow
from bot.store import Store
from tests.factories import local
from tests.support.store_helpers import raw, save_snapshot

T0 = datetime(2013, 11, 5, 3, 0, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))
AT = local("2013-11-04 09:00")


def test_snapshot_save_and_load(store: Store) -> None:
    """The latest snapshot comes back whole, with its instant in UTC."""
    assert store.snapshots.latest() is None
    content = '{"sessions": [{"id": "s-1", "title": "Nova \u2013 scheduler"}]}'
    saved = save_snapshot(
        store, "https://example.org/s.json", "sha256:abc", content, T0.astimezone(SHANGHAI)
    )
    latest = store.snapshots.latest()
    assert latest == saved
    assert latest is not None
    assert latest.content == content
    assert latest.loaded_at == T0
    assert latest.loaded_at.tzinfo is UTC


def test_snapshot_keeps_only_the_latest_few(store_url: str, store: Store) -> None:
    """Saving more snapshots than are kept drops the oldest ones."""
    for i in range(Snapshots.KEPT + 3):
        save_snapshot(store, "bundled", f"d{i}", f'{{"n": {i}}}', T0 + timedelta(i))
    latest = store.snapshots.latest()
    assert latest is not None
    assert latest.digest == f"d{Snapshots.KEPT + 2}"
    with raw(store_url) as conn:
        digests = conn.scalars(select(ScheduleSnapshotRow.digest).order_by("id")).all()
    assert digests == [f"d{i}" for i in range(3, Snapshots.KEPT + 3)]


def test_latest_snapshot_is_the_last_saved_even_with_an_older_clock(store: Store) -> None:
    """The snapshot saved last wins even when its load time is earlier (a replayed clock)."""
    save_snapshot(store, "a", "d-new-clock", "{}", T0 + timedelta(days=1))
    save_snapshot(store, "b", "d-replayed", "{}", T0)
    latest = store.snapshots.latest()
    assert latest is not None
    assert latest.digest == "d-replayed"


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
    """Only the latest `Snapshots.KEPT` snapshots stay."""
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
