"""Putting the engine in a process: the console messenger, pacing, switches."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from bot.core.message import Message
from bot.outbox.messenger import ConsoleMessenger
from bot.reminders.engine import ReminderEngine, default_worker_id
from bot.storage.outbox import OutboxStatus
from tests.bot.reminders.conftest import World
from tests.factories import local


def test_engine_sends_through_the_console_messenger(world: World) -> None:
    """An engine sending through the console messenger passes the DM to its callback."""
    shown: list[tuple[str, Message]] = []
    arrived = threading.Event()

    def show(user_id: str, message: Message) -> None:
        shown.append((user_id, message))
        arrived.set()

    world.bookmark("U1", "keynote")
    engine = ReminderEngine(
        world.core, world.clock, ConsoleMessenger(show), world.settings, default_worker_id()
    )
    world.engines.append(engine)
    engine.start()
    assert engine.running
    world.at("2013-11-05 11:05")
    assert arrived.wait(10)
    [(user_id, message)] = shown
    assert user_id == "U1"
    assert message.text.startswith("Starts in 10 min: Nova Keynote")
    deadline = time.monotonic() + 10
    while world.deliveries("U1")[0].status is not OutboxStatus.SENT:
        assert time.monotonic() < deadline, "the console DM was never recorded sent"
        time.sleep(0.02)
    delivery = world.deliveries("U1")[0]
    assert delivery.channel_id == "console:U1"
    assert delivery.message_ts == "1.000000"
    assert world.posts() == []


def test_console_messenger_numbers_its_messages() -> None:
    """Each console DM is shown once and gets the next running number as its timestamp."""
    seen: list[str] = []
    messenger = ConsoleMessenger(lambda user_id, message: seen.append(f"{user_id}: {message.text}"))
    assert messenger.send_dm("U1", Message(text="one")) == ("console:U1", "1.000000")
    assert messenger.send_dm("U2", Message(text="two")) == ("console:U2", "2.000000")
    assert seen == ["U1: one", "U2: two"]


def test_planning_is_installed_once_per_core(world: World) -> None:
    """Installing the core's planner again adds no second listener."""
    before = len(world.core.bookmark_listeners)
    assert not world.planner.install()
    assert len(world.core.bookmark_listeners) == before


def test_workspace_switch_off_sends_nothing(world: World) -> None:
    """With SUMMIT_BOT_REMINDERS off the engine does not run, though planning still does."""
    world.settings = replace(world.settings, reminders_enabled=False)
    engine = world.engine()
    assert not engine.running
    world.bookmark("U1", "keynote")
    world.at("2013-11-05 11:05")
    # Nothing can send later: the switched-off engine started no thread to send with.
    assert not [t.name for t in threading.enumerate() if t.name.startswith("reminder-")]
    assert world.posts() == []
    assert [d.status for d in world.deliveries("U1")] == [OutboxStatus.PENDING]


def test_engine_stops_cleanly_when_idle(world: World) -> None:
    """An engine with nothing to do starts and stops quickly and can be used as a context."""
    messenger = ConsoleMessenger(lambda user_id, message: None)
    began = time.monotonic()
    with ReminderEngine(world.core, world.clock, messenger, world.settings, "idle") as engine:
        assert engine.running
    assert not engine.running
    assert time.monotonic() - began < 5


def test_reminder_sent_late_on_start_after_downtime(world: World) -> None:
    """An engine started after the moment, before the session, sends at once."""
    world.bookmark("U1", "design")
    world.clock.set(local("2013-11-05 11:57"), speed=0.0)
    world.engine()
    [call] = world.slack.wait_for("chat.postMessage")
    assert call.params["text"].startswith("Starts in 3 min: Design Summit")
