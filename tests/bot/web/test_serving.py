"""The pages in both modes: `serve --http` and `run --http-port N`, as a person starts them."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.cli import main
from tests.bot.handlers.serving import SECRET
from tests.bot.test_app_cli import free_port, request, start, stop
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import encode_form, sign, slash_command_form


def wait_listening(port: int, process: object) -> None:
    """Wait until 127.0.0.1:`port` answers HTTP."""
    deadline = time.monotonic() + 30
    while True:
        try:
            request(port, "GET", "/screen")
            return
        except (ConnectionRefusedError, ConnectionResetError):
            assert getattr(process, "poll")() is None, "the bot stopped"  # noqa: B009
            assert time.monotonic() < deadline, "the pages did not start"
            time.sleep(0.1)


def answer_count(port: int, command: str) -> float:
    """`summit_bot_answers_total{command}` as /metrics shows it."""
    status, body = request(port, "GET", "/metrics")
    assert status == 200
    for family in text_string_to_metric_families(body.decode("utf-8")):
        for sample in family.samples:
            if sample.name == "summit_bot_answers_total" and sample.labels == {"command": command}:
                return sample.value
    return 0.0


def feed_path(text: str) -> str:
    """The feed path in an answer's text."""
    found = re.search(r"/calendar/[A-Za-z0-9_-]{43}\.ics", text)
    assert found, text
    return found.group(0)


def test_run_with_http_port_serves_the_pages(
    tmp_path: Path, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Socket Mode with `--http-port`: /screen, a feed made by `/nova calendar`, and /metrics."""
    port = free_port()
    monkeypatch.setenv("SUMMIT_BOT_PUBLIC_URL", f"http://127.0.0.1:{port}")
    process = start(["run", "--http-port", str(port)], tmp_path, slack)
    try:
        slack.wait_connected(timeout=30)
        wait_listening(port, process)
        status, body = request(port, "GET", "/screen")
        assert status == 200
        assert b"Conductor Tasks Next Steps" in body
        form = slash_command_form(text="calendar", response_url=slack.new_response_url())
        ack = slack.wait_ack(slack.send_envelope("slash_commands", form), timeout=10)
        answer = ack["payload"]  # answered in the acknowledgement
        status, body = request(port, "GET", feed_path(answer["text"]))
        assert status == 200
        assert body.startswith(b"BEGIN:VCALENDAR")
        assert answer_count(port, "calendar") == 1
    finally:
        out = stop(process)
    token = feed_path(answer["text"]).removeprefix("/calendar/").removesuffix(".ics")
    assert "calendar address" in out  # logged at DEBUG, with the token redacted
    assert token not in out


def test_serve_http_serves_the_pages(
    tmp_path: Path, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve --http` serves /screen, feeds and /metrics beside /slack/events."""
    port = free_port()
    monkeypatch.setenv("SUMMIT_BOT_PUBLIC_URL", f"http://127.0.0.1:{port}/")
    process = start(
        ["serve", "--http", "--host", "127.0.0.1", "--port", str(port)], tmp_path, slack
    )
    try:
        wait_listening(port, process)
        form = encode_form(
            slash_command_form(text="calendar", response_url=slack.new_response_url())
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(form, SECRET)}
        status, acked = request(port, "POST", "/slack/events", form, **headers)
        assert status == 200
        answer = json.loads(acked)  # answered in the acknowledgement
        assert f"http://127.0.0.1:{port}/calendar/" in answer["text"]  # no double slash
        status, body = request(port, "GET", feed_path(answer["text"]))
        assert status == 200
        assert b"BEGIN:VCALENDAR" in body
        assert request(port, "GET", "/calendar/nope.ics")[0] == 404
        assert request(port, "GET", "/screen?room=Nowhere")[0] == 404
        assert answer_count(port, "calendar") == 1
    finally:
        stop(process)


@pytest.mark.parametrize(
    "value",
    ["summit-bot.example.org", "summit-bot.example.org/feeds", "ftp://example.org", "https://"],
)
def test_public_url_without_scheme_is_a_start_up_error(
    value: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A SUMMIT_BOT_PUBLIC_URL without http(s) scheme and host stops the start, naming it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUMMIT_BOT_PUBLIC_URL", value)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    assert main(["run", "--http-port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("summit-bot: SUMMIT_BOT_PUBLIC_URL: ")
    assert err.count("\n") == 1
    assert "https://" in err


def test_bad_http_port_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run --http-port web` exits 2 naming the option."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    assert main(["run", "--http-port", "web"]) == 2
    assert "--http-port" in capsys.readouterr().err
