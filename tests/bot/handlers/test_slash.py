from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import pytest

from bot.core.message import Message
from bot.runtime import Runtime
from tests.bot.handlers.serving import (
    BotServer,
    ask_in_ack,
    serving,
    slow_down,
    texts,
    url_number,
)
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import dm_channel_id

# Every subcommand, with words where it needs some, and what its answer must say.
EVERY_SUBCOMMAND = {
    "now": "Conductor Tasks Next Steps",
    "next": "Instance tasks in API",
    "today": "Tuesday 5 November 2013",
    "tomorrow": "Wednesday 6 November 2013",
    "day thursday": "Thursday 7 November 2013",
    "search scheduler": "match “scheduler”",
    "show instance-tasks-in-api": "Instance tasks in API",
    "mine": "Your bookmarks · 1",
    "remind": "10 min",
    "reminders": "No reminders coming",
    "follow": "follow",
    "unfollow": "follow",
    "export": "calendar",
    "share now": "Shared by <@U123>",
    "reload": "admin",
    "help": "`/nova search &lt;words&gt;`",
    "calendar": "calendar",
}


def test_the_table_covers_every_subcommand(runtime: Runtime) -> None:
    """Every registered subcommand is in the table the ack tests go through."""
    names = {command.name for command in runtime.registry.commands}
    assert {words.split(" ")[0] for words in EVERY_SUBCOMMAND} == names


@pytest.mark.parametrize(("text", "expected"), sorted(EVERY_SUBCOMMAND.items()))
def test_every_subcommand_answers_in_the_ack_and_nothing_at_the_response_url(
    bot: BotServer, slack: FakeSlack, runtime: Runtime, text: str, expected: str
) -> None:
    """A quick answer comes back in the HTTP acknowledgement itself; its response_url gets nothing."""
    runtime.core.store.bookmarks.add([("U123", "instance-tasks-in-api")], runtime.clock.now())
    url = slack.new_response_url()
    reply = bot.command(text, url)
    assert reply.status == 200
    assert reply.seconds < 1.5
    answer = json.loads(reply.body)
    assert answer["response_type"] == ("in_channel" if text.startswith("share") else "ephemeral")
    assert expected.casefold() in texts(answer).casefold()
    assert answer["blocks"], "the answer carries Block Kit blocks"
    if text == "export":
        slack.wait_for("files.completeUploadExternal", timeout=10)
    time.sleep(0.3)
    assert slack.responses(url_number(url)) == []


def test_empty_text_means_now(bot: BotServer, slack: FakeSlack) -> None:
    """`/nova` alone answers `now`, in the ack."""
    answer = ask_in_ack(bot, slack, "")
    assert "Conductor Tasks Next Steps" in texts(answer)


def test_answer_matches_the_core(bot: BotServer, slack: FakeSlack, runtime: Runtime) -> None:
    """What reaches Slack is exactly the core's message for the asker at the clock's time."""
    answer = ask_in_ack(bot, slack, "today")
    expected = runtime.core.answer("today", "U123", runtime.clock.now())
    assert answer["text"] == expected.text
    assert answer["blocks"] == expected.block_dicts()


@pytest.mark.parametrize("percent", [True, False])
def test_form_encodings_both_read(bot: BotServer, slack: FakeSlack, percent: bool) -> None:
    """Words with spaces arrive the same whether the form encodes them as %20 or as +."""
    answer = ask_in_ack(bot, slack, "search live migration", percent=percent)
    assert "match “live migration”" in texts(answer)


def test_search_for_a_mention_is_escaped(bot: BotServer, slack: FakeSlack) -> None:
    """`/nova search <!channel>` echoes the words escaped, so nobody is pinged."""
    body = texts(ask_in_ack(bot, slack, "search <!channel> & co"))
    assert "&lt;!channel&gt; &amp; co" in body
    assert "<!channel>" not in body


def test_share_posts_in_the_channel(bot: BotServer, slack: FakeSlack) -> None:
    """`/nova share now` answers in_channel, saying who shared it."""
    answer = ask_in_ack(bot, slack, "share now")
    assert answer["response_type"] == "in_channel"
    assert "Shared by <@U123>" in texts(answer)
    assert "Conductor Tasks Next Steps" in texts(answer)


def test_unknown_words_get_help(bot: BotServer, slack: FakeSlack) -> None:
    """A typo gets the help and the closest subcommand, still ephemerally."""
    answer = ask_in_ack(bot, slack, "nxt")
    assert answer["response_type"] == "ephemeral"
    assert "Did you mean `/nova next`?" in texts(answer)


