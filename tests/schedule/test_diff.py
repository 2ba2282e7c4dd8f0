from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from schedule.diff import (
    ReloadGuard,
    ScheduleDiff,
    SessionChange,
    cancel_key,
    change_key,
    check_reload,
    diff_schedules,
)
from schedule.model import Schedule, Session

HK = ZoneInfo("Asia/Hong_Kong")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in November 2013 given in Hong Kong time, returned in UTC."""
    return datetime(2013, 11, day, hour, minute, tzinfo=HK).astimezone(UTC)


def session(
    sid: str,
    title: str,
    day: int = 5,
    hour: int = 11,
    minute: int = 15,
    *,
    minutes: int = 40,
    room: str = "Room 204",
    uid: str = "",
) -> Session:
    """A session starting at the given Hong Kong time and lasting `minutes`."""
    start = at(day, hour, minute)
    return Session(
        id=sid,
        title=title,
        start=start,
        end=start + timedelta(minutes=minutes),
        room=room,
        uid=uid,
    )


def schedule(*sessions: Session) -> Schedule:
    """A schedule of `sessions` in the Hong Kong zone."""
    return Schedule(name="Icehouse Nova", timezone="Asia/Hong_Kong", sessions=sessions)


BASE = (
    session("nova-api", "Nova API", 5, 11, 15),
    session("nova-cells", "Nova cells", 5, 12, 5, room="Room 201"),
    session("nova-scheduler", "Nova scheduler", 6, 14, 0),
)


def test_identical_reload_is_empty() -> None:
    """Reloading the same sessions yields an empty diff with no changes."""
    diff = diff_schedules(schedule(*BASE), schedule(*BASE))
    assert diff.is_empty
    assert diff.summary() == "no changes"
    assert diff.removed_fraction == 0.0
    assert diff.id_changes == {}


def test_equal_instants_in_another_zone_are_not_a_move() -> None:
    """The same instants expressed in the venue zone do not count as a time change."""
    local = tuple(replace(s, start=s.start.astimezone(HK), end=s.end.astimezone(HK)) for s in BASE)
    assert diff_schedules(schedule(*BASE), schedule(*local)).is_empty


def test_added_session() -> None:
    """A session only in the new schedule is reported as added."""
    extra = session("nova-db", "Nova database", 7, 9, 0)
    diff = diff_schedules(schedule(*BASE), schedule(*BASE, extra))
    assert diff.added == (extra,)
    assert (diff.removed, diff.changed, diff.edited) == ((), (), ())
    assert diff.summary() == "1 added"


def test_removed_session() -> None:
    """A session only in the old schedule is reported as removed, with its share."""
    diff = diff_schedules(schedule(*BASE), schedule(*BASE[:2]))
    assert diff.removed == (BASE[2],)
    assert diff.added == ()
    assert diff.removed_fraction == pytest.approx(1 / 3)
    assert diff.summary() == "1 removed"


def test_moved_time() -> None:
    """A session whose start moved is changed with kind "time" only."""
    moved = replace(BASE[0], start=at(6, 9, 0), end=at(6, 9, 40))
    diff = diff_schedules(schedule(*BASE), schedule(moved, *BASE[1:]))
    (change,) = diff.changed
    assert change == SessionChange(BASE[0], moved)
    assert change.moved_time
    assert not change.moved_room
    assert change.kinds == {"time"}
    assert diff.summary() == "1 moved"


def test_end_only_change_is_a_time_move() -> None:
    """Extending a session's end counts as a time change."""
    longer = replace(BASE[0], end=BASE[0].end + timedelta(minutes=20))
    (change,) = diff_schedules(schedule(*BASE), schedule(longer, *BASE[1:])).changed
    assert change.kinds == {"time"}


def test_moved_room() -> None:
    """A session moved to another room is changed with kind "room" only."""
    moved = replace(BASE[1], room="Room 203")
    diff = diff_schedules(schedule(*BASE), schedule(BASE[0], moved, BASE[2]))
    (change,) = diff.changed
    assert change.moved_room
    assert not change.moved_time
    assert change.kinds == {"room"}


