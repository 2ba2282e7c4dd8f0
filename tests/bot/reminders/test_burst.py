"""Bursts of 1,000 reminders run by engine processes: a crash mid-burst, and three replicas."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import DeliveryStatus, Store
from tests.bot.reminders.support import Burst, RecordingSlack, prepare_burst
from tests.support.slack_requests import dm_channel_id

BURST = 1_000
WORKERS = 8

pytestmark = pytest.mark.slow


@pytest.fixture
def recording_slack() -> Iterator[RecordingSlack]:
    """The fake Slack, noting every message it accepted."""
    with RecordingSlack() as fake:
        yield fake


def finish(burst: Burst, process_index: int, timeout: float = 100) -> None:
    """Wait for an engine process to exit by itself, successfully."""
    process = burst.processes[process_index]
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"engine process failed:\n{out}\n{err[-4000:]}"


def test_crash_mid_burst_loses_nothing_and_repeats_only_in_flight(
    store_url: str, tmp_path: Path, recording_slack: RecordingSlack
) -> None:
    """SIGKILL mid-burst, then a restart: every reminder arrives; repeats only those in flight."""
    burst = prepare_burst(store_url, tmp_path, recording_slack.api_url, BURST, due_in=1.0)
    try:
        first = burst.spawn("first", "--lease", "5", "--workers", str(WORKERS), rate=150)
        recording_slack.wait_for("chat.postMessage", 300, timeout=60)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        with Store.open(store_url) as store:
            in_flight = [
                d
                for d in store.deliveries.find(statuses=[DeliveryStatus.CLAIMED])
                if d.claimed_by == "first"
            ]
            sent_before = store.deliveries.counts()["sent"]
        assert sent_before < BURST, "the kill came after the burst"
        burst.spawn("second", "--lease", "5", "--workers", str(WORKERS), "--until-done", rate=150)
        finish(burst, 1)
    finally:
        burst.close()
    received = recording_slack.delivered_per_channel()
    assert set(received) == {dm_channel_id(user_id) for user_id in burst.users}
    repeats = sum(count - 1 for count in received.values())
    assert repeats <= len(in_flight)
    assert repeats <= WORKERS
    with Store.open(store_url) as store:
        assert store.deliveries.counts()["sent"] == BURST


def test_three_replicas_send_each_reminder_exactly_once(
    store_url: str, tmp_path: Path, recording_slack: RecordingSlack
) -> None:
    """Three engine processes on one database race over 1,000 due reminders: one DM each."""
    recording_slack.rate_limit("chat.postMessage", 250)
    burst = prepare_burst(store_url, tmp_path, recording_slack.api_url, BURST, due_in=8.0)
    try:
        for i in range(3):
            burst.spawn(f"replica-{i}", "--until-done", rate=100)
        for i in range(3):
            finish(burst, i)
    finally:
        burst.close()
    received = recording_slack.delivered_per_channel()
    assert set(received) == {dm_channel_id(user_id) for user_id in burst.users}
    assert set(received.values()) == {1}
    with Store.open(store_url) as store:
        sent = store.deliveries.find(statuses=[DeliveryStatus.SENT])
    assert len(sent) == BURST
    assert len({d.message_ts for d in sent}) == BURST
    senders = {d.claimed_by for d in sent}
    assert len(senders) >= 2, f"only {senders} sent anything"
