"""`store.calendar`: SEQUENCE follows every move, removal and return, once per change."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.store import Store
from schedule.model import Schedule, Session
from tests.factories import local, schedule, session

AT = local("2013-11-01 09:00")
IDS = ("a", "b", "c")


def base() -> dict[str, Session]:
    """Three sessions by id."""
    return {
        "a": session("a", "2013-11-05 11:00"),
        "b": session("b", "2013-11-05 12:00"),
        "c": session("c", "2013-11-05 14:00", room="Room 2"),
    }


edits = st.lists(
    st.tuples(st.sampled_from(IDS), st.sampled_from(["move", "room", "title", "remove", "same"])),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(edits)
def test_sequence_counts_the_changes_that_matter(steps: list[tuple[str, str]]) -> None:
    """Each move, room change, removal or return adds one; titles and repeats add nothing."""
    store = Store.open("sqlite://")
    try:
        current = base()
        present = set(IDS)
        expected = dict.fromkeys(IDS, 0)
        at = AT
        store.calendar.record_schedule(schedule(*current.values()), at)
        for session_id, kind in steps:
            at += timedelta(minutes=1)
            was_present = session_id in present
            if kind == "remove":
                present.discard(session_id)
            else:
                present.add(session_id)
                item = current[session_id]
                if kind == "move":
                    current[session_id] = replace(
                        item,
                        start=item.start + timedelta(minutes=5),
                        end=item.end + timedelta(minutes=5),
                    )
                elif kind == "room":
                    current[session_id] = replace(item, room=item.room + "x")
                elif kind == "title":
                    current[session_id] = replace(item, title=item.title + "!")
            now_present = session_id in present
            if was_present != now_present or (now_present and kind in {"move", "room"}):
                expected[session_id] += 1
            shown: Schedule = schedule(*(current[i] for i in sorted(present)))
            store.calendar.record_schedule(shown, at)
            store.calendar.record_schedule(shown, at + timedelta(seconds=1))  # a replica, again
            rows = store.calendar.sessions()
            assert {i: rows[i].sequence for i in IDS} == expected
            assert {i for i in IDS if rows[i].removed_at is None} == present
            assert all(rows[i].uid == f"{i}@summit-bot" for i in IDS)
    finally:
        store.close()
