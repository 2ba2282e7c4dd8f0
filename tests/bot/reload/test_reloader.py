"""The reloader end to end: diffs, the guard, restarts, and who is told what."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from bot.outbox.messenger import PermanentError, TransientError
from bot.reload import Status
from bot.storage.outbox import NewItem, OutboxKind, OutboxStatus, reminder_key
from schedule.model import Schedule, Session
from tests.bot.reload.conftest import AT, World, base_schedule, make_world, write
from tests.factories import local, schedule, session


def edited(*sessions: Session, drop: tuple[str, ...] = ()) -> Schedule:
    """The base schedule with `sessions` replacing (or added beside) those of the same id."""
    by_id = {s.id: s for s in base_schedule().sessions if s.id not in drop}
    by_id.update({s.id: s for s in sessions})
    return schedule(*by_id.values())


def moved(session_id: str, start: str, room: str | None = None) -> Session:
    """Session `session_id` of the base schedule moved to local `start` (and `room`)."""
    old = next(s for s in base_schedule().sessions if s.id == session_id)
    begin = local(start)
    return dataclasses.replace(
        old, start=begin, end=begin + (old.end - old.start), room=room or old.room
    )


def test_added_session_is_served_and_tells_nobody(world: World) -> None:
    """A session added by a reload is served at once and sends no DM."""
    world.store.bookmarks.add([("U1", "a")], AT)
    world.publish(edited(session("g", "2013-11-06 10:00")))
    outcome = world.reloader.reload()
    assert outcome.status is Status.APPLIED
    assert outcome.diff is not None
    assert [s.id for s in outcome.diff.added] == ["g"]
    assert world.schedules.index.get("g") is not None
    assert world.notifier.sent == []


def test_removed_session_tells_its_bookmarkers_once(world: World) -> None:
    """Cancelling a session DMs each of its bookmarkers once, and nobody else."""
    world.store.bookmarks.add([("U1", "b")], AT)
    world.store.bookmarks.add([("U2", "a")], AT)
    world.publish(edited(drop=("b",)))
    outcome = world.reloader.reload()
    assert outcome.status is Status.APPLIED
    assert world.schedules.index.get("b") is None
    [text] = world.notifier.to("U1")
    assert "B is cancelled (was Tue 5 Nov 11:50–12:30, Room 201)" in text
    assert world.notifier.to("U2") == []
    assert world.reloader.reload().status is Status.UNCHANGED
    assert len(world.notifier.sent) == 1


def test_moved_session_names_both_slots_and_a_new_overlap(world: World) -> None:
    """A move DMs old → new time and room, flagging the person's bookmarks it now overlaps."""
    for user, ids in {"U1": ("d", "a"), "U2": ("d",)}.items():
        for session_id in ids:
            world.store.bookmarks.add([(user, session_id)], AT)
    world.publish(edited(moved("d", "2013-11-05 11:00", "Room 203")))
    world.reloader.reload()
    [first] = world.notifier.to("U1")
    assert "Tue 5 Nov 14:00–14:40, Room 201 → Tue 5 Nov 11:00–11:40, Room 203" in first
    assert "now overlaps A" in first
    [second] = world.notifier.to("U2")
    assert "→ Tue 5 Nov 11:00–11:40, Room 203" in second
    assert "overlaps" not in second


def test_room_change_alone_is_told(world: World) -> None:
    """A session moved to another room at the same time is a change people hear about."""
    world.store.bookmarks.add([("U1", "e")], AT)
    world.publish(edited(moved("e", "2013-11-06 09:00", "Room 204")))
    outcome = world.reloader.reload()
    assert outcome.diff is not None
    assert [c.kinds for c in outcome.diff.changed] == [frozenset({"room"})]
    [text] = world.notifier.to("U1")
    assert "Wed 6 Nov 09:00–09:40, Room 201 → Wed 6 Nov 09:00–09:40, Room 204" in text


