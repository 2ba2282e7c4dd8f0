"""Store operations only the tests need, written over the store's public repositories."""

from __future__ import annotations

from datetime import datetime

from bot.store import DeliveryStatus, Snapshot, Store


def save_snapshot(store: Store, source: str, digest: str, content: str, at: datetime) -> Snapshot:
    """Save a schedule snapshot over whichever one is the latest, and return it."""
    previous = store.snapshots.latest_digest()
    saved = store.snapshots.save(source, digest, content, at, previous_digest=previous)
    assert saved is not None, "another writer saved a snapshot in between"
    return saved


def cancel_pending(
    store: Store, user_id: str, session_id: str | None = None, *, at: datetime | None = None
) -> int:
    """Cancel a person's pending reminders (for one session, or all); returns how many."""
    sessions = None if session_id is None else [session_id]
    pending = store.deliveries.find([user_id], sessions, [DeliveryStatus.PENDING])
    return sum(store.deliveries.cancel(d.id, user_id, at=at) for d in pending)
