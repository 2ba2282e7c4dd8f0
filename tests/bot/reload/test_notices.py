"""Deciding change notices (pure, no database) and queueing them in the outbox, told once.

Sending them is the outbox sender's job, tested with the reminders it shares
(tests/bot/reminders/test_engine.py, tests/bot/outbox/).
"""

from __future__ import annotations

import json
from datetime import timedelta

from bot.reload import decide_notices, plan_notices, queue_notices
from bot.reload.notices import NoticeInputs, notice_key
from bot.storage.outbox import OutboxKind, OutboxStatus
from bot.store import Store
from schedule.diff import diff_schedules
from schedule.index import ScheduleIndex
from schedule.model import Schedule
from tests.bot.reload.conftest import AT, base_schedule
from tests.factories import schedule, session


def a_moved() -> tuple[Schedule, Schedule]:
    """The base schedule, and the same with session a moved to 14:20 (now overlapping d)."""
    old = base_schedule()
    later = session("a", "2013-11-05 14:20", room="Room 201")
    return old, schedule(*(later if s.id == "a" else s for s in old.sessions))


def inputs(**overrides: object) -> NoticeInputs:
    """Inputs with nobody interested unless overridden."""
    values: dict[str, object] = {
        "bookmarkers": {},
        "followers": {},
        "neighbour_fans": {},
        "queued": frozenset(),
    }
    values.update(overrides)
    return NoticeInputs(**values)  # type: ignore[arg-type]


def test_decide_tells_bookmarkers_and_followers_once_each_without_a_database() -> None:
    """Bookmarkers and track followers each get one notice; a clash with a bookmark is named."""
    old, new = a_moved()
    index = ScheduleIndex(new)
    found = decide_notices(
        diff_schedules(old, new),
        index,
        AT,
        inputs(
            bookmarkers={"a": ["U1", "U2"]},
            followers={"Nova": ["U2", "U3"]},
            neighbour_fans={"d": {"U1"}},
        ),
    )
    assert [(n.user_id, n.session_id) for n in found] == [("U1", "a"), ("U2", "a"), ("U3", "a")]
    by_user = {n.user_id: n.message for n in found}
    assert "now overlaps" in by_user["U1"].text
    assert "overlaps" not in by_user["U2"].text
    assert "You follow the Nova track." in json.dumps(by_user["U3"].to_dict())
    [a_new] = [s for s in new.sessions if s.id == "a"]
    assert {n.give_up_at for n in found} == {a_new.end}  # told while the session is to come


def test_decide_leaves_out_queued_notices_and_ended_sessions() -> None:
    """A person already queued for a change is left out; a change to an ended session is not told."""
    old, new = a_moved()
    diff = diff_schedules(old, new)
    queued = frozenset({notice_key("U1", decide_key(diff))})
    found = decide_notices(
        diff, ScheduleIndex(new), AT, inputs(bookmarkers={"a": ["U1", "U2"]}, queued=queued)
    )
    assert [n.user_id for n in found] == ["U2"]
    later = AT + timedelta(days=3)
    assert decide_notices(diff, ScheduleIndex(new), later, inputs(bookmarkers={"a": ["U1"]})) == []


def decide_key(diff: object) -> str:
    """The change key of the one move in `diff`."""
    from schedule.diff import change_key

    [change] = diff.changed  # type: ignore[attr-defined]
    return change_key(change)


def test_queued_notices_are_outbox_rows_due_now_told_once(sqlite_store: Store) -> None:
    """Queueing makes one pending notice row per person, due now; queueing again adds none."""
    old, new = a_moved()
    sqlite_store.bookmarks.add([("U1", "a"), ("U2", "a")], AT)
    diff = diff_schedules(old, new)
    first = plan_notices(sqlite_store, diff, ScheduleIndex(new), AT)
    assert [n.user_id for n in first] == ["U1", "U2"]
    assert queue_notices(sqlite_store.outbox, first, AT) == 2
    assert queue_notices(sqlite_store.outbox, first, AT) == 0
    rows = sqlite_store.outbox.items(OutboxKind.NOTICE)
    assert [(r.recipient, r.status, r.not_before, r.due_at) for r in rows] == [
        ("U1", OutboxStatus.PENDING, AT, AT),
        ("U2", OutboxStatus.PENDING, AT, AT),
    ]
    assert rows[0].message_json()["text"] == first[0].message.text
    assert plan_notices(sqlite_store, diff, ScheduleIndex(new), AT) == []


def test_clashes_are_found_for_bookmarkers_and_followers_alike(store: Store) -> None:
    """A move names the overlap for a bookmarker and a follower who kept the other session."""
    old, new = a_moved()  # a moves onto d
    store.bookmarks.add([("U1", "a"), ("U1", "d"), ("U2", "d"), ("U3", "d")], AT)
    store.bookmarks.add([("U4", "a"), ("U4", "b"), ("U5", "a")], AT)
    store.follows.follow("U2", "Nova", AT)  # follows a's track, kept d
    store.follows.follow("U3", "Cinder", AT)  # kept d, but hears nothing about a
    found = plan_notices(store, diff_schedules(old, new), ScheduleIndex(new), AT)
    by_user = {n.user_id: n.message.text for n in found}
    assert sorted(by_user) == ["U1", "U2", "U4", "U5"]
    assert "now overlaps" in by_user["U1"]
    assert "now overlaps" in by_user["U2"]
    assert "overlaps" not in by_user["U4"]
    assert "overlaps" not in by_user["U5"]
