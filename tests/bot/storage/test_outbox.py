"""The outbox in the store: queueing, re-timing, claiming with budget slots, finishing."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy
import sqlalchemy.pool

from bot.storage.outbox import (
    DISMISSED,
    NewItem,
    OutboxItem,
    OutboxKind,
    OutboxStatus,
    Retime,
    message_digest,
    reminder_key,
)
from bot.store import Store

T0 = datetime(2013, 11, 5, 3, 0, tzinfo=UTC)
START = T0 + timedelta(hours=2)
DUE = START - timedelta(minutes=10)
GIVE_UP = START + timedelta(minutes=5)
LEASE = timedelta(seconds=60)
STEP = timedelta(milliseconds=100)
SECOND = timedelta(seconds=1)


def reminder(user: str = "U1", session: str = "s-1", start: datetime = START) -> NewItem:
    """A reminder due ten minutes before `start`."""
    due = start - timedelta(minutes=10)
    return NewItem(
        kind=OutboxKind.REMINDER,
        key=reminder_key(user, session, start),
        recipient=user,
        not_before=due,
        due_at=due,
        give_up_at=start + timedelta(minutes=5),
        session_id=session,
        starts_at=start,
    )


def notice(user: str, change: str = "moved:s-1") -> NewItem:
    """A change notice due at T0."""
    return NewItem(
        kind=OutboxKind.NOTICE,
        key=f"notice:{user}:{change}",
        recipient=user,
        not_before=T0,
        due_at=T0,
        give_up_at=T0 + timedelta(hours=6),
        payload='{"text": "moved"}',
    )


def only(store: Store, user: str = "U1") -> OutboxItem:
    """The one row of a person."""
    [item] = store.outbox.items(recipient=user)
    return item


def claim(store: Store, at: datetime, worker: str = "w1", limit: int = 10) -> list[OutboxItem]:
    """Claim at `at` with 100 ms slots and one message per person a second."""
    claims = store.outbox.claim(
        at, worker_id=worker, limit=limit, lease=LEASE, interval=STEP, per_channel=SECOND
    )
    return [c.item for c in claims]


# -- queueing ----------------------------------------------------------------------------


def test_enqueue_adds_a_pending_row_once_per_key(store: Store) -> None:
    """A key queued twice is one row (told once); the row is pending and unattempted."""
    assert store.outbox.enqueue([reminder()], T0) == 1
    assert store.outbox.enqueue([reminder(), notice("U2")], T0) == 1
    item = only(store)
    assert (item.kind, item.recipient, item.session_id, item.starts_at) == (
        OutboxKind.REMINDER,
        "U1",
        "s-1",
        START,
    )
    assert (item.not_before, item.due_at, item.give_up_at) == (DUE, DUE, GIVE_UP)
    assert (item.status, item.attempts, item.uncertain) == (OutboxStatus.PENDING, 0, False)
    assert store.outbox.queued_keys([item.key, "notice:U2:moved:s-1", "x"]) == {
        item.key,
        "notice:U2:moved:s-1",
    }


def test_reminder_key_is_the_instant_whatever_its_offset() -> None:
    """The start instant is the key, whatever offset it was written with."""
    shanghai = START.astimezone(ZoneInfo("Asia/Shanghai"))
    assert reminder_key("U1", "s-1", shanghai) == reminder_key("U1", "s-1", START)


def test_enqueue_in_batches_keeps_every_row(store: Store) -> None:
    """More rows than one statement holds all go in."""
    users = [f"U{i:04d}" for i in range(2500)]
    assert store.outbox.enqueue([reminder(u) for u in users], T0) == 2500
    assert store.outbox.counts()[OutboxStatus.PENDING] == 2500


def test_retime_moves_pending_rows_and_revives_cancelled_ones_only(store: Store) -> None:
    """Re-timing touches pending rows; reviving touches cancelled ones; sent rows stay."""
    store.outbox.enqueue([reminder("U1"), reminder("U2"), reminder("U3")], T0)
    u1, u2, u3 = (only(store, u) for u in ("U1", "U2", "U3"))
    store.outbox.cancel([u2.id], T0)
    [sent] = claim(store, DUE, limit=1)
    assert store.outbox.mark_sent(sent.id, "D1", "1.0", DUE)
    later = DUE + timedelta(minutes=1)
    changed = store.outbox.retime(
        [
            Retime(u1.id if sent.id != u1.id else u3.id, later, later, GIVE_UP),
            Retime(u2.id, later, later, GIVE_UP, revive=True),
            Retime(sent.id, later, later, GIVE_UP),
            Retime(sent.id, later, later, GIVE_UP, revive=True),
        ],
        T0,
    )
    assert changed == 2
    by_user = {i.recipient: i for i in store.outbox.items()}
    assert by_user["U2"].status is OutboxStatus.PENDING
    assert by_user["U2"].due_at == later
    assert by_user[sent.recipient].status is OutboxStatus.SENT
    assert by_user[sent.recipient].due_at == DUE


def test_cancel_only_touches_pending_rows(store: Store) -> None:
    """Cancelling leaves claimed and finished rows alone and counts what it changed."""
    store.outbox.enqueue([reminder("U1"), reminder("U2")], T0)
    [taken] = claim(store, DUE, limit=1)
    ids = [i.id for i in store.outbox.items()]
    assert store.outbox.cancel(ids, T0) == 1
    statuses = {i.recipient: i.status for i in store.outbox.items()}
    assert statuses[taken.recipient] is OutboxStatus.CLAIMED
    assert sorted(statuses.values()) == sorted([OutboxStatus.CLAIMED, OutboxStatus.CANCELLED])


def test_dismiss_needs_the_owner_and_a_pending_reminder(store: Store) -> None:
    """A person dismisses only their own pending reminder, marked as dismissed."""
    store.outbox.enqueue([reminder("U1")], T0)
    item = only(store)
    assert not store.outbox.dismiss(item.id, "U2", T0)
    assert store.outbox.dismiss(item.id, "U1", T0)
    assert not store.outbox.dismiss(item.id, "U1", T0)
    assert only(store).error == DISMISSED


# -- claiming ----------------------------------------------------------------------------


def test_claim_takes_open_windows_in_due_order_with_spaced_slots(store: Store) -> None:
    """Only rows whose window opened are taken, soonest due first, slots one step apart."""
    store.outbox.enqueue(
        [reminder("U1", start=START + timedelta(minutes=5)), reminder("U2"), notice("U3")], T0
    )
    assert claim(store, T0 - timedelta(seconds=1)) == []
    claims = store.outbox.claim(
        DUE, worker_id="w1", limit=10, lease=LEASE, interval=STEP, per_channel=SECOND
    )
    assert [c.item.recipient for c in claims] == ["U3", "U2"]
    assert [c.slot for c in claims] == [DUE, DUE + STEP]
    for c in claims:
        assert c.item.status is OutboxStatus.CLAIMED
        assert c.item.attempts == 1
        assert c.item.lease_until == c.slot + LEASE
    more = store.outbox.claim(
        DUE, worker_id="w2", limit=10, lease=LEASE, interval=STEP, per_channel=SECOND
    )
    assert more == []
    for c in claims:
        assert store.outbox.mark_sent(c.item.id, "D", "1.0", DUE)
    later = DUE + timedelta(minutes=5)
    [third] = store.outbox.claim(
        later, worker_id="w2", limit=10, lease=LEASE, interval=STEP, per_channel=SECOND
    )
    assert third.item.recipient == "U1"
    assert third.slot == later


def test_slots_are_shared_by_every_claim_and_grant(store: Store) -> None:
    """Claims and grants draw from one budget: slots never come closer than one step."""
    store.outbox.enqueue([notice(f"U{i}") for i in range(6)], T0)
    first = store.outbox.claim(
        T0, worker_id="a", limit=3, lease=LEASE, interval=STEP, per_channel=SECOND
    )
    granted = store.outbox.grant(T0, 2, STEP)
    second = store.outbox.claim(
        T0, worker_id="b", limit=3, lease=LEASE, interval=STEP, per_channel=SECOND
    )
    slots = sorted([c.slot for c in first] + granted + [c.slot for c in second])
    assert slots == [T0 + STEP * i for i in range(8)]


def test_one_message_per_recipient_in_flight_and_per_second(store: Store) -> None:
    """A person's second message waits while the first is in flight and a second after it."""
    store.outbox.enqueue([notice("U1", "a"), notice("U1", "b")], T0)
    [first] = claim(store, T0)
    assert claim(store, T0) == []
    assert store.outbox.mark_sent(first.id, "D1", "1.0", T0)
    assert claim(store, T0 + timedelta(milliseconds=500)) == []
    [second] = claim(store, T0 + timedelta(seconds=1, milliseconds=1))
    assert second.key != first.key


