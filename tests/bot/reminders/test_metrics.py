"""The reminder engine moves the metrics: sent, missed and failed reminders, and lateness."""

from __future__ import annotations

from bot.store import DeliveryStatus
from tests.bot.reminders.conftest import World
from tests.bot.reminders.test_engine import statuses, wait_until


def test_reminder_outcomes_and_lateness_are_counted(world: World) -> None:
    """After downtime: one missed, one sent 7 min late, one Slack refuses; each counted once."""
    world.slack.fail_always("chat.postMessage", "cannot_dm_bot", target="UBOT")
    world.bookmark("U1", "early")  # 11:10, its reminder due 11:00
    world.bookmark("U1", "keynote")  # 11:15, its reminder due 11:05
    world.bookmark("UBOT", "keynote")
    world.at("2013-11-05 11:12")
    world.engine()
    wait_until(
        lambda: (
            statuses(world, "U1")[:2] == [DeliveryStatus.MISSED, DeliveryStatus.SENT]
            and statuses(world, "UBOT") == [DeliveryStatus.FAILED]
        ),
        "the missed, sent and failed reminders being recorded",
    )
    get = world.core.metrics.registry.get_sample_value
    wait_until(
        lambda: get("summit_bot_reminders_total", {"outcome": "sent"}) == 1,
        "the sent reminder being counted",
    )
    assert get("summit_bot_reminders_total", {"outcome": "missed"}) == 1
    assert get("summit_bot_reminders_total", {"outcome": "failed"}) == 1
    assert get("summit_bot_reminders_total", {"outcome": "reconciled"}) == 0
    assert get("summit_bot_reminder_lateness_seconds_count") == 1
    assert get("summit_bot_reminder_lateness_seconds_sum") == 7 * 60
