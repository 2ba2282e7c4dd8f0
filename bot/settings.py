"""Settings: the one place the environment and the `.env` file are read."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateparser
from dateutil.parser import ParserError

from bot.secret import Secret, secret


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the setting."""


APP_NAME = "summit-bot"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_COMMAND = re.compile(r"/[a-z0-9][a-z0-9_-]{0,31}")
_USER_ID = re.compile(r"[UW][A-Z0-9_]+")
_DATABASE_SCHEMES = ("sqlite", "postgresql")


def data_folder() -> Path:
    """The per-user folder of summit-bot's own data (e.g. ~/.local/share/summit-bot)."""
    from platformdirs import user_data_path  # read only when the default is needed

    return user_data_path(APP_NAME, appauthor=False)


def default_database_url() -> str:
    """The database when `DATABASE_URL` is unset: a SQLite file in the per-user data folder.

    Not in the working directory, so bookmarks stay wherever the bot is started from.
    """
    return f"sqlite:///{data_folder() / 'summit-bot.db'}"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL, or None (another database, or in memory)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    path = url[len(prefix) :].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def prepare_database_folder(url: str) -> None:
    """Create the folder of the default SQLite database on first use."""
    path = sqlite_file(url)
    if path is not None and path.parent == data_folder():
        path.parent.mkdir(parents=True, exist_ok=True)


@dataclass(frozen=True)
class Settings:
    """Everything summit-bot can be told from outside, with its defaults."""

    database_url: Secret = field(default_factory=lambda: Secret(default_database_url()))
    """The database to use; a Secret because its URL may hold a password."""
    schedule_path: str | None = None
    schedule_url: str | None = None
    schedule_refresh_seconds: int = 300
    schedule_timezone: str | None = None
    schedule_track: str | None = None
    clock_start: datetime | None = None
    clock_speed: float = 1.0
    command: str = "/nova"
    reminder_lead_minutes: int = 10
    reminders_enabled: bool = True
    admin_user_ids: frozenset[str] = frozenset()
    slack_bot_token: Secret | None = None
    slack_app_token: Secret | None = None
    slack_signing_secret: Secret | None = None
    slack_api_url: str | None = None
    slack_messages_per_second: float = 20.0
    answer_budget_seconds: float = 1.5
    max_in_flight: int = 100
    http_host: str = "0.0.0.0"
    http_port: int = 3000
    log_level: str = "INFO"
    public_url: str | None = None
    """The base URL people's browsers and calendars reach this bot at (feeds, the screen)."""
    announce_channel: str | None = None
    """The channel id where the bot keeps its "now & next" board message."""
    metrics_multiprocess_dir: str | None = None
    """PROMETHEUS_MULTIPROC_DIR: where worker processes pool their metrics, when several."""
    reload_dir: str | None = None
    """`SUMMIT_BOT_RELOAD_DIR`: the only folder `/nova reload FILE` may read (None: none)."""
    reload_allow_hosts: frozenset[str] = frozenset()
    """`SUMMIT_BOT_RELOAD_ALLOW_HOSTS`: hosts `/nova reload URL` may fetch though internal."""

    def __post_init__(self) -> None:
        """Hold the secrets as `Secret` even when given as plain strings (as tests do)."""
        for name in _SECRETS:
            value = getattr(self, name)
            object.__setattr__(self, name, secret(value))

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
    ) -> Settings:
        """Read settings from `env_file` (if present) overridden by `environ`."""
        values = _env_values(environ, env_file)

        def get(name: str) -> str | None:
            value = values.get(name, "").strip()
            return value or None

        return cls(
            database_url=Secret(_database_url(get("DATABASE_URL"))),
            schedule_path=get("SUMMIT_BOT_SCHEDULE"),
            schedule_url=_web_url(get, "SUMMIT_BOT_SCHEDULE_URL"),
            schedule_refresh_seconds=_int(get, "SUMMIT_BOT_SCHEDULE_REFRESH_SECONDS", 300, 10),
            schedule_timezone=_zone(get("SUMMIT_BOT_SCHEDULE_TIMEZONE")),
            schedule_track=get("SUMMIT_BOT_SCHEDULE_TRACK"),
            clock_start=parse_clock_start(get("SUMMIT_BOT_CLOCK_START")),
            clock_speed=parse_clock_speed(get("SUMMIT_BOT_CLOCK_SPEED")),
            command=_command(get("SUMMIT_BOT_COMMAND")),
            reminder_lead_minutes=_int(get, "SUMMIT_BOT_REMINDER_LEAD_MINUTES", 10, 0),
            reminders_enabled=_bool(get, "SUMMIT_BOT_REMINDERS", True),
            admin_user_ids=_admins(get("SUMMIT_BOT_ADMINS")),
            slack_bot_token=secret(get("SLACK_BOT_TOKEN")),
            slack_app_token=secret(get("SLACK_APP_TOKEN")),
            slack_signing_secret=secret(get("SLACK_SIGNING_SECRET")),
            slack_api_url=_web_url(get, "SLACK_API_URL"),
            slack_messages_per_second=_float(get, "SUMMIT_BOT_SLACK_MESSAGES_PER_SECOND", 20.0),
            answer_budget_seconds=_budget(get("SUMMIT_BOT_ANSWER_BUDGET_SECONDS")),
            max_in_flight=_int(get, "SUMMIT_BOT_MAX_IN_FLIGHT", 100, 1),
            http_host=get("SUMMIT_BOT_HTTP_HOST") or cls.http_host,
            http_port=_port(get),
            log_level=_log_level(get("LOG_LEVEL")),
            reload_dir=get("SUMMIT_BOT_RELOAD_DIR"),
            reload_allow_hosts=frozenset(
                part.strip().casefold().rstrip(".")
                for part in (get("SUMMIT_BOT_RELOAD_ALLOW_HOSTS") or "").split(",")
                if part.strip()
            ),
            public_url=parse_public_url(get("SUMMIT_BOT_PUBLIC_URL")),
            announce_channel=get("SUMMIT_BOT_ANNOUNCE_CHANNEL"),
            metrics_multiprocess_dir=get("PROMETHEUS_MULTIPROC_DIR"),
        )