def test_horizon_takes_windows_about_to_open_with_slots_not_before_them(store: Store) -> None:
    """A claim with a horizon takes rows opening within it, each slot at or after its window."""
    store.outbox.enqueue([reminder("U1")], T0)
    early = DUE - timedelta(milliseconds=600)
    [c] = store.outbox.claim(
        early,
        worker_id="w",
        limit=5,
        lease=LEASE,
        interval=STEP,
        per_channel=SECOND,
        horizon=timedelta(seconds=1),
    )
    assert c.slot == DUE


def test_expired_lease_is_taken_over_as_uncertain(store: Store) -> None:
    """A claim whose lease ran out goes to another worker, marked: it may have arrived."""
    store.outbox.enqueue([reminder()], T0)
    [first] = claim(store, DUE, "w1")
    assert not first.uncertain
    assert claim(store, DUE + LEASE - SECOND, "w2") == []
    [again] = claim(store, DUE + LEASE, "w2")
    assert (again.id, again.claimed_by, again.attempts, again.uncertain) == (
        first.id,
        "w2",
        2,
        True,
    )
    assert not store.outbox.give_up(first.id, "w1", OutboxStatus.FAILED, "x", DUE)


def test_rows_past_giving_up_are_recorded_missed(store: Store) -> None:
    """A row that could not go out before giving up is missed, never claimed."""
    store.outbox.enqueue([reminder()], T0)
    assert claim(store, GIVE_UP) == []
    item = only(store)
    assert item.status is OutboxStatus.MISSED
    assert store.outbox.expire(GIVE_UP) == 0


