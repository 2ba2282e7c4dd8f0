from __future__ import annotations

import json
from typing import Any

import pytest

from bot.console.render_text import render
from bot.core import Core
from bot.core.message import Message, escape
from tests.factories import local


def blob(message: Message) -> str:
    """Everything Slack would receive, as one string."""
    return json.dumps(message.to_dict(), ensure_ascii=False)


def buttons(message: Message) -> list[dict[str, Any]]:
    """Every button element of the message."""
    found: list[dict[str, Any]] = []
    for block in message.block_dicts():
        if block.get("accessory", {}).get("type") == "button":
            found.append(block["accessory"])
        for element in block.get("elements", []):
            if element.get("type") == "button":
                found.append(element)
    return found


def test_now_during_first_session(core: Core) -> None:
    """At 11:20 on Tuesday the first Nova session is on, with room, time left and proposer."""
    message = core.answer("now", "U1", local("2013-11-05 11:20"))
    text = render(message)[0]
    assert "Conductor Tasks Next Steps" in text
    assert "Tue 5 Nov 11:15–11:55 HKT" in text
    assert "AWE Level 2, Room 204-205" in text
    assert "John Garbutt" in text
    assert "35 min left" in text
    assert "Next at 12:05 HKT (in 45 min): Instance tasks in API" in text
    assert [b["text"]["text"] for b in buttons(message)] == ["Bookmark"]


def test_empty_text_means_now(core: Core) -> None:
    """`/nova` with no words answers like `/nova now`."""
    at = local("2013-11-05 11:20")
    assert core.answer("", "U1", at).text == core.answer("now", "U1", at).text
    assert core.answer("/nova", "U1", at).text == core.answer("now", "U1", at).text


def test_slack_date_token_for_viewers_own_time(core: Core) -> None:
    """Each session carries a <!date^…> token so Slack shows the viewer's local time."""
    message = core.answer("now", "U1", local("2013-11-05 11:20"))
    start = int(local("2013-11-05 11:15").timestamp())
    assert f"<!date^{start}^{{date_short_pretty}} {{time}}|Tue 5 Nov 11:15 HKT>" in blob(message)


def test_viewer_zone_shown_when_known(core: Core) -> None:
    """A person in Paris also sees the start in their own zone."""
    core.store.people.set_timezone("U1", "Europe/Paris", local("2013-11-05 11:00"))
    text = render(core.answer("now", "U1", local("2013-11-05 11:20")))[0]
    assert "your time 04:15 CET" in text


def test_before_the_summit(core: Core) -> None:
    """Before the first session the answer says when and with what the summit starts."""
    text = render(core.answer("now", "U1", local("2013-11-01 09:00")))[0]
    assert "The summit starts Tue 5 Nov at 11:15 HKT" in text
    assert "Conductor Tasks Next Steps" in text
    assert render(core.answer("next", "U1", local("2013-11-01 09:00")))[0].startswith(
        "The summit starts"
    )


def test_after_the_summit(core: Core) -> None:
    """After the last session the answer says the summit is over."""
    for word in ("now", "next"):
        text = render(core.answer(word, "U1", local("2013-11-09 09:00")))[0]
        assert "The summit is over" in text


def test_gap_between_sessions(core: Core) -> None:
    """In a break nothing is on and the next sessions are shown with the wait."""
    text = render(core.answer("now", "U1", local("2013-11-05 12:00")))[0]
    assert "Nothing is on right now" in text
    assert "Next, in 5 min" in text
    assert "Instance tasks in API" in text


def test_start_inclusive_end_exclusive(core: Core) -> None:
    """At 11:55 the first session has ended; at 12:05 the second is on."""
    assert "Nothing is on" in core.answer("now", "U1", local("2013-11-05 11:55")).text
    assert "Instance tasks in API" in core.answer("now", "U1", local("2013-11-05 12:05")).text


def test_next(core: Core) -> None:
    """Next names the next start time and the wait."""
    text = render(core.answer("next", "U1", local("2013-11-05 11:20")))[0]
    assert text.splitlines()[0] == "Next at 12:05 HKT · in 45 min"
    assert "Instance tasks in API" in text


