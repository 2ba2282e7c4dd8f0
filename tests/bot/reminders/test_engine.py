"""The reminder engine on SQLite and PostgreSQL against the fake Slack, with a set clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.reminders import plan_reminders
from bot.store import DeliveryStatus
from tests.bot.reminders.conftest import World, summit
from tests.factories import local, schedule, session
from tests.support.slack_requests import dm_channel_id

QUIET = 0.4
"""Seconds to watch for a message that must not come."""


def statuses(world: World, user_id: str) -> list[DeliveryStatus]:
    """The statuses of a person's reminders, in due order."""
    return [d.status for d in world.deliveries(user_id)]


def wait_until(check: Callable[[], bool], what: str, timeout: float = 10) -> None:
    """Wait until `check()` holds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.02)


def wait_status(world: World, user_id: str, status: DeliveryStatus) -> None:
    """Wait until every reminder of the person that is not cancelled has `status`."""

    def done() -> bool:
        found = [s for s in statuses(world, user_id) if s is not DeliveryStatus.CANCELLED]
        return bool(found) and all(s is status for s in found)

    wait_until(done, f"{user_id}'s reminders becoming {status}")


def test_sent_at_lead_time_once_and_not_before(world: World) -> None:
    """Nothing goes out before 11:05; at 11:05 exactly one DM, recorded sent with its ts."""
    world.bookmark("U1", "keynote")
    world.engine()
    world.at("2013-11-05 11:04")
    time.sleep(QUIET)
    assert world.posts() == []
    world.at("2013-11-05 11:05")
    [call] = world.slack.wait_for("chat.postMessage")
    assert call.params["channel"] == dm_channel_id("U1")
    assert call.params["text"] == "Starts in 10 min: Nova Keynote — 11:15 HKT, Room 204-205"
    wait_status(world, "U1", DeliveryStatus.SENT)
    [delivery] = world.deliveries("U1")
    assert delivery.message_ts is not None
    assert delivery.channel_id == dm_channel_id("U1")
    world.at("2013-11-05 11:06")
    time.sleep(QUIET)
    assert len(world.posts()) == 1
    assert len(world.slack.calls("conversations.open")) == 1


def test_running_clock_sends_within_seconds_of_the_moment(world: World) -> None:
    """With a clock running at real speed, the DM leaves within 5 s of its moment."""
    world.bookmark("U1", "keynote")
    world.clock.set(local("2013-11-05 11:05") - timedelta(seconds=1), speed=1.0)
    began = time.monotonic()
    world.engine()
    [call] = world.slack.wait_for("chat.postMessage", timeout=10)
    assert 0.8 <= call.at - began <= 6.0


def test_replayed_clock_at_speed_wakes_at_the_right_real_time(world: World) -> None:
    """At 60× speed a moment one clock-minute away is reached after about one real second."""
    world.bookmark("U1", "keynote")
    world.clock.set(local("2013-11-05 11:04"), speed=60.0)
    began = time.monotonic()
    world.engine()
    [call] = world.slack.wait_for("chat.postMessage", timeout=10)
    assert 0.8 <= call.at - began <= 3.0
    assert call.params["text"].startswith("Starts in 10 min")


def test_unbookmark_cancels_the_reminder(world: World) -> None:
    """A removed bookmark sends nothing at its old moment."""
    world.bookmark("U1", "keynote")
    world.engine()
    world.unbookmark("U1", "keynote")
    world.at("2013-11-05 11:05")
    time.sleep(QUIET)
    assert world.posts() == []
    assert statuses(world, "U1") == [DeliveryStatus.CANCELLED]


def test_lead_change_moves_the_reminder(world: World) -> None:
    """Moving from 10 to 5 minutes sends at 11:10, not at 11:05."""
    world.bookmark("U1", "keynote")
    world.engine()
    world.store.people.set_lead_minutes("U1", 5)
    plan_reminders(world.core, world.clock.now(), users={"U1"})
    world.at("2013-11-05 11:05")
    time.sleep(QUIET)
    assert world.posts() == []
    world.at("2013-11-05 11:10")
    [call] = world.slack.wait_for("chat.postMessage")
    assert call.params["text"].startswith("Starts in 5 min: Nova Keynote")


def test_moved_session_fires_at_new_time_not_old(world: World) -> None:
    """After a schedule replacement moves the keynote to 13:30, its DM comes at 13:20 only."""
    world.bookmark("U1", "keynote")
    world.engine()
    moved = schedule(
        *(s for s in summit().sessions if s.id != "keynote"),
        session("keynote", "2013-11-05 13:30", title="Nova Keynote"),
    )
    world.core.schedules.replace(moved)
    world.at("2013-11-05 11:05")
    time.sleep(QUIET)
    assert world.posts() == []
    world.at("2013-11-05 13:20")
    [call] = world.slack.wait_for("chat.postMessage")
    assert "13:30 HKT" in call.params["text"]
    wait_status(world, "U1", DeliveryStatus.SENT)


def test_removed_session_sends_nothing(world: World) -> None:
    """A session dropped from the schedule gets no reminder."""
    world.bookmark("U1", "keynote")
    world.engine()
    world.core.schedules.replace(schedule(*(s for s in summit().sessions if s.id != "keynote")))
    world.at("2013-11-05 11:05")
    time.sleep(QUIET)
    assert world.posts() == []
    assert statuses(world, "U1") == [DeliveryStatus.CANCELLED]


def test_restart_sends_late_reminders_and_records_missed_ones(world: World) -> None:
    """After downtime, a reminder whose session has not begun goes out late; a begun one is missed."""
    world.bookmark("U1", "early")
    world.bookmark("U1", "keynote")
    world.bookmark("U1", "design")
    first = world.engine("before")
    first.stop()
    world.at("2013-11-05 11:12")
    world.engine("after")
    [call] = world.slack.wait_for("chat.postMessage")
    assert call.params["text"].startswith("Starts in 3 min: Nova Keynote")
    assert "starts in 3 minutes" in str(call.param("blocks"))
    wait_until(
        lambda: statuses(world, "U1")[:2] == [DeliveryStatus.MISSED, DeliveryStatus.SENT],
        "the missed and the late reminder being recorded",
    )
    by_session = {d.session_id: d for d in world.deliveries("U1")}
    assert by_session["early"].status is DeliveryStatus.MISSED
    assert by_session["keynote"].status is DeliveryStatus.SENT
    assert by_session["design"].status is DeliveryStatus.PENDING
    time.sleep(QUIET)
    assert len(world.posts()) == 1


def test_rate_limited_send_waits_retry_after_then_sends(world: World) -> None:
    """A 429 with Retry-After 1 is waited out, then the DM goes through once."""
    world.slack.fail_next("chat.postMessage", status=429, retry_after=1)
    world.bookmark("U1", "keynote")
    world.engine()
    world.at("2013-11-05 11:05")
    refused, sent = world.slack.wait_for("chat.postMessage", 2, timeout=10)
    assert sent.at - refused.at >= 0.95
    wait_status(world, "U1", DeliveryStatus.SENT)
    [delivery] = world.deliveries("U1")
    assert delivery.attempts == 2


def test_rate_limit_pauses_every_send(world: World) -> None:
    """While a Retry-After runs, no other person's DM goes out either."""
    world.slack.fail_next("chat.postMessage", status=429, retry_after=2)
    world.bookmark("U1", "keynote")
    world.bookmark("U2", "keynote")
    engine = world.engine(workers=1)
    world.at("2013-11-05 11:05")
    refused, *later = world.slack.wait_for("chat.postMessage", 3, timeout=10)
    assert all(call.at - refused.at >= 1.9 for call in later)
    assert {call.params["channel"] for call in later} == {dm_channel_id("U1"), dm_channel_id("U2")}
    assert engine.pacer.paused_for == 0.0


