"""The channel board's message and its planned edits (the pure part of the board)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from bot.board import board_edits, board_items, board_message, post_key
from bot.core.message import Message
from schedule.board import board_at
from schedule.importers import load_bundled
from schedule.index import ScheduleIndex
from tests.factories import local, schedule, session

NOVA = ScheduleIndex(load_bundled())


def blocks_text(message: Message) -> str:
    """Every text of a message's blocks, as JSON."""
    return json.dumps(message.block_dicts(), ensure_ascii=False)


def test_board_message_during_the_first_session() -> None:
    """Tuesday 11:20: now the first session with its room and span, next at 12:05."""
    message = board_message(board_at(NOVA, local("2013-11-05 11:20")), NOVA)
    text = blocks_text(message)
    assert "*Conductor Tasks Next Steps* — 11:15–11:55 · AWE Level 2, Room 204-205" in text
    assert "*Next · Tue 5 Nov 12:05*" in text
    assert "As of Tue 5 Nov 11:20 HKT" in text
    assert message.text == (
        "Now & next: now Conductor Tasks Next Steps 11:15–11:55 (AWE Level 2, Room 204-205). "
        "Next: Instance tasks in API 12:05–12:45 (AWE Level 2, Room 204-205)."
    )
    assert not message.in_channel  # it is posted by the board, not as an answer


def test_board_message_escapes_schedule_text() -> None:
    """A title with <!channel> and & is escaped in the blocks: it pings nobody."""
    index = ScheduleIndex(
        schedule(session("x", "2013-11-05 11:00", title="<!channel> & <@U1>", room="<#C1>"))
    )
    text = blocks_text(board_message(board_at(index, local("2013-11-05 11:10")), index))
    assert "&lt;!channel&gt; &amp; &lt;@U1&gt;" in text
    assert "&lt;#C1&gt;" in text
    assert "<!channel>" not in text


def test_edits_follow_every_start_and_end_once() -> None:
    """From Tuesday 11:20 (the 11:15 version) the board changes at 11:55, 12:05, 12:45 and on."""
    edits = board_edits(NOVA, local("2013-11-05 11:20"))
    assert [e.at for e in edits[:4]] == [
        local("2013-11-05 11:15"),
        local("2013-11-05 11:55"),
        local("2013-11-05 12:05"),
        local("2013-11-05 12:45"),
    ]
    keys = [e.key for e in edits]
    assert len(set(keys)) == len(keys)
    assert edits[-1].at == NOVA.ends_at
    assert "The summit is over" in blocks_text(edits[-1].message)
    assert len(edits) == 1 + sum(
        1
        for t in {s.start for s in NOVA.sessions} | {s.end for s in NOVA.sessions}
        if t > local("2013-11-05 11:20")
    )


def test_board_items_are_one_post_then_edits_with_stable_keys() -> None:
    """Two replicas planning the same schedule plan the same keys: one post, then edits of it."""
    since = local("2013-11-05 11:20")
    one = board_items("C123", NOVA, since)
    two = board_items("C123", ScheduleIndex(load_bundled()), since)
    assert [i.key for i in one] == [i.key for i in two]
    assert one[0].key == post_key("C123")
    assert one[0].edit_of is None
    assert all(i.edit_of == post_key("C123") for i in one[1:])
    assert len({i.key for i in one}) == len(one)
    assert [i.not_before for i in one[1:]] == [e.at for e in board_edits(NOVA, since)]
    later = board_items("C123", NOVA, local("2013-11-05 11:40"))  # a replica started later
    assert [i.key for i in later] == [i.key for i in one]


def test_reload_changes_only_the_keys_of_versions_it_changes() -> None:
    """Moving one afternoon session changes the keys of the versions around it, not the morning's."""
    since = local("2013-11-05 11:20")
    before = {i.key for i in board_items("C1", NOVA, since)}
    moved = [
        replace(s, start=s.start + timedelta(minutes=5), end=s.end + timedelta(minutes=5))
        if s.id == "nova-live-snapshot-feature"
        else s
        for s in NOVA.sessions
    ]
    after_index = ScheduleIndex(replace(NOVA.schedule, sessions=tuple(moved)))
    after = {i.key for i in board_items("C1", after_index, since)}
    morning = {
        i.key for i in board_items("C1", NOVA, since) if i.not_before < local("2013-11-05 12:00")
    }
    assert morning <= after
    assert before != after
