"""The reminder engine on SQLite and PostgreSQL against the fake Slack.

Most tests step the engine synchronously (`run_once(at)` on a stopped clock), so absence is
proved by a step that sent nothing, never by sleeping; a few run it on a real clock.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.outbox.windows import MARGIN
from bot.reminders.planner import plan_reminders
from bot.storage.outbox import OutboxStatus
from tests.bot.reminders.conftest import World, summit
from tests.factories import local, schedule, session
from tests.support.slack_requests import dm_channel_id


def statuses(world: World, user_id: str) -> list[OutboxStatus]:
    """The statuses of a person's reminders, in due order."""
    return [d.status for d in world.deliveries(user_id)]


def wait_until(check: Callable[[], bool], what: str, timeout: float = 10) -> None:
    """Wait until `check()` holds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.02)


def wait_status(world: World, user_id: str, status: OutboxStatus) -> None:
    """Wait until every reminder of the person that is not cancelled has `status`."""

    def done() -> bool:
        found = [s for s in statuses(world, user_id) if s is not OutboxStatus.CANCELLED]
        return bool(found) and all(s is status for s in found)

    wait_until(done, f"{user_id}'s reminders becoming {status}")


def test_sent_at_lead_time_once_and_not_before(world: World) -> None:
    """Nothing goes out before 11:05; at 11:05 exactly one DM, recorded sent with its ts."""
    world.bookmark("U1", "keynote")
    engine = world.engine(start=False)
    upcoming = world.step(engine, "2013-11-05 11:04")
    assert world.posts() == []
    assert upcoming == local("2013-11-05 11:05") - MARGIN
    assert world.step(engine, "2013-11-05 11:05") is None
    [call] = world.posts()
    assert (
        call.params["text"] == "Starts in 10 min: Nova Keynote — Tue 5 Nov 11:15 HKT, Room 204-205"
    )
    assert call.param("metadata") == {
        "event_type": "summit_bot_outbox",
        "event_payload": {"outbox_key": world.deliveries("U1")[0].key},
    }
    [delivery] = world.deliveries("U1")
    assert delivery.status is OutboxStatus.SENT
    assert delivery.message_ts == call_ts(world)
    assert delivery.channel_id == dm_channel_id("U1")
    assert world.store.people.dm_channel("U1") == dm_channel_id("U1")
    world.step(engine, "2013-11-05 11:06")
    assert len(world.posts()) == 1
    assert world.slack.calls("conversations.open") == []


def call_ts(world: World) -> str:
    """The ts the fake gave the one message it accepted."""
    [(key, count)] = world.slack.posted_keys().items()
    assert count == 1
    found = world.store.outbox.by_key(key)
    assert found is not None
    return str(found.message_ts)


def test_running_clock_sends_within_seconds_of_the_moment(world: World) -> None:
    """With a clock running at real speed, the DM leaves within its window before the moment."""
    world.bookmark("U1", "keynote")
    world.clock.set(local("2013-11-05 11:05") - timedelta(seconds=2), speed=1.0)
    began = time.monotonic()
    world.engine()
    [call] = world.slack.wait_for("chat.postMessage", timeout=10)
    opens = 2.0 - MARGIN.total_seconds()  # its window opens MARGIN before the moment
    assert opens - 0.1 <= call.at - began <= 3.0


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
    engine = world.engine(start=False)
    world.unbookmark("U1", "keynote")
    assert world.step(engine, "2013-11-05 11:05") is None
    assert world.posts() == []
    assert statuses(world, "U1") == [OutboxStatus.CANCELLED]


def test_lead_change_moves_the_reminder(world: World) -> None:
    """Moving from 10 to 5 minutes sends at 11:10, not at 11:05."""
    world.bookmark("U1", "keynote")
    engine = world.engine(start=False)
    world.store.people.set_lead_minutes("U1", 5)
    plan_reminders(world.core, world.clock.now(), users={"U1"})
    assert world.step(engine, "2013-11-05 11:05") == local("2013-11-05 11:10") - MARGIN
    assert world.posts() == []
    world.step(engine, "2013-11-05 11:10")
    [call] = world.posts()
    assert call.params["text"].startswith("Starts in 5 min: Nova Keynote")


def test_moved_session_fires_at_new_time_not_old(world: World) -> None:
    """After a schedule replacement moves the keynote to 13:30, its DM comes at 13:20 only."""
    world.bookmark("U1", "keynote")
    engine = world.engine(start=False)
    moved = schedule(
        *(s for s in summit().sessions if s.id != "keynote"),
        session("keynote", "2013-11-05 13:30", title="Nova Keynote"),
    )
    world.core.schedules.replace(moved)
    world.step(engine, "2013-11-05 11:05")
    assert world.posts() == []
    world.step(engine, "2013-11-05 13:20")
    [call] = world.posts()
    assert "13:30 HKT" in call.params["text"]
    assert [s for s in statuses(world, "U1") if s is not OutboxStatus.CANCELLED] == [
        OutboxStatus.SENT
    ]


def test_removed_session_sends_nothing(world: World) -> None:
    """A session dropped from the schedule gets no reminder."""
    world.bookmark("U1", "keynote")
    engine = world.engine(start=False)
    world.core.schedules.replace(schedule(*(s for s in summit().sessions if s.id != "keynote")))
    assert world.step(engine, "2013-11-05 11:05") is None
    assert world.posts() == []
    assert statuses(world, "U1") == [OutboxStatus.CANCELLED]


def test_restart_sends_late_reminders_until_five_minutes_in(world: World) -> None:
    """After downtime a reminder goes out late while its session has run under five minutes."""
    world.bookmark("U1", "early")
    world.bookmark("U1", "keynote")
    world.bookmark("U1", "design")
    engine = world.engine(start=False)
    world.step(engine, "2013-11-05 11:12")
    assert len(world.posts()) == 1  # one message a second to one person
    world.step(engine, "2013-11-05 11:12:01")
    texts = sorted(c.params["text"] for c in world.posts())
    assert texts[0].startswith("Started 2 min ago: Early Bird")
    assert texts[1].startswith("Starts in 3 min: Nova Keynote")
    by_session = {d.session_id: d.status for d in world.deliveries("U1")}
    assert by_session == {
        "early": OutboxStatus.SENT,
        "keynote": OutboxStatus.SENT,
        "design": OutboxStatus.PENDING,
    }


def test_begun_session_past_five_minutes_is_missed(world: World) -> None:
    """A reminder still queued when its session has run five minutes is missed, never sent."""
    world.bookmark("U1", "keynote")
    engine = world.engine(start=False)
    world.step(engine, "2013-11-05 11:20")
    assert statuses(world, "U1") == [OutboxStatus.MISSED]
    assert world.deliveries("U1")[0].error == "it could not go out in time"
    assert world.posts() == []


def test_rate_limited_send_waits_retry_after_then_sends(world: World) -> None:
    """A 429 with Retry-After 1 holds the row for a second, then the DM goes through once."""
    world.slack.fail_next("chat.postMessage", status=429, retry_after=1)
    world.bookmark("U1", "keynote")
    engine = world.engine(start=False)
    upcoming = world.step(engine, "2013-11-05 11:05")
    assert upcoming is not None
    assert upcoming >= local("2013-11-05 11:05:01")
    world.step(engine, "2013-11-05 11:05:00.5")
    assert len(world.posts()) == 1
    world.step(engine, "2013-11-05 11:05:01.3")
    assert [c.params["channel"] for c in world.posts()] == ["U1", "U1"]
    assert world.slack.calls("conversations.history") == []  # a 429 posts nothing
    [delivery] = world.deliveries("U1")
    assert (delivery.status, delivery.attempts) == (OutboxStatus.SENT, 2)


def test_rate_limit_pauses_every_send(world: World) -> None:
    """While a Retry-After runs, no other person's DM goes out either."""
    world.slack.fail_next("chat.postMessage", status=429, retry_after=2)
    world.bookmark("U1", "keynote")
    world.bookmark("U2", "keynote")
    engine = world.engine(start=False, workers=1)
    world.step(engine, "2013-11-05 11:05")
    assert len(world.posts()) == 1
    world.step(engine, "2013-11-05 11:05:01.5")
    assert len(world.posts()) == 1
    world.step(engine, "2013-11-05 11:05:02.5")
    later = world.posts()[1:]
    assert {c.params["channel"] for c in later} == {"U1", "U2"}
    assert world.store.outbox.budget_failures() == 0