def test_a_failing_core_still_answers(
    bot: BotServer, slack: FakeSlack, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the core raises, the asker is told something went wrong instead of hearing nothing."""

    def broken(text: str, user_id: str, at: object, page: int = 0) -> Message:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(runtime.core, "answer", broken)
    answer = ask_in_ack(bot, slack, "now")
    assert "something went wrong" in answer["text"]


def test_a_slow_core_falls_back_to_the_response_url(
    bot: BotServer, slack: FakeSlack, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer over the budget: an empty ack at once, then the answer at the response_url."""
    real = runtime.core.answer
    release = threading.Event()

    def slow(text: str, user_id: str, at: object, page: int = 0) -> Message:
        release.wait(10)
        return real(text, user_id, at, page)  # type: ignore[arg-type]

    monkeypatch.setattr(runtime.core, "answer", slow)
    budget = bot.app and runtime.settings.answer_budget_seconds
    url = slack.new_response_url()
    reply = bot.command("now", url)
    assert reply.status == 200
    assert reply.body == b""
    assert budget <= reply.seconds < budget + 1.0
    assert slack.responses(url_number(url)) == []
    release.set()
    [answer] = slack.wait_response(url_number(url))
    assert answer["response_type"] == "ephemeral"
    assert "Conductor Tasks Next Steps" in texts(answer)


def test_budget_is_a_setting(
    tmp_path: Path, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SUMMIT_BOT_ANSWER_BUDGET_SECONDS sets how long the ack waits for the answer."""
    with serving(tmp_path, slack, SUMMIT_BOT_ANSWER_BUDGET_SECONDS="0.2") as (server, built):
        assert built.answering.budget_seconds == 0.2
        slow_down(built, monkeypatch, 0.6)
        url = slack.new_response_url()
        reply = server.command("next", url)
        assert reply.body == b""
        assert 0.2 <= reply.seconds < 0.6
        [answer] = slack.wait_response(url_number(url))
        assert "Instance tasks in API" in texts(answer)


def test_slow_users_info_delays_nothing_and_is_used_later(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """A 2 s users.info holds up no answer; once read, the person's zone shows in the next."""
    slack.delay("users.info", 2.0)
    url = slack.new_response_url()
    reply = bot.command("now", url)
    assert reply.seconds < 0.5
    first = json.loads(reply.body)
    assert "Conductor Tasks Next Steps" in texts(first)
    assert "your time" not in texts(first)
    slack.wait_for("users.info")
    for _ in range(100):
        if runtime.core.store.people.preferences(["U123"])["U123"].timezone:
            break
        time.sleep(0.05)
    second = ask_in_ack(bot, slack, "now")
    assert "your time 04:15 CET" in texts(second)
    assert slack.responses(url_number(url)) == []


def test_export_uploads_the_calendar_to_the_dm(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """`/nova export` answers ephemerally in the ack and uploads the .ics file to the person's DM."""
    runtime.core.store.bookmarks.add([("U123", "conductor-tasks-next-steps")], runtime.clock.now())
    answer = ask_in_ack(bot, slack, "export")
    assert answer["response_type"] == "ephemeral"
    slack.wait_for("files.completeUploadExternal", timeout=10)
    [upload] = slack.uploads()
    assert upload.completed
    assert upload.channel_id == dm_channel_id("U123")
    assert upload.filename.endswith(".ics")
    assert upload.data is not None
    assert b"Conductor Tasks Next Steps" in upload.data


def test_failed_upload_is_reported(bot: BotServer, slack: FakeSlack, runtime: Runtime) -> None:
    """When Slack refuses the upload the person is told at the response_url, after the answer."""
    runtime.core.store.bookmarks.add([("U123", "conductor-tasks-next-steps")], runtime.clock.now())
    slack.fail_always("files.getUploadURLExternal", "missing_scope")
    url = slack.new_response_url()
    reply = bot.command("export", url)
    assert "calendar" in json.loads(reply.body)["text"]
    [sorry] = slack.wait_response(url_number(url), timeout=10)
    assert "could not send you the file" in sorry["text"]
    assert slack.uploads() == []


def test_work_after_the_ack_is_waited_for_on_close(runtime: Runtime) -> None:
    """Closing the answering waits for the work accepted after acks instead of dropping it."""
    from bot.edge.answering import Answering
    from bot.edge.responses import ResponseSender

    finished: list[str] = []

    async def scenario() -> None:
        answering = Answering(ResponseSender(), budget_seconds=0.1, max_in_flight=2)

        async def work() -> None:
            await asyncio.sleep(0.2)
            finished.append("done")

        answering.later(work(), "slow work")
        assert answering.in_flight == 1
        assert answering.admit()
        assert not answering.admit(), "the place held by the accepted work counts"
        assert answering.refused == 1
        answering.release()
        await answering.close()
        assert answering.in_flight == 0

    asyncio.run(scenario())
    assert finished == ["done"]