def _database_url(url: str | None) -> str:
    if url is None:
        return default_database_url()
    scheme, sep, _ = url.partition("://")
    if not sep or scheme.split("+", 1)[0] not in _DATABASE_SCHEMES:
        # The URL may hold a password: it is not repeated.
        raise SettingsError(
            "DATABASE_URL is not a database URL "
            "(e.g. sqlite:////path/to/bot.db or postgresql+psycopg://user@host/db)"
        )
    return url


def _command(text: str | None) -> str:
    if text is None:
        return "/nova"
    if not text.startswith("/"):
        raise SettingsError(f"SUMMIT_BOT_COMMAND: {text!r} must start with / (e.g. /{text})")
    if not _COMMAND.fullmatch(text):
        raise SettingsError(
            f"SUMMIT_BOT_COMMAND: {text!r} is not a slash command "
            "(lower-case letters, digits, - and _, at most 32)"
        )
    return text


def _admins(text: str | None) -> frozenset[str]:
    ids = [part.strip() for part in (text or "").split(",") if part.strip()]
    for user_id in ids:
        if not _USER_ID.fullmatch(user_id):
            raise SettingsError(
                f"SUMMIT_BOT_ADMINS: {user_id!r} is not a Slack user id (like U012AB3CD)"
            )
    return frozenset(ids)


def _log_level(text: str | None) -> str:
    level = (text or "INFO").upper()
    if level == "WARN":
        level = "WARNING"
    if level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL: {text!r} is not a level ({', '.join(LOG_LEVELS)})")
    return level


def _port(get: Callable[[str], str | None]) -> int:
    port = _int(get, "SUMMIT_BOT_HTTP_PORT", 3000, 0)
    if port > 65535:
        raise SettingsError(f"SUMMIT_BOT_HTTP_PORT: {port} is not a port (0–65535)")
    return port


