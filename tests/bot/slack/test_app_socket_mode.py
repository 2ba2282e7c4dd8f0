"""Socket Mode end to end: `run_socket_mode` connected to the fake Slack's WebSocket."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.clock import fixed_clock
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.slack.socket_mode import run_socket_mode
from tests.bot.handlers.serving import AT, FIRST, make_settings
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import (
    app_home_opened_event,
    block_actions_payload,
    slash_command_form,
)


class SocketBot:
    """`run_socket_mode` in a thread of its own, stopped through its event."""

    def __init__(self, settings: Settings, runtime: Runtime) -> None:
        """Run the bot for `runtime` over Socket Mode once started."""
        self.settings = settings
        self.runtime = runtime
        self.errors: list[BaseException] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._ready.set()
            await run_socket_mode(self.settings, self.runtime, self._stop)

        try:
            asyncio.run(serve())
        except BaseException as exc:
            self.errors.append(exc)
            self._ready.set()

    def start(self) -> SocketBot:
        """Start the thread and wait for its loop."""
        self._thread.start()
        self._ready.wait(5)
        return self

    def stop(self) -> None:
        """Ask the bot to disconnect and wait for it."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


@pytest.fixture
def runtime(tmp_path: Path, slack: FakeSlack) -> Iterator[Runtime]:
    """A runtime with its clock in the first Nova session."""
    built = build_runtime(make_settings(tmp_path, slack), clock=fixed_clock(AT))
    yield built
    built.close()


@pytest.fixture
def connected(slack: FakeSlack, runtime: Runtime) -> Iterator[SocketBot]:
    """The bot connected to the fake Slack over Socket Mode."""
    bot = SocketBot(runtime.settings, runtime).start()
    slack.wait_connected()
    yield bot
    bot.stop()
    assert bot.errors == []


def test_connects_with_the_app_token_at_the_api_url(slack: FakeSlack, connected: SocketBot) -> None:
    """apps.connections.open goes to SLACK_API_URL with the xapp- token, then the socket opens."""
    [call] = slack.calls("apps.connections.open")
    assert call.token == "xapp-summit-test"
    assert slack.connections == 1


def test_slash_command_envelope_is_acked_and_answered(
    slack: FakeSlack, connected: SocketBot
) -> None:
    """A slash_commands envelope is answered ephemerally in its ack; the response_url gets nothing."""
    form = slash_command_form(text="next", response_url=slack.new_response_url())
    envelope = slack.send_envelope("slash_commands", form)
    ack = slack.wait_ack(envelope)
    assert ack["envelope_id"] == envelope
    answer = ack["payload"]
    assert answer["response_type"] == "ephemeral"
    assert "Instance tasks in API" in json.dumps(answer)
    assert answer["blocks"]
    time.sleep(0.3)
    assert slack.responses() == []


def test_block_actions_envelope_bookmarks(
    slack: FakeSlack, connected: SocketBot, runtime: Runtime
) -> None:
    """An interactive envelope with a Bookmark click stores it and replaces the message."""
    url = slack.new_response_url()
    value = json.dumps({"id": FIRST, "q": "now", "p": 0})
    payload = block_actions_payload("bookmark", value, "U123", response_url=url)
    payload["container"]["is_ephemeral"] = True
    envelope = slack.send_envelope("interactive", payload)
    slack.wait_ack(envelope)
    update, notice = slack.wait_response(count=2)
    assert runtime.core.store.bookmarks.sessions_of("U123") == {FIRST}
    assert update["replace_original"] is True
    assert "Bookmarked ✓" in json.dumps(update, ensure_ascii=False)
    assert "Bookmarked" in notice["text"]


def test_home_opened_envelope_publishes(slack: FakeSlack, connected: SocketBot) -> None:
    """An events_api envelope for app_home_opened is acked and the Home view published."""
    envelope = slack.send_envelope("events_api", app_home_opened_event("U123"))
    slack.wait_ack(envelope)
    [call] = slack.wait_for("views.publish")
    assert call.params["user_id"] == "U123"


def test_stop_disconnects(slack: FakeSlack, runtime: Runtime) -> None:
    """Setting the stop event closes the WebSocket and ends run_socket_mode cleanly."""
    bot = SocketBot(runtime.settings, runtime).start()
    slack.wait_connected()
    bot.stop()
    assert bot.errors == []
    assert not bot._thread.is_alive()
    for _ in range(50):
        if slack.connections == 0:
            break
        threading.Event().wait(0.05)
    assert slack.connections == 0


def test_envelopes_beyond_the_bound_get_busy(
    tmp_path: Path, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over Socket Mode too: with every place taken a command's ack says busy; the accepted one is answered."""
    from bot.edge.answering import BUSY
    from tests.bot.handlers.serving import slow_down

    bound = {"SUMMIT_BOT_MAX_IN_FLIGHT": "1", "SUMMIT_BOT_ANSWER_BUDGET_SECONDS": "0.1"}
    settings = make_settings(tmp_path, slack, **bound)
    built = build_runtime(settings, clock=fixed_clock(AT))
    slow_down(built, monkeypatch, 1.0)
    bot = SocketBot(settings, built).start()
    try:
        slack.wait_connected()
        first = slack.send_envelope(
            "slash_commands", slash_command_form(text="now", response_url=slack.new_response_url())
        )
        assert not slack.wait_ack(first).get("payload"), "over the budget: an empty ack"
        second = slack.send_envelope(
            "slash_commands", slash_command_form(text="now", response_url=slack.new_response_url())
        )
        assert slack.wait_ack(second)["payload"] == BUSY.payload(response_type="ephemeral")
        [answer] = slack.wait_response()
        assert "Conductor Tasks Next Steps" in json.dumps(answer)
    finally:
        bot.stop()
        built.close()
    assert bot.errors == []
