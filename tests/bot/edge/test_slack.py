"""The Slack edge over the fake Slack: DMs opened once, and Slack's errors sorted."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest

from bot.core.message import Message
from bot.edge.slack import SlackMessenger, make_client
from bot.outbox.messenger import PermanentError, SlotMissed, TransientError
from bot.render.blocks import section
from bot.settings import Settings
from bot.store import Store
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import dm_channel_id

HELLO = Message(text="Starts in 10 min: Nova Keynote", blocks=(section("*Nova Keynote*"),))


@pytest.fixture
def edge_settings(settings: Settings, slack: FakeSlack) -> Settings:
    """Settings with a bot token and the fake's API URL (without its trailing slash)."""
    return replace(settings, slack_bot_token="xoxb-test", slack_api_url=slack.api_url.rstrip("/"))


@pytest.fixture
def messenger(edge_settings: Settings, sqlite_store: Store) -> SlackMessenger:
    """The Slack messenger against the fake."""
    return SlackMessenger.from_settings(edge_settings, sqlite_store)


def test_send_dm_posts_text_and_blocks_in_the_dm(
    messenger: SlackMessenger, slack: FakeSlack
) -> None:
    """A DM goes to the person's DM channel with the fallback text and the blocks."""
    channel, ts = messenger.send_dm("U1", HELLO)
    assert channel == dm_channel_id("U1")
    [call] = slack.calls("chat.postMessage")
    assert call.params["channel"] == channel
    assert call.params["text"] == HELLO.text
    assert call.param("blocks") == HELLO.block_dicts()
    assert call.token == "xoxb-test"
    assert ts


def test_dm_channel_opened_once_and_kept_in_the_store(
    messenger: SlackMessenger, slack: FakeSlack, sqlite_store: Store, edge_settings: Settings
) -> None:
    """conversations.open runs once per person; a new process reads the channel from the store."""
    messenger.send_dm("U1", HELLO)
    messenger.send_dm("U1", HELLO)
    assert len(slack.calls("conversations.open")) == 1
    assert sqlite_store.people.dm_channel("U1") == dm_channel_id("U1")
    restarted = SlackMessenger.from_settings(edge_settings, sqlite_store)
    restarted.send_dm("U1", HELLO)
    assert len(slack.calls("conversations.open")) == 1
    assert len(slack.calls("chat.postMessage")) == 3


def test_rate_limit_is_transient_with_retry_after(
    messenger: SlackMessenger, slack: FakeSlack
) -> None:
    """A 429 becomes TransientError carrying Retry-After, after a single call."""
    slack.fail_next("chat.postMessage", status=429, retry_after=7)
    with pytest.raises(TransientError) as caught:
        messenger.send_dm("U1", HELLO)
    assert caught.value.retry_after == 7.0
    assert len(slack.calls("chat.postMessage")) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient_without_retry_after(
    messenger: SlackMessenger, slack: FakeSlack, status: int
) -> None:
    """A 5xx becomes TransientError without Retry-After; slack_sdk does not retry it itself."""
    slack.fail_next("chat.postMessage", status=status)
    with pytest.raises(TransientError) as caught:
        messenger.send_dm("U1", HELLO)
    assert caught.value.retry_after is None
    assert len(slack.calls("chat.postMessage")) == 1


def test_ratelimited_error_body_is_transient(messenger: SlackMessenger, slack: FakeSlack) -> None:
    """An ok:false "ratelimited" answer is also worth another try."""
    slack.fail_next("chat.postMessage", status=200, error="ratelimited")
    with pytest.raises(TransientError):
        messenger.send_dm("U1", HELLO)


@pytest.mark.parametrize(
    "error",
    [
        "user_not_found",
        "cannot_dm_bot",
        "channel_not_found",
        "account_inactive",
        "is_archived",
        "not_in_channel",
        "some_new_error",
    ],
)
def test_refusals_are_permanent(messenger: SlackMessenger, slack: FakeSlack, error: str) -> None:
    """Errors no retry can cure become PermanentError with Slack's error code."""
    slack.fail_next("chat.postMessage", status=200, error=error)
    with pytest.raises(PermanentError) as caught:
        messenger.send_dm("U1", HELLO)
    assert caught.value.reason == error


def test_open_failure_is_permanent_and_nothing_is_saved(
    messenger: SlackMessenger, slack: FakeSlack, sqlite_store: Store
) -> None:
    """A person Slack does not know fails at conversations.open; no channel is kept."""
    slack.fail_next("conversations.open", status=200, error="user_not_found")
    with pytest.raises(PermanentError):
        messenger.send_dm("UGONE", HELLO)
    assert sqlite_store.people.dm_channel("UGONE") is None
    assert slack.calls("chat.postMessage") == []


def test_unreachable_slack_is_transient(settings: Settings, sqlite_store: Store) -> None:
    """A refused connection becomes TransientError (the engine backs off)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = replace(
        settings, slack_bot_token="xoxb-test", slack_api_url=f"http://127.0.0.1:{port}/api/"
    )
    messenger = SlackMessenger.from_settings(closed, sqlite_store)
    with pytest.raises(TransientError):
        messenger.send_dm("U1", HELLO)


def test_client_has_no_retry_handlers(edge_settings: Settings) -> None:
    """slack_sdk's own retries are off, so the engine alone decides when to retry."""
    client = make_client(edge_settings)
    assert client.retry_handlers == []
    assert client.base_url.endswith("/api/")


def test_token_is_required(settings: Settings, sqlite_store: Store) -> None:
    """Without a bot token no messenger is made."""
    with pytest.raises(ValueError, match="SLACK_BOT_TOKEN"):
        SlackMessenger.from_settings(settings, sqlite_store)


def test_a_post_called_off_by_its_check_never_reaches_slack(
    messenger: SlackMessenger, slack: FakeSlack
) -> None:
    """A check raising SlotMissed right before the write: SlotMissed, and Slack saw nothing."""

    def too_late() -> None:
        raise SlotMissed("slot missed")

    with pytest.raises(SlotMissed):
        messenger.post("U1", HELLO, before_send=too_late)
    assert slack.calls("chat.postMessage") == []
    messenger.post("U1", HELLO)  # the next post goes through as ever
    assert len(slack.calls("chat.postMessage")) == 1


def test_the_check_runs_once_connected_just_before_the_request_arrives(
    messenger: SlackMessenger, slack: FakeSlack
) -> None:
    """The check runs once per post, after everything but the write: Slack has nothing yet."""
    seen: list[int] = []

    def check() -> None:
        seen.append(len(slack.calls("chat.postMessage")))

    messenger.post("U1", HELLO, {"event_type": "summit_bot_outbox"}, before_send=check)
    messenger.post("U2", HELLO, before_send=check)
    assert seen == [0, 1]
    assert [c.params["channel"] for c in slack.calls("chat.postMessage")] == ["U1", "U2"]
