"""Secrets stay secret: the Secret type, settings' repr, and every edge's answers and logs.

This module is audited by `secrets_never_logged` (tests/bot/conftest.py) like the HTTP,
Socket Mode and CLI test modules: every record at DEBUG is searched for the test secrets.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from bot.clock import fixed_clock
from bot.runtime import build_runtime
from bot.secret import MASK, Secret
from bot.settings import Settings
from tests.bot.conftest import AUDITED_SECRETS, audited
from tests.bot.handlers.serving import AT, SECRET, BotServer, make_settings
from tests.support.fake_slack import FakeSlack

DB_PASSWORD = "Pw-9f3a-not-for-logs"
ROOT = Path(__file__).resolve().parents[2]


def test_secret_hides_its_value_everywhere() -> None:
    """repr, str, format, %-format and f-strings show a mask; only reveal() gives the value."""
    token = Secret("xoxb-very-secret")
    percent = "%s" % token  # noqa: UP031  (what a %-style log line does)
    shown = [repr(token), str(token), f"{token}", f"{token!r}", percent, format(token, ">30")]
    shown.append(repr({"token": token, "list": [token]}))
    for text in shown:
        assert "xoxb-very-secret" not in text
    assert str(token) == MASK
    assert token.reveal() == "xoxb-very-secret"
    assert token == Secret("xoxb-very-secret")
    assert token != Secret("other")
    assert bool(token)
    assert not Secret("")


def test_settings_show_no_secret_not_even_the_database_password() -> None:
    """Settings read from the environment print no token, signing secret or database password."""
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-repr-check",
            "SLACK_APP_TOKEN": "xapp-repr-check",
            "SLACK_SIGNING_SECRET": "signing-repr-check",
            "DATABASE_URL": f"postgresql+psycopg://summit:{DB_PASSWORD}@db.internal/summit",
        },
        env_file=None,
    )
    for text in (repr(settings), str(settings), repr(dataclasses.asdict(settings))):
        for secret in ("xoxb-repr-check", "xapp-repr-check", "signing-repr-check", DB_PASSWORD):
            assert secret not in text
    assert settings.database_url.reveal().endswith("@db.internal/summit")
    assert pickle.loads(pickle.dumps(settings)).slack_bot_token == settings.slack_bot_token


def test_cli_with_an_unreachable_database_prints_no_password() -> None:
    """`summit-bot ask` at DEBUG with a password in DATABASE_URL: the password never shows."""
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"postgresql+psycopg://summit:{DB_PASSWORD}@127.0.0.1:1/summit",
        "LOG_LEVEL": "DEBUG",
        "SLACK_BOT_TOKEN": "xoxb-summit-cli",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "/nova now"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert DB_PASSWORD not in done.stdout + done.stderr
    assert "xoxb-summit-cli" not in done.stdout + done.stderr


def test_admin_reload_of_the_bots_own_dotenv_over_http_leaks_nothing(
    tmp_path: Path, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """`/nova reload .env` over signed HTTP: refused, and no secret in the answer or the log."""
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        f"SLACK_SIGNING_SECRET={SECRET}\nSLACK_BOT_TOKEN=xoxb-summit-test\n", encoding="utf-8"
    )
    settings = make_settings(
        tmp_path,
        slack,
        SUMMIT_BOT_ADMINS="U123",
        SUMMIT_BOT_SCHEDULE_TIMEZONE="Asia/Hong_Kong",
        SUMMIT_BOT_RELOAD_DIR=str(tmp_path / "schedules"),
    )
    runtime = build_runtime(settings, clock=fixed_clock(AT))
    bot = BotServer(settings, runtime).start()
    try:
        answers = []
        for argument in (str(dotenv), "../.env", "/proc/self/environ"):
            reply = bot.command(f"reload {argument}", slack.new_response_url())
            assert reply.status == 200
            answers.append(json.loads(reply.body))  # answered in the acknowledgement
        assert all(answer["text"] for answer in answers)
    finally:
        bot.stop()
        runtime.close()
    said = json.dumps(answers) + caplog.text
    for secret in AUDITED_SECRETS:
        assert secret not in said
    assert all("not an allowed schedule source" in a["text"] for a in answers)


def test_the_audit_finds_a_leaked_secret() -> None:
    """The log audit of these modules is not blind: a record holding a secret is found."""
    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "token is %s", (SECRET,), None)
    text = logging.Formatter("%(message)s").format(record)
    assert [s for s in AUDITED_SECRETS if s in text] == [SECRET]


def test_the_audit_covers_the_http_socket_mode_and_cli_tests() -> None:
    """Every HTTP, Socket Mode, Slack client and CLI test module runs under the audit."""
    tests = ROOT / "tests"
    paths = [
        *(tests / "bot" / "slack").glob("test_*.py"),
        *(tests / "bot" / "handlers").glob("test_*.py"),
        *(tests / "bot" / "edge").glob("test_*.py"),
        *(tests / "bot").glob("test_*cli*.py"),
    ]
    names = [".".join(p.relative_to(ROOT).with_suffix("").parts) for p in paths]
    assert any("socket_mode" in n for n in names)
    assert any("http" in n for n in names)
    assert any(n.endswith("test_cli") for n in names)
    assert all(audited(n) for n in names), [n for n in names if not audited(n)]
