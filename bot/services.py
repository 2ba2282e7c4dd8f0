"""The background work of a bot process: the reminder engine and the schedule reloader."""

from __future__ import annotations

from dataclasses import dataclass

from bot.outbox.messenger import Messenger
from bot.reload import Reloader, start_reloader
from bot.reminders.engine import ReminderEngine, start_engine
from bot.runtime import Runtime


@dataclass
class Services:
    """What `start_services` started, to stop at exit."""

    engine: ReminderEngine
    reloader: Reloader

    def stop(self) -> None:
        """Stop the reloader, then the engine."""
        self.reloader.stop()
        self.engine.stop()


def start_services(runtime: Runtime, messenger: Messenger) -> Services:
    """Start reminders and reloads for this process; both send DMs through `messenger`."""
    engine = start_engine(runtime, messenger)
    try:
        wake = engine.wake if engine.running else None
        reloader = start_reloader(runtime, wake, startup=runtime.startup)
    except BaseException:
        engine.stop()
        raise
    return Services(engine=engine, reloader=reloader)
