"""Reminder deliveries in the store: planning, cancelling, claiming and finishing them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.store import DISMISSED, Delivery, DeliveryStatus, Store
from tests.support.store_helpers import cancel_pending

T0 = datetime(2013, 11, 5, 3, 0, tzinfo=UTC)
START = T0 + timedelta(hours=2)
DUE = START - timedelta(minutes=10)
LEASE = 60.0


def only(store: Store, user_id: str = "U1") -> Delivery:
    """The one delivery a person has."""
    [delivery] = store.deliveries.find([user_id])
    return delivery


def claim_one(store: Store, now: datetime, worker: str = "w1") -> Delivery:
    """Claim at `now` and expect exactly one delivery."""
    [delivery] = store.deliveries.claim_due(now, worker_id=worker, limit=10, lease_seconds=LEASE)
    return delivery


# -- planning ----------------------------------------------------------------------------


def test_plan_delivery_creates_a_pending_row(store: Store) -> None:
    """A planned reminder is pending, unattempted and keyed on person, session and start."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    delivery = only(store)
    assert (delivery.user_id, delivery.session_id, delivery.start_at) == ("U1", "s-1", START)
    assert delivery.due_at == DUE
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.attempts == 0
    assert delivery.created_at == delivery.updated_at == T0


def test_plan_delivery_twice_updates_due_time(store: Store) -> None:
    """Planning the same key again re-times the one row instead of adding another."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    first = only(store)
    later = T0 + timedelta(minutes=5)
    store.deliveries.plan("U1", "s-1", START, START - timedelta(minutes=30), later)
    second = only(store)
    assert second.id == first.id
    assert second.due_at == START - timedelta(minutes=30)
    assert second.status is DeliveryStatus.PENDING
    assert second.created_at == T0
    assert second.updated_at == later


def test_plan_delivery_same_instant_in_another_zone_is_the_same_key(store: Store) -> None:
    """The start instant is the key, whatever offset it was written with."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    shanghai = START.astimezone(ZoneInfo("Asia/Shanghai"))
    store.deliveries.plan("U1", "s-1", shanghai, DUE - timedelta(minutes=5), T0)
    delivery = only(store)
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.due_at == DUE - timedelta(minutes=5)


def test_moved_session_cancels_the_old_pending_reminder(store: Store) -> None:
    """Planning a new start for the same session cancels the pending one for the old start."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    store.deliveries.plan("U2", "s-1", START, DUE, T0)
    store.deliveries.plan("U1", "s-2", START, DUE, T0)
    moved = START + timedelta(days=1)
    store.deliveries.plan("U1", "s-1", moved, moved - timedelta(minutes=10), T0)
    by_key = {(d.session_id, d.start_at): d.status for d in store.deliveries.find(["U1"])}
    assert by_key == {
        ("s-1", START): DeliveryStatus.CANCELLED,
        ("s-1", moved): DeliveryStatus.PENDING,
        ("s-2", START): DeliveryStatus.PENDING,
    }
    assert only(store, "U2").status is DeliveryStatus.PENDING


def test_plan_delivery_leaves_sent_reminders_alone(store: Store) -> None:
    """A sent reminder is neither re-timed nor planned again, nor cancelled by a move."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    claimed = claim_one(store, DUE)
    assert store.deliveries.mark_sent(claimed.id, "w1", "D1", "1383620400.000100", DUE)
    store.deliveries.plan("U1", "s-1", START, DUE - timedelta(minutes=20), DUE)
    sent = only(store)
    assert sent.status is DeliveryStatus.SENT
    assert sent.due_at == DUE
    moved = START + timedelta(hours=1)
    store.deliveries.plan("U1", "s-1", moved, moved - timedelta(minutes=10), DUE)
    statuses = {d.start_at: d.status for d in store.deliveries.find(["U1"])}
    assert statuses == {START: DeliveryStatus.SENT, moved: DeliveryStatus.PENDING}