def test_renamed_id_carries_bookmarks_and_reminders_without_dm(world: World) -> None:
    """A session whose id changed with its title keeps its bookmarks and pending reminder."""
    old = next(s for s in base_schedule().sessions if s.id == "b")
    world.store.bookmarks.add([("U1", "b")], AT)
    due = old.start - timedelta(minutes=10)
    world.store.outbox.enqueue(
        [
            NewItem(
                OutboxKind.REMINDER,
                reminder_key("U1", "b", old.start),
                "U1",
                due,
                due,
                old.start + timedelta(minutes=5),
                session_id="b",
                starts_at=old.start,
            )
        ],
        AT,
    )
    renamed = dataclasses.replace(old, id="b-renamed", title="B, renamed")
    world.publish(edited(renamed, drop=("b",)))
    outcome = world.reloader.reload()
    assert outcome.diff is not None
    assert outcome.diff.id_changes == {"b": "b-renamed"}
    assert world.store.bookmarks.sessions_of("U1") == {"b-renamed"}
    [delivery] = world.store.outbox.items(statuses=[OutboxStatus.PENDING], recipient="U1")
    assert (delivery.session_id, delivery.starts_at) == ("b-renamed", old.start)
    assert world.notifier.sent == []


def test_identical_reload_changes_nothing(world: World) -> None:
    """Reloading the schedule in service saves nothing and sends no DM."""
    world.store.bookmarks.add([("U1", "a")], AT)
    kept = world.store.snapshots.recent()
    outcome = world.reloader.reload()
    assert outcome.status is Status.UNCHANGED
    assert "No changes" in outcome.describe()
    assert world.store.snapshots.recent() == kept
    assert world.notifier.sent == []


def test_followers_are_told_once_even_when_they_also_bookmarked(world: World) -> None:
    """Following a moved session's track tells the person, once, bookmark or not."""
    world.store.follows.follow("U3", "Nova", AT)
    world.store.bookmarks.add([("U3", "a")], AT)
    world.store.follows.follow("U4", "Cinder", AT)
    world.publish(edited(moved("a", "2013-11-05 16:00"), moved("f", "2013-11-06 15:00")))
    world.reloader.reload()
    [about_a] = world.notifier.to("U3")
    assert about_a.startswith("Schedule change: A:")
    [about_f] = world.notifier.to("U4")
    assert about_f.startswith("Schedule change: F:")
    [(_, message)] = [(u, m) for u, m in world.notifier.sent if u == "U4"]
    assert "You follow the Cinder track." in str(message.to_dict())
    [(_, message)] = [(u, m) for u, m in world.notifier.sent if u == "U3"]
    assert "You bookmarked this session." in str(message.to_dict())


def test_ended_sessions_are_not_announced(world: World) -> None:
    """A change to a session that is over by now tells nobody."""
    world.store.bookmarks.add([("U1", "a")], AT)
    world.clock.set(local("2013-11-05 13:00"), speed=0)
    world.publish(edited(moved("a", "2013-11-05 10:00", "Room 205")))
    assert world.reloader.reload().status is Status.APPLIED
    assert world.notifier.sent == []


def test_mass_deletion_is_refused_and_the_schedule_stays(world: World) -> None:
    """A file dropping more than a third of the sessions is refused, in memory and in the DB."""
    world.store.bookmarks.add([("U1", "c")], AT)
    before = world.store.snapshots.latest_digest()
    world.publish(edited(drop=("c", "d", "e")))
    outcome = world.reloader.reload()
    assert outcome.status is Status.REFUSED
    assert outcome.reason == "would remove 3 of 6 sessions (50%)"
    assert "Still serving Test summit (6 sessions)" in outcome.describe()
    assert len(world.schedules.schedule.sessions) == 6
    assert world.store.snapshots.latest_digest() == before
    assert world.notifier.sent == []


