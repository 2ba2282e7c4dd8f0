"""Send slots as Slack sees them: a slot missed is handed back, never posted late."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.reminders.planner import plan_reminders
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
    limit, handed_back, waiting = 50, report.claimed, 80
    for _ in range(12):
        if waiting == 0:
            break
        # Half after a run that handed slots back, else double: never above the batch.
        limit = max(1, limit // 2) if handed_back else min(sender.batch, limit * 2)
        report, _ = sender.run_once(world.clock.now())
        assert report.claimed == min(limit, waiting)
        handed_back = report.claimed - report.sent
        waiting -= report.sent
    assert waiting == 0
    posted = [post.params["channel"] for post in world.posts()]
    assert sorted(posted) == sorted(set(posted))
    assert len(posted) == 80


def test_a_slow_claim_is_granted_slots_far_enough_ahead_to_make_them(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claims slower than the grant lead (a busy database) still send: later slots are further ahead."""
    world.store.bookmarks.add([(f"U{i:02d}", "keynote") for i in range(5)], world.clock.now())
    plan_reminders(world.core, world.clock.now())
    engine = world.engine(start=False)
    sender = engine.sender
    outbox = sender.outbox
    claim = outbox.claim

    def slow_claim(at: datetime, **options: Any) -> Any:
        time.sleep(0.15)  # three times the grant lead, before the slots are granted
        return claim(at, **options)

    monkeypatch.setattr(outbox, "claim", slow_claim)
    world.clock.set(local("2013-11-05 11:05"), speed=1.0)
    sent = 0
    for _ in range(6):
        report, _ = sender.run_once(world.clock.now())
        sent += report.sent
        if sent == 5:
            break
    assert sent == 5
    assert len(world.posts()) == 5
