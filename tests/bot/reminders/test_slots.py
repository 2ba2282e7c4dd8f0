"""Send slots as Slack sees them: a slot missed is handed back, never posted late."""

from __future__ import annotations

from datetime import timedelta

from bot.reminders import plan_reminders
from bot.storage.outbox import OutboxStatus
from tests.bot.reminders.conftest import World
from tests.factories import local


def test_a_slot_missed_is_handed_back_and_taken_again_on_time(world: World) -> None:
    """A claim whose slot passed 0.2 s ago posts nothing; its row is pending and goes next run."""
    world.bookmark("U1", "keynote")
    engine = world.engine(start=False)
    world.clock.set(local("2013-11-05 11:05"), speed=1.0)
    behind = world.clock.now() - timedelta(seconds=0.2)
    report, upcoming = engine.sender.run_once(behind)  # its slot is `behind`: missed
    assert report.claimed == 1
    assert world.posts() == []
    [row] = world.deliveries("U1")
    assert row.status is OutboxStatus.PENDING
    assert upcoming is not None
    assert upcoming <= world.clock.now()
    report, _ = engine.sender.run_once(world.clock.now())
    assert report.sent == 1
    assert len(world.posts()) == 1
    [row] = world.deliveries("U1")
    assert row.status is OutboxStatus.SENT
    assert row.attempts == 2


def test_a_sender_that_misses_slots_claims_less_until_it_keeps_up(world: World) -> None:
    """After a run that missed its slots the next claim takes half as many rows, then doubles."""
    world.store.bookmarks.add([(f"U{i:02d}", "keynote") for i in range(80)], world.clock.now())
    plan_reminders(world.core, world.clock.now())
    engine = world.engine(start=False)
    sender = engine.sender
    world.clock.set(local("2013-11-05 11:05"), speed=1.0)
    report, _ = sender.run_once(world.clock.now() - timedelta(seconds=2))  # every slot past
    assert report.claimed == sender.batch == 50  # 50 messages a second
    assert world.posts() == []
    claimed = []
    for _ in range(3):
        report, _ = sender.run_once(world.clock.now())
        claimed.append(report.claimed)
    assert claimed == [25, 50, 5]
    assert len(world.posts()) == 80
