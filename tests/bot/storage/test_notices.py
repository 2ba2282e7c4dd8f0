"""Change-notice claims in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.store import Store
from tests.factories import local
from tests.support.store_helpers import race

T0 = datetime(2013, 11, 5, 3, 0, tzinfo=UTC)
AT = local("2013-11-04 09:00")


def test_change_notice_claimed_once(store: Store) -> None:
    """Only the first claim of a notice wins; marking it sent does not free it again."""
    assert store.notices.claim("U1", "moved:s-1", T0) is True
    assert store.notices.claim("U1", "moved:s-1", T0) is False
    assert store.notices.claim("U2", "moved:s-1", T0) is True
    assert store.notices.mark_sent("U1", "moved:s-1", "1383620400.000100") is True
    assert store.notices.release("U1", "moved:s-1") is False
    assert store.notices.claim("U1", "moved:s-1", T0) is False
    assert store.notices.mark_sent("U3", "moved:s-1", "1.2") is False


def test_released_change_notice_can_be_claimed_again(store: Store) -> None:
    """A notice given back after a failed send can be claimed again."""
    assert store.notices.claim("U1", "k", T0) is True
    assert store.notices.release("U1", "k") is True
    assert store.notices.claim("U1", "k", T0) is True


def test_change_notice_race_has_one_winner(store_url: str, store: Store) -> None:
    """Six stores claiming the same notice at once: exactly one of them wins."""
    stores = [Store.open(store_url) for _ in range(6)]
    try:
        results = race(6, lambda i: stores[i].notices.claim("U1", "cancelled:s-9", T0))
    finally:
        for other in stores:
            other.close()
    assert results.count(True) == 1
    assert store.notices.claim("U1", "cancelled:s-9", T0) is False


def test_claimed_change_notices_lists_claims_of_those_keys(store: Store) -> None:
    """Claimed and sent notices of the given keys are listed; released ones are not."""
    assert store.notices.claim("U1", "change:1", AT)
    assert store.notices.claim("U2", "change:1", AT)
    assert store.notices.claim("U1", "change:2", AT)
    store.notices.mark_sent("U2", "change:1", "1.0")
    store.notices.release("U1", "change:1")
    assert store.notices.claimed(["change:1", "change:3"]) == {("U2", "change:1")}
