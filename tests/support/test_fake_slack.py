from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt import Ack, App, BoltContext, Respond
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient as AioSocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookClient

from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import (
    BOT_USER_ID,
    TEAM_ID,
    app_home_opened_event,
    block_actions_payload,
    dm_channel_id,
    encode_form,
    interaction_body,
    sign,
    slash_command_form,
)

BOT_TOKEN = "xoxb-fake-bot-token"
APP_TOKEN = "xapp-1-A0SUMMIT01-fake"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """A started fake Slack with one seeded user."""
    fake = FakeSlack(
        users={"U1": {"tz": "Europe/Paris", "tz_label": "Central European Time", "tz_offset": 3600}}
    )
    with fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    """A real slack_sdk WebClient pointed at the fake."""
    return WebClient(token=BOT_TOKEN, base_url=slack.api_url, timeout=5)


def test_api_url_is_loopback_with_random_port(slack: FakeSlack) -> None:
    """The Web API base URL is on 127.0.0.1, on the bound port, ending with a slash."""
    assert slack.api_url == f"http://127.0.0.1:{slack.port}/api/"
    assert slack.port > 0


def test_post_message_is_recorded_with_params_and_token(
    slack: FakeSlack, client: WebClient
) -> None:
    """chat.postMessage answers like Slack and the call keeps its JSON params and token."""
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    first = client.chat_postMessage(channel="C1", text="hi", blocks=blocks)
    second = client.chat_postMessage(channel="C1", text="again")

    assert first["ok"] is True
    assert first["channel"] == "C1"
    assert first["message"]["text"] == "hi"
    assert first["message"]["blocks"] == blocks
    assert first["message"]["user"] == BOT_USER_ID
    assert abs(float(first["ts"]) - time.time()) < 60  # on the real clock, as Slack's
    assert float(second["ts"]) > float(first["ts"])
    assert float(second["ts"]) > float(first["ts"])
    calls = slack.calls("chat.postMessage")
    assert [c.params["text"] for c in calls] == ["hi", "again"]
    assert calls[0].params["blocks"] == blocks
    assert calls[0].token == BOT_TOKEN
    assert calls[0].headers["authorization"] == f"Bearer {BOT_TOKEN}"
    assert calls[0].at <= calls[1].at


def test_form_params_are_recorded_and_json_fields_decodable(
    slack: FakeSlack, client: WebClient
) -> None:
    """A form-encoded call keeps string params, and Call.param decodes JSON sent in a field."""
    blocks = [{"type": "divider"}]
    client.api_call(
        "chat.postMessage", params={"channel": "C2", "text": "t", "blocks": json.dumps(blocks)}
    )

    [call] = slack.calls("chat.postMessage")
    assert call.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert call.params["blocks"] == json.dumps(blocks)
    assert call.param("blocks") == blocks


def test_post_message_to_user_answers_with_dm_channel(client: WebClient) -> None:
    """Posting to a user id lands in the DM channel conversations.open gives that user."""
    posted = client.chat_postMessage(channel="U1", text="hello")
    opened = client.conversations_open(users="U1")

    assert posted["channel"] == opened["channel"]["id"] == dm_channel_id("U1")


def test_conversations_open_is_stable_per_user(client: WebClient) -> None:
    """conversations.open gives each user one D… channel, the same every time."""
    first = client.conversations_open(users="U1")
    again = client.conversations_open(users=["U1"])
    other = client.conversations_open(users="U2")

    assert first["channel"]["id"].startswith("D")
    assert again["channel"]["id"] == first["channel"]["id"]
    assert again["already_open"] is True
    assert other["channel"]["id"] != first["channel"]["id"]


def test_missing_token_is_not_authed(slack: FakeSlack) -> None:
    """A call without a token fails with not_authed, as Slack does."""
    with pytest.raises(SlackApiError) as raised:
        WebClient(base_url=slack.api_url).chat_postMessage(channel="C1", text="x")

    assert raised.value.response["error"] == "not_authed"