def test_renamed_same_id() -> None:
    """A new title under the same id is a rename without an id change."""
    renamed = replace(BASE[0], title="Nova API v3")
    diff = diff_schedules(schedule(*BASE), schedule(renamed, *BASE[1:]))
    (change,) = diff.changed
    assert change.renamed
    assert not change.id_changed
    assert change.kinds == {"title"}
    assert diff.summary() == "1 renamed"


def test_renamed_with_new_id_in_same_slot() -> None:
    """A removed and an added session in exactly the same slot pair up as a rename."""
    renamed = session("nova-api-v3", "Nova API v3", 5, 11, 15)
    diff = diff_schedules(schedule(*BASE), schedule(renamed, *BASE[1:]))
    assert (diff.added, diff.removed) == ((), ())
    (change,) = diff.changed
    assert change.old == BASE[0]
    assert change.new == renamed
    assert change.id_changed
    assert change.kinds == {"title"}
    assert diff.id_changes == {"nova-api": "nova-api-v3"}


def test_same_slot_other_room_is_not_a_rename() -> None:
    """A new session at the same time in another room is an addition plus a removal."""
    other = session("nova-api-v3", "Nova API v3", 5, 11, 15, room="Room 203")
    diff = diff_schedules(schedule(*BASE), schedule(other, *BASE[1:]))
    assert diff.added == (other,)
    assert diff.removed == (BASE[0],)
    assert diff.changed == ()


def test_ambiguous_slot_is_not_paired() -> None:
    """Two sessions renamed within one shared slot stay removals and additions."""
    old = (session("a", "A", room=""), session("b", "B", room=""))
    new = (session("c", "C", room=""), session("d", "D", room=""))
    diff = diff_schedules(schedule(*old), schedule(*new))
    assert diff.removed == old
    assert diff.added == new
    assert diff.changed == ()


def test_uid_match_across_id_change() -> None:
    """Sessions sharing a source uid pair up even when both id and slot changed."""
    old = session("nova-api", "Nova API", 5, 11, 15, uid="sched-41")
    new = session("nova-v3-api", "Nova v3 API", 6, 14, 50, room="Room 201", uid="sched-41")
    diff = diff_schedules(schedule(old, *BASE[1:]), schedule(new, *BASE[1:]))
    assert (diff.added, diff.removed) == ((), ())
    (change,) = diff.changed
    assert change.id_changed
    assert change.kinds == {"time", "room", "title"}
    assert diff.summary() == "1 moved, 1 renamed"


def test_uid_wins_over_slot() -> None:
    """A uid pairing is made before a slot pairing could claim the session."""
    old = session("talk", "Talk", uid="u1")
    newcomer = session("other", "Other")
    kept = session("talk-2", "Talk", 6, 9, 0, uid="u1")
    diff = diff_schedules(schedule(old), schedule(newcomer, kept))
    assert [(c.old.id, c.new.id) for c in diff.changed] == [("talk", "talk-2")]
    assert diff.added == (newcomer,)


def test_description_only_edit_goes_to_edited() -> None:
    """A description change is an edit, never a notifiable change."""
    edited = replace(BASE[1], description="Now with an etherpad.")
    diff = diff_schedules(schedule(*BASE), schedule(BASE[0], edited, BASE[2]))
    assert diff.changed == ()
    assert diff.edited == (SessionChange(BASE[1], edited),)
    assert diff.edited[0].kinds == frozenset()
    assert not diff.is_empty
    assert diff.summary() == "1 edited"


def test_whitespace_only_title_change_is_an_edit() -> None:
    """Collapsing doubled spaces in a title is not a rename."""
    tidied = replace(BASE[0], title=" Nova  API ")
    diff = diff_schedules(schedule(*BASE), schedule(tidied, *BASE[1:]))
    assert diff.changed == ()
    assert len(diff.edited) == 1


def test_id_only_change_goes_to_edited() -> None:
    """A session re-keyed by the source but otherwise equal is an edit carrying the id change."""
    old = session("nova-api", "Nova API", uid="u1")
    new = replace(old, id="nova-api-1")
    diff = diff_schedules(schedule(old), schedule(new))
    assert diff.changed == ()
    (edit,) = diff.edited
    assert edit.id_changed
    assert diff.id_changes == {"nova-api": "nova-api-1"}


