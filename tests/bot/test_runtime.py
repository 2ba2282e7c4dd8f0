from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from bot.clock import ReplayClock, fixed_clock
from bot.console.terminal import Console, Screen
from bot.outbox.messenger import ConsoleMessenger
from bot.runtime import build_runtime, running
from bot.settings import Settings
from tests.factories import local


def settings_for(tmp_path: Path) -> Settings:
    """Settings with a scratch database and nothing else from the machine."""
    return Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'rt.db'}"}, env_file=None)


def test_runtime_plans_reminders_for_bookmarks(tmp_path: Path) -> None:
    """A bookmark made through a built runtime plans its reminder at the lead time."""
    runtime = build_runtime(
        settings_for(tmp_path), lambda index, clock: fixed_clock(local("2013-11-05 09:00"))
    )
    try:
        session = runtime.core.index.get("conductor-tasks-next-steps")
        assert session is not None
        runtime.core.set_bookmark("U1", session, True, runtime.clock.now())
        pending = runtime.core.store.outbox.items(recipient="U1")
        assert [(d.session_id, d.due_at) for d in pending] == [
            ("conductor-tasks-next-steps", local("2013-11-05 11:05"))
        ]
    finally:
        runtime.close()


def test_runtime_keeps_the_saved_schedule_across_restarts(tmp_path: Path) -> None:
    """A second start on the same database serves the schedule saved by the first."""
    settings = settings_for(tmp_path)
    first = build_runtime(settings)
    digest = first.core.store.snapshots.latest()
    first.close()
    second = build_runtime(settings)
    try:
        assert second.core.store.snapshots.latest() == digest
        assert len(second.core.index.sessions) == 31
    finally:
        second.close()


def test_console_prints_a_reminder_dm(tmp_path: Path) -> None:
    """In the console, a bookmarked session's reminder arrives as a printed DM at lead time."""
    clock = ReplayClock(local("2013-11-05 11:04:58"), speed=1.0)
    screen = Screen(io.StringIO())
    with running(
        settings_for(tmp_path),
        lambda index, _: clock,
        messenger=lambda settings, store: ConsoleMessenger(screen.print_dm),
    ) as runtime:
        console = Console(runtime.core, runtime.clock, "U5", screen=screen)
        out = screen.out
        assert isinstance(out, io.StringIO)
        console.exec_command("show conductor-tasks-next-steps")
        console.exec_command(":click 1")
        deadline = time.monotonic() + 10
        while "[DM to U5]" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
        printed = out.getvalue()
        assert "[DM to U5]" in printed
        assert "Conductor Tasks Next Steps" in printed
        assert clock.now() < local("2013-11-05 11:05:06")


def test_a_one_shot_runtime_runs_no_timed_jobs_and_keeps_no_metrics(tmp_path: Path) -> None:
    """`ask`'s runtime (one-shot) answers with no scheduler, no engine, no metrics, and refuses start."""
    with running(settings_for(tmp_path), background=False) as runtime:
        assert runtime.scheduler is None
        assert runtime.engine is None
        assert not runtime.metrics.kept
        answer = runtime.core.answer("now", "U1", local("2013-11-05 11:20"))
        assert "Conductor Tasks Next Steps" in answer.text
        assert runtime.metrics.exposition() == b""
        with pytest.raises(RuntimeError, match="one-shot"):
            runtime.start()


def test_a_one_shot_runtime_cannot_send_dms(tmp_path: Path) -> None:
    """A process that sends DMs needs the timed jobs: asking for both is refused before opening anything."""
    with pytest.raises(ValueError, match="runs timed jobs"):
        build_runtime(
            settings_for(tmp_path),
            messenger=lambda settings, store: ConsoleMessenger(print),
            one_shot=True,
        )
    assert not (tmp_path / "rt.db").exists()
