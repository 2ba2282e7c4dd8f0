"""The real Slack app served by uvicorn on loopback, and requests in Slack's shapes for it."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import fixed_clock
from bot.core.message import Message
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.http_server import http_server
from tests.conftest import FAKE_USERS
from tests.factories import local
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import (
    app_home_opened_event,
    block_actions_payload,
    encode_form,
    interaction_body,
    sign,
    slash_command_form,
)

SECRET = "summit-test-signing-secret"
AT = local("2013-11-05 11:20")
"""During the first Nova session ("Conductor Tasks Next Steps", 11:15–11:55 HKT)."""

FIRST = "conductor-tasks-next-steps"
USERS = FAKE_USERS


@dataclass(frozen=True)
class Reply:
    """An HTTP answer of the bot and how long it took."""

    status: int
    body: bytes
    seconds: float


def make_settings(tmp_path: Path, slack: FakeSlack, **extra: str) -> Settings:
    """Settings pointing at the fake Slack, with a scratch SQLite database."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "SLACK_BOT_TOKEN": "xoxb-summit-test",
        "SLACK_APP_TOKEN": "xapp-summit-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    return Settings.from_env(env, env_file=None)


class BotServer:
    """`build_app` + the Starlette app under uvicorn in a thread, on 127.0.0.1."""

    def __init__(self, settings: Settings, runtime: Runtime) -> None:
        """Serve `runtime` with `settings` once started."""
        self.settings = settings
        self.runtime = runtime
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = int(self._sock.getsockname()[1])
        self.app = build_app(settings, runtime)
        self.server = http_server(settings, runtime, self.app, "127.0.0.1", self.port)
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def start(self) -> BotServer:
        """Start serving; returns once uvicorn accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the bot's HTTP server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop uvicorn and wait for its thread."""
        self.server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    def settle(self, timeout: float = 5.0) -> None:
        """Wait until the bot has no request nor accepted work in flight."""
        answering = self.runtime.answering
        deadline = time.monotonic() + timeout
        while answering.in_flight or answering.pending:
            if time.monotonic() > deadline:
                raise AssertionError(f"{answering.in_flight} still in flight after {timeout}s")
            time.sleep(0.01)

    def request(
        self, method: str, path: str, body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> Reply:
        """One HTTP request to the bot."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        begin = time.monotonic()
        try:
            conn.request(method, path, body=body, headers=dict(headers or {}))
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        return Reply(response.status, data, time.monotonic() - begin)

    def post(
        self,
        body: bytes,
        content_type: str = "application/x-www-form-urlencoded",
        *,
        secret: str = SECRET,
        timestamp: int | None = None,
        signed: bool = True,
    ) -> Reply:
        """POST `body` to /slack/events, signed as Slack signs it (unless told otherwise)."""
        headers = {"Content-Type": content_type}
        if signed:
            headers.update(sign(body, secret, timestamp))
        return self.request("POST", "/slack/events", body, headers)

    def command(
        self, text: str, response_url: str, user_id: str = "U123", *, percent: bool = True
    ) -> Reply:
        """A signed `/nova <text>` from `user_id`."""
        form = slash_command_form(
            command=self.settings.command, text=text, user_id=user_id, response_url=response_url
        )
        return self.post(encode_form(form, percent_encode=percent))

    def click(self, payload: Mapping[str, Any]) -> Reply:
        """A signed interaction (`payload=` form field holding the JSON)."""
        return self.post(interaction_body(payload))

    def event(self, body: Mapping[str, Any]) -> Reply:
        """A signed Events API delivery."""
        return self.post(json.dumps(body).encode(), "application/json")

    def open_home(self, user_id: str = "U123", tab: str = "home") -> Reply:
        """`app_home_opened` for `user_id`."""
        return self.event(app_home_opened_event(user_id, tab=tab))


@contextmanager
def serving(tmp_path: Path, slack: FakeSlack, **env: str) -> Iterator[tuple[BotServer, Runtime]]:
    """A bot built from settings with `env` on top (a runtime of its own), served on loopback."""
    settings = make_settings(tmp_path, slack, **env)
    runtime = build_runtime(settings, clock=fixed_clock(AT))
    server = BotServer(settings, runtime).start()
    try:
        yield server, runtime
    finally:
        server.stop()
        runtime.close()


def slow_down(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Make every answer of `runtime`'s core take `seconds` longer (a busy database, say)."""
    real = runtime.core.answer

    def slow(text: str, user_id: str, at: datetime, page: int = 0) -> Message:
        time.sleep(seconds)
        return real(text, user_id, at, page)

    monkeypatch.setattr(runtime.core, "answer", slow)


def ask_in_ack(
    bot: BotServer, slack: FakeSlack, text: str, user_id: str = "U123", *, percent: bool = True
) -> dict[str, Any]:
    """`/nova <text>` answered in its acknowledgement: the ack's JSON body (checked non-empty)."""
    reply = bot.command(text, slack.new_response_url(), user_id, percent=percent)
    assert reply.status == 200
    assert reply.body, f"no answer in the acknowledgement of {text!r}"
    answer: dict[str, Any] = json.loads(reply.body)
    return answer


def url_number(response_url: str) -> int:
    """The number of a response URL the fake Slack issued."""
    return int(response_url.rsplit("/", 1)[1])


def ephemeral_click(
    message: Mapping[str, Any], action_id: str, value: str, response_url: str, user_id: str = "U123"
) -> dict[str, Any]:
    """A click on a button of an ephemeral answer (`message` as Slack stored it)."""
    payload = block_actions_payload(
        action_id,
        value,
        user_id,
        message={"text": message.get("text", ""), "blocks": message.get("blocks", [])},
        response_url=response_url,
    )
    payload["container"]["is_ephemeral"] = True
    return payload


def find_button(message: Mapping[str, Any], action_id: str) -> dict[str, Any]:
    """The first button with `action_id` in a message or view."""
    for block in message.get("blocks", []):
        elements = [block.get("accessory") or {}, *block.get("elements", [])]
        for element in elements:
            if element.get("type") == "button" and element.get("action_id") == action_id:
                return dict(element)
    raise AssertionError(f"no {action_id!r} button in {json.dumps(message)[:500]}")


def texts(message: Mapping[str, Any]) -> str:
    """Everything a message or view says, as one string."""
    return json.dumps(message, ensure_ascii=False)