def test_users_info_returns_seeded_timezone(slack: FakeSlack, client: WebClient) -> None:
    """users.info answers the seeded zone and fails with user_not_found for others."""
    slack.add_user("U2", tz="Asia/Tokyo")
    user = client.users_info(user="U1")["user"]
    tokyo = client.users_info(user="U2")["user"]

    assert (user["id"], user["tz"], user["tz_offset"]) == ("U1", "Europe/Paris", 3600)
    assert user["tz_label"] == "Central European Time"
    assert (tokyo["tz"], tokyo["tz_offset"], tokyo["tz_label"]) == ("Asia/Tokyo", 32400, "JST")
    with pytest.raises(SlackApiError) as raised:
        client.users_info(user="U404")
    assert raised.value.response["error"] == "user_not_found"


def test_other_methods_answer_ok_and_are_recorded(slack: FakeSlack, client: WebClient) -> None:
    """A method without its own behaviour answers ok and is recorded."""
    response = client.reactions_add(channel="C1", timestamp="1.2", name="star")

    assert response["ok"] is True
    assert slack.calls("reactions.add")[0].params["name"] == "star"


def test_views_publish_keeps_the_home_view(slack: FakeSlack, client: WebClient) -> None:
    """views.publish answers a view with an id and the fake keeps the user's home view."""
    view = {"type": "home", "blocks": [{"type": "divider"}]}
    response = client.views_publish(user_id="U1", view=view)

    assert response["view"]["id"].startswith("V")
    assert response["view"]["blocks"] == view["blocks"]
    assert slack.home_view("U1") == view
    assert slack.home_view("U2") is None


def test_fail_next_429_is_surfaced_with_retry_after(slack: FakeSlack, client: WebClient) -> None:
    """An injected 429 reaches slack_sdk as SlackApiError with status and Retry-After."""
    slack.fail_next("chat.postMessage", status=429, retry_after=7)

    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="x")
    response = raised.value.response
    assert response.status_code == 429
    assert response["error"] == "ratelimited"
    assert response.headers["Retry-After"] == "7"
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True


def test_fail_next_with_error_fails_the_given_number_of_times(
    slack: FakeSlack, client: WebClient
) -> None:
    """fail_next(status=200, error=...) answers ok:false that many times, then recovers."""
    slack.fail_next("chat.update", status=200, error="message_not_found", times=2)

    errors = []
    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            client.chat_update(channel="C1", ts="1.1", text="x")
        errors.append((raised.value.response.status_code, raised.value.response["error"]))
    assert errors == [(200, "message_not_found")] * 2
    assert client.chat_update(channel="C1", ts="1.1", text="x")["ts"] == "1.1"


def test_fail_always_for_one_user_only(slack: FakeSlack, client: WebClient) -> None:
    """A permanent error aimed at a user hits posts to them and to their DM, not others."""
    slack.fail_always("chat.postMessage", error="cannot_dm_bot", target="U9")

    for channel in ("U9", dm_channel_id("U9")):
        with pytest.raises(SlackApiError) as raised:
            client.chat_postMessage(channel=channel, text="x")
        assert raised.value.response["error"] == "cannot_dm_bot"
    assert client.chat_postMessage(channel="U1", text="x")["ok"] is True
    slack.clear_faults("chat.postMessage")
    assert client.chat_postMessage(channel="U9", text="x")["ok"] is True


def test_fail_always_for_a_method(slack: FakeSlack, client: WebClient) -> None:
    """A permanent error without a target fails every call of the method."""
    slack.fail_always("chat.postMessage", error="channel_not_found")

    for channel in ("C1", "C2"):
        with pytest.raises(SlackApiError) as raised:
            client.chat_postMessage(channel=channel, text="x")
        assert raised.value.response["error"] == "channel_not_found"