def test_server_error_is_retried_with_backoff(world: World) -> None:
    """Two 500s are retried after growing waits, then the DM is sent once."""
    world.slack.fail_next("chat.postMessage", status=500, times=2)
    world.bookmark("U1", "keynote")
    world.engine(retry_seconds=0.25)
    world.at("2013-11-05 11:05")
    first, second, third = world.slack.wait_for("chat.postMessage", 3, timeout=10)
    assert second.at - first.at >= 0.25 * 0.8
    assert third.at - second.at >= 0.5 * 0.8
    wait_status(world, "U1", DeliveryStatus.SENT)
    assert world.deliveries("U1")[0].attempts == 3


def test_permanent_error_is_recorded_failed_and_not_retried(world: World) -> None:
    """A DM Slack refuses for good is recorded failed; others still go out."""
    world.slack.fail_always("chat.postMessage", "cannot_dm_bot", target="UBOT")
    world.bookmark("UBOT", "keynote")
    world.bookmark("U1", "keynote")
    world.engine()
    world.at("2013-11-05 11:05")
    world.slack.wait_for("chat.postMessage", 2)
    wait_status(world, "UBOT", DeliveryStatus.FAILED)
    assert world.deliveries("UBOT")[0].error == "cannot_dm_bot"
    wait_status(world, "U1", DeliveryStatus.SENT)
    time.sleep(QUIET)
    assert len(world.posts()) == 2