def test_server_error_is_read_back_then_retried_with_growing_waits(world: World) -> None:
    """After each 500 the DM is looked for first (it may have arrived), then sent once."""
    world.slack.fail_next("chat.postMessage", status=500, times=2)
    world.bookmark("U1", "keynote")
    engine = world.engine(start=False, retry_seconds=0.25)
    first = world.step(engine, "2013-11-05 11:05")
    assert first is not None
    assert first >= local("2013-11-05 11:05") + timedelta(seconds=0.25)
    second = world.step_to(engine, first)
    assert second is not None
    assert second - first >= timedelta(seconds=0.5 * 0.8)  # doubled, less its jitter
    assert world.step_to(engine, second) is None
    assert len(world.posts()) == 3
    assert len(world.slack.calls("conversations.history")) == 2
    assert sum(world.slack.posted_keys().values()) == 1
    [delivery] = world.deliveries("U1")
    assert (delivery.status, delivery.attempts) == (OutboxStatus.SENT, 3)


def test_permanent_error_is_recorded_failed_and_not_retried(world: World) -> None:
    """A DM Slack refuses for good is recorded failed; others still go out."""
    world.slack.fail_always("chat.postMessage", "cannot_dm_bot", target="UBOT")
    world.bookmark("UBOT", "keynote")
    world.bookmark("U1", "keynote")
    engine = world.engine(start=False)
    world.step(engine, "2013-11-05 11:05")
    assert statuses(world, "UBOT") == [OutboxStatus.FAILED]
    assert world.deliveries("UBOT")[0].error == "cannot_dm_bot"
    assert statuses(world, "U1") == [OutboxStatus.SENT]
    world.step(engine, "2013-11-05 11:08")
    assert len(world.posts()) == 2