@pytest.mark.parametrize("finish", ["missed", "failed"])
def test_plan_delivery_leaves_given_up_reminders_alone(store: Store, finish: str) -> None:
    """A missed or failed reminder stays as it is when planned again."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    claimed = claim_one(store, DUE)
    if finish == "missed":
        assert store.deliveries.give_up(
            claimed.id, "w1", DUE, "session already started", status=DeliveryStatus.MISSED
        )
    else:
        assert store.deliveries.give_up(
            claimed.id, "w1", DUE, "channel_not_found", status=DeliveryStatus.FAILED
        )
    store.deliveries.plan("U1", "s-1", START, DUE + timedelta(minutes=1), DUE)
    delivery = only(store)
    assert delivery.status == finish
    assert delivery.due_at == DUE


def test_plan_delivery_retimes_a_claimed_reminder_without_unclaiming(store: Store) -> None:
    """A claimed reminder gets the new due time but stays with its worker."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    claim_one(store, DUE)
    store.deliveries.plan("U1", "s-1", START, DUE - timedelta(minutes=5), DUE)
    delivery = only(store)
    assert delivery.status is DeliveryStatus.CLAIMED
    assert delivery.claimed_by == "w1"
    assert delivery.due_at == DUE - timedelta(minutes=5)


def test_plan_delivery_revives_a_cancelled_reminder(store: Store) -> None:
    """Bookmarking again after a cancel plans the same reminder afresh."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    assert cancel_pending(store, "U1", "s-1") == 1
    store.deliveries.plan("U1", "s-1", START, DUE + timedelta(minutes=2), T0)
    delivery = only(store)
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.due_at == DUE + timedelta(minutes=2)
    assert delivery.attempts == 0


# -- cancelling --------------------------------------------------------------------------


def test_cancel_deliveries_only_touches_pending_rows(store: Store) -> None:
    """Cancelling affects a person's pending reminders, for one session or all of them."""
    for session in ("s-1", "s-2", "s-3"):
        store.deliveries.plan("U1", session, START, DUE, T0)
    store.deliveries.plan("U2", "s-1", START, DUE, T0)
    store.deliveries.plan("U1", "s-4", START, T0, T0)
    claimed = claim_one(store, T0)
    assert claimed.session_id == "s-4"
    assert cancel_pending(store, "U1", "s-1") == 1
    assert cancel_pending(store, "U1", "s-1") == 0
    assert cancel_pending(store, "U1") == 2
    statuses = {d.session_id: d.status for d in store.deliveries.find(["U1"])}
    assert statuses == {
        "s-1": DeliveryStatus.CANCELLED,
        "s-2": DeliveryStatus.CANCELLED,
        "s-3": DeliveryStatus.CANCELLED,
        "s-4": DeliveryStatus.CLAIMED,
    }
    assert only(store, "U2").status is DeliveryStatus.PENDING


