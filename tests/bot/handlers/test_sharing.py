"""Shared answers and Details, through signed HTTP requests to the real Slack app."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.runtime import Runtime
from tests.bot.handlers.serving import (
    FIRST,
    BotServer,
    ask_in_ack,
    ephemeral_click,
    find_button,
    texts,
)
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import block_actions_payload

ALICE = "U123"
"""Lives in Paris: her own answers show "your time … CET"."""
BOB = "U456"


def number(url: str) -> int:
    """The number of a fake response_url."""
    return int(url.rsplit("/", 1)[1])


def ask(bot: BotServer, slack: FakeSlack, text: str, user_id: str = ALICE) -> dict[str, Any]:
    """What `/nova <text>` from `user_id` answered (in its acknowledgement)."""
    return ask_in_ack(bot, slack, text, user_id)


def click_shared(
    bot: BotServer, slack: FakeSlack, shared: dict[str, Any], button: dict[str, Any], user_id: str
) -> list[dict[str, Any]]:
    """`user_id` presses `button` on a message in the channel; what its response_url got."""
    url = slack.new_response_url()
    payload = block_actions_payload(
        button["action_id"],
        button["value"],
        user_id,
        message={"text": shared["text"], "blocks": shared["blocks"]},
        response_url=url,
    )
    assert bot.click(payload).status == 200
    return slack.wait_response(number(url))


def all_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every button of a message."""
    found = []
    for block in message.get("blocks", []):
        for element in [block.get("accessory") or {}, *block.get("elements", [])]:
            if element.get("type") == "button":
                found.append(element)
    return found


