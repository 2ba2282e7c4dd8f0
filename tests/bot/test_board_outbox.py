"""The channel board through the outbox: two replicas, one post, one edit per change."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.board import post_key
from bot.clock import ReplayClock, fixed_clock
from bot.edge.slack import SlackMessenger, make_client
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.storage.outbox import OutboxKind, OutboxStatus
from schedule.importers import dump_schedule
from tests.factories import local, schedule, session
from tests.support.fake_slack import FakeSlack

CHANNEL = "CBOARD01"


def summit_file(path: Path) -> Path:
    """Three back-to-back sessions on Tuesday morning, written as summit-bot JSON."""
    path.write_text(
        dump_schedule(
            schedule(
                session("a", "2013-11-05 09:00", 60, title="Opening <Keynote>"),
                session("b", "2013-11-05 10:00", 30, title="Nova & Friends"),
                session("c", "2013-11-05 10:45", 30, title="Closing"),
            )
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def replicas(store_url: str, tmp_path: Path, slack: FakeSlack) -> Iterator[list[Runtime]]:
    """Two bot processes on one database, each with its engine, clock stopped at 08:50."""
    settings = replace(
        Settings.from_env({}, env_file=None),
        database_url=store_url,
        schedule_path=str(summit_file(tmp_path / "summit.json")),
        slack_bot_token="xoxb-test",
        slack_api_url=slack.api_url,
        slack_messages_per_second=50.0,
        announce_channel=CHANNEL,
    )
    built = [
        build_runtime(
            settings,
            clock=fixed_clock(local("2013-11-05 08:50")),
            messenger=lambda s, store: SlackMessenger(make_client(s), store),
        )
        for _ in range(2)
    ]
    yield built
    for runtime in built:
        runtime.close()


def step(replicas: list[Runtime], text: str) -> None:
    """Set both replicas' clocks to a Hong Kong time and run both engines (twice each)."""
    at = local(text)
    for _ in range(2):
        for runtime in replicas:
            clock = runtime.clock
            assert isinstance(clock, ReplayClock)
            clock.set(at, speed=0.0)
            assert runtime.engine is not None
            runtime.engine.run_once(at)


def board_calls(slack: FakeSlack) -> list[tuple[str, str]]:
    """The (method, text) of every call about the board's channel, in order."""
    return [
        (c.method, str(c.params.get("text")))
        for c in slack.calls()
        if c.method in {"chat.postMessage", "chat.update"} and c.params.get("channel") == CHANNEL
    ]


def test_two_replicas_post_one_board_and_edit_it_at_each_change(
    replicas: list[Runtime], slack: FakeSlack
) -> None:
    """One post before the summit, then one chat.update of it at 09:00, 10:00, 10:30 and so on."""
    step(replicas, "2013-11-05 08:50")
    step(replicas, "2013-11-05 08:51")
    calls = board_calls(slack)
    assert [m for m, _ in calls] == ["chat.postMessage", "chat.update"]
    assert "now nothing" in calls[0][1]
    for text in ("2013-11-05 09:00", "2013-11-05 09:30", "2013-11-05 10:00", "2013-11-05 10:30"):
        step(replicas, text)
        step(replicas, text.replace(":00", ":00:02").replace(":30", ":30:02"))
    calls = board_calls(slack)
    assert [m for m, _ in calls].count("chat.postMessage") == 1
    updates = [t for m, t in calls if m == "chat.update"]
    # Before the summit, then 09:00 (a), 10:00 (b), 10:30 (nothing on, c next): 09:30 changes nothing.
    assert len(updates) == 4
    assert updates[1].startswith("Now & next: now Opening <Keynote> 09:00–10:00")
    assert updates[2].startswith("Now & next: now Nova & Friends 10:00–10:30")
    assert updates[3].startswith("Now & next: now nothing. Next: Closing 10:45–11:15")
    post = replicas[0].store.outbox.by_key(post_key(CHANNEL))
    assert post is not None
    assert post.channel_id == CHANNEL
    edits = slack.calls("chat.update")
    assert {c.params.get("ts") for c in edits} == {post.message_ts}  # always the one message
    sent = replicas[1].store.outbox.items(kind=OutboxKind.BOARD, statuses=[OutboxStatus.SENT])
    assert len(sent) == 5


def test_after_downtime_only_the_current_version_is_sent(
    replicas: list[Runtime], slack: FakeSlack
) -> None:
    """Back at 10:05 after a stop: the post and the 10:00 version go out; older ones are missed."""
    step(replicas, "2013-11-05 10:05")
    step(replicas, "2013-11-05 10:05:02")
    calls = board_calls(slack)
    assert [m for m, _ in calls] == ["chat.postMessage", "chat.update"]
    assert calls[1][1].startswith("Now & next: now Nova & Friends")
    missed = replicas[1].store.outbox.items(kind=OutboxKind.BOARD, statuses=[OutboxStatus.MISSED])
    assert len(missed) == 2  # the versions of before the summit and of 09:00


def test_a_reload_replans_the_board(
    replicas: list[Runtime], slack: FakeSlack, tmp_path: Path
) -> None:
    """Moving the closing session replans the later versions: the board follows the new time."""
    step(replicas, "2013-11-05 08:50")
    step(replicas, "2013-11-05 08:51")
    moved = schedule(
        session("a", "2013-11-05 09:00", 60, title="Opening <Keynote>"),
        session("b", "2013-11-05 10:00", 30, title="Nova & Friends"),
        session("c", "2013-11-05 11:00", 30, title="Closing"),
    )
    path = tmp_path / "moved.json"
    path.write_text(dump_schedule(moved), encoding="utf-8")
    outcome = replicas[0].reloader.reload(str(path))
    assert outcome.status.value == "applied"
    assert replicas[1].reloader.sync() is not None
    step(replicas, "2013-11-05 10:30")
    step(replicas, "2013-11-05 10:30:02")
    last = [t for m, t in board_calls(slack) if m == "chat.update"][-1]
    assert last.startswith("Now & next: now nothing. Next: Closing 11:00–11:30")
    cancelled = replicas[0].store.outbox.items(
        kind=OutboxKind.BOARD, statuses=[OutboxStatus.CANCELLED]
    )
    assert cancelled  # the versions of the old 10:45 plan