def test_rate_limit_answers_429_beyond_the_rate(slack: FakeSlack, client: WebClient) -> None:
    """Calls beyond the rate in the window get 429 with an integer Retry-After of at least 1."""
    slack.rate_limit("chat.postMessage", 3)
    slack.rate_limit("users.info", 0.5)

    for _ in range(3):
        client.chat_postMessage(channel="C1", text="x")
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "1"

    client.users_info(user="U1")
    with pytest.raises(SlackApiError) as slow:
        client.users_info(user="U1")
    assert slow.value.response.headers["Retry-After"] == "2"
    assert len(slack.calls("chat.postMessage")) == 4


def test_retry_handler_waits_retry_after_and_succeeds(slack: FakeSlack) -> None:
    """RateLimitErrorRetryHandler sleeps out the Retry-After and the retry is answered."""
    slack.rate_limit("chat.postMessage", 1)
    client = WebClient(
        token=BOT_TOKEN,
        base_url=slack.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )

    client.chat_postMessage(channel="C1", text="first")
    started = time.monotonic()
    response = client.chat_postMessage(channel="C1", text="second")

    assert response["ok"] is True
    assert time.monotonic() - started >= 1.0
    calls = slack.calls("chat.postMessage")
    assert [c.params["text"] for c in calls] == ["first", "second", "second"]
    assert calls[2].at - calls[1].at >= 1.0


def test_delay_slows_the_answer(slack: FakeSlack, client: WebClient) -> None:
    """delay() holds the answer of that method back by the given time."""
    slack.delay("users.info", 0.3)

    started = time.monotonic()
    client.users_info(user="U1")
    slow = time.monotonic() - started
    started = time.monotonic()
    client.auth_test()
    fast = time.monotonic() - started

    assert slow >= 0.3
    assert fast < 0.3


