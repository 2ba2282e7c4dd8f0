"""Putting the engine in a process: the console messenger, pacing, switches."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from bot.core.message import Message
from bot.reminders import ConsoleMessenger, ReminderEngine, default_worker_id
from bot.reminders.pacing import Pacer
from bot.store import DeliveryStatus
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
    while world.deliveries("U1")[0].status is not DeliveryStatus.SENT:
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
    assert [d.status for d in world.deliveries("U1")] == [DeliveryStatus.PENDING]


def test_engine_stops_cleanly_when_idle(world: World) -> None:
    """An engine with nothing to do starts and stops quickly and can be used as a context."""
    messenger = ConsoleMessenger(lambda user_id, message: None)
    began = time.monotonic()
    with ReminderEngine(world.core, world.clock, messenger, world.settings, "idle") as engine:
        assert engine.running
    assert not engine.running
    assert time.monotonic() - began < 5


class FakeTime:
    """A monotonic clock that moves only when a pacer waits on `Waits`."""

    def __init__(self) -> None:
        """Start at 0 s."""
        self.now = 0.0

    def __call__(self) -> float:
        """The time now."""
        return self.now


class Waits(threading.Event):
    """A stop event whose waits pass on `time` at once; it is set when `time` reaches `set_at`."""

    def __init__(self, time: FakeTime, set_at: float | None = None) -> None:
        """Wait on `time`; become set at `set_at` (None: never)."""
        super().__init__()
        self.time = time
        self.set_at = set_at
        self.waited: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        """Move the time on by `timeout` (or up to `set_at`) and say whether it is set now."""
        assert timeout is not None
        self.waited.append(timeout)
        # A nanosecond more than asked, as a real wait overshoots: no float rounding can
        # leave the pacer a hair short of a token and waiting forever for nothing.
        end = self.time.now + timeout + 1e-9
        if self.set_at is not None and self.set_at <= end:
            self.time.now = max(self.time.now, self.set_at)
            self.set()
            return True
        self.time.now = end
        return False


def test_pacer_spaces_sends_at_the_rate() -> None:
    """Twenty-one tokens at 100 a second (5 % headroom) take 20 / 95 s, never less than 0.2 s."""
    time = FakeTime()
    pacer = Pacer(100.0, monotonic=time)
    stop = Waits(time)
    began = time.now
    for _ in range(21):
        assert pacer.acquire(stop)
    spent = time.now - began
    assert spent >= 20 / 100
    assert spent == pytest.approx(20 / 95)


def test_pacer_pause_holds_every_sender_and_stop_frees_them() -> None:
    """During a pause no token is given; stopping ends the wait with False."""
    time = FakeTime()
    pacer = Pacer(1000.0, monotonic=time)
    pacer.pause(0.3)
    began = time.now
    assert pacer.acquire(Waits(time))
    assert time.now - began == pytest.approx(0.3)
    pacer.pause(30)
    stop = Waits(time, set_at=time.now + 0.1)
    assert not pacer.acquire(stop)
    assert time.now < began + 30
    assert pacer.paused_for == pytest.approx(30 - 0.1)


def test_pacer_spaces_one_channel_a_second() -> None:
    """A channel that just took a message waits a second for the next, counting down."""
    time = FakeTime()
    pacer = Pacer(10.0, monotonic=time)
    assert pacer.channel_ready_in("D1") == 0.0
    pacer.channel_slot("D1")
    assert pacer.channel_ready_in("D1") == pytest.approx(1.0)
    time.now += 0.4
    assert pacer.channel_ready_in("D1") == pytest.approx(0.6)
    assert pacer.channel_ready_in("D2") == 0.0
    time.now += 0.6
    assert pacer.channel_ready_in("D1") == 0.0


def test_reminder_sent_late_on_start_after_downtime(world: World) -> None:
    """An engine started after the moment, before the session, sends at once."""
    world.bookmark("U1", "design")
    world.clock.set(local("2013-11-05 11:57"), speed=0.0)
    world.engine()
    [call] = world.slack.wait_for("chat.postMessage")
    assert call.params["text"].startswith("Starts in 3 min: Design Summit")
