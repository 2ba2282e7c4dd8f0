"""A bot process with reloading started: the console messenger, the CLI beside it."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import fixed_clock
from bot.core import Core
from bot.message import Message
from bot.reload import start_schedule
from bot.reminders import ConsoleMessenger
from bot.runtime import Runtime
from bot.schedule_source import ScheduleSource
from bot.services import start_services
from bot.settings import Settings
from bot.store import Store
from tests.bot.reload.conftest import AT, base_schedule, write
from tests.factories import local, schedule


def test_a_reload_from_the_command_line_reaches_the_running_bot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`summit-bot reload` beside a running bot: the bot takes it up and its engine sends the DM once."""
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    path = write(tmp_path / "schedule.json", base_schedule())
    settings = dataclasses.replace(
        Settings.from_env({}, env_file=None), database_url=url, schedule_path=str(path)
    )
    store = Store.open(url)
    clock = fixed_clock(AT)
    startup = start_schedule(settings, store, AT)
    runtime = Runtime(
        settings=settings,
        clock=clock,
        core=Core(settings=settings, store=store, schedules=ScheduleSource(startup.schedule)),
    )
    shown: list[tuple[str, Message]] = []
    arrived = threading.Event()

    def show(user_id: str, message: Message) -> None:
        shown.append((user_id, message))
        arrived.set()

    runtime.startup = startup
    services = start_services(runtime, ConsoleMessenger(show))
    reloader = services.reloader
    try:
        store.add_bookmark("U1", "a", AT)
        sessions = {s.id: s for s in base_schedule().sessions}
        later = local("2013-11-05 16:00")
        sessions["a"] = dataclasses.replace(
            sessions["a"], start=later, end=later + (sessions["a"].end - sessions["a"].start)
        )
        moved = write(tmp_path / "moved.json", schedule(*sessions.values()))
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("SUMMIT_BOT_SCHEDULE", str(path))
        assert main(["reload", str(moved)]) == 0
        assert arrived.wait(10)
        served = runtime.core.index.get("a")
        assert served is not None
        assert served.start == later
        assert reloader.join(10)
        [(user_id, message)] = shown
        assert user_id == "U1"
        assert message.text.startswith("Schedule change: A:")
    finally:
        services.stop()
        store.close()
