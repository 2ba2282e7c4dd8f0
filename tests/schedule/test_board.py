"""Now & next boards: their content at an instant and the instants at which it changes."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from schedule.board import board_at, board_changes, find_room, next_change, rooms
from schedule.importers import load_bundled
from schedule.index import ScheduleIndex
from schedule.model import Schedule, Session
from tests.factories import local, schedule, session

NOVA = ScheduleIndex(load_bundled())
ROOM_B = "AWE Level 2, Room 201B"


def test_board_during_the_first_nova_session() -> None:
    """Tuesday 11:20 of the real schedule: the first session now, the 12:05 one next."""
    board = board_at(NOVA, local("2013-11-05 11:20"))
    assert [s.id for s in board.now] == ["conductor-tasks-next-steps"]
    assert [s.id for s in board.next] == ["instance-tasks-in-api"]
    assert board.started
    assert not board.over


def test_board_for_one_room_waits_for_its_session() -> None:
    """Room 201B is empty all summit until Friday 16:10; its board says the summit is on."""
    board = board_at(NOVA, local("2013-11-05 11:20"), ROOM_B)
    assert board.now == ()
    assert [s.title for s in board.next] == ["Hyper-V: Icehouse features"]
    assert board.started
    assert board_changes(NOVA, ROOM_B) == (local("2013-11-08 16:10"), local("2013-11-08 16:50"))


def test_rooms_are_found_ignoring_case_and_spacing() -> None:
    """`find_room` takes any case and spacing of a room's name; an unknown one is None."""
    assert rooms(NOVA) == ("AWE Level 2, Room 204-205", ROOM_B)
    assert find_room(NOVA, "  awe level 2,   ROOM 201b ") == ROOM_B
    assert find_room(NOVA, "Room 201") is None


def test_changes_are_every_start_and_end_once() -> None:
    """Back-to-back sessions change the board once at their shared instant."""
    index = ScheduleIndex(
        schedule(
            session("a", "2013-11-05 09:00", 60),
            session("b", "2013-11-05 10:00", 30),
            session("c", "2013-11-05 10:00", 45, room="Room 2"),
        )
    )
    assert board_changes(index) == (
        local("2013-11-05 09:00"),
        local("2013-11-05 10:00"),
        local("2013-11-05 10:30"),
        local("2013-11-05 10:45"),
    )
    assert next_change(index, local("2013-11-05 10:00")) == local("2013-11-05 10:30")
    assert next_change(index, local("2013-11-05 10:45")) is None
    assert board_at(index, local("2013-11-05 10:50")).over


def test_key_tells_boards_apart() -> None:
    """Boards with the same sessions share a key; another session or room changes it."""
    one = board_at(NOVA, local("2013-11-05 11:20"))
    same = board_at(NOVA, local("2013-11-05 11:40"))
    later = board_at(NOVA, local("2013-11-05 12:00"))
    assert one.key == same.key
    assert one.key != later.key
    assert one.key != board_at(NOVA, local("2013-11-05 11:20"), "AWE Level 2, Room 204-205").key


BASE = local("2013-11-05 08:00")


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    """Up to 12 sessions on one day in up to 3 rooms, at 5-minute steps."""
    count = draw(st.integers(min_value=1, max_value=12))
    made = []
    for i in range(count):
        start = BASE + timedelta(minutes=5 * draw(st.integers(0, 100)))
        length = timedelta(minutes=5 * draw(st.integers(1, 24)))
        room = draw(st.sampled_from(["Room 1", "Room 2", "room  1", "Hall"]))
        made.append(Session(id=f"s{i}", title=f"S{i}", start=start, end=start + length, room=room))
    return Schedule(name="Property", timezone="Asia/Hong_Kong", sessions=tuple(made))


@settings(max_examples=150, deadline=None)
@given(
    schedules(),
    st.integers(min_value=-30, max_value=700),
    st.sampled_from([None, "Room 1", "Hall"]),
)
def test_board_only_changes_at_the_announced_instants(
    sched: Schedule, minute: int, room: str | None
) -> None:
    """Between two change instants the board's content stays the same (so editing only then is enough)."""
    index = ScheduleIndex(sched)
    found = find_room(index, room) if room else None
    at: datetime = BASE + timedelta(minutes=minute)
    changes = board_changes(index, found)
    before = max((t for t in changes if t <= at), default=None)
    reference = before if before is not None else BASE - timedelta(days=1)
    assert board_at(index, at, found).now == board_at(index, reference, found).now
    assert board_at(index, at, found).next == board_at(index, reference, found).next
    for instant in changes:  # and each announced instant really changes it
        just_before = board_at(index, instant - timedelta(microseconds=1), found)
        assert just_before.key != board_at(index, instant, found).key
