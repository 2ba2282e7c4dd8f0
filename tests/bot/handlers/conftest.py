"""Fixtures: the fake Slack, and the bot serving HTTP on a random loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.clock import fixed_clock
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from tests.bot.handlers.serving import AT, USERS, BotServer, make_settings
from tests.support.fake_slack import FakeSlack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """A fake Slack workspace where U123 is in Paris and U456 in Hong Kong."""
    with FakeSlack(users=USERS) as fake:
        yield fake


@pytest.fixture
def bot_settings(tmp_path: Path, slack: FakeSlack) -> Settings:
    """Settings for the bot under test."""
    return make_settings(tmp_path, slack)


@pytest.fixture
def runtime(bot_settings: Settings) -> Iterator[Runtime]:
    """The runtime, its clock fixed during the first Nova session."""
    built = build_runtime(bot_settings, clock=fixed_clock(AT))
    yield built
    built.close()


@pytest.fixture
def bot(bot_settings: Settings, runtime: Runtime) -> Iterator[BotServer]:
    """The bot serving HTTP on a random loopback port."""
    server = BotServer(bot_settings, runtime).start()
    yield server
    server.stop()