def test_today_tomorrow_weekday_and_date(core: Core) -> None:
    """Day agendas come from today, tomorrow, a weekday name and a date."""
    at = local("2013-11-05 11:20")
    assert "Tuesday 5 November 2013 · 7 sessions" in core.answer("today", "U1", at).text
    assert "Wednesday 6 November 2013" in core.answer("tomorrow", "U1", at).text
    assert "Thursday 7 November 2013" in core.answer("thursday", "U1", at).text
    assert "Friday 8 November 2013" in core.answer("2013-11-08", "U1", at).text
    assert "Friday 8 November 2013" in core.answer("day fri", "U1", at).text
    assert "No sessions on Sunday" in core.answer("sunday", "U1", at).text


def test_search(core: Core) -> None:
    """Search finds sessions by words in the title, description or proposers."""
    at = local("2013-11-05 11:20")
    message = core.answer("search scheduler", "U1", at)
    assert "Rethinking scheduler design" in message.text
    assert "Nothing matches" in core.answer("search xyzzy", "U1", at).text
    assert "Russell Bryant" in render(core.answer("search bryant", "U1", at))[0]


def test_search_echo_is_escaped(core: Core) -> None:
    """Searching for <!channel> echoes it escaped, so it pings nobody."""
    message = core.answer("search <!channel> & <@U2>", "U1", local("2013-11-05 11:20"))
    dumped = blob(message)
    assert "<!channel>" not in dumped
    assert "<@U2>" not in dumped
    assert "&lt;!channel&gt; &amp; &lt;@U2&gt;" in dumped


def test_show(core: Core) -> None:
    """Show gives a session in full, including merged proposals and their proposers."""
    message = core.answer("show instance-tasks-in-api", "U1", local("2013-11-05 11:20"))
    text = render(message)[0]
    assert "Andrew Laski" in text
    assert "haruka tanizawa" in text
    assert "feature of Cancel" in text
    unknown = core.answer("show no-such-session", "U1", local("2013-11-05 11:20"))
    assert "No session with id `no-such-session`" in unknown.text


def test_help_lists_every_subcommand(core: Core) -> None:
    """Help names every registered subcommand with a line of help."""
    from bot.commands.registry import Registry

    assert isinstance(core.commands, Registry)
    text = blob(core.answer("help", "U1", local("2013-11-05 11:20")))
    assert len(core.commands.commands) == 17  # calendar included
    for command in core.commands.commands:
        name = command.name
        assert f"`/nova {escape(command.usage)}`" in text, name
        assert command.summary.strip(), name


def test_unknown_input_gets_help_and_closest(core: Core) -> None:
    """A typo gets help and the closest subcommand."""
    message = core.answer("nxt", "U1", local("2013-11-05 11:20"))
    assert "Did you mean `/nova next`?" in blob(message)
    assert "search &lt;words&gt;" in blob(message)


def test_paging_keeps_within_slack_limits(core: Core) -> None:
    """A long answer pages with a More button and every page passes slack_sdk's checks."""
    message = core.answer("search the", "U1", local("2013-11-05 11:20"))
    more = [b for b in buttons(message) if b["action_id"] == "more"]
    assert len(more) == 1
    assert len(message.blocks) <= 50
    page2 = core.act("more", more[0]["value"], "U1", local("2013-11-05 11:20")).update
    assert page2 is not None
    assert blob(page2) != blob(message)


@pytest.mark.parametrize(
    "text", ["now", "next", "today", "tomorrow", "thursday", "search nova", "help", "mine"]
)
def test_every_answer_is_valid_block_kit(core: Core, text: str) -> None:
    """Every answer serialises through slack_sdk's block validation at several instants."""
    for at in ("2013-11-01 09:00", "2013-11-05 11:20", "2013-11-07 23:00", "2013-11-20 09:00"):
        message = core.answer(text, "U1", local(at))
        assert message.to_dict()["text"]
        assert len(message.blocks) <= 50


def test_show_merged_session_shows_each_proposal_once(core: Core) -> None:
    """A merged session's page shows each proposal's text once, under its own title."""
    text = render(core.answer("show instance-tasks-in-api", "U1", local("2013-11-05 11:20")))[0]
    assert text.count("It is useful and kind for user to implement cancel API") == 1
    assert "feature of Cancel (proposed by haruka tanizawa)" in text
