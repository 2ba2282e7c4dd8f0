"""HTTP mode end to end: the Starlette app under uvicorn, verified with the signing secret."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from slack_bolt.app.async_app import AsyncApp

from bot.clock import fixed_clock
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings, SettingsError
from bot.slack.app import build_app
from tests.bot.handlers.serving import (
    AT,
    FIRST,
    SECRET,
    BotServer,
    ask_in_ack,
    ephemeral_click,
    make_settings,
)
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import encode_form, interaction_body, sign, slash_command_form


def bookmark_click_body(slack: FakeSlack) -> bytes:
    """A Bookmark click on the first session, as an interaction form body."""
    value = json.dumps({"id": FIRST, "q": "now", "p": 0})
    return interaction_body(ephemeral_click({}, "bookmark", value, slack.new_response_url()))


def command_body(slack: FakeSlack) -> bytes:
    """`/nova now` as a form body."""
    return encode_form(slash_command_form(text="now", response_url=slack.new_response_url()))


@pytest.mark.parametrize("kind", ["command", "click"])
@pytest.mark.parametrize("forgery", ["wrong secret", "old timestamp", "no headers", "no signature"])
def test_unverified_requests_get_401_and_change_nothing(
    bot: BotServer, slack: FakeSlack, runtime: Runtime, kind: str, forgery: str
) -> None:
    """A bad signature, a timestamp over 5 minutes old or a missing header: 401, no answer, no bookmark."""
    body = command_body(slack) if kind == "command" else bookmark_click_body(slack)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if forgery == "wrong secret":
        headers.update(sign(body, "not-the-secret"))
    elif forgery == "old timestamp":
        headers.update(sign(body, SECRET, int(time.time()) - 5 * 60 - 30))
    elif forgery == "no signature":
        headers["X-Slack-Request-Timestamp"] = sign(body, SECRET)["X-Slack-Request-Timestamp"]
    reply = bot.request("POST", "/slack/events", body, headers)
    assert reply.status == 401
    time.sleep(0.2)
    assert slack.responses() == []
    assert [c.method for c in slack.calls()] == []
    assert runtime.core.store.bookmarks.count() == 0


def test_recent_timestamp_is_accepted(bot: BotServer, slack: FakeSlack) -> None:
    """A request signed four minutes ago is still within Slack's window and answered."""
    body = command_body(slack)
    reply = bot.post(body, timestamp=int(time.time()) - 4 * 60)
    assert reply.status == 200
    assert "Conductor Tasks Next Steps" in json.loads(reply.body)["text"]


def test_healthz_checks_the_database(bot: BotServer, runtime: Runtime) -> None:
    """GET /healthz answers 200 with the database's name, the schedule's size and the load."""
    reply = bot.request("GET", "/healthz")
    assert reply.status == 200
    assert json.loads(reply.body) == {
        "ok": True,
        "database": "sqlite",
        "sessions": len(runtime.core.index.sessions),
        "in_flight": 0,
        "max_in_flight": runtime.settings.max_in_flight,
    }


def test_healthz_fails_when_the_database_does_not_answer(
    bot: BotServer, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GET /healthz answers 503 naming the database when the trivial query fails."""

    def unreachable(user_ids: object) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(runtime.core.store, "viewer", unreachable)
    reply = bot.request("GET", "/healthz")
    assert reply.status == 503
    body = json.loads(reply.body)
    assert body["ok"] is False
    assert body["database"] == "unreachable"
    assert body["down"] == ["database"]
    assert body["sessions"] == len(runtime.core.index.sessions)


def test_unknown_paths_and_methods(bot: BotServer) -> None:
    """Only POST /slack/events and GET /healthz are served."""
    assert bot.request("GET", "/slack/events").status == 405
    assert bot.request("GET", "/").status == 404


def test_two_replicas_share_one_database(
    tmp_path: Path, slack: FakeSlack, bot_settings: Settings
) -> None:
    """Two processes' worth of bot on one database: the same click to both leaves one bookmark."""
    runtimes = [build_runtime(bot_settings, clock=fixed_clock(AT)) for _ in range(2)]
    servers = [BotServer(bot_settings, r).start() for r in runtimes]
    try:
        body = bookmark_click_body(slack)
        replies = [server.post(body) for server in servers]
        assert [r.status for r in replies] == [200, 200]
        slack.wait_response(count=4)
        assert runtimes[0].core.store.bookmarks.sessions_of("U123") == {FIRST}
        assert runtimes[1].core.store.bookmarks.count() == 1
        mine = ask_in_ack(servers[1], slack, "mine")
        assert "Your bookmarks · 1" in json.dumps(mine, ensure_ascii=False)
    finally:
        for server in servers:
            server.stop()
        for built in runtimes:
            built.close()


def test_build_app_reads_settings_not_the_environment(
    slack: FakeSlack, bot_settings: Settings, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """build_app takes the token and API address from settings and calls nobody while building."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "from-the-environment")
    app = build_app(bot_settings, runtime)
    assert isinstance(app, AsyncApp)
    assert app.client.token == "xoxb-summit-test"
    assert app.client.base_url == slack.api_url
    assert slack.calls() == []


def test_build_app_without_a_token_says_so(tmp_path: Path, slack: FakeSlack) -> None:
    """Without SLACK_BOT_TOKEN build_app raises a SettingsError naming it."""
    settings = make_settings(tmp_path, slack, SLACK_BOT_TOKEN="")
    runtime = build_runtime(settings)
    try:
        with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN"):
            build_app(settings, runtime)
    finally:
        runtime.close()


def test_api_url_without_trailing_slash(tmp_path: Path, slack: FakeSlack, runtime: Runtime) -> None:
    """SLACK_API_URL given without its final slash still reaches the same Web API."""
    settings = make_settings(tmp_path, slack, SLACK_API_URL=slack.api_url.rstrip("/"))
    assert build_app(settings, runtime).client.base_url == slack.api_url
