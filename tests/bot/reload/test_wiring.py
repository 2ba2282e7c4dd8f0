"""A bot process with reloading started: the console messenger, the CLI beside it."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.base import STATE_STOPPED

from bot.cli import main
from bot.clock import fixed_clock
from bot.core.message import Message
from bot.outbox.messenger import ConsoleMessenger
from bot.runtime import build_runtime
from bot.settings import Settings
from schedule.importers import dump_schedule
from tests.bot.reload.conftest import AT, base_schedule, write
from tests.factories import local, schedule
from tests.support.schedule_server import Server


def settings_for(tmp_path: Path, **changes: Any) -> Settings:
    """Default settings with the database in `tmp_path`, changed by `changes`."""
    return dataclasses.replace(
        Settings.from_env({}, env_file=None),
        database_url=f"sqlite:///{tmp_path / 'bot.db'}",
        **changes,
    )


def test_a_reload_from_the_command_line_reaches_the_running_bot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`summit-bot reload` beside a running bot: the bot takes it up and sends the DM once."""
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    path = write(tmp_path / "schedule.json", base_schedule())
    settings = dataclasses.replace(
        Settings.from_env({}, env_file=None), database_url=url, schedule_path=str(path)
    )
    shown: list[tuple[str, Message]] = []
    arrived = threading.Event()

    def show(user_id: str, message: Message) -> None:
        shown.append((user_id, message))
        arrived.set()

    runtime = build_runtime(
        settings, clock=fixed_clock(AT), messenger=lambda s, st: ConsoleMessenger(show)
    )
    runtime.start()
    store, reloader = runtime.store, runtime.reloader
    try:
        store.bookmarks.add([("U1", "a")], AT)
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
        runtime.close()


def test_nova_reload_uses_the_runtimes_reloader_and_its_messenger(tmp_path: Path) -> None:
    """An admin's `/nova reload` goes through the runtime's reloader; its engine sends the DM."""
    path = write(tmp_path / "schedule.json", base_schedule())
    settings = settings_for(
        tmp_path,
        schedule_path=str(path),
        admin_user_ids=frozenset({"UADMIN"}),
        reload_dir=str(tmp_path),  # where an admin's `/nova reload FILE` may read
    )
    shown: list[tuple[str, Message]] = []
    runtime = build_runtime(
        settings,
        clock=fixed_clock(AT),
        messenger=lambda s, st: ConsoleMessenger(
            lambda user_id, message: shown.append((user_id, message))
        ),
    )
    try:
        runtime.store.bookmarks.add([("U1", "a")], AT)
        sessions = {s.id: s for s in base_schedule().sessions}
        later = local("2013-11-05 16:00")
        sessions["a"] = dataclasses.replace(
            sessions["a"], start=later, end=later + (sessions["a"].end - sessions["a"].start)
        )
        moved = write(tmp_path / "moved.json", schedule(*sessions.values()))
        answer = runtime.core.answer(f"/nova reload {moved}", "UADMIN", AT)
        assert answer.text.startswith(f"Reloaded {moved}: 1 moved.")
        assert shown == []  # queued in the outbox: the engine's one sender sends it
        assert runtime.engine is not None
        runtime.engine.run_once(AT)
        assert [user_id for user_id, _ in shown] == ["U1"]
        assert shown[0][1].text.startswith("Schedule change: A:")
    finally:
        runtime.close()


def test_a_runtime_runs_every_timed_job_on_its_one_scheduler(
    tmp_path: Path, server: Server
) -> None:
    """Started, the reminder and reload jobs are on the runtime's scheduler; closed, it stops."""
    server.publish(dump_schedule(base_schedule()).encode("utf-8"), etag='"1"')
    settings = settings_for(tmp_path, schedule_url=server.url, schedule_refresh_seconds=3600)
    runtime = build_runtime(
        settings, clock=fixed_clock(AT), messenger=lambda s, st: ConsoleMessenger(print)
    )
    try:
        runtime.start()
        jobs = {job.id for job in runtime.scheduler.get_jobs()}
        assert {"reminders-recheck", "schedule-sync", "schedule-fetch"} <= jobs
        assert not [t for t in threading.enumerate() if t.name.startswith("schedule-")]
    finally:
        runtime.close()
    assert not runtime.scheduler.running


def test_closing_while_a_job_is_calling_the_scheduler_does_not_hang(tmp_path: Path) -> None:
    """A reminder pass setting its next job as the runtime closes lets the close finish."""
    path = write(tmp_path / "schedule.json", base_schedule())
    settings = settings_for(tmp_path, schedule_path=str(path))
    runtime = build_runtime(
        settings, clock=fixed_clock(AT), messenger=lambda s, st: ConsoleMessenger(print)
    )
    runtime.start()
    scheduler = runtime.scheduler
    inside, carry_on = threading.Event(), threading.Event()
    assert runtime.engine is not None

    def held(call: Callable[..., Any]) -> Callable[..., Any]:
        def call_when_let(*args: Any, **kwargs: Any) -> Any:
            in_a_job = threading.current_thread().name.startswith("ThreadPoolExecutor")
            if in_a_job and not inside.is_set():
                inside.set()
                carry_on.wait(30)
            return call(*args, **kwargs)

        return call_when_let

    # The engine's job thread stops inside its next call into the scheduler...
    for name in ("add_job", "get_job", "remove_job"):
        setattr(scheduler, name, held(getattr(scheduler, name)))
    runtime.engine.wake()
    assert inside.wait(10), "the reminder pass never called the scheduler"
    closer = threading.Thread(target=runtime.close, daemon=True)
    closer.start()
    # ...while the runtime closes: give the close time to reach the scheduler's shutdown.
    deadline = time.monotonic() + 1.0
    while scheduler.state != STATE_STOPPED and time.monotonic() < deadline:
        time.sleep(0.01)
    carry_on.set()
    closer.join(15)
    assert not closer.is_alive(), "closing the runtime hung on its scheduler"
    assert not scheduler.running
