"""Planning reminders on SQLite and PostgreSQL: bookmarks, lead times, schedule changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.outbox.windows import burst_margin, send_interval
from bot.reminders.planner import bookmarked, changed_sessions, followed, plan_reminders
from bot.storage.outbox import DISMISSED, OutboxStatus, reminder_key
from schedule.index import ScheduleIndex
from tests.bot.reminders.conftest import World, summit
from tests.factories import local, schedule, session
from tests.support.store_helpers import window_rows
from tests.support.windows_reference import changed_windows


def pending(world: World, user_id: str) -> dict[str, str]:
    """The person's pending reminders as {session id: "HH:MM" due, Hong Kong time}."""
    return {
        d.session_id: d.due_at.astimezone(world.core.index.schedule.zone).strftime("%H:%M")
        for d in world.deliveries(user_id)
        if d.status is OutboxStatus.PENDING
    }


def test_bookmark_plans_reminder_at_lead_time(world: World) -> None:
    """A bookmark plans one reminder ten minutes before the session's start."""
    assert world.bookmark("U1", "keynote") == []
    [delivery] = world.deliveries("U1")
    assert delivery.starts_at == local("2013-11-05 11:15")
    assert delivery.due_at == local("2013-11-05 11:05")
    assert delivery.status is OutboxStatus.PENDING


def test_unbookmark_cancels_reminder(world: World) -> None:
    """Removing the bookmark cancels its pending reminder."""
    world.bookmark("U1", "keynote")
    world.unbookmark("U1", "keynote")
    [delivery] = world.deliveries("U1")
    assert delivery.status is OutboxStatus.CANCELLED


def test_lead_change_moves_pending_reminders(world: World) -> None:
    """A new lead time re-times every pending reminder of that person only."""
    world.bookmark("U1", "keynote")
    world.bookmark("U1", "design")
    world.bookmark("U2", "design")
    world.store.people.set_lead_minutes("U1", 15)
    result = plan_reminders(world.core, world.clock.now(), users={"U1"})
    assert sorted(result.planned) == [("U1", "design"), ("U1", "keynote")]
    assert pending(world, "U1") == {"keynote": "11:00", "design": "11:45"}
    assert pending(world, "U2") == {"design": "11:50"}


def test_planning_again_writes_nothing(world: World) -> None:
    """Planning everyone again when nothing changed plans and cancels nothing."""
    world.bookmark("U1", "keynote")
    world.bookmark("U2", "design")
    result = plan_reminders(world.core, world.clock.now())
    assert not result.changed


def test_bookmark_within_lead_time_says_no_reminder(world: World) -> None:
    """Bookmarking after the reminder moment plans nothing and says the session is close."""
    world.at("2013-11-05 11:08")
    [line] = world.bookmark("U1", "keynote")
    assert "starts in 7 min" in line
    assert "10-minute reminder time" in line
    assert world.deliveries("U1") == []


def test_bookmark_after_start_plans_nothing_silently(world: World) -> None:
    """Bookmarking a session already under way plans no reminder and adds no line."""
    world.at("2013-11-05 11:20")
    assert world.bookmark("U1", "keynote") == []
    assert world.deliveries("U1") == []


def test_moved_session_moves_its_reminder_to_the_new_start(world: World) -> None:
    """A replaced schedule moving a session moves its pending reminder: new start, key and id.

    The row takes a new id, above every other (as a row queued now would), and nothing
    is left under the old start's key.
    """
    world.bookmark("U1", "keynote")
    world.bookmark("U2", "design")
    [before] = world.deliveries("U1")
    moved = schedule(
        *(s for s in summit().sessions if s.id != "keynote"),
        session("keynote", "2013-11-05 13:30", title="Nova Keynote"),
    )
    world.core.schedules.replace(moved)
    [after] = world.deliveries("U1")
    start = local("2013-11-05 13:30")
    assert (after.starts_at, after.status, after.key) == (
        start,
        OutboxStatus.PENDING,
        reminder_key("U1", "keynote", start),
    )
    assert after.id > max(d.id for d in world.deliveries("U2"))
    assert after.id != before.id
    assert world.store.outbox.by_key(before.key) is None
    assert pending(world, "U1") == {"keynote": "13:20"}
    assert pending(world, "U2") == {"design": "11:50"}