def test_mark_sent_records_a_message_that_exists(store: Store) -> None:
    """A sent row keeps its channel and ts; recording it twice reports False."""
    store.outbox.enqueue([reminder()], T0)
    [item] = claim(store, DUE)
    assert store.outbox.mark_sent(item.id, "D1", "1383620400.000100", DUE)
    assert not store.outbox.mark_sent(item.id, "D1", "1383620400.000100", DUE)
    sent = only(store)
    assert (sent.status, sent.channel_id, sent.message_ts, sent.sent_at) == (
        OutboxStatus.SENT,
        "D1",
        "1383620400.000100",
        DUE,
    )


def test_give_up_and_release_only_by_the_holder(store: Store) -> None:
    """Only the worker holding a claim may end it or hand it back."""
    store.outbox.enqueue([reminder("U1"), reminder("U2")], T0)
    a, b = claim(store, DUE)
    assert not store.outbox.give_up(a.id, "other", OutboxStatus.MISSED, "late", DUE)
    assert store.outbox.give_up(a.id, "w1", OutboxStatus.MISSED, "late", DUE)
    assert not store.outbox.release(
        b.id, "other", retry_at=DUE, error=None, uncertain=False, at=DUE
    )
    assert store.outbox.give_up(b.id, "w1", OutboxStatus.FAILED, "user_not_found", DUE)
    ends = {i.id: (i.status, i.error) for i in store.outbox.items()}
    assert ends[a.id] == (OutboxStatus.MISSED, "late")
    assert ends[b.id] == (OutboxStatus.FAILED, "user_not_found")
    with pytest.raises(ValueError, match="not an ending"):
        store.outbox.give_up(a.id, "w1", OutboxStatus.SENT, "x", DUE)