def test_cancel_delivery_needs_the_owner(store: Store) -> None:
    """One reminder can be cancelled by its own person only, and only while pending."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    delivery = only(store)
    assert store.deliveries.cancel(delivery.id, "U2") is False
    assert only(store).status is DeliveryStatus.PENDING
    assert store.deliveries.cancel(delivery.id, "U1", at=T0 + timedelta(minutes=1)) is True
    assert store.deliveries.cancel(delivery.id, "U1") is False
    cancelled = only(store)
    assert cancelled.status is DeliveryStatus.CANCELLED
    assert cancelled.updated_at == T0 + timedelta(minutes=1)
    assert store.deliveries.claim_due(DUE, worker_id="w1", limit=10, lease_seconds=LEASE) == []


# -- claiming ----------------------------------------------------------------------------


def test_claim_due_takes_only_due_rows_in_due_order(store: Store) -> None:
    """Only reminders due by `now` are claimed, earliest first, up to the limit."""
    for minutes in (30, 10, 20, 40):
        store.deliveries.plan("U1", f"s-{minutes}", START, T0 + timedelta(minutes=minutes), T0)
    now = T0 + timedelta(minutes=30)
    first = store.deliveries.claim_due(now, worker_id="w1", limit=2, lease_seconds=LEASE)
    assert [d.session_id for d in first] == ["s-10", "s-20"]
    rest = store.deliveries.claim_due(now, worker_id="w2", limit=10, lease_seconds=LEASE)
    assert [d.session_id for d in rest] == ["s-30"]
    assert store.deliveries.claim_due(now, worker_id="w3", limit=10, lease_seconds=LEASE) == []
    for delivery in first:
        assert delivery.status is DeliveryStatus.CLAIMED
        assert delivery.claimed_by == "w1"
        assert delivery.attempts == 1
        assert delivery.lease_until == now + timedelta(seconds=LEASE)
        assert delivery.updated_at == now
    assert store.deliveries.counts() == {
        "pending": 1,
        "claimed": 3,
        "sent": 0,
        "missed": 0,
        "failed": 0,
        "cancelled": 0,
    }


def test_claim_due_with_no_room_claims_nothing(store: Store) -> None:
    """A limit of zero claims nothing and leaves the rows pending."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    assert store.deliveries.claim_due(DUE, worker_id="w1", limit=0, lease_seconds=LEASE) == []
    assert only(store).status is DeliveryStatus.PENDING


def test_expired_lease_is_reclaimed_by_another_worker(store: Store) -> None:
    """A claim whose worker vanished is taken over once its lease ends, and only then."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    first = claim_one(store, DUE, "w1")
    halfway = DUE + timedelta(seconds=LEASE / 2)
    assert store.deliveries.claim_due(halfway, worker_id="w2", limit=10, lease_seconds=LEASE) == []
    expired = DUE + timedelta(seconds=LEASE)
    second = claim_one(store, expired, "w2")
    assert second.id == first.id
    assert second.claimed_by == "w2"
    assert second.attempts == 2
    assert second.lease_until == expired + timedelta(seconds=LEASE)
    assert store.deliveries.mark_sent(first.id, "w1", "D1", "1.1", expired) is False
    assert store.deliveries.mark_sent(first.id, "w2", "D1", "1.2", expired) is True
    sent = only(store)
    assert sent.status is DeliveryStatus.SENT
    assert (sent.channel_id, sent.message_ts, sent.sent_at) == ("D1", "1.2", expired)


def test_mark_sent_only_by_the_owner(store: Store) -> None:
    """Only the worker holding the claim can mark it sent, and only once."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    claimed = claim_one(store, DUE, "w1")
    assert store.deliveries.mark_sent(claimed.id, "w2", "D1", "1.1", DUE) is False
    assert only(store).status is DeliveryStatus.CLAIMED
    assert store.deliveries.mark_sent(claimed.id, "w1", "D1", "1.1", DUE) is True
    assert store.deliveries.mark_sent(claimed.id, "w1", "D1", "1.1", DUE) is False
    sent = only(store)
    assert sent.status is DeliveryStatus.SENT
    assert sent.lease_until is None
    assert (
        store.deliveries.claim_due(
            DUE + timedelta(days=1), worker_id="w3", limit=10, lease_seconds=1
        )
        == []
    )