def test_a_move_sends_each_person_one_reminder_at_the_new_time_only(world: World) -> None:
    """Moved, tried-before or dismissed: each keynote fan gets one DM at 13:20, none at 11:05.

    U1's reminder moves as one row; U2's was tried once (it keeps its key: cancelled, and a
    new row queued); U3 had dismissed it (a move plans it afresh, as before); U4's session
    stays where it was.
    """
    for user_id in ("U1", "U3", "U2"):  # the newest row opens first: U2 is claimed
        world.bookmark(user_id, "keynote")
    world.bookmark("U4", "design")
    engine = world.engine(start=False)
    world.at("2013-11-05 11:05")
    [tried] = world.store.outbox.claim(
        world.clock.now(),
        worker_id="other",
        limit=1,
        lease=timedelta(seconds=60),
        interval=engine.sender.interval,
        per_channel=timedelta(seconds=1),
    )
    assert tried.item.recipient == "U2"
    assert world.store.outbox.release(
        tried.item.id,
        "other",
        retry_at=local("2013-11-05 11:06"),
        error="refused",
        uncertain=False,
        at=world.clock.now(),
    )
    [u3] = world.deliveries("U3")
    assert world.store.outbox.dismiss(u3.id, "U3", world.clock.now())
    moved = schedule(
        *(s for s in summit().sessions if s.id != "keynote"),
        session("keynote", "2013-11-05 13:30", title="Nova Keynote"),
    )
    world.core.schedules.replace(moved)
    assert {u: pending(world, u) for u in ("U1", "U2", "U3", "U4")} == {
        "U1": {"keynote": "13:20"},
        "U2": {"keynote": "13:20"},
        "U3": {"keynote": "13:20"},
        "U4": {"design": "11:50"},
    }
    for text in ("11:06", "11:15", "11:50", "12:30", "13:20", "13:21", "13:40"):
        world.step(engine, f"2013-11-05 {text}")
    sent = sorted(
        (call.params["channel"], call.params["text"].split(" — ")[0]) for call in world.posts()
    )
    assert sent == [
        ("U1", "Starts in 10 min: Nova Keynote"),
        ("U2", "Starts in 10 min: Nova Keynote"),
        ("U3", "Starts in 10 min: Nova Keynote"),
        ("U4", "Starts in 10 min: Design Summit"),
    ]


def test_moved_back_the_reminder_follows_and_stays_one_row(world: World) -> None:
    """A session moved and moved back keeps one pending reminder, due at its original time."""
    world.bookmark("U1", "keynote")
    original = summit()
    moved = schedule(
        *(s for s in original.sessions if s.id != "keynote"),
        session("keynote", "2013-11-05 13:30", title="Nova Keynote"),
    )
    world.core.schedules.replace(moved)
    world.core.schedules.replace(original)
    [row] = world.deliveries("U1")
    assert (row.starts_at, row.status) == (local("2013-11-05 11:15"), OutboxStatus.PENDING)
    assert pending(world, "U1") == {"keynote": "11:05"}


def test_removed_session_cancels_reminder(world: World) -> None:
    """A replaced schedule without the session cancels its reminders."""
    world.bookmark("U1", "keynote")
    world.core.schedules.replace(schedule(*(s for s in summit().sessions if s.id != "keynote")))
    [delivery] = world.deliveries("U1")
    assert delivery.status is OutboxStatus.CANCELLED


def test_session_moved_earlier_past_its_moment_is_due_at_once(world: World) -> None:
    """A session moved so close that its moment passed keeps its promised reminder, due now."""
    world.bookmark("U1", "design")
    world.at("2013-11-05 11:00")
    earlier = schedule(
        *(s for s in summit().sessions if s.id != "design"),
        session("design", "2013-11-05 11:05", title="Design Summit"),
    )
    world.core.schedules.replace(earlier)
    [due] = [d for d in world.deliveries("U1") if d.status is OutboxStatus.PENDING]
    assert due.starts_at == local("2013-11-05 11:05")
    assert due.due_at == local("2013-11-05 11:00")


def test_lead_time_grown_past_now_sends_at_once(world: World) -> None:
    """A longer lead time whose moment already passed makes the reminder due now."""
    world.bookmark("U1", "keynote")
    world.at("2013-11-05 11:02")
    world.store.people.set_lead_minutes("U1", 30)
    plan_reminders(world.core, world.clock.now(), users={"U1"})
    assert pending(world, "U1") == {"keynote": "11:02"}


def test_reminders_off_cancels_and_on_plans_again(world: World) -> None:
    """Turning reminders off cancels a person's reminders; turning them on plans them again."""
    world.bookmark("U1", "keynote")
    world.bookmark("U1", "design")
    world.store.people.set_reminders_enabled("U1", False)
    assert plan_reminders(world.core, world.clock.now(), users={"U1"}).cancelled == 2
    assert pending(world, "U1") == {}
    world.store.people.set_reminders_enabled("U1", True)
    plan_reminders(world.core, world.clock.now(), users={"U1"})
    assert pending(world, "U1") == {"keynote": "11:05", "design": "11:50"}


def test_dismissed_reminder_stays_cancelled_until_bookmarked_again(world: World) -> None:
    """A reminder the person cancelled is not planned again, unless they bookmark anew."""
    world.bookmark("U1", "keynote")
    [delivery] = world.deliveries("U1")
    assert world.store.outbox.dismiss(delivery.id, "U1", world.clock.now())
    assert world.store.outbox.items(recipient="U1")[0].error == DISMISSED
    assert not plan_reminders(world.core, world.clock.now()).changed
    assert "keynote" in world.store.bookmarks.sessions_of("U1")
    world.unbookmark("U1", "keynote")
    world.bookmark("U1", "keynote")
    assert pending(world, "U1") == {"keynote": "11:05"}


