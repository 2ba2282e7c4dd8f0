from __future__ import annotations

from datetime import timedelta

from bot.runtime import Runtime
from tests.bot.handlers.serving import AT, BotServer, texts
from tests.support.fake_slack import FakeSlack


def test_users_zone_is_used_and_cached(bot: BotServer, slack: FakeSlack, runtime: Runtime) -> None:
    """Two commands make one users.info call; the Paris zone is stored and shown in both answers."""
    bot.command("now", slack.new_response_url())
    bot.command("next", slack.new_response_url())
    first, second = slack.wait_response(count=2)
    assert [c.params["user"] for c in slack.calls("users.info")] == ["U123"]
    prefs = runtime.core.store.people.preferences(["U123"])["U123"]
    assert prefs.timezone == "Europe/Paris"
    assert prefs.timezone_checked_at == AT
    assert "your time 04:15 CET" in texts(first)
    assert "your time 05:05 CET" in texts(second)


def test_zone_older_than_a_day_is_read_again(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """A zone checked more than a day ago is refreshed from users.info."""
    runtime.core.store.people.set_timezone(
        "U123", "America/New_York", AT - timedelta(days=1, minutes=1)
    )
    bot.command("now", slack.new_response_url())
    [answer] = slack.wait_response()
    assert len(slack.calls("users.info")) == 1
    assert runtime.core.store.people.preferences(["U123"])["U123"].timezone == "Europe/Paris"
    assert "your time 04:15 CET" in texts(answer)


def test_fresh_zone_is_not_read_again(bot: BotServer, slack: FakeSlack, runtime: Runtime) -> None:
    """A zone checked within the day is used as stored, without asking Slack."""
    runtime.core.store.people.set_timezone("U123", "America/New_York", AT - timedelta(hours=23))
    bot.command("now", slack.new_response_url())
    [answer] = slack.wait_response()
    assert slack.calls("users.info") == []
    assert "your time 22:15 EST" in texts(answer)


def test_failed_lookup_falls_back_to_the_summit_zone(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """When users.info fails the answer still comes, in the summit's zone, and nothing is stored."""
    slack.fail_always("users.info", "missing_scope")
    bot.command("now", slack.new_response_url())
    [answer] = slack.wait_response()
    assert "Conductor Tasks Next Steps" in texts(answer)
    assert "your time" not in texts(answer)
    assert runtime.core.store.people.preferences(["U123"])["U123"].timezone is None
    bot.command("now", slack.new_response_url())
    slack.wait_response(count=2)
    assert len(slack.calls("users.info")) == 1


def test_concurrent_requests_share_one_lookup(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """Requests arriving while a lookup is under way wait for it instead of making their own."""
    slack.delay("users.info", 0.5)
    bot.command("now", slack.new_response_url())
    bot.command("next", slack.new_response_url())
    answers = slack.wait_response(count=2)
    assert len(slack.calls("users.info")) == 1
    assert all("your time" in texts(a) for a in answers)