def test_a_shared_answer_carries_nothing_of_the_sharer(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """Alice shares `now` with a bookmark and a Paris zone: the channel sees neither, only the session."""
    runtime.core.store.bookmarks.add([(ALICE, FIRST)], runtime.clock.now())
    # Her zone as the background read stores it, so the first answer already knows it.
    runtime.core.store.people.set_timezone(ALICE, "Europe/Paris", runtime.clock.now())
    own = ask(bot, slack, "now")
    assert "your time" in texts(own)  # what she sees herself ...
    assert "Bookmarked ✓" in texts(own)
    shared = ask(bot, slack, "share now")
    body = texts(shared)
    assert shared["response_type"] == "in_channel"
    assert "Conductor Tasks Next Steps" in body
    assert "Tue 5 Nov 11:15–11:55 HKT" in body
    assert "<!date^" in body
    assert "Room 204-205" in body
    for personal in ("your time", "CET", "Bookmarked ✓", "Remove", "overlaps your"):
        assert personal not in body, personal
    assert {b["action_id"] for b in all_buttons(shared)} == {"bookmark_toggle", "details"}
    assert "CET" not in shared["text"]
    assert "Conductor Tasks Next Steps" in shared["text"]


def test_share_mine_lists_the_sessions_without_remove_buttons(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """`share mine` posts the sharer's sessions with Bookmark buttons for the readers."""
    runtime.core.store.bookmarks.add([(ALICE, FIRST)], runtime.clock.now())
    shared = ask(bot, slack, "share mine")
    assert shared["response_type"] == "in_channel"
    assert "Conductor Tasks Next Steps" in texts(shared)
    assert "Your bookmarks" not in texts(shared)
    assert {b["action_id"] for b in all_buttons(shared)} == {"bookmark_toggle", "details"}


def test_the_shared_bookmark_button_acts_for_whoever_clicks(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """Bob (no bookmark) gets "Bookmarked", Alice (bookmarked) "Removed"; the channel's message stays."""
    store = runtime.core.store
    store.bookmarks.add([(ALICE, FIRST)], runtime.clock.now())
    shared = ask(bot, slack, "share now")
    button = find_button(shared, "bookmark_toggle")
    before = len(slack.responses())

    [to_bob] = click_shared(bot, slack, shared, button, BOB)
    assert to_bob["response_type"] == "ephemeral"
    assert to_bob["replace_original"] is False
    assert "Bookmarked *Conductor Tasks Next Steps*" in texts(to_bob)
    assert "Removed" not in texts(to_bob)
    assert store.bookmarks.sessions_of(BOB) == {FIRST}

    [to_alice] = click_shared(bot, slack, shared, button, ALICE)
    assert "Removed *Conductor Tasks Next Steps* from your bookmarks" in texts(to_alice)
    assert store.bookmarks.sessions_of(ALICE) == frozenset()
    assert store.bookmarks.sessions_of(BOB) == {FIRST}
    # Two clicks, two ephemeral notes: nothing replaced the shared message.
    assert len(slack.responses()) == before + 2
    assert all(r.get("replace_original") is not True for r in slack.responses()[before:])


def test_an_old_shared_remove_button_never_claims_a_removal(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """Someone without the bookmark pressing a "Bookmarked ✓" button hears that it was not there."""
    own = ask(bot, slack, "now")
    value = find_button(own, "bookmark")["value"]
    [reply] = click_shared(bot, slack, own, {"action_id": "unbookmark", "value": value}, BOB)
    assert "Removed" not in texts(reply)
    assert "was not in your bookmarks" in texts(reply)


def test_personal_subcommands_are_not_shared(bot: BotServer, slack: FakeSlack) -> None:
    """`share reminders` stays with the asker and says what can be shared."""
    answer = ask(bot, slack, "share reminders")
    assert answer["response_type"] == "ephemeral"
    assert "cannot be shared" in texts(answer)
    assert "`now`" in texts(answer)
    typo = ask(bot, slack, "share nxt")
    assert typo["response_type"] == "ephemeral"
    assert "Did you mean `/nova next`?" in texts(typo)


def test_details_from_a_list_shows_the_session_to_the_clicker(
    bot: BotServer, slack: FakeSlack
) -> None:
    """Details under a session of `today` answers with the whole session and leaves the list alone."""
    answer = ask(bot, slack, "today")
    button = find_button(answer, "details")
    url = slack.new_response_url()
    bot.click(ephemeral_click(answer, "details", button["value"], url))
    [detail] = slack.wait_response(number(url))
    assert detail["response_type"] == "ephemeral"
    assert detail["replace_original"] is False
    session_id = json.loads(button["value"])["id"]
    assert f"id `{session_id}`" in texts(detail)
    assert detail["blocks"][0]["type"] == "header"


def test_details_in_a_shared_message_answers_in_the_clickers_terms(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """Bob presses Details on Alice's share and sees the session with his own bookmark state."""
    runtime.core.store.bookmarks.add([(BOB, FIRST)], runtime.clock.now())
    shared = ask(bot, slack, "share now")
    [detail] = click_shared(bot, slack, shared, find_button(shared, "details"), BOB)
    assert detail["response_type"] == "ephemeral"
    assert find_button(detail, "unbookmark")["text"]["text"] == "Bookmarked ✓"
    assert re.search(r"id `conductor-tasks-next-steps`", texts(detail))


def test_every_list_has_details(bot: BotServer, slack: FakeSlack, runtime: Runtime) -> None:
    """now, next, a day, search, mine and reminders give each session a Details button."""
    store = runtime.core.store
    store.bookmarks.add([(ALICE, "instance-tasks-in-api")], runtime.clock.now())
    runtime.core.answer("remind on", ALICE, runtime.clock.now())  # plans her reminder
    for text in ("now", "next", "today", "thursday", "search scheduler", "mine", "reminders"):
        answer = ask(bot, slack, text)
        kinds = [b["action_id"] for b in all_buttons(answer)]
        sections = [b for b in answer["blocks"] if b["type"] == "section" and "accessory" in b]
        assert sections, text
        assert kinds.count("details") == len(sections), (text, kinds)
