from __future__ import annotations

from typing import Any

import pytest

from bot.commands.registry import Click
from bot.core import ActionResult
from bot.core.message import Message
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


def ask(bot: BotServer, slack: FakeSlack, text: str) -> dict[str, Any]:
    """The ephemeral answer to `/nova <text>`, as it came in the acknowledgement."""
    return ask_in_ack(bot, slack, text)


def click(
    bot: BotServer, slack: FakeSlack, message: dict[str, Any], action_id: str
) -> list[dict[str, Any]]:
    """Press the `action_id` button of an ephemeral `message`; return what its response_url got."""
    button = find_button(message, action_id)
    url = slack.new_response_url()
    reply = bot.click(ephemeral_click(message, action_id, button["value"], url))
    assert reply.status == 200
    assert reply.seconds < 1.0
    n = int(url.rsplit("/", 1)[1])
    return slack.wait_response(n, count=2)


def test_bookmark_click_replaces_the_message(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """Bookmark stores the bookmark, replaces the answer with "Bookmarked ✓" and confirms apart."""
    answer = ask(bot, slack, "now")
    update, notice = click(bot, slack, answer, "bookmark")
    assert runtime.core.store.bookmarks.sessions_of("U123") == {FIRST}
    assert update["replace_original"] is True
    assert find_button(update, "unbookmark")["text"]["text"] == "Bookmarked ✓"
    assert notice["response_type"] == "ephemeral"
    assert notice["replace_original"] is False
    assert "Bookmarked *Conductor Tasks Next Steps*" in texts(notice)


def test_unbookmark_click_reverses_it(bot: BotServer, slack: FakeSlack, runtime: Runtime) -> None:
    """Pressing "Bookmarked ✓" removes the bookmark and the button says Bookmark again."""
    answer = ask(bot, slack, "now")
    update, _ = click(bot, slack, answer, "bookmark")
    again, notice = click(bot, slack, update, "unbookmark")
    assert runtime.core.store.bookmarks.sessions_of("U123") == frozenset()
    assert find_button(again, "bookmark")["text"]["text"] == "Bookmark"
    assert "Removed *Conductor Tasks Next Steps*" in texts(notice)


def test_double_click_leaves_one_bookmark(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """The same click delivered twice leaves a single bookmark row and two happy answers."""
    answer = ask(bot, slack, "now")
    button = find_button(answer, "bookmark")
    url = slack.new_response_url()
    payload = ephemeral_click(answer, "bookmark", button["value"], url)
    assert bot.click(payload).status == 200
    assert bot.click(payload).status == 200
    posted = slack.wait_response(int(url.rsplit("/", 1)[1]), count=4)
    assert runtime.core.store.bookmarks.count() == 1
    assert sum(1 for p in posted if p.get("replace_original") is True) == 2


def test_mine_lists_the_bookmark_with_a_remove_button(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """After a bookmark, `/nova mine` shows it with its "Bookmarked ✓" button, which removes it."""
    click(bot, slack, ask(bot, slack, "now"), "bookmark")
    mine = ask(bot, slack, "mine")
    assert "Your bookmarks · 1" in texts(mine)
    update, _ = click(bot, slack, mine, "unbookmark")
    assert runtime.core.store.bookmarks.sessions_of("U123") == frozenset()
    assert "no bookmarks yet" in texts(update)


def test_more_pages_in_place(bot: BotServer, slack: FakeSlack) -> None:
    """The More button replaces the answer with its next page."""
    first = ask(bot, slack, "search the")
    button = find_button(first, "more")
    url = slack.new_response_url()
    bot.click(ephemeral_click(first, "more", button["value"], url))
    [page] = slack.wait_response(int(url.rsplit("/", 1)[1]))
    assert page["replace_original"] is True
    assert texts(page) != texts(first)
    assert "match “the”" in texts(page)


def test_click_on_a_shared_message_leaves_it_alone(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """Bookmarking from a message shared in a channel answers the clicker only, never replacing it."""
    shared = ask_in_ack(bot, slack, "share now")
    button = find_button(shared, "bookmark_toggle")
    url = slack.new_response_url()
    payload = block_actions_payload(
        "bookmark_toggle",
        button["value"],
        "U456",
        message={"text": shared["text"], "blocks": shared["blocks"]},
        response_url=url,
    )
    bot.click(payload)
    [reply] = slack.wait_response(int(url.rsplit("/", 1)[1]))
    assert runtime.core.store.bookmarks.sessions_of("U456") == {FIRST}
    assert reply["response_type"] == "ephemeral"
    assert reply["replace_original"] is False
    assert "Bookmarked" in reply["text"]


@pytest.fixture
def ping_action(runtime: Runtime) -> str:
    """A button action registered after the app was built, as another module would add one."""

    def ping(click: Click) -> ActionResult:
        text = f"pong {click.value.get('n')} for {click.user_id}"
        return ActionResult(notice=Message(text=text))

    runtime.registry.add_action(ping, "test_ping")
    return "test_ping"


def test_actions_added_to_the_registry_work(
    bot: BotServer, slack: FakeSlack, ping_action: str
) -> None:
    """The single listener dispatches on the registry, so a newly registered action is answered."""
    url = slack.new_response_url()
    payload = block_actions_payload(ping_action, '{"n":7}', "U123", response_url=url)
    payload["container"]["is_ephemeral"] = True
    assert bot.click(payload).status == 200
    [reply] = slack.wait_response(int(url.rsplit("/", 1)[1]))
    assert reply["text"] == "pong 7 for U123"


def test_unregistered_action_is_acked_and_ignored(bot: BotServer, slack: FakeSlack) -> None:
    """A click on an action nobody registered (a link button) is acked and answered with nothing."""
    url = slack.new_response_url()
    assert bot.click(block_actions_payload("open_link", "", "U123", response_url=url)).status == 200
    bot.settle()
    assert slack.responses(int(url.rsplit("/", 1)[1])) == []
    assert slack.responses() == []