def test_wait_for_sees_calls_from_other_threads(slack: FakeSlack, client: WebClient) -> None:
    """wait_for blocks until calls made elsewhere arrive, and every ts is unique."""
    threads = [
        threading.Thread(
            target=lambda: [client.chat_postMessage(channel="C1", text="x") for _ in range(5)]
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()

    calls = slack.wait_for("chat.postMessage", count=20, timeout=5)
    for thread in threads:
        thread.join()
    assert len(calls) == 20
    with pytest.raises(TimeoutError):
        slack.wait_for("chat.delete", timeout=0.05)


def test_reset_forgets_calls_and_faults(slack: FakeSlack, client: WebClient) -> None:
    """reset() empties the recording and removes injected faults."""
    client.auth_test()
    slack.fail_always("auth.test", error="invalid_auth")
    slack.reset()

    assert slack.calls() == []
    assert client.auth_test()["user_id"] == BOT_USER_ID


def test_response_url_records_posted_json(slack: FakeSlack) -> None:
    """Bodies posted to a response_url are recorded per URL; a URL takes five posts."""
    first, second = slack.new_response_url(), slack.new_response_url()

    assert first.startswith(f"{slack.base_url}/response/")
    assert WebhookClient(first).send(text="one", replace_original=True).status_code == 200
    assert WebhookClient(second).send(text="two").status_code == 200
    assert slack.responses(1) == [{"text": "one", "replace_original": True}]
    assert [r["text"] for r in slack.responses()] == ["one", "two"]
    for _ in range(4):
        WebhookClient(second).send(text="more")
    assert WebhookClient(second).send(text="sixth").status_code == 404
    assert WebhookClient(f"{slack.base_url}/response/99").send(text="x").status_code == 404


def test_files_upload_v2_round_trip(slack: FakeSlack, client: WebClient) -> None:
    """files_upload_v2 goes through the three steps and the fake keeps the bytes."""
    data = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    response = client.files_upload_v2(
        channel="D123", filename="bookmarks.ics", content=data, title="My summit"
    )

    [upload] = slack.uploads()
    assert upload.data == data
    assert upload.completed is True
    assert (upload.filename, upload.title, upload.channel_id) == (
        "bookmarks.ics",
        "My summit",
        "D123",
    )
    assert response["file"]["id"] == upload.file_id
    assert response["file"]["size"] == len(data)
    assert [c.method for c in slack.calls()] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


def test_apps_connections_open_needs_an_app_token(client: WebClient) -> None:
    """apps.connections.open refuses bot tokens and gives app tokens a ws URL."""
    with pytest.raises(SlackApiError) as raised:
        client.apps_connections_open(app_token=BOT_TOKEN)
    assert raised.value.response["error"] == "not_allowed_token_type"

    url = client.apps_connections_open(app_token=APP_TOKEN)["url"]
    assert url.startswith("ws://127.0.0.1:")


def test_aiohttp_socket_mode_client_acks_and_reconnects(slack: FakeSlack) -> None:
    """The aiohttp Socket Mode client gets envelopes, its acks return, and it reconnects."""
    received: list[SocketModeRequest] = []

    async def on_request(client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        received.append(request)
        response = SocketModeResponse(envelope_id=request.envelope_id, payload={"text": "pong"})
        await client.send_socket_mode_response(response)

    async def scenario() -> list[tuple[str, dict[str, Any]]]:
        client = AioSocketModeClient(
            app_token=APP_TOKEN, web_client=AsyncWebClient(base_url=slack.api_url)
        )
        client.socket_mode_request_listeners.append(on_request)
        await client.connect()  # type: ignore[no-untyped-call]
        acks = []
        try:
            await slack.wait_connected_async()
            first = slack.send_envelope("slash_commands", slash_command_form())
            acks.append((first, await slack.wait_ack_async(first)))
            slack.drop_connections()
            await slack.wait_connected_async(opened=2)
            second = slack.send_envelope("events_api", app_home_opened_event("U1"))
            acks.append((second, await slack.wait_ack_async(second)))
            return acks
        finally:
            await client.close()  # type: ignore[no-untyped-call]

    acks = asyncio.run(scenario())

    for envelope_id, ack in acks:
        assert ack == {"envelope_id": envelope_id, "payload": {"text": "pong"}}
    assert [r.type for r in received] == ["slash_commands", "events_api"]
    assert [r.accepts_response_payload for r in received] == [True, False]
    assert received[0].payload["command"] == "/nova"
    assert received[1].retry_attempt == 0
    assert [c.token for c in slack.calls("apps.connections.open")] == [APP_TOKEN] * 2


def test_send_envelope_without_client_raises(slack: FakeSlack) -> None:
    """Sending an envelope with no client connected is an error, not a silent drop."""
    with pytest.raises(RuntimeError):
        slack.send_envelope("events_api", app_home_opened_event("U1"))
    with pytest.raises(ValueError, match="unknown envelope type"):
        slack.send_envelope("hello", {})


def test_bolt_app_over_socket_mode(slack: FakeSlack) -> None:
    """A Bolt app on the builtin Socket Mode client handles all three envelope types."""
    app = App(client=WebClient(token=BOT_TOKEN, base_url=slack.api_url), signing_secret="unused")

    @app.command("/nova")
    def nova(ack: Ack, command: dict[str, Any]) -> None:
        ack(text=f"now for {command['user_id']}")

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

    @app.action("bookmark")
    def bookmark(ack: Ack, respond: Respond, context: BoltContext) -> None:
        ack()
        respond(text=f"saved for {context.user_id}")

    handler = SocketModeHandler(app, app_token=APP_TOKEN)
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        slack.wait_connected()
        command = slack.send_envelope("slash_commands", slash_command_form(user_id="U9"))
        assert slack.wait_ack(command)["payload"] == {"text": "now for U9"}

        event = slack.send_envelope("events_api", app_home_opened_event("U9"))
        assert slack.wait_ack(event) == {"envelope_id": event}
        slack.wait_for("views.publish")
        assert slack.home_view("U9") == {"type": "home", "blocks": []}

        url = slack.new_response_url()
        action = slack.send_envelope(
            "interactive", block_actions_payload("bookmark", "s1", "U9", response_url=url)
        )
        slack.wait_ack(action)
        assert slack.wait_response()[0]["text"] == "saved for U9"

        slack.disconnect()
        slack.wait_connected(timeout=10, opened=2)
        again = slack.send_envelope("slash_commands", slash_command_form(user_id="U8"))
        assert slack.wait_ack(again)["payload"] == {"text": "now for U8"}
    finally:
        # Dropping the socket first spares the builtin client its 3 s receive timeout.
        handler.client.auto_reconnect_enabled = False
        handler.client.closed = True
        slack.drop_connections()
        handler.close()  # type: ignore[no-untyped-call]
    assert slack.calls("auth.test")[0].token == BOT_TOKEN


def test_sign_is_accepted_by_signature_verifier() -> None:
    """sign() produces headers slack_sdk's SignatureVerifier accepts for that body only."""
    body = encode_form(slash_command_form())
    headers = sign(body, "s3cret", int(time.time()))

    assert SignatureVerifier("s3cret").is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)
    assert not SignatureVerifier("s3cret").is_valid_request(body + b"x", headers)


def test_sign_matches_slack_documented_example() -> None:
    """sign() reproduces the example signature in Slack's request-verification guide."""
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
        b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
        b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
        b"commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )

    headers = sign(body, "8f742231b10e8888abcd99yyyzzz85a5", 1531420618)

    assert headers == {
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        "X-Slack-Request-Timestamp": "1531420618",
    }


def test_encode_form_styles_round_trip() -> None:
    """Both percent and plus encodings decode back to the same fields."""
    fields = {"command": "/nova", "text": "thu 3pm & later"}

    percent = encode_form(fields)
    plus = encode_form(fields, percent_encode=False)

    assert percent == b"command=%2Fnova&text=thu%203pm%20%26%20later"
    assert plus == b"command=%2Fnova&text=thu+3pm+%26+later"
    for body in (percent, plus):
        assert {k: v[0] for k, v in parse_qs(body.decode()).items()} == fields


def test_builders_are_read_by_bolt_as_slack_requests() -> None:
    """Bolt finds user, channel, team and response_url in each built request."""
    form = slash_command_form(text="next", user_id="U5", channel_id="C5")
    command = BoltRequest(
        body=encode_form(form).decode(),
        headers={"content-type": ["application/x-www-form-urlencoded"]},
    )
    payload = block_actions_payload("bookmark", "s1", "U6", response_url="http://x/r")
    action = BoltRequest(
        body=interaction_body(payload).decode(),
        headers={"content-type": ["application/x-www-form-urlencoded"]},
    )
    home = BoltRequest(
        body=json.dumps(app_home_opened_event("U7")),
        headers={"content-type": ["application/json"]},
    )
    view_payload = block_actions_payload("bookmark", "s2", "U8", container="view")
    view_action = BoltRequest(
        body=interaction_body(view_payload).decode(),
        headers={"content-type": ["application/x-www-form-urlencoded"]},
    )

    assert command.body == form
    assert (command.context.user_id, command.context.channel_id) == ("U5", "C5")
    assert command.context.team_id == TEAM_ID
    assert action.body == payload
    assert (action.context.user_id, action.context.channel_id) == ("U6", "C0GENERAL1")
    assert action.context.response_url == "http://x/r"
    assert (home.context.user_id, home.context.team_id) == ("U7", TEAM_ID)
    assert home.body["event"]["channel"] == dm_channel_id("U7")
    assert view_action.context.user_id == "U8"
    assert view_action.body["container"]["type"] == "view"
    assert "response_url" not in view_action.body
