from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.clock import fixed_clock
from bot.core import Core
from bot.core.schedule_source import ScheduleSource
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.store import Store
from schedule.importers import load_bundled
from tests.bot.handlers.serving import AT, BotServer, make_settings
from tests.support.fake_slack import FakeSlack
from tests.support.schedule_server import Server
from tests.support.wiring import make_core


@pytest.fixture
def settings() -> Settings:
    """Default settings, untouched by the machine's environment."""
    return Settings.from_env({}, env_file=None)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A store on a fresh SQLite file."""
    store = Store.open(f"sqlite:///{tmp_path / 'bot.db'}")
    yield store
    store.close()


@pytest.fixture
def core(settings: Settings, sqlite_store: Store) -> Core:
    """The core serving the bundled Icehouse Nova schedule on SQLite."""
    return make_core(settings, sqlite_store, ScheduleSource(load_bundled()))


@pytest.fixture
def bot_settings(tmp_path: Path, slack: FakeSlack) -> Settings:
    """Settings for a bot talking to the fake Slack, with a scratch database."""
    return make_settings(tmp_path, slack)


@pytest.fixture
def runtime(bot_settings: Settings) -> Iterator[Runtime]:
    """The bot's runtime, its clock fixed during the first Nova session."""
    built = build_runtime(bot_settings, clock=fixed_clock(AT))
    yield built
    built.close()


@pytest.fixture
def bot(bot_settings: Settings, runtime: Runtime) -> Iterator[BotServer]:
    """The bot serving HTTP on a random loopback port."""
    server = BotServer(bot_settings, runtime).start()
    yield server
    server.stop()


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A scratch database (and folder) for the command line."""
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    for name in ("SUMMIT_BOT_CLOCK_START", "SUMMIT_BOT_SCHEDULE", "SUMMIT_BOT_SCHEDULE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SUMMIT_BOT_CLOCK_SPEED", raising=False)
    return url


@pytest.fixture
def server() -> Iterator[Server]:
    """A loopback HTTP server, shut down after the test."""
    made = Server()
    made.thread.start()
    yield made
    made.httpd.shutdown()
    made.httpd.server_close()
