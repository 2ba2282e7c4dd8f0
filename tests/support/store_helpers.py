"""Store helpers only the tests need: raw connections, thread races, test-only operations."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, create_engine, select
from sqlalchemy.pool import NullPool

from bot.storage.records import OutboxStatus, WindowRow
from bot.storage.tables import OutboxRow
from bot.store import Snapshot, Store

T = TypeVar("T")


@contextmanager
def raw(url: str) -> Iterator[Connection]:
    """A plain connection to the store's database, outside the store."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


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


def save_snapshot(store: Store, source: str, digest: str, content: str, at: datetime) -> Snapshot:
    """Save a schedule snapshot over whichever one is the latest, and return it."""
    previous = store.snapshots.latest_digest()
    saved = store.snapshots.save(source, digest, content, at, previous_digest=previous)
    assert saved is not None, "another writer saved a snapshot in between"
    return saved


def window_rows(store: Store, since: datetime, until: datetime | None = None) -> list[WindowRow]:
    """Pending rows due from `since` (to `until`, when given), as window planning sees them."""
    row = OutboxRow
    stmt = select(row.id, row.due_at, row.starts_at, row.not_before).where(
        row.status == OutboxStatus.PENDING.value, row.due_at >= since
    )
    if until is not None:
        stmt = stmt.where(row.due_at <= until)
    with store._db.read() as conn:
        return [WindowRow(r.id, r.due_at, r.starts_at, r.not_before) for r in conn.execute(stmt)]