def test_released_row_waits_for_its_retry_time_and_keeps_uncertainty(store: Store) -> None:
    """A row handed back is claimable again only from its retry time, still uncertain."""
    store.outbox.enqueue([reminder()], T0)
    [item] = claim(store, DUE)
    retry = DUE + timedelta(seconds=30)
    assert store.outbox.release(
        item.id, "w1", retry_at=retry, error="timeout", uncertain=True, at=DUE
    )
    assert store.outbox.next_wake() == retry
    assert claim(store, retry - SECOND) == []
    [again] = claim(store, retry)
    assert (again.uncertain, again.error, again.attempts) == (True, "timeout", 2)


def test_next_wake_is_the_earliest_window_retry_or_lease_end(store: Store) -> None:
    """The next wake-up is the earliest of the open windows, retry times and lease ends."""
    assert store.outbox.next_wake() is None
    store.outbox.enqueue([reminder("U1"), reminder("U2", start=START + timedelta(hours=1))], T0)
    assert store.outbox.next_wake() == DUE
    [item] = claim(store, DUE, limit=1)
    assert store.outbox.next_wake() == DUE + LEASE
    store.outbox.mark_sent(item.id, "D1", "1.0", DUE)
    assert store.outbox.next_wake() == DUE + timedelta(hours=1)


# -- the budget --------------------------------------------------------------------------


def test_failures_hold_every_sender_back_growing_until_a_success(store: Store) -> None:
    """Failures after each hold double it; failures during a hold do not; a 429 waits as asked."""
    first = store.outbox.report_failure(T0, retry_after=None, base=1.0, cap=8.0)
    during = store.outbox.report_failure(T0 + STEP, retry_after=None, base=1.0, cap=8.0)
    assert (first, during) == (T0 + SECOND, T0 + SECOND)
    second = store.outbox.report_failure(T0 + SECOND, retry_after=None, base=1.0, cap=8.0)
    assert second == T0 + 3 * SECOND
    assert store.outbox.budget_failures() == 2
    assert store.outbox.grant(T0, 1, STEP) == [T0 + 3 * SECOND]
    asked = store.outbox.report_failure(T0, retry_after=30.0, base=1.0, cap=8.0)
    assert asked == T0 + timedelta(seconds=30)
    store.outbox.report_success()
    assert store.outbox.budget_failures() == 0
    at = T0 + timedelta(seconds=30)
    for _ in range(6):
        at = store.outbox.report_failure(at, retry_after=None, base=1.0, cap=8.0)
    assert at == T0 + timedelta(seconds=30 + 1 + 2 + 4 + 8 + 8 + 8)  # capped at 8 s


# -- the rest ----------------------------------------------------------------------------


def test_counts_cover_every_status(store: Store) -> None:
    """Counts list every status, zeros included, optionally of one kind."""
    store.outbox.enqueue([reminder(), notice("U2")], T0)
    assert store.outbox.counts() == {s.value: 2 * (s is OutboxStatus.PENDING) for s in OutboxStatus}
    assert store.outbox.counts(OutboxKind.NOTICE)[OutboxStatus.PENDING] == 1


def test_get_and_by_key(store: Store) -> None:
    """A row is found by id and by key; unknown ones are None."""
    store.outbox.enqueue([reminder()], T0)
    item = only(store)
    assert store.outbox.get(item.id) == item
    assert store.outbox.by_key(item.key) == item
    assert store.outbox.get(item.id + 1000) is None
    assert store.outbox.by_key("nope") is None