def test_one_person_gets_one_message_a_second(world: World) -> None:
    """Two reminders for one person at the same moment go out at least a second apart."""
    world.bookmark("U1", "keynote")
    world.bookmark("U1", "parallel")
    engine = world.engine(start=False)
    world.step(engine, "2013-11-05 11:05")
    world.step(engine, "2013-11-05 11:05:00.9")
    assert len(world.posts()) == 1
    world.step(engine, "2013-11-05 11:05:01")
    assert len(world.posts()) == 2
    assert [c.params["channel"] for c in world.posts()] == ["U1", dm_channel_id("U1")]


def test_burst_is_paced_to_the_workspace_rate(world: World) -> None:
    """Thirty reminders at 50 messages a second get slots 1/49 s apart, never 50 in a second."""
    for i in range(30):
        world.bookmark(f"U{i:02d}", "keynote")
    world.clock.set(local("2013-11-05 11:05") - timedelta(seconds=1), speed=1.0)
    world.engine()
    calls = world.slack.wait_for("chat.postMessage", 30, timeout=10)
    span = calls[-1].at - calls[0].at
    assert 29 / 50 * 0.8 <= span <= 29 / 50 + 1.5  # arrivals jitter by a few ms
    assert world.slack.peak_per_second("chat.postMessage") <= 50
    wait_status(world, "U00", OutboxStatus.SENT)
    slots = sorted(d.slot_at for i in range(30) for d in world.deliveries(f"U{i:02d}"))
    gaps = {round((b - a).total_seconds(), 4) for a, b in itertools.pairwise(slots)}
    assert min(gaps) >= 1 / 50
    assert len({c.params["channel"] for c in calls}) == 30


def test_stop_hands_back_unsent_reminders(world: World) -> None:
    """Stopping mid-burst leaves nothing claimed: what was not sent is pending again."""
    world.settings = replace(world.settings, slack_messages_per_second=5.0)
    for i in range(20):
        world.bookmark(f"U{i:02d}", "keynote")
    world.clock.set(local("2013-11-05 11:05"), speed=1.0)
    engine = world.engine(workers=2)
    world.slack.wait_for("chat.postMessage", 2, timeout=10)
    engine.stop()
    counts = world.store.outbox.counts()
    assert counts["claimed"] == 0
    assert counts["sent"] == len(world.posts())
    assert counts["pending"] == 20 - counts["sent"]


@pytest.mark.parametrize("speed", [0.0, 1.0])
def test_clock_without_reminders_schedules_nothing(world: World, speed: float) -> None:
    """With nothing planned the engine has no wake-up and sends nothing, whatever the clock."""
    world.clock.set(world.clock.now(), speed=speed)
    engine = world.engine(start=False)
    assert engine.run_once(world.clock.now()) is None
    assert world.step(engine, "2013-11-05 13:00") is None
    assert world.posts() == []


def test_lead_zero_is_sent_as_the_session_starts(world: World) -> None:
    """`remind 0`: nothing before the start; at the start the DM says it is starting now."""
    world.store.people.set_lead_minutes("U1", 0)
    world.bookmark("U1", "keynote")
    engine = world.engine(start=False)
    assert world.step(engine, "2013-11-05 11:14:59") == local("2013-11-05 11:15")
    assert world.posts() == []
    world.step(engine, "2013-11-05 11:15")
    [call] = world.posts()
    assert call.params["text"].startswith("Starting now: Nova Keynote")
    assert statuses(world, "U1") == [OutboxStatus.SENT]


def test_lead_zero_burst_goes_out_within_the_first_minute(world: World) -> None:
    """Forty people with lead 0 at 50 messages a second: all sent after the start, within a minute."""
    people = [f"U{i:02d}" for i in range(40)]
    for user in people:
        world.store.people.set_lead_minutes(user, 0)
        world.bookmark(user, "keynote")
    start = local("2013-11-05 11:15")
    world.clock.set(start - timedelta(seconds=1), speed=1.0)
    world.engine()
    world.slack.wait_for("chat.postMessage", 40, timeout=15)
    for user in people:
        wait_status(world, user, OutboxStatus.SENT)
    sent = [d.slot_at for user in people for d in world.deliveries(user)]
    assert all(slot is not None and start <= slot < start + timedelta(minutes=1) for slot in sent)
