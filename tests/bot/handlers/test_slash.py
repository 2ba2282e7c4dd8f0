from __future__ import annotations

import time

import pytest

from bot.core.message import Message
from bot.runtime import Runtime
from tests.bot.handlers.serving import BotServer, texts
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import dm_channel_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", "Conductor Tasks Next Steps"),
        ("next", "Instance tasks in API"),
        ("search scheduler", "match “scheduler”"),
        ("mine", "You have no bookmarks yet"),
        ("help", "`/nova search <words>`"),
        ("", "Conductor Tasks Next Steps"),
    ],
)
def test_command_is_acked_fast_and_answered_ephemerally(
    bot: BotServer, slack: FakeSlack, text: str, expected: str
) -> None:
    """A signed `/nova <text>` gets an empty 200 well inside 3 s, then its answer at the response_url."""
    url = slack.new_response_url()
    reply = bot.command(text, url)
    assert reply.status == 200
    assert reply.body == b""
    assert reply.seconds < 1.0
    [answer] = slack.wait_response()
    assert answer["response_type"] == "ephemeral"
    assert expected in texts(answer)
    assert answer["blocks"], "the answer carries Block Kit blocks"


def test_answer_matches_the_core(bot: BotServer, slack: FakeSlack, runtime: Runtime) -> None:
    """What reaches Slack is exactly the core's message for the asker at the clock's time."""
    bot.command("today", slack.new_response_url())
    [answer] = slack.wait_response()
    expected = runtime.core.answer("today", "U123", runtime.clock.now())
    assert answer["text"] == expected.text
    assert answer["blocks"] == expected.block_dicts()


@pytest.mark.parametrize("percent", [True, False])
def test_form_encodings_both_read(bot: BotServer, slack: FakeSlack, percent: bool) -> None:
    """Words with spaces arrive the same whether the form encodes them as %20 or as +."""
    bot.command("search live migration", slack.new_response_url(), percent=percent)
    [answer] = slack.wait_response()
    assert "match “live migration”" in texts(answer)


def test_search_for_a_mention_is_escaped(bot: BotServer, slack: FakeSlack) -> None:
    """`/nova search <!channel>` echoes the words escaped, so nobody is pinged."""
    bot.command("search <!channel> & co", slack.new_response_url())
    [answer] = slack.wait_response()
    body = texts(answer)
    assert "&lt;!channel&gt; &amp; co" in body
    assert "<!channel>" not in body


def test_share_posts_in_the_channel(bot: BotServer, slack: FakeSlack) -> None:
    """`/nova share now` answers in_channel, saying who shared it."""
    bot.command("share now", slack.new_response_url())
    [answer] = slack.wait_response()
    assert answer["response_type"] == "in_channel"
    assert "Shared by <@U123>" in texts(answer)
    assert "Conductor Tasks Next Steps" in texts(answer)


def test_unknown_words_get_help(bot: BotServer, slack: FakeSlack) -> None:
    """A typo gets the help and the closest subcommand, still ephemerally."""
    bot.command("nxt", slack.new_response_url())
    [answer] = slack.wait_response()
    assert answer["response_type"] == "ephemeral"
    assert "Did you mean `/nova next`?" in texts(answer)


def test_a_failing_core_still_answers(
    bot: BotServer, slack: FakeSlack, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the core raises, the asker is told something went wrong instead of hearing nothing."""

    def broken(text: str, user_id: str, at: object, page: int = 0) -> Message:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(runtime.core, "answer", broken)
    reply = bot.command("now", slack.new_response_url())
    assert reply.status == 200
    [answer] = slack.wait_response()
    assert "something went wrong" in answer["text"]


def test_slow_users_info_delays_neither_ack_nor_answer(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """A 2 s users.info leaves the ack fast and the answer comes in the summit's zone meanwhile."""
    slack.delay("users.info", 2.0)
    reply = bot.command("now", slack.new_response_url())
    assert reply.status == 200
    assert reply.seconds < 0.5
    [first] = slack.wait_response(timeout=5)
    assert "Conductor Tasks Next Steps" in texts(first)
    assert "your time" not in texts(first)
    slack.wait_for("users.info")
    for _ in range(100):
        if runtime.core.store.people.preferences(["U123"])["U123"].timezone:
            break
        time.sleep(0.05)
    bot.command("now", slack.new_response_url())
    second = slack.wait_response(count=2)[1]
    assert "your time 04:15 CET" in texts(second)


def test_export_uploads_the_calendar_to_the_dm(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """`/nova export` answers ephemerally and uploads the .ics file to the person's DM."""
    runtime.core.store.bookmarks.add([("U123", "conductor-tasks-next-steps")], runtime.clock.now())
    bot.command("export", slack.new_response_url())
    [answer] = slack.wait_response()
    assert answer["response_type"] == "ephemeral"
    slack.wait_for("files.completeUploadExternal", timeout=10)
    [upload] = slack.uploads()
    assert upload.completed
    assert upload.channel_id == dm_channel_id("U123")
    assert upload.filename.endswith(".ics")
    assert upload.data is not None
    assert b"Conductor Tasks Next Steps" in upload.data


def test_failed_upload_is_reported(bot: BotServer, slack: FakeSlack, runtime: Runtime) -> None:
    """When Slack refuses the upload the person is told, after the answer itself."""
    runtime.core.store.bookmarks.add([("U123", "conductor-tasks-next-steps")], runtime.clock.now())
    slack.fail_always("files.getUploadURLExternal", "missing_scope")
    bot.command("export", slack.new_response_url())
    answer, sorry = slack.wait_response(count=2, timeout=10)
    assert "calendar" in answer["text"]
    assert "could not send you the file" in sorry["text"]
    assert slack.uploads() == []
