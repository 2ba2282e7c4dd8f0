"""Exactly once when the outcome is unknown: each fault of issue 11, counted at the fake Slack.

One engine, stepped synchronously on a stopped clock (SQLite and PostgreSQL); the
three-process versions are in test_replicas.py.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from bot.storage.outbox import OutboxItem, OutboxStatus
from tests.bot.reminders.conftest import World
from tests.factories import local
from tests.support.slack_requests import dm_channel_id

MOMENT = "2013-11-05 11:05"
TIMEOUT = 0.3
"""The Slack client's timeout in these tests, in seconds."""


def only(world: World, user: str = "U1") -> OutboxItem:
    """The one reminder of a person."""
    [item] = world.deliveries(user)
    return item


def once(world: World, user: str = "U1") -> None:
    """The person's reminder arrived exactly once and is recorded sent with Slack's ts."""
    item = only(world, user)
    assert world.slack.posted_keys()[item.key] == 1
    assert item.status is OutboxStatus.SENT
    assert item.message_ts is not None


def retry(world: World, upcoming: datetime | None) -> datetime:
    """The retry instant a step returned (it must have returned one)."""
    assert upcoming is not None
    assert upcoming > local(MOMENT)
    return upcoming


def test_answer_after_the_client_timeout_is_read_back_not_sent_again(world: World) -> None:
    """Slack posts but answers after the timeout: the retry finds the message and sends nothing."""
    world.bookmark("U1", "keynote")
    engine = world.engine(start=False, timeout=TIMEOUT)
    world.slack.slow("chat.postMessage", TIMEOUT * 3)
    upcoming = world.step(engine, MOMENT)
    assert only(world).uncertain
    world.slack.clear_faults()
    world.step_to(engine, retry(world, upcoming))
    assert len(world.posts()) == 1
    [history] = world.slack.calls("conversations.history")
    assert history.params["include_all_metadata"] in ("1", "true", True)
    once(world)


def test_connection_lost_after_the_request_is_read_back(world: World) -> None:
    """The connection drops after Slack carried the post out: read back, found, not sent again."""
    world.bookmark("U1", "keynote")
    engine = world.engine(start=False)
    world.slack.drop_after("chat.postMessage")
    upcoming = world.step(engine, MOMENT)
    world.step_to(engine, retry(world, upcoming))
    assert len(world.posts()) == 1
    once(world)


def test_refused_connection_is_sent_again_without_reading_back(world: World) -> None:
    """A refused connection never reached Slack: the retry posts at once, once."""
    world.bookmark("U1", "keynote")
    engine = world.engine(start=False)
    world.slack.refuse()
    upcoming = world.step(engine, MOMENT)
    assert not only(world).uncertain
    world.slack.accept()
    world.step_to(engine, retry(world, upcoming))
    assert world.slack.calls("conversations.history") == []
    once(world)


def test_database_gone_when_recording_keeps_the_result_and_records_it_later(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The send worked but recording failed: it is recorded on the next step, never re-sent."""
    world.bookmark("U1", "keynote")
    engine = world.engine(start=False)
    outbox = world.store.outbox
    real = outbox.mark_sent_many
    failures = iter([OperationalError("UPDATE outbox", {}, Exception("server closed"))])

    def flaky(*args: object, **kwargs: object) -> bool:
        error = next(failures, None)
        if error is not None:
            raise error
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(outbox, "mark_sent_many", flaky)
    upcoming = world.step(engine, MOMENT)
    assert only(world).status is OutboxStatus.CLAIMED
    assert upcoming is not None
    world.step_to(engine, upcoming)
    assert len(world.posts()) == 1
    once(world)


def test_a_crash_after_the_post_is_reconciled_by_the_next_claimer(world: World) -> None:
    """A worker that died after posting: once its lease ran out, the next one finds the message."""
    world.bookmark("U1", "keynote")
    world.die_after_posting("U1", MOMENT)
    survivor = world.engine("survivor", start=False)
    assert world.step(survivor, "2013-11-05 11:05:30") is not None  # the lease still holds
    assert len(world.posts()) == 1
    world.step(survivor, "2013-11-05 11:06:01")
    assert len(world.posts()) == 1
    assert world.slack.calls()[-1].method == "conversations.history"
    once(world)
    assert only(world).channel_id == dm_channel_id("U1")


def test_a_crash_after_the_claim_before_the_post_sends_once(world: World) -> None:
    """A worker that died before posting: the next claimer looks, finds nothing, sends once."""
    world.bookmark("U1", "keynote")
    world.at(MOMENT)
    world.store.outbox.claim(
        world.clock.now(),
        worker_id="dead",
        limit=1,
        lease=timedelta(seconds=60),
        interval=timedelta(milliseconds=20),
        per_channel=timedelta(seconds=1),
    )
    survivor = world.engine("survivor", start=False)
    world.step(survivor, "2013-11-05 11:06:01")
    assert len(world.slack.calls("conversations.history")) == 1
    once(world)
    assert only(world).attempts == 2


def test_every_call_takes_a_slot_of_the_budget(world: World) -> None:
    """conversations.open, conversations.history and the post each take one slot."""
    world.bookmark("U1", "keynote")
    world.at(MOMENT)
    start = world.clock.now()
    world.store.outbox.claim(
        start,
        worker_id="dead",
        limit=1,
        lease=timedelta(seconds=1),
        interval=timedelta(milliseconds=20),
        per_channel=timedelta(seconds=1),
    )
    engine = world.engine(start=False)
    later = start + timedelta(seconds=2)
    world.step_to(engine, later)
    assert [c.method for c in world.slack.calls()] == [
        "conversations.open",
        "conversations.history",
        "chat.postMessage",
    ]
    [after] = world.store.outbox.grant(later, 1, engine.sender.interval)
    assert after == later + 3 * engine.sender.interval


def test_an_outage_backs_off_instead_of_hammering(world: World) -> None:
    """Slack answering 500 to everything: each retry waits about twice as long as the last."""
    world.slack.fail_next("chat.postMessage", status=500, times=100)
    world.slack.fail_next("conversations.history", status=500, times=100)
    world.bookmark("U1", "keynote")
    engine = world.engine(start=False, retry_seconds=1.0, max_retry_seconds=30.0)
    upcoming = world.step(engine, MOMENT)
    waits: list[float] = []
    for _ in range(5):
        assert upcoming is not None
        before = upcoming
        upcoming = world.step_to(engine, before)
        assert upcoming is not None
        waits.append((upcoming - before).total_seconds())
    # The post, then a read-back a step (the first one opens the DM to read it): no hammering.
    assert [c.method for c in world.slack.calls()] == [
        "chat.postMessage",
        "conversations.open",
        *["conversations.history"] * 5,
    ]
    assert waits[-1] >= 8.0
    assert all(later >= earlier * 0.6 for earlier, later in itertools.pairwise(waits))
    assert world.store.outbox.budget_failures() >= 5
    assert only(world).status is OutboxStatus.PENDING
