from __future__ import annotations

import time
from datetime import timedelta

from bot.runtime import Runtime
from tests.bot.handlers.serving import AT, BotServer, ask_in_ack, texts
from tests.support.fake_slack import FakeSlack


def test_users_zone_is_read_in_the_background_and_kept(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """A first command answers at once in the summit's zone; the zone read then shows from the next on."""
    first = ask_in_ack(bot, slack, "now")
    assert "Conductor Tasks Next Steps" in texts(first)
    assert "your time" not in texts(first)
    bot.settle()
    slack.wait_for("users.info")
    _wait_for_zone(runtime, "U123")
    second = ask_in_ack(bot, slack, "next")
    third = ask_in_ack(bot, slack, "now")
    assert [c.params["user"] for c in slack.calls("users.info")] == ["U123"]
    prefs = runtime.core.store.people.preferences(["U123"])["U123"]
    assert prefs.timezone == "Europe/Paris"
    assert prefs.timezone_checked_at == AT
    assert "your time 05:05 CET" in texts(second)
    assert "your time 04:15 CET" in texts(third)


def _wait_for_zone(runtime: Runtime, user_id: str, zone: str | None = None) -> None:
    """Wait until `user_id`'s stored zone is `zone` (or any zone), as the refresh stores it."""
    for _ in range(250):
        stored = runtime.core.store.people.preferences([user_id])[user_id].timezone
        if stored and (zone is None or stored == zone):
            return
        time.sleep(0.02)
    raise AssertionError(f"no zone {zone or ''} stored for {user_id}")


def test_zone_older_than_a_day_is_read_again(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """A zone checked more than a day ago is used meanwhile and refreshed from users.info."""
    runtime.core.store.people.set_timezone(
        "U123", "America/New_York", AT - timedelta(days=1, minutes=1)
    )
    first = ask_in_ack(bot, slack, "now")
    assert "your time 22:15 EST" in texts(first)
    slack.wait_for("users.info")
    _wait_for_zone(runtime, "U123", "Europe/Paris")
    assert len(slack.calls("users.info")) == 1
    assert "your time 04:15 CET" in texts(ask_in_ack(bot, slack, "now"))


def test_fresh_zone_is_not_read_again(bot: BotServer, slack: FakeSlack, runtime: Runtime) -> None:
    """A zone checked within the day is used as stored, without asking Slack."""
    runtime.core.store.people.set_timezone("U123", "America/New_York", AT - timedelta(hours=23))
    answer = ask_in_ack(bot, slack, "now")
    bot.settle()
    assert slack.calls("users.info") == []
    assert "your time 22:15 EST" in texts(answer)


def test_failed_lookup_falls_back_to_the_summit_zone(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """When users.info fails the answer still comes, in the summit's zone, and nothing is stored."""
    slack.fail_always("users.info", "missing_scope")
    answer = ask_in_ack(bot, slack, "now")
    assert "Conductor Tasks Next Steps" in texts(answer)
    assert "your time" not in texts(answer)
    slack.wait_for("users.info")
    bot.settle()
    assert runtime.core.store.people.preferences(["U123"])["U123"].timezone is None
    again = ask_in_ack(bot, slack, "now")
    assert "your time" not in texts(again)
    bot.settle()
    assert len(slack.calls("users.info")) == 1


def test_concurrent_requests_share_one_lookup(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """Requests arriving while a lookup is under way answer at once and share that one lookup."""
    slack.delay("users.info", 0.5)
    answers = [ask_in_ack(bot, slack, "now"), ask_in_ack(bot, slack, "next")]
    assert all("your time" not in texts(a) for a in answers)
    slack.wait_for("users.info")
    _wait_for_zone(runtime, "U123")
    assert len(slack.calls("users.info")) == 1
    assert "your time" in texts(ask_in_ack(bot, slack, "now"))
