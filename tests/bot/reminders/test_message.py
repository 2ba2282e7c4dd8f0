"""The reminder DM: its fallback text, its blocks and its "Remove bookmark" button."""

from __future__ import annotations

import json

from bot.console.render_text import render
from bot.reminders.message import REMOVE_BOOKMARK, reminder_message
from bot.storage.outbox import OutboxStatus
from tests.bot.reminders.conftest import ETHERPAD, World
from tests.factories import local


def keynote_dm(
    world: World, user_id: str = "U1", at: str = "2013-11-05 11:05", due: str = "2013-11-05 11:05"
) -> tuple[str, str]:
    """The keynote's DM as (fallback text, Slack JSON)."""
    session = world.core.index.get("keynote")
    assert session is not None
    message = reminder_message(world.core, user_id, session, local(at), local(due))
    return message.text, json.dumps(message.to_dict(), ensure_ascii=False)


def test_fallback_text_holds_the_essentials(world: World) -> None:
    """The notification text says when, what, what time and where."""
    text, _ = keynote_dm(world)
    assert text == "Starts in 10 min: Nova Keynote — Tue 5 Nov 11:15 HKT, Room 204-205"


def test_blocks_show_times_room_proposers_links_and_button(world: World) -> None:
    """The blocks carry the summit time, Slack's date token, room, proposer, etherpad and button."""
    _, blob = keynote_dm(world)
    assert "*Nova Keynote*" in blob
    assert "Tue 5 Nov 11:15–11:55 HKT" in blob
    assert f"<!date^{int(local('2013-11-05 11:15').timestamp())}^" in blob
    assert "Room 204-205" in blob
    assert "Russell Bryant" in blob
    assert f"<{ETHERPAD}|etherpad.openstack.org>" in blob
    assert f'"action_id": "{REMOVE_BOOKMARK}"' in blob
    assert "Remove bookmark" in blob
    assert "late" not in blob


def test_person_zone_is_shown_next_to_the_summit_zone(world: World) -> None:
    """A person in Paris reads the start in their own time as well as the summit's."""
    world.store.people.set_timezone("U1", "Europe/Paris", local("2013-11-05 10:00"))
    text, blob = keynote_dm(world)
    assert text == (
        "Starts in 10 min: Nova Keynote — Tue 5 Nov 11:15 HKT (04:15 CET your time), Room 204-205"
    )
    assert "your time 04:15 CET" in blob


def test_late_reminder_says_how_soon_it_starts(world: World) -> None:
    """A reminder sent after downtime says it is late and that the session starts in 3 minutes."""
    text, blob = keynote_dm(world, at="2013-11-05 11:12")
    assert text.startswith("Starts in 3 min: Nova Keynote")
    assert "starts in 3 minutes" in blob
    assert "comes late" in blob


def test_dm_renders_for_the_console(world: World) -> None:
    """The console shows the DM with its button numbered, without Slack's date token."""
    session = world.core.index.get("keynote")
    assert session is not None
    shown = render(reminder_message(world.core, "U1", session, local("2013-11-05 11:05")))[0]
    assert "Starts in 10 min" in shown
    assert "[Remove bookmark] (1)" in shown
    assert "<!date" not in shown


def test_remove_bookmark_button_drops_bookmark_and_reminder(world: World) -> None:
    """The DM's button removes the bookmark and cancels a reminder still coming."""
    world.bookmark("U1", "keynote")
    result = world.core.act(REMOVE_BOOKMARK, '{"id":"keynote"}', "U1", world.clock.now())
    assert result.notice is not None
    assert "Removed" in result.notice.text
    assert "keynote" not in world.store.bookmarks.sessions_of("U1")
    assert [d.status for d in world.deliveries("U1")] == [OutboxStatus.CANCELLED]
    again = world.core.act(REMOVE_BOOKMARK, '{"id":"keynote"}', "U1", world.clock.now())
    assert again.notice is not None
    assert "not in your bookmarks" in again.notice.text