def test_truncated_file_is_refused(world: World) -> None:
    """A file cut in the middle does not parse, so the running schedule stays."""
    text = world.path.read_text(encoding="utf-8")
    world.path.write_text(text[: len(text) // 2], encoding="utf-8")
    outcome = world.reloader.reload()
    assert outcome.status is Status.REFUSED
    assert outcome.reason is not None
    assert "not valid JSON" in outcome.reason
    assert len(world.schedules.schedule.sessions) == 6


def test_refused_file_stays_refused_after_a_restart(
    world: World, sqlite_url: str, schedule_file: Path
) -> None:
    """After a restart on the same database the last good schedule is served, not the bad file."""
    world.publish(schedule(session("a", "2013-11-05 11:00", room="Room 201")))
    assert world.reloader.reload().status is Status.REFUSED
    world.store.close()
    again = make_world(sqlite_url, schedule_file)
    try:
        assert len(again.schedules.schedule.sessions) == 6
        assert again.startup.refused == "would remove 5 of 6 sessions (83%)"
        again.start()
        again.stop()
        [alert] = again.notifier.to("UADMIN")
        assert "refused: would remove 5 of 6 sessions" in alert
    finally:
        again.store.close()
    third = make_world(sqlite_url, schedule_file)
    try:
        third.start()
        third.stop()
        assert third.notifier.sent == []  # the admins hear once per distinct failure
    finally:
        third.store.close()


def test_change_found_at_startup_is_announced_once(
    world: World, sqlite_url: str, schedule_file: Path
) -> None:
    """A file changed while the bot was down is applied at startup and announced by the reloader."""
    world.store.bookmarks.add([("U1", "d")], AT)
    world.store.close()
    write(schedule_file, edited(moved("d", "2013-11-05 16:00")))
    replicas = [make_world(sqlite_url, schedule_file) for _ in range(2)]
    try:
        assert replicas[0].startup.applied
        assert not replicas[1].startup.applied  # the second found it saved already
        for replica in replicas:
            served = replica.schedules.index.get("d")
            assert served is not None
            assert served.start == local("2013-11-05 16:00")
            replica.start()
            replica.stop()
        told = [t for r in replicas for t in r.notifier.to("U1")]
        assert len(told) == 1
        assert "Tue 5 Nov 14:00–14:40, Room 201 → Tue 5 Nov 16:00–16:40, Room 201" in told[0]
    finally:
        for replica in replicas:
            replica.store.close()


def test_bookmarks_made_after_a_change_do_not_get_its_notice(
    world: World, sqlite_url: str, schedule_file: Path
) -> None:
    """Announcing again at startup tells nobody who bookmarked after the change was applied."""
    world.store.bookmarks.add([("U1", "d")], AT)
    world.publish(edited(moved("d", "2013-11-05 16:00")))
    world.reloader.reload()
    assert len(world.notifier.to("U1")) == 1
    world.store.bookmarks.add([("U5", "d")], AT + timedelta(hours=1))
    world.store.close()
    again = make_world(sqlite_url, schedule_file)
    try:
        assert again.reloader.announce_latest(AT + timedelta(hours=2)) == ()
        assert again.notifier.sent == []
    finally:
        again.store.close()


def test_transient_failures_are_given_back_and_sent_later(world: World) -> None:
    """A DM failing for now stays queued (announcing again adds nothing) and goes out on retry."""
    world.store.bookmarks.add([("U1", "a")], AT)
    world.notifier.failures["U1"] = [TransientError("ratelimited")] * 2
    world.publish(edited(moved("a", "2013-11-05 16:00")))
    world.reloader.reload()
    assert world.notifier.sent == []
    assert world.reloader.reports[-1].retry == 1
    assert world.reloader.announce_latest() == ()
    sender = world.reloader.sender
    assert sender is not None
    later = sender.drain(AT + timedelta(minutes=1))  # fails once more, then goes out
    assert (later.retry, later.sent) == (1, 1)
    assert len(world.notifier.to("U1")) == 1
    assert sender.drain(AT + timedelta(minutes=3)).claimed == 0


def test_permanent_failures_are_not_retried(world: World) -> None:
    """A person who can never get a DM is not tried again by a later announcement."""
    world.store.bookmarks.add([("U1", "a")], AT)
    world.notifier.failures["U1"] = [PermanentError("user_not_found")]
    world.publish(edited(moved("a", "2013-11-05 16:00")))
    world.reloader.reload()
    assert world.reloader.reports[-1].failed == 1
    assert world.reloader.announce_latest() == ()
    assert world.notifier.sent == []


def test_background_sending_finishes_on_join(sqlite_url: str, schedule_file: Path) -> None:
    """With background sending, the reload returns at once and `join` waits for the DMs."""
    replica = make_world(sqlite_url, schedule_file, background=True)
    try:
        for n in range(20):
            replica.store.bookmarks.add([(f"U{n}", "a")], AT)
        replica.publish(edited(moved("a", "2013-11-05 16:00")))
        outcome = replica.reloader.reload()
        assert outcome.people == 20
        assert replica.reloader.join(timeout=10)
        assert len(replica.notifier.sent) == 20
    finally:
        replica.stop()
        replica.store.close()