def test_reminders_in_scopes_by_people_and_sessions(store: Store) -> None:
    """Reminder rows are read for some people, some sessions, or both, never notices."""
    store.outbox.enqueue(
        [reminder("U1", "a"), reminder("U1", "b"), reminder("U2", "a"), notice("U1")], T0
    )
    pairs = lambda items: sorted((i.recipient, i.session_id) for i in items)  # noqa: E731
    assert pairs(store.outbox.reminders_in(["U1"])) == [("U1", "a"), ("U1", "b")]
    assert pairs(store.outbox.reminders_in(None, ["a"])) == [("U1", "a"), ("U2", "a")]
    assert pairs(store.outbox.reminders_in(["U1"], ["a"])) == [("U1", "a")]
    assert store.outbox.reminders_in([], None) == []
    assert len(store.outbox.reminders_in()) == 3


def test_rename_session_moves_bookmarks_and_reminders(store: Store) -> None:
    """A renamed session keeps its bookmarks and reminders, under new keys."""
    store.bookmarks.add([("U1", "old")], T0)
    store.outbox.enqueue([reminder("U1", "old"), reminder("U2", "old")], T0)
    store.outbox.enqueue([reminder("U2", "new")], T0)
    assert store.rename_session("old", "new", at=T0 + SECOND) == 1
    assert store.bookmarks.sessions_of("U1") == frozenset({"new"})
    moved = store.outbox.by_key(reminder_key("U1", "new", START))
    assert moved is not None
    assert (moved.session_id, moved.status) == ("new", OutboxStatus.PENDING)
    clash = [i for i in store.outbox.items(recipient="U2") if i.session_id == "old"]
    assert [i.status for i in clash] == [OutboxStatus.CANCELLED]


