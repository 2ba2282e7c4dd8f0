from __future__ import annotations

import inspect
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

import bot.settings
from bot.settings import Settings, SettingsError

ENV_EXAMPLE = Path(__file__).parents[2] / ".env.example"


def test_defaults(private_data_folder: Path) -> None:
    """With nothing set, the defaults apply; the database is in the per-user data folder."""
    settings = Settings.from_env({}, env_file=None)
    expected = private_data_folder / "summit-bot" / "summit-bot.db"
    assert settings.database_url.reveal() == f"sqlite:///{expected}"
    assert settings.reminder_lead_minutes == 10
    assert settings.command == "/nova"
    assert settings.clock_start is None


def test_env_file_then_environment(tmp_path: Path) -> None:
    """The .env file is read and the environment overrides it."""
    env = tmp_path / ".env"
    env.write_text("SUMMIT_BOT_REMINDER_LEAD_MINUTES=5\nSUMMIT_BOT_ADMINS=U1, U2\n")
    settings = Settings.from_env({"SUMMIT_BOT_REMINDER_LEAD_MINUTES": "15"}, env_file=env)
    assert settings.reminder_lead_minutes == 15
    assert settings.admin_user_ids == {"U1", "U2"}


def test_clock_settings() -> None:
    """The replay clock's start and speed are read as an ISO instant and a number."""
    settings = Settings.from_env(
        {"SUMMIT_BOT_CLOCK_START": "2013-11-05T11:00:00+08:00", "SUMMIT_BOT_CLOCK_SPEED": "60"},
        env_file=None,
    )
    assert settings.clock_start == datetime(2013, 11, 5, 3, 0, tzinfo=UTC)
    assert settings.clock_speed == 60


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SUMMIT_BOT_CLOCK_START", "2013-11-05T11:00"),
        ("SUMMIT_BOT_CLOCK_START", "tuesday"),
        ("SUMMIT_BOT_CLOCK_SPEED", "fast"),
        ("SUMMIT_BOT_REMINDER_LEAD_MINUTES", "-3"),
        ("SUMMIT_BOT_REMINDERS", "maybe"),
        ("SUMMIT_BOT_SCHEDULE_TIMEZONE", "Mars/Olympus"),
        ("SUMMIT_BOT_ANSWER_BUDGET_SECONDS", "3"),
        ("SUMMIT_BOT_ANSWER_BUDGET_SECONDS", "0"),
        ("SUMMIT_BOT_ANSWER_BUDGET_SECONDS", "soon"),
        ("SUMMIT_BOT_MAX_IN_FLIGHT", "0"),
        ("SUMMIT_BOT_MAX_IN_FLIGHT", "many"),
    ],
)
def test_bad_values_name_the_setting(name: str, value: str) -> None:
    """A bad value raises an error that names the setting."""
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value}, env_file=None)


def test_secrets_not_in_repr() -> None:
    """Tokens and secrets never show in the settings' repr."""
    settings = Settings.from_env(
        {"SLACK_BOT_TOKEN": "xoxb-secret", "SLACK_SIGNING_SECRET": "shh"}, env_file=None
    )
    assert "xoxb-secret" not in repr(settings)
    assert "shh" not in repr(settings)


def test_env_example_lists_every_setting() -> None:
    """Every setting read from the environment is listed in .env.example with a comment."""
    source = inspect.getsource(bot.settings)
    read = set(re.findall(r'get\("([A-Z_]+)"', source)) | set(
        re.findall(r'_(?:int|float|bool)\(get, "([A-Z_]+)"', source)
    )
    lines = ENV_EXAMPLE.read_text().splitlines()
    for name in read:
        position = next((i for i, line in enumerate(lines) if line.startswith(name + "=")), None)
        assert position is not None, f"{name} missing from .env.example"
        assert lines[position - 1].startswith("#"), f"{name} has no comment"


def test_answer_budget_and_bound_in_flight() -> None:
    """The answer budget (default 1.5 s, below Slack's 3 s) and the bound on work in flight are read."""
    assert Settings.from_env({}, env_file=None).answer_budget_seconds == 1.5
    assert Settings.from_env({}, env_file=None).max_in_flight == 100
    settings = Settings.from_env(
        {"SUMMIT_BOT_ANSWER_BUDGET_SECONDS": "0.8", "SUMMIT_BOT_MAX_IN_FLIGHT": "12"},
        env_file=None,
    )
    assert settings.answer_budget_seconds == 0.8
    assert settings.max_in_flight == 12


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://summit-bot.example.org", "https://summit-bot.example.org"),
        ("https://summit-bot.example.org/", "https://summit-bot.example.org"),
        ("http://127.0.0.1:3000/bot/", "http://127.0.0.1:3000/bot"),
    ],
)
def test_public_url_is_kept_without_trailing_slash(text: str, expected: str) -> None:
    """SUMMIT_BOT_PUBLIC_URL keeps its path and loses a trailing slash."""
    settings = Settings.from_env({"SUMMIT_BOT_PUBLIC_URL": text}, env_file=None)
    assert settings.public_url == expected


@pytest.mark.parametrize(
    "text",
    [
        "summit-bot.example.org",
        "//summit-bot.example.org",
        "ftp://summit-bot.example.org",
        "https://",
        "https://summit-bot.example.org/?token=1",
        "https://user:pw@summit-bot.example.org",
        "javascript:alert(1)",
    ],
)
def test_public_url_without_scheme_or_host_names_the_setting(text: str) -> None:
    """A public URL that is not a plain http(s) base URL is refused, naming the setting."""
    with pytest.raises(SettingsError, match=r"^SUMMIT_BOT_PUBLIC_URL: "):
        Settings.from_env({"SUMMIT_BOT_PUBLIC_URL": text}, env_file=None)