def test_one_person_gets_one_message_a_second(world: World) -> None:
    """Two reminders for one person at the same moment go out at least a second apart."""
    world.bookmark("U1", "keynote")
    world.bookmark("U1", "parallel")
    world.engine()
    world.at("2013-11-05 11:05")
    first, second = world.slack.wait_for("chat.postMessage", 2, timeout=10)
    assert second.at - first.at >= 0.95
    assert len(world.slack.calls("conversations.open")) == 1


def test_burst_is_paced_to_the_workspace_rate(world: World) -> None:
    """Thirty reminders at 50 messages a second take about 0.6 s, no faster."""
    for i in range(30):
        world.bookmark(f"U{i:02d}", "keynote")
    world.engine()
    world.at("2013-11-05 11:05")
    calls = world.slack.wait_for("chat.postMessage", 30, timeout=10)
    span = calls[-1].at - calls[0].at
    assert 29 / 50 * 0.95 <= span <= 29 / 50 + 1.5
    wait_status(world, "U00", DeliveryStatus.SENT)
    assert len({c.params["channel"] for c in calls}) == 30


def test_stop_hands_back_unsent_reminders(world: World) -> None:
    """Stopping mid-burst leaves nothing claimed: what was not sent is pending again."""
    world.settings = replace(world.settings, slack_messages_per_second=5.0)
    for i in range(20):
        world.bookmark(f"U{i:02d}", "keynote")
    engine = world.engine(workers=2)
    world.at("2013-11-05 11:05")
    world.slack.wait_for("chat.postMessage", 2, timeout=10)
    engine.stop()
    counts = world.store.deliveries.counts()
    assert counts["claimed"] == 0
    assert counts["sent"] == len(world.posts())
    assert counts["pending"] == 20 - counts["sent"]


def test_session_begun_before_send_is_missed(world: World) -> None:
    """A reminder claimed only after its session began is recorded missed, never sent."""
    world.bookmark("U1", "keynote")
    world.at("2013-11-05 11:20")
    world.engine()
    wait_status(world, "U1", DeliveryStatus.MISSED)
    assert world.deliveries("U1")[0].error == "the session had started"
    assert world.posts() == []


@pytest.mark.parametrize("speed", [0.0, 1.0])
def test_clock_without_reminders_schedules_nothing(world: World, speed: float) -> None:
    """With nothing planned the engine sends nothing, whatever the clock does."""
    world.clock.set(world.clock.now(), speed=speed)
    world.engine()
    world.at("2013-11-05 13:00")
    time.sleep(QUIET)
    assert world.posts() == []