def test_mark_missed_and_failed_only_by_the_owner(store: Store) -> None:
    """Giving up on a reminder needs the claim and records the reason."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    store.deliveries.plan("U1", "s-2", START, DUE, T0)
    one, two = store.deliveries.claim_due(DUE, worker_id="w1", limit=10, lease_seconds=LEASE)
    assert (
        store.deliveries.give_up(one.id, "w2", DUE, "too late", status=DeliveryStatus.MISSED)
        is False
    )
    assert (
        store.deliveries.give_up(
            two.id, "w2", DUE, "account_inactive", status=DeliveryStatus.FAILED
        )
        is False
    )
    assert (
        store.deliveries.give_up(one.id, "w1", DUE, "too late", status=DeliveryStatus.MISSED)
        is True
    )
    assert (
        store.deliveries.give_up(
            two.id, "w1", DUE, "account_inactive", status=DeliveryStatus.FAILED
        )
        is True
    )
    by_id = {d.id: d for d in store.deliveries.find(["U1"])}
    assert (by_id[one.id].status, by_id[one.id].error) == (DeliveryStatus.MISSED, "too late")
    assert (by_id[two.id].status, by_id[two.id].error) == (
        DeliveryStatus.FAILED,
        "account_inactive",
    )
    assert store.deliveries.mark_sent(one.id, "w1", "D1", "1.1", DUE) is False


def test_release_retries_after_next_attempt_at(store: Store) -> None:
    """A released reminder is pending again but not claimable before its retry time."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    claimed = claim_one(store, DUE, "w1")
    retry_at = DUE + timedelta(minutes=2)
    assert store.deliveries.release(claimed.id, "w2", retry_at, "ratelimited") is False
    assert store.deliveries.release(claimed.id, "w1", retry_at, "ratelimited", at=DUE) is True
    released = only(store)
    assert released.status is DeliveryStatus.PENDING
    assert released.next_attempt_at == retry_at
    assert released.error == "ratelimited"
    assert released.claimed_by is None
    assert released.lease_until is None
    assert store.deliveries.next_due_at() == retry_at
    early = retry_at - timedelta(seconds=1)
    assert store.deliveries.claim_due(early, worker_id="w2", limit=10, lease_seconds=LEASE) == []
    again = claim_one(store, retry_at, "w2")
    assert again.id == claimed.id
    assert again.attempts == 2
    assert store.deliveries.release(claimed.id, "w1", retry_at, None) is False


# -- due times, listings and counts ------------------------------------------------------


def test_next_due_at_is_the_earliest_time_work_appears(store: Store) -> None:
    """The next due instant is the earliest due time, retry time or lease end."""
    assert store.deliveries.next_due_at() is None
    store.deliveries.plan("U1", "s-late", START, DUE + timedelta(minutes=30), T0)
    store.deliveries.plan("U1", "s-early", START, DUE, T0)
    assert store.deliveries.next_due_at() == DUE
    claimed = claim_one(store, DUE)
    assert store.deliveries.next_due_at() == DUE + timedelta(seconds=LEASE)
    store.deliveries.release(claimed.id, "w1", DUE + timedelta(hours=1), "timeout")
    assert store.deliveries.next_due_at() == DUE + timedelta(minutes=30)
    cancel_pending(store, "U1", "s-late")
    assert store.deliveries.next_due_at() == DUE + timedelta(hours=1)
    cancel_pending(store, "U1")
    assert store.deliveries.next_due_at() is None


def test_next_due_at_ignores_a_retry_time_before_the_due_time(store: Store) -> None:
    """A reminder re-timed later than its old retry time is next due at its due time."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    claimed = claim_one(store, DUE)
    store.deliveries.release(claimed.id, "w1", DUE + timedelta(minutes=1), "timeout")
    store.deliveries.plan("U1", "s-1", START, DUE + timedelta(minutes=5), DUE)
    assert store.deliveries.next_due_at() == DUE + timedelta(minutes=5)
    early = DUE + timedelta(minutes=2)
    assert store.deliveries.claim_due(early, worker_id="w1", limit=5, lease_seconds=LEASE) == []


def test_deliveries_for_filters_by_status(store: Store) -> None:
    """A person's reminders can be listed whole or for some statuses, in due order."""
    store.deliveries.plan("U1", "s-b", START, DUE + timedelta(minutes=1), T0)
    store.deliveries.plan("U1", "s-a", START, DUE, T0)
    store.deliveries.plan("U1", "s-c", START, DUE + timedelta(minutes=2), T0)
    cancel_pending(store, "U1", "s-c")
    assert [d.session_id for d in store.deliveries.find(["U1"])] == ["s-a", "s-b", "s-c"]
    pending = store.deliveries.find(["U1"], statuses=[DeliveryStatus.PENDING])
    assert [d.session_id for d in pending] == ["s-a", "s-b"]
    assert [d.session_id for d in store.deliveries.find(["U1"], statuses=("cancelled",))] == ["s-c"]
    assert store.deliveries.find(["U2"]) == []
    with pytest.raises(ValueError, match="bogus"):
        store.deliveries.find(["U1"], statuses=["bogus"])