def test_sent_reminder_is_not_planned_again(world: World) -> None:
    """A reminder already sent for a start instant is never planned twice."""
    world.bookmark("U1", "keynote")
    world.at("2013-11-05 11:05")
    [claimed] = world.store.outbox.claim(
        world.clock.now(),
        worker_id="w",
        limit=10,
        lease=timedelta(seconds=60),
        interval=timedelta(milliseconds=20),
        per_channel=timedelta(seconds=1),
    )
    world.store.outbox.mark_sent(claimed.item.id, "D1", "1.0", world.clock.now())
    world.unbookmark("U1", "keynote")
    world.at("2013-11-05 10:00")
    world.bookmark("U1", "keynote")
    [delivery] = world.deliveries("U1")
    assert delivery.status is OutboxStatus.SENT


def test_follows_and_bookmarks_never_double_a_reminder(world: World) -> None:
    """Following a session's track and bookmarking it wants the same, single reminder."""
    world.bookmark("U1", "keynote")
    world.store.follows.follow("U1", "Nova", world.clock.now())
    sources = (bookmarked, followed)
    plan_reminders(world.core, world.clock.now(), users={"U1"}, sources=sources)
    assert pending(world, "U1") == {
        "early": "11:00",
        "keynote": "11:05",
        "parallel": "11:05",
        "design": "11:50",
    }
    assert len(world.deliveries("U1")) == 4
    world.unbookmark("U1", "keynote")
    plan_reminders(world.core, world.clock.now(), sessions={"keynote"}, sources=sources)
    assert "keynote" in pending(world, "U1")


def test_scope_limits_what_planning_touches(world: World) -> None:
    """Planning one person leaves another person's stale reminders alone."""
    world.bookmark("U1", "keynote")
    world.bookmark("U2", "keynote")
    world.store.bookmarks.remove("U2", "keynote")
    plan_reminders(world.core, world.clock.now(), users={"U1"})
    assert pending(world, "U2") == {"keynote": "11:05"}
    plan_reminders(world.core, world.clock.now(), sessions={"keynote"})
    assert pending(world, "U2") == {}


def test_changed_sessions_lists_added_removed_and_moved() -> None:
    """Only sessions whose start changed, or that came or went, are affected."""
    old = ScheduleIndex(summit())
    keynote, design = old.get("keynote"), old.get("design")
    assert keynote is not None
    assert design is not None
    later = timedelta(minutes=30)
    new = schedule(
        *(s for s in old.sessions if s.id not in {"early", "keynote", "design"}),
        replace(keynote, start=keynote.start + later, end=keynote.end + later),
        replace(design, title="Design Summit, renamed", room="Room 301"),
        session("extra", "2013-11-05 16:00"),
    )
    affected = changed_sessions(old, ScheduleIndex(new))
    assert affected == {"early", "keynote", "extra"}


def test_planning_many_people_chunks_queries(world: World) -> None:
    """Planning more people than one query's id list holds still covers every one."""
    users = [f"U{i:04d}" for i in range(1_100)]
    for user_id in users:
        world.store.bookmarks.add([(user_id, "design")], world.clock.now())
    result = plan_reminders(world.core, world.clock.now(), users=users)
    assert len(result.planned) == 1_100
    assert not plan_reminders(world.core, world.clock.now(), users=users).changed


def test_windows_written_with_a_move_agree_with_a_full_pass(world: World) -> None:
    """Bursts sharing an instant, then one moved away: no window needs rewriting after.

    The rows left behind open later (their burst shrank), the moved ones open before
    their new instant, and a full pass over every pending row changes nothing.
    """
    people = [f"U{i:04d}" for i in range(300)]
    now, index = world.clock.now(), world.core.index
    design, keynote = index.get("design"), index.get("keynote")
    assert design is not None
    assert keynote is not None
    shared = replace(design, start=keynote.start, end=keynote.end)
    world.core.schedules.replace(
        schedule(*(s if s.id != "design" else shared for s in index.sessions))
    )
    world.store.bookmarks.add([(u, "keynote") for u in people], now)
    world.store.bookmarks.add([(u, "design") for u in people[::2]], now)
    plan_reminders(world.core, now)
    world.core.schedules.replace(
        schedule(*(s if s.id != "design" else design for s in world.core.index.sessions))
    )
    interval = send_interval(world.core.settings.slack_messages_per_second)
    rows = window_rows(world.store, now)
    assert len(rows) == 300 + 150
    assert changed_windows(rows, interval) == []
    lead = timedelta(minutes=world.core.settings.reminder_lead_minutes)
    burst = [r.not_before for r in rows if r.starts_at == keynote.start]
    assert keynote.start - lead - min(burst) == 299 * interval + burst_margin(299, interval)
