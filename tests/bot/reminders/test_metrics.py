"""The reminder engine moves the metrics: sent, missed and failed reminders, and lateness."""

from __future__ import annotations

from bot.storage.outbox import OutboxStatus
from tests.bot.reminders.conftest import World
from tests.bot.reminders.test_engine import statuses


def test_reminder_outcomes_and_lateness_are_counted(world: World) -> None:
    """After downtime: one missed, one sent 11 min late, one Slack refuses; each counted once."""
    world.slack.fail_always("chat.postMessage", "cannot_dm_bot", target="UBOT")
    world.bookmark("U1", "early")  # 11:10, its reminder due 11:00: too late by 11:16
    world.bookmark("U1", "keynote")  # 11:15, its reminder due 11:05: still worth sending
    world.bookmark("UBOT", "keynote")
    engine = world.engine(start=False)
    world.step(engine, "2013-11-05 11:16")
    assert statuses(world, "U1") == [OutboxStatus.MISSED, OutboxStatus.SENT]
    assert statuses(world, "UBOT") == [OutboxStatus.FAILED]
    get = world.core.metrics.registry.get_sample_value
    assert get("summit_bot_reminders_total", {"outcome": "sent"}) == 1
    assert get("summit_bot_reminders_total", {"outcome": "missed"}) == 1
    assert get("summit_bot_reminders_total", {"outcome": "failed"}) == 1
    assert get("summit_bot_reminders_total", {"outcome": "reconciled"}) == 0
    assert get("summit_bot_reminder_lateness_seconds_count") == 1
    assert get("summit_bot_reminder_lateness_seconds_sum") == 11 * 60
    world.step(engine, "2013-11-05 11:17")  # nothing more happens, nothing more is counted
    assert get("summit_bot_reminders_total", {"outcome": "sent"}) == 1
    assert get("summit_bot_reminders_total", {"outcome": "missed"}) == 1


def test_a_reminder_found_on_read_back_counts_as_reconciled(world: World) -> None:
    """A worker died after posting; the next claimer finds the message: reconciled, not sent."""
    world.bookmark("U1", "keynote")
    world.die_after_posting("U1", "2013-11-05 11:05")
    survivor = world.engine("survivor", start=False)
    world.step(survivor, "2013-11-05 11:06:01")
    assert len(world.posts()) == 1
    get = world.core.metrics.registry.get_sample_value
    assert get("summit_bot_reminders_total", {"outcome": "reconciled"}) == 1
    assert get("summit_bot_reminders_total", {"outcome": "sent"}) == 0
    assert get("summit_bot_reminder_lateness_seconds_count") == 0