def _web_url(get: Callable[[str], str | None], name: str) -> str | None:
    url = get(name)
    if url is None:
        return None
    parsed = urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(f"{name}: {url!r} is not an http(s) URL")
    return url


def _env_values(environ: Mapping[str, str] | None, env_file: str | Path | None) -> dict[str, str]:
    """The raw settings: `env_file` (if present) overridden by `environ` (None: the process's)."""
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        from dotenv import dotenv_values  # only when there is a file to read

        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return values


# The settings held as `Secret`.
_SECRETS = ("database_url", "slack_bot_token", "slack_app_token", "slack_signing_secret")


def parse_clock_start(text: str | None) -> datetime | None:
    """An aware instant from an ISO 8601 text (a missing offset is an error)."""
    if text is None:
        return None
    try:
        parsed = dateparser.isoparse(text)
    except (ParserError, ValueError) as exc:
        raise SettingsError(f"SUMMIT_BOT_CLOCK_START: {text!r} is not an ISO 8601 instant") from exc
    if parsed.tzinfo is None:
        raise SettingsError(
            f"SUMMIT_BOT_CLOCK_START: {text!r} has no UTC offset (e.g. 2013-11-05T11:00+08:00)"
        )
    return parsed


def parse_public_url(text: str | None) -> str | None:
    """An absolute http(s) base URL, without a trailing slash."""
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"}:
        raise SettingsError(
            f"SUMMIT_BOT_PUBLIC_URL: {text!r} needs a scheme and a host, "
            "such as https://summit-bot.example.org"
        )
    if not parts.hostname or parts.query or parts.fragment or parts.username:
        raise SettingsError(
            f"SUMMIT_BOT_PUBLIC_URL: {text!r} must be a plain base URL, "
            "such as https://summit-bot.example.org"
        )
    return text.rstrip("/")


def parse_clock_speed(text: str | None) -> float:
    """A non-negative clock speed (1 when not given)."""
    if text is None:
        return 1.0
    try:
        speed = float(text)
    except ValueError as exc:
        raise SettingsError(f"SUMMIT_BOT_CLOCK_SPEED: {text!r} is not a number") from exc
    if speed < 0:
        raise SettingsError(f"SUMMIT_BOT_CLOCK_SPEED: {text!r} cannot be negative")
    return speed


def _budget(text: str | None) -> float:
    """The answer budget in seconds: above 0 and below Slack's 3 s acknowledgement limit."""
    if text is None:
        return 1.5
    try:
        value = float(text)
    except ValueError as exc:
        raise SettingsError(f"SUMMIT_BOT_ANSWER_BUDGET_SECONDS: {text!r} is not a number") from exc
    if not 0 < value <= 2.5:
        raise SettingsError(
            f"SUMMIT_BOT_ANSWER_BUDGET_SECONDS: {value} is not between 0 and 2.5 "
            "(Slack waits 3 s for the acknowledgement)"
        )
    return value


def _zone(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"SUMMIT_BOT_SCHEDULE_TIMEZONE: unknown time zone {name!r}") from exc
    return name


def _int(get: Callable[[str], str | None], name: str, default: int, minimum: int) -> int:
    text = get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError as exc:
        raise SettingsError(f"{name}: {text!r} is not a whole number") from exc
    if value < minimum:
        raise SettingsError(f"{name}: {value} is below the minimum {minimum}")
    return value


def _float(get: Callable[[str], str | None], name: str, default: float) -> float:
    text = get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError as exc:
        raise SettingsError(f"{name}: {text!r} is not a number") from exc
    if value <= 0:
        raise SettingsError(f"{name}: must be above 0")
    return value


def _bool(get: Callable[[str], str | None], name: str, default: bool) -> bool:
    text = get(name)
    if text is None:
        return default
    lowered = text.casefold()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name}: {text!r} is not on/off")