def test_delivery_counts_cover_every_status(store: Store) -> None:
    """Counts list every status, zero for the unused ones."""
    assert store.deliveries.counts() == {status.value: 0 for status in DeliveryStatus}
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    store.deliveries.plan("U2", "s-1", START, DUE, T0)
    cancel_pending(store, "U2")
    counts = store.deliveries.counts()
    assert counts["pending"] == 1
    assert counts["cancelled"] == 1
    assert sum(counts.values()) == 2


def test_delivery_by_id(store: Store) -> None:
    """One reminder can be read back by id; an unknown id gives None."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    delivery = only(store)
    assert store.deliveries.get(delivery.id) == delivery
    assert store.deliveries.get(delivery.id + 1000) is None


def test_claim_due_rejects_a_non_positive_lease(store: Store) -> None:
    """A claim needs a positive lease, or a crashed worker's rows would be stuck."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    with pytest.raises(ValueError, match="lease_seconds"):
        store.deliveries.claim_due(DUE, worker_id="w1", limit=1, lease_seconds=0)
    assert only(store).status is DeliveryStatus.PENDING


def test_give_up_only_as_missed_or_failed(store: Store) -> None:
    """Giving up records missed or failed; any other status is refused and nothing changes."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    claimed = claim_one(store, DUE)
    for status in (DeliveryStatus.SENT, DeliveryStatus.PENDING, DeliveryStatus.CANCELLED):
        with pytest.raises(ValueError, match="missed or failed"):
            store.deliveries.give_up(claimed.id, "w1", DUE, "why", status=status)
    assert only(store).status is DeliveryStatus.CLAIMED


def test_cancel_dismissed_marks_the_person_s_choice(store: Store) -> None:
    """A reminder dismissed by its person is cancelled with DISMISSED, stamped, once only."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    delivery = only(store)
    later = T0 + timedelta(minutes=3)
    assert store.deliveries.cancel(delivery.id, "U2", at=later, dismissed=True) is False
    assert store.deliveries.cancel(delivery.id, "U1", at=later, dismissed=True) is True
    assert store.deliveries.cancel(delivery.id, "U1", at=later, dismissed=True) is False
    dismissed = only(store)
    assert (dismissed.status, dismissed.error, dismissed.updated_at) == (
        DeliveryStatus.CANCELLED,
        DISMISSED,
        later,
    )


def test_find_scopes_people_sessions_and_statuses(store: Store) -> None:
    """Finding reminders by people, sessions and statuses; None is all, empty is none."""
    store.deliveries.plan("U1", "s-1", START, DUE, T0)
    store.deliveries.plan("U1", "s-2", START, DUE + timedelta(minutes=1), T0)
    store.deliveries.plan("U2", "s-1", START, DUE + timedelta(minutes=2), T0)
    claim_one(store, DUE)
    key = [(d.user_id, d.session_id) for d in store.deliveries.find()]
    assert key == [("U1", "s-1"), ("U1", "s-2"), ("U2", "s-1")]
    found = store.deliveries.find(sessions=["s-1"], statuses=[DeliveryStatus.PENDING])
    assert [(d.user_id, d.session_id) for d in found] == [("U2", "s-1")]
    assert [d.session_id for d in store.deliveries.find(["U1"], ["s-2"])] == ["s-2"]
    assert store.deliveries.find([], None) == []
    assert store.deliveries.find(None, []) == []
    with pytest.raises(TypeError, match="collection of ids"):
        store.deliveries.find("U1")
