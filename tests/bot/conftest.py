from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core import Core
from bot.schedule_source import ScheduleSource
from bot.settings import Settings
from bot.store import Store
from schedule.importers import load_bundled


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
    return Core(settings=settings, store=sqlite_store, schedules=ScheduleSource(load_bundled()))
