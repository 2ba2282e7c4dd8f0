"""`summit-bot run` and `summit-bot serve --http` as a person starts them."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import main
from tests.bot.handlers.serving import SECRET
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import encode_form, sign, slash_command_form

ROOT = Path(__file__).parents[2]
SLACK_NAMES = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in a scratch folder (no .env) with a scratch database and no Slack settings."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    for name in SLACK_NAMES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["run"], {}, "SLACK_BOT_TOKEN is not set"),
        (["run"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN is not set"),
        (["run"], {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "xapp-"),
        (["serve", "--http"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
        (["serve", "--http"], {"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN is not set"),
        (["serve"], {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, "--http"),
        (["serve", "--http", "--port", "http"], {}, "--port"),
        (["serve", "--http", "--port", "70000"], {}, "--port"),
    ],
)
def test_missing_settings_exit_2_with_one_line(
    argv: list[str],
    env: dict[str, str],
    expected: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A missing token or secret, or a bad option, is one line on stderr and exit status 2."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("summit-bot: ")
    assert expected in err


def test_help_lists_run_and_serve(capsys: pytest.CaptureFixture[str]) -> None:
    """`summit-bot --help` names both Slack modes."""
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "Socket Mode" in out
    assert "HTTP" in out


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(argv: list[str], tmp_path: Path, slack: FakeSlack, **extra: str) -> subprocess.Popen[str]:
    """`python -m bot ARGV` against the fake Slack, with test tokens, logging at DEBUG."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "SLACK_BOT_TOKEN": "xoxb-summit-cli",
        "SLACK_APP_TOKEN": "xapp-summit-cli",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "SUMMIT_BOT_CLOCK_START": "2013-11-05T11:20:00+08:00",
        "SUMMIT_BOT_CLOCK_SPEED": "0",
        "LOG_LEVEL": "DEBUG",
        **extra,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *argv],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> str:
    """Send SIGTERM, check a clean exit, and return what the process printed."""
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=15)
    assert process.returncode == 0, out
    return out


def request(
    port: int, method: str, path: str, body: bytes = b"", **headers: str
) -> tuple[int, bytes]:
    """One HTTP request to 127.0.0.1:`port`; returns the status and the body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, body, headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_serve_http_answers_signed_commands(tmp_path: Path, slack: FakeSlack) -> None:
    """`serve --http` passes its health check, answers a signed command and stops on SIGTERM."""
    port = free_port()
    process = start(
        ["serve", "--http", "--host", "127.0.0.1", "--port", str(port)], tmp_path, slack
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                status, body = request(port, "GET", "/healthz")
                break
            except ConnectionRefusedError:
                assert process.poll() is None, process.communicate()[0]
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.1)
        assert status == 200
        assert json.loads(body)["ok"] is True
        form = encode_form(slash_command_form(text="now", response_url=slack.new_response_url()))
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(form, SECRET)}
        status, body = request(port, "POST", "/slack/events", form, **headers)
        assert status == 200
        assert "Conductor Tasks Next Steps" in json.loads(body)["text"]
    finally:
        out = stop(process)
    assert "xoxb-summit-cli" not in out
    assert SECRET not in out


def test_run_answers_over_socket_mode(tmp_path: Path, slack: FakeSlack) -> None:
    """`run` connects to the fake's WebSocket, answers an envelope and stops on SIGTERM."""
    process = start(["run"], tmp_path, slack)
    try:
        slack.wait_connected(timeout=20)
        form = slash_command_form(text="now", response_url=slack.new_response_url())
        ack = slack.wait_ack(slack.send_envelope("slash_commands", form), timeout=10)
        assert "Conductor Tasks Next Steps" in ack["payload"]["text"]
    finally:
        out = stop(process)
    assert "xapp-summit-cli" not in out
    assert "xoxb-summit-cli" not in out


def test_run_with_a_refused_token_exits_2(tmp_path: Path, slack: FakeSlack) -> None:
    """When Slack refuses the app token, `run` says why in one line and exits 2."""
    slack.fail_always("apps.connections.open", "invalid_auth")
    process = start(["run"], tmp_path, slack)
    out, _ = process.communicate(timeout=20)
    assert process.returncode == 2
    assert out.strip().splitlines()[-1] == "summit-bot: could not connect to Slack: invalid_auth"


def wait_healthy(port: int, process: subprocess.Popen[str]) -> None:
    """Wait until `serve` answers its health check."""
    deadline = time.monotonic() + 20
    while True:
        try:
            status, _ = request(port, "GET", "/healthz")
            assert status == 200
            return
        except ConnectionRefusedError:
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.1)


def test_serve_with_slack_down_warns_and_answers_the_schedule(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """Slack's API unreachable at start: one warning, then signed commands are answered, no 500."""
    port = free_port()
    argv = ["serve", "--http", "--host", "127.0.0.1", "--port", str(port)]
    dead_api = f"http://127.0.0.1:{free_port()}/api/"
    process = start(argv, tmp_path, slack, SLACK_API_URL=dead_api, LOG_LEVEL="INFO")
    try:
        wait_healthy(port, process)
        for _ in range(3):
            url = slack.new_response_url()
            form = encode_form(slash_command_form(text="now", response_url=url))
            headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(form, SECRET)}
            status, body = request(port, "POST", "/slack/events", form, **headers)
            assert status == 200
            # The answer comes in the acknowledgement; nothing is posted to the response_url.
            assert "Conductor Tasks Next Steps" in json.loads(body)["text"]
            assert slack.responses(int(url.rsplit("/", 1)[1])) == []
    finally:
        out = stop(process)
    assert "Slack did not answer auth.test" in out
    assert "Traceback" not in out
    assert "alembic" not in out
    assert "xoxb-summit-cli" not in out


def test_serve_with_a_refused_token_exits_2(tmp_path: Path, slack: FakeSlack) -> None:
    """When Slack refuses the bot token, `serve` says why in one line and exits 2, as `run` does."""
    slack.fail_always("auth.test", "invalid_auth")
    port = free_port()
    process = start(["serve", "--http", "--port", str(port)], tmp_path, slack)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 2
    assert out.strip().splitlines()[-1] == "summit-bot: could not connect to Slack: invalid_auth"
