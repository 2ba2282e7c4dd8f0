from __future__ import annotations

import logging
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
from tests.bot.handlers.serving import AT, SECRET, BotServer, make_settings
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


#: The secret values the HTTP, Socket Mode and CLI tests configure.
AUDITED_SECRETS = (
    "xoxb-summit-test",
    "xapp-summit-test",
    SECRET,
    "xoxb-summit-cli",
    "xapp-summit-cli",
)
# The test modules and packages whose every log record is checked for those values.
_AUDITED_MODULES = frozenset(
    {
        "test_app_http",
        "test_app_socket_mode",
        "test_app_cli",
        "test_cli",
        "test_edge_http",
        "test_edge_secrets",
        "test_edge_properties",
    }
)
_AUDITED_PACKAGES = ("tests.bot.handlers.", "tests.bot.slack.", "tests.bot.edge.")


def audited(module: str) -> bool:
    """Whether the test module `module` runs under the DEBUG log audit for secrets."""
    return module.rsplit(".", 1)[-1] in _AUDITED_MODULES or module.startswith(_AUDITED_PACKAGES)


@pytest.fixture(autouse=True)
def secrets_never_logged(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """In the HTTP, Socket Mode and CLI tests, log at DEBUG and fail if a secret shows."""
    if not audited(request.module.__name__):
        yield
        return
    caplog.set_level(logging.DEBUG)
    yield
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    records = caplog.get_records("setup") + caplog.get_records("call")
    logged = "\n".join(formatter.format(record) for record in records)
    leaked = [secret for secret in AUDITED_SECRETS if secret in logged]
    assert not leaked, f"secrets in the log at DEBUG: {leaked}"
