"""Track follows in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.store import Store
from tests.factories import local

T0 = datetime(2013, 11, 5, 3, 0, tzinfo=UTC)
AT = local("2013-11-04 09:00")


def test_follow_and_unfollow(store: Store) -> None:
    """Following is idempotent, per person, and undone by unfollowing."""
    assert store.follows.follow("U1", "Nova", T0) is True
    assert store.follows.follow("U1", "Nova", T0) is False
    assert store.follows.follow("U1", "Swift", T0) is True
    assert store.follows.follow("U2", "Nova", T0) is True
    assert store.follows.tracks_of("U1") == frozenset({"Nova", "Swift"})
    assert store.follows.followers(["Nova", "Glance"]) == {"Nova": ["U1", "U2"]}
    assert store.follows.unfollow("U1", "Nova") is True
    assert store.follows.unfollow("U1", "Nova") is False
    assert store.follows.tracks_of("U1") == frozenset({"Swift"})
    assert store.follows.followers(["Nova", "Glance"]) == {"Nova": ["U2"]}


def test_followers_in_bulk(store: Store) -> None:
    """Bulk lookups group people by track, optionally only the earlier follows."""
    store.follows.follow("U4", "Nova", AT)
    store.follows.follow("U5", "Nova", AT + timedelta(hours=1))
    assert store.follows.followers(["Nova", "Cinder"]) == {"Nova": ["U4", "U5"]}
    assert store.follows.followers(["Nova"], before=AT) == {"Nova": ["U4"]}
    assert store.follows.followers([]) == {}