def test_naive_instants_refused(store: Store) -> None:
    """A naive datetime is refused by every outbox write that takes one."""
    naive = datetime(2013, 11, 5, 3, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        claim(store, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.outbox.grant(naive, 1, STEP)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.outbox.enqueue([reminder()], naive)
    assert store.outbox.items() == []


def test_queued_notice_keys_are_found_in_batches(store: Store) -> None:
    """Every queued notice key is found, over more keys than one IN list holds; others are not."""
    notices = [
        NewItem(
            OutboxKind.NOTICE, f"notice:U{n}:change:1", f"U{n}", T0, T0, T0 + timedelta(hours=1)
        )
        for n in range(1500)
    ]
    assert store.outbox.enqueue(notices, T0) == 1500
    asked = [n.key for n in notices] + ["notice:U1:change:2"]
    assert store.outbox.queued_keys(asked) == {n.key for n in notices}


def test_migration_moves_deliveries_and_notice_claims_into_the_outbox(store_url: str) -> None:
    """0002_outbox keeps each reminder (a claim in flight comes back uncertain) and each notice told."""
    from alembic import command
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from bot.store import alembic_config

    engine = create_engine(store_url, poolclass=NullPool)
    sqlite = engine.dialect.name == "sqlite"

    def instant(value: datetime) -> object:
        return value.replace(tzinfo=None) if sqlite else value

    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001_initial")
        for user, status in (("U1", "pending"), ("U2", "claimed"), ("U3", "sent")):
            conn.execute(
                text(
                    "INSERT INTO deliveries (user_id, session_id, start_at, due_at, status,"
                    " attempts, created_at, updated_at) VALUES (:u, 's-1', :start, :due, :status,"
                    " 1, :at, :at)"
                ),
                {
                    "u": user,
                    "start": instant(START),
                    "due": instant(DUE),
                    "status": status,
                    "at": instant(T0),
                },
            )
        conn.execute(
            text(
                "INSERT INTO change_notices (user_id, change_key, created_at, status, message_ts)"
                " VALUES ('U1', 'moved:s-1', :at, 'sent', '1.0'), ('U2', 'moved:s-1', :at,"
                " 'claimed', NULL)"
            ),
            {"at": instant(T0)},
        )
    engine.dispose()
    with Store.open(store_url) as store:
        reminders = {i.recipient: i for i in store.outbox.items(OutboxKind.REMINDER)}
        assert {u: (i.status, i.uncertain) for u, i in reminders.items()} == {
            "U1": (OutboxStatus.PENDING, False),
            "U2": (OutboxStatus.PENDING, True),
            "U3": (OutboxStatus.SENT, False),
        }
        assert reminders["U1"].key == reminder_key("U1", "s-1", START)
        assert (reminders["U1"].due_at, reminders["U1"].give_up_at) == (DUE, GIVE_UP)
        notices = {i.recipient: i.status for i in store.outbox.items(OutboxKind.NOTICE)}
        assert notices == {"U1": OutboxStatus.SENT, "U2": OutboxStatus.FAILED}


# -- moving a reminder to its session's new start -----------------------------------------

LATER = START + timedelta(hours=2)


def move(item: OutboxItem, start: datetime = LATER) -> Retime:
    """Move `item` (a reminder of session s-1) to `start`, ten minutes before it."""
    due = start - timedelta(minutes=10)
    key = reminder_key(item.recipient, item.session_id or "", start)
    return Retime(item.id, due, due, start + timedelta(minutes=5), key=key, starts_at=start)


def test_a_pending_reminder_moves_to_the_new_key_with_new_ids_in_order(store: Store) -> None:
    """Moved rows keep one row each, take the new key and window, and new ids in order."""
    users = ["U3", "U1", "U2"]
    store.outbox.enqueue([reminder(u) for u in users] + [notice("U9")], T0)
    rows = [only(store, u) for u in users]
    top = max(i.id for i in store.outbox.items())
    assert store.outbox.retime([move(r) for r in rows], T0) == 3
    after = [only(store, u) for u in users]
    assert [i.id for i in after] == [top + 1, top + 2, top + 3]
    for item in after:
        assert item.key == reminder_key(item.recipient, "s-1", LATER)
        assert (item.starts_at, item.due_at, item.not_before) == (
            LATER,
            LATER - timedelta(minutes=10),
            LATER - timedelta(minutes=10),
        )
        assert (item.status, item.attempts, item.uncertain) == (OutboxStatus.PENDING, 0, False)
    assert all(store.outbox.by_key(r.key) is None for r in rows)
    assert store.outbox.counts(OutboxKind.REMINDER)[OutboxStatus.PENDING] == 3


def test_a_row_taken_meanwhile_stays_and_a_row_for_the_new_start_is_queued(store: Store) -> None:
    """A claimed row is not moved: it keeps its key and a new row is queued for the new start."""
    store.outbox.enqueue([reminder("U1")], T0)
    [claimed] = claim(store, DUE, limit=1)
    assert store.outbox.retime([move(claimed)], T0) == 1
    rows = store.outbox.items(recipient="U1")
    assert {(i.key, i.status) for i in rows} == {
        (claimed.key, OutboxStatus.CLAIMED),
        (reminder_key("U1", "s-1", LATER), OutboxStatus.PENDING),
    }


def test_a_tried_row_is_cancelled_and_a_row_for_the_new_start_queued(store: Store) -> None:
    """A pending row tried before keeps its key (it may be read back): cancelled, as before."""
    store.outbox.enqueue([reminder("U1")], T0)
    [claimed] = claim(store, DUE, limit=1)
    store.outbox.release(
        claimed.id, "w1", retry_at=DUE + SECOND, error="refused", uncertain=False, at=DUE
    )
    tried = only(store)
    assert (tried.status, tried.attempts) == (OutboxStatus.PENDING, 1)
    store.outbox.retime([move(tried)], T0)
    rows = store.outbox.items(recipient="U1")
    assert {(i.key, i.status) for i in rows} == {
        (tried.key, OutboxStatus.CANCELLED),
        (reminder_key("U1", "s-1", LATER), OutboxStatus.PENDING),
    }


def test_a_taken_new_key_cancels_the_row_and_keeps_the_other(store: Store) -> None:
    """When the new start's key has a row already, the moving row is cancelled, not doubled."""
    store.outbox.enqueue([reminder("U1"), reminder("U1", start=LATER)], T0)
    old = store.outbox.by_key(reminder_key("U1", "s-1", START))
    there = store.outbox.by_key(reminder_key("U1", "s-1", LATER))
    assert old is not None
    assert there is not None
    store.outbox.retime([move(old)], T0)
    assert store.outbox.get(old.id) == dataclasses.replace(old, status=OutboxStatus.CANCELLED)
    assert store.outbox.get(there.id) == there
    assert len(store.outbox.items(recipient="U1")) == 2


# -- message bodies -------------------------------------------------------------------------


def test_a_message_body_is_kept_once_and_read_back_with_every_row(store: Store) -> None:
    """Rows sending the same body share one stored copy; each reads the body back."""
    body = '{"text":"Schedule change: \\u00e9\\"quoted\\""}'
    other = '{"text":"other"}'
    items = [
        dataclasses.replace(notice(f"U{n}"), payload=body if n % 3 else other) for n in range(9)
    ]
    assert store.outbox.enqueue(items[:4], T0) == 4
    assert store.outbox.enqueue(items, T0) == 5  # a second call finds the bodies kept
    assert {i.recipient: i.payload for i in store.outbox.items()} == {
        f"U{n}": (body if n % 3 else other) for n in range(9)
    }
    [claimed, *_] = claim(store, T0)
    assert claimed.payload in (body, other)
    with store._db.read() as conn:
        kept = conn.exec_driver_sql("SELECT digest FROM outbox_messages").all()
        named = conn.exec_driver_sql("SELECT count(*) FROM outbox WHERE payload IS NOT NULL")
        assert (len(kept), named.scalar()) == (2, 0)
    assert {d for (d,) in kept} == {message_digest(body), message_digest(other)}


def test_a_key_taken_while_moving_sends_the_batch_the_old_way(postgres_url: str) -> None:
    """PostgreSQL: a row inserted with the new key by another transaction mid-move is not doubled.

    The move waits on the other transaction's key; when it commits, the move's batch fails
    on the unique key and is redone as before (cancel the row, queue the key: already there).
    """
    store = Store.open(postgres_url)
    try:
        store.outbox.enqueue([reminder("U1")], T0)
        old = only(store)
        rival = reminder("U1", start=LATER)
        engine = sqlalchemy.create_engine(postgres_url, poolclass=sqlalchemy.pool.NullPool)
        with engine.connect() as other:
            other.begin()
            other.exec_driver_sql(
                "INSERT INTO outbox (kind, key, recipient, session_id, starts_at, not_before, "
                "due_at, give_up_at, status, attempts, uncertain, created_at, updated_at) "
                "VALUES ('reminder', %s, 'U1', 's-1', %s, %s, %s, %s, 'pending', 0, false, %s, %s)",
                (
                    rival.key,
                    LATER,
                    rival.due_at,
                    rival.due_at,
                    rival.give_up_at,
                    T0,
                    T0,
                ),
            )
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                moving = pool.submit(store.outbox.retime, [move(old)], T0)
                waited = _wait_for_a_lock(other)
                other.commit()
                assert moving.result(timeout=30) == 1
            assert waited
        engine.dispose()
        rows = {(i.key, i.status) for i in store.outbox.items(recipient="U1")}
        assert rows == {(old.key, OutboxStatus.CANCELLED), (rival.key, OutboxStatus.PENDING)}
    finally:
        store.close()


def _wait_for_a_lock(conn: sqlalchemy.Connection, seconds: float = 10.0) -> bool:
    """Wait (bounded) until another session of the database waits on a lock."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        waiting = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ).scalar()
        if waiting:
            return True
        time.sleep(0.02)
    return False


# Instants the bulk writes must keep to the microsecond (PostgreSQL sends them as integers).
AWKWARD_INSTANTS = (
    datetime(2013, 11, 5, 3, 0, 0, 1, tzinfo=UTC),
    datetime(2013, 11, 5, 11, 20, 59, 999_999, tzinfo=ZoneInfo("Asia/Hong_Kong")),
    datetime(2014, 3, 9, 3, 30, 0, 123_457, tzinfo=ZoneInfo("America/New_York")),
    datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2200, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC),
)


def test_bulk_writes_keep_every_instant_to_the_microsecond(store: Store) -> None:
    """Queueing, re-timing, moving to a new key and opening windows keep instants exact."""
    new = [
        dataclasses.replace(
            reminder(f"U{n}", start=instant),
            not_before=instant - timedelta(microseconds=3),
            due_at=instant - timedelta(microseconds=2),
            give_up_at=instant + timedelta(microseconds=1),
        )
        for n, instant in enumerate(AWKWARD_INSTANTS)
    ]
    at = datetime(2013, 11, 5, 1, 2, 3, 456_789, tzinfo=UTC)
    assert store.outbox.enqueue([*new, notice("U9")], at) == len(new) + 1
    rows = {i.recipient: i for i in store.outbox.items()}
    for item in new:
        row = rows[item.recipient]
        assert (row.starts_at, row.not_before, row.due_at, row.give_up_at) == (
            item.starts_at,
            item.not_before,
            item.due_at,
            item.give_up_at,
        )
        assert (row.status, row.attempts, row.uncertain) == (OutboxStatus.PENDING, 0, False)
    assert rows["U9"].starts_at is None
    later = [i + timedelta(days=1, microseconds=7) for i in AWKWARD_INSTANTS]
    moved = [
        Retime(rows["U0"].id, later[0], later[0], later[0], key="moved:U0", starts_at=later[1]),
        Retime(rows["U1"].id, later[2], later[3], later[4]),
    ]
    assert store.outbox.retime(moved, at) == 2
    store.outbox.cancel([rows["U2"].id], at)
    assert store.outbox.retime([Retime(rows["U2"].id, *later[3:], later[0], revive=True)], at)
    assert store.outbox.set_windows([(rows["U3"].id, later[4]), (rows["U4"].id, later[3])]) == 2
    after = {i.recipient: i for i in store.outbox.items()}
    assert after["U0"].key == "moved:U0"
    assert (after["U0"].starts_at, after["U0"].not_before) == (later[1], later[0])
    assert (after["U1"].not_before, after["U1"].due_at, after["U1"].give_up_at) == tuple(later[2:5])
    assert (after["U2"].status, after["U2"].not_before) == (OutboxStatus.PENDING, later[3])
    assert (after["U3"].not_before, after["U4"].not_before) == (later[4], later[3])


def test_expiry_finds_late_rows_through_an_index(tmp_path: Path) -> None:
    """Every claim records late rows missed: SQLite finds them by index, not by reading the outbox."""
    opened = Store.open(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        opened.outbox.enqueue([reminder(f"U{i}") for i in range(3)], T0)
        statements: list[tuple[str, Any]] = []

        def seen(conn: Any, cursor: Any, sql: str, params: Any, *rest: Any) -> None:
            if sql.lstrip().upper().startswith("UPDATE OUTBOX") and "give_up_at" in sql:
                statements.append((sql, params))

        engine = opened._db.engine
        sqlalchemy.event.listen(engine, "before_cursor_execute", seen)
        try:
            assert opened.outbox.expire(GIVE_UP) == 3
        finally:
            sqlalchemy.event.remove(engine, "before_cursor_execute", seen)
        [(sql, params)] = statements
        with engine.connect() as conn:
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
        details = [str(step[-1]) for step in plan]
        assert not [d for d in details if d.startswith("SCAN outbox")], details
        # Pending rows are searched up to `at` only, not all of them (by status alone);
        # claimed rows, the ones in flight, are few.
        assert any("status=? AND not_before<?" in d for d in details), details
    finally:
        opened.close()
