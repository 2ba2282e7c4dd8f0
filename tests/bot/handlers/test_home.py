from __future__ import annotations

from typing import Any

from bot.core.message import decode_value
from bot.runtime import Runtime
from bot.views.home import HOME_QUERY, home_view
from tests.bot.handlers.serving import AT, FIRST, BotServer, find_button, texts
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import block_actions_payload


def published(slack: FakeSlack, count: int = 1) -> list[dict[str, Any]]:
    """The views sent with views.publish so far (waiting for `count` of them)."""
    return [call.param("view") for call in slack.wait_for("views.publish", count)]


def test_home_opened_publishes_my_summit(bot: BotServer, slack: FakeSlack) -> None:
    """Opening the Home tab publishes the person's page: now, next, bookmarks and reminders."""
    reply = bot.open_home("U123")
    assert reply.status == 200
    [call] = slack.wait_for("views.publish")
    assert call.params["user_id"] == "U123"
    view = call.param("view")
    assert view["type"] == "home"
    body = texts(view)
    for expected in (
        "My summit",
        "*Now*",
        "Conductor Tasks Next Steps",
        "*Next*",
        "*My bookmarks*",
    ):
        assert expected in body
    assert "a message 10 min before they start (the default)" in body
    assert decode_value(find_button(view, "bookmark")["value"])["q"] == HOME_QUERY


def test_other_tabs_publish_nothing(bot: BotServer, slack: FakeSlack) -> None:
    """Opening the Messages tab leaves the Home view alone."""
    bot.open_home("U123", tab="messages")
    bot.open_home("U456")
    [call] = slack.wait_for("views.publish")
    assert call.params["user_id"] == "U456"


def test_click_in_home_bookmarks_and_republishes(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """A Bookmark click inside the Home view stores it and publishes the page again, noted on top."""
    bot.open_home("U123")
    [view] = published(slack)
    button = find_button(view, "bookmark")
    payload = block_actions_payload(
        "bookmark", button["value"], "U123", container="view", view=view
    )
    assert "response_url" not in payload
    assert bot.click(payload).status == 200
    again = published(slack, 2)[1]
    assert runtime.core.store.bookmarks.sessions_of("U123") == {FIRST}
    assert find_button(again, "unbookmark")["text"]["text"] == "Bookmarked ✓"
    assert "Bookmarked *Conductor Tasks Next Steps*" in again["blocks"][1]["text"]["text"]
    assert "1 to come, 1 in all" in texts(again)
    assert slack.responses() == []


def test_unbookmark_in_home_removes_it(bot: BotServer, slack: FakeSlack, runtime: Runtime) -> None:
    """The Home view's "Bookmarked ✓" button removes the bookmark and the page shows it gone."""
    runtime.core.store.bookmarks.add([("U123", FIRST)], AT)
    bot.open_home("U123")
    [view] = published(slack)
    button = find_button(view, "unbookmark")
    bot.click(
        block_actions_payload("unbookmark", button["value"], "U123", container="view", view=view)
    )
    again = published(slack, 2)[1]
    assert runtime.core.store.bookmarks.sessions_of("U123") == frozenset()
    assert "No bookmarks yet" in texts(again)


def test_reminder_setting_follows_preferences(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """The page shows a person's own lead time, and says so when reminders are off."""
    runtime.core.store.people.set_lead_minutes("U123", 25)
    runtime.core.store.people.set_reminders_enabled("U456", False)
    bot.open_home("U123")
    bot.open_home("U456")
    views = {c.params["user_id"]: c.param("view") for c in slack.wait_for("views.publish", 2)}
    assert "a message 25 min before they start, for each" in texts(views["U123"])
    assert "*Reminders* · off" in texts(views["U456"])


def test_page_stays_within_limits_with_many_bookmarks(runtime: Runtime) -> None:
    """With every session bookmarked the page still fits in 50 valid blocks."""
    for session in runtime.core.index.sessions:
        runtime.core.store.bookmarks.add([("U9", session.id)], AT)
    page = home_view(runtime.core, "U9", AT)
    assert len(page.blocks) <= 50
    body = texts({"blocks": page.block_dicts()})
    assert "more" in body
    assert "*Reminders*" in body