def test_summary_counts_and_order() -> None:
    """The summary counts each category and lists changes in new schedule order."""
    old = (
        session("a", "A", 5, 9),
        session("b", "B", 5, 10),
        session("c", "C", 5, 11),
        session("d", "D", 5, 12),
        session("e", "E", 5, 13),
    )
    new = (
        session("a", "A", 6, 9),
        session("b", "B", 5, 10, room="Room 201"),
        session("c", "C renamed", 5, 8),
        session("e", "E renamed", 5, 13),
        session("x", "X", 7, 9),
        session("y", "Y", 7, 10),
    )
    diff = diff_schedules(schedule(*old), schedule(*new))
    assert diff.summary() == "2 added, 1 removed, 3 moved, 2 renamed"
    assert [c.new.id for c in diff.changed] == ["c", "b", "e", "a"]
    assert [s.id for s in diff.removed] == ["d"]


def test_guard_refuses_empty_schedule() -> None:
    """A reload that would leave no sessions (a truncated file) is refused."""
    reason = check_reload(schedule(*BASE), schedule())
    assert reason == "the new schedule has no sessions"


def test_guard_refuses_mass_deletion() -> None:
    """Removing more than a third of the sessions is refused with the counts."""
    old = tuple(session(f"s{i}", f"S{i}", 5 + i // 8, 9 + i % 8) for i in range(31))
    reason = check_reload(schedule(*old), schedule(*old[20:]))
    assert reason == "would remove 20 of 31 sessions (65%)"


def test_guard_accepts_normal_change() -> None:
    """A reload with moves, an addition and a small removal is accepted."""
    moved = replace(BASE[0], room="Room 203")
    new = schedule(moved, BASE[1], session("nova-db", "Nova database", 7, 9))
    assert check_reload(schedule(*BASE), new) is None


def test_guard_threshold_is_inclusive() -> None:
    """Removing exactly the allowed fraction passes and one more session does not."""
    old = schedule(*BASE)
    assert check_reload(old, schedule(*BASE[:2])) is None
    assert check_reload(old, schedule(*BASE[:1])) == "would remove 2 of 3 sessions (67%)"
    assert check_reload(old, schedule(*BASE[:1]), max_removed_fraction=0.7) is None
    assert ReloadGuard(0.0).check(old, schedule(*BASE[:2])) is not None


def test_guard_rejects_bad_fraction() -> None:
    """A threshold outside [0, 1] is a configuration error."""
    with pytest.raises(ValueError, match="max_removed_fraction"):
        ReloadGuard(1.5)


def _one_change(old: Session, new: Session) -> SessionChange:
    """The single change found when `old` becomes `new`."""
    diff: ScheduleDiff = diff_schedules(schedule(old), schedule(new))
    (change,) = diff.changed
    return change


def test_change_key_stable() -> None:
    """The same change computed twice, even with instants in another zone, has one key."""
    moved = replace(BASE[0], start=at(6, 9), end=at(6, 9, 40))
    local = replace(moved, start=moved.start.astimezone(HK), end=moved.end.astimezone(HK))
    first = change_key(_one_change(BASE[0], moved))
    assert first == change_key(_one_change(BASE[0], moved))
    assert first == change_key(_one_change(BASE[0], local))
    assert first.startswith("change:")


def test_change_key_distinct() -> None:
    """Different moves, rooms, titles and ids of one session give different keys."""
    base = BASE[0]
    variants = [
        replace(base, start=at(6, 9), end=at(6, 9, 40)),
        replace(base, start=at(6, 10), end=at(6, 10, 40)),
        replace(base, end=base.end + timedelta(minutes=5)),
        replace(base, room="Room 201"),
        replace(base, title="Nova API v3"),
        replace(base, id="nova-api-v3", title="Nova API v3"),
    ]
    keys = {change_key(SessionChange(base, v)) for v in variants}
    assert len(keys) == len(variants)


def test_cancel_key() -> None:
    """A cancellation key is stable for one session and differs between slots."""
    assert cancel_key(BASE[0]) == cancel_key(replace(BASE[0], title="Other title"))
    assert cancel_key(BASE[0]) != cancel_key(BASE[1])
    assert cancel_key(BASE[0]) != cancel_key(replace(BASE[0], start=at(5, 11, 0)))
