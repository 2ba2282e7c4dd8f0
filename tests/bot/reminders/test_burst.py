"""Bursts run by engine processes (subprocesses) on SQLite and PostgreSQL, counted at the fake Slack.

Three replicas share one database and one budget: every reminder arrives exactly once,
no second carries more than the workspace's rate, and a burst no bigger than the lead
time is done by its due instant. Faults from outside (slow answers past the client's
timeout, 500s, a 429, refused connections, connections lost after the write, kill -9)
cost neither a duplicate nor a loss.
"""

from __future__ import annotations

import gc
import itertools
import os
import signal
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import SystemClock
from bot.outbox.windows import HEADROOM, MARGIN
from bot.storage.outbox import OutboxStatus
from bot.store import Store
from tests.bot.reminders.support import Burst, RecordingSlack, prepare_burst

pytestmark = pytest.mark.slow

RATE = 100.0
"""SUMMIT_BOT_SLACK_MESSAGES_PER_SECOND of every process."""
REPLICA = ("--until-done", "--recheck", "0.5", "--max-seconds", "45", "--workers", "3")
"""Engine process options: finish when all is sent, look for new rows twice a second."""


@pytest.fixture
def recording_slack() -> Iterator[RecordingSlack]:
    """The fake Slack, noting every message it accepted, timing arrivals without GC pauses.

    The fake shares the test process: a collector pause there would hold arrivals back
    and then time them together, charged to the engines (as in `bench burst`).
    """
    gc.collect()
    gc.disable()
    try:
        with RecordingSlack() as fake:
            yield fake
    finally:
        gc.enable()


def finish(burst: Burst, process_index: int, timeout: float = 60) -> None:
    """Wait for an engine process to exit by itself, successfully."""
    process = burst.processes[process_index]
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"engine process failed:\n{out}\n{err[-4000:]}"


def exactly_once(burst: Burst, slack: RecordingSlack, store_url: str) -> None:
    """Every reminder of `burst` arrived once (metadata keys at the fake) and is recorded sent."""
    posted = slack.posted_keys()
    keys = burst.keys()
    assert set(posted) == keys, f"lost {len(keys - set(posted))}"
    duplicates = {k: n for k, n in posted.items() if n > 1}
    assert duplicates == {}
    with Store.open(store_url) as store:
        assert store.outbox.counts()[OutboxStatus.SENT] == len(keys)


def slots_within_the_rate(slots_log: Path) -> None:
    """No second holds more than R of the slots any process was granted.

    Every slot (claims and grants, failed calls included) is at least 1/R after the one
    before it, across the processes.
    """
    slots = sorted(float(line) for line in slots_log.read_text().split())
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert min(gaps) >= 1 / RATE - 1e-6, f"two slots {min(gaps):.4f} s apart"
    print(f"{len(slots)} slots, min gap {min(gaps) * 1000:.2f} ms")


def arrivals_within_the_rate(slack: RecordingSlack) -> None:
    """At most R posts arrive at the fake in any second, give or take the fake's own jitter.

    The senders hold the budget as the fake sees it: each request is written at its slot
    (checked right before the write; a sender more than 10 ms late hands its message back
    for a later slot), and 2 % headroom absorbs the rest, so a starved sender cannot
    bunch its posts with the next ones (under busy loops on both cores: 98–100). What
    remains is the fake's own scheduling in this process, which can stamp a few arrivals
    together: 5 % is allowed for that, and the peak is printed.
    """
    arrivals = slack.peak_per_second("chat.postMessage")
    print(f"peak {arrivals} posts in one second at the fake (rate {RATE:g})")
    assert arrivals <= RATE * 1.05


@pytest.fixture
def slots_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The file every engine process appends its granted send slots to."""
    path = tmp_path / "slots.log"
    path.touch()
    monkeypatch.setenv("ENGINE_SLOTS_LOG", str(path))
    return path


def at_instant(when: datetime, action: Callable[[], None]) -> threading.Timer:
    """Run `action` at wall-clock instant `when` (in a timer thread)."""
    timer = threading.Timer(max((when - SystemClock().now()).total_seconds(), 0.0), action)
    timer.start()
    return timer


def test_three_replicas_send_each_once_on_time_within_the_rate(
    store_url: str, tmp_path: Path, recording_slack: RecordingSlack, slots_log: Path
) -> None:
    """300 reminders due at once, three processes at 100/s: once each, done by due, ≤ 100 a second."""
    count = 300
    burst = prepare_burst(
        store_url, tmp_path, recording_slack.api_url, count, due_in=12.0, plan=False
    )
    # The first window opens N/R' + MARGIN (4.6 s) before due: the engines must be up and
    # the burst planned before then, which takes seconds on a loaded machine.
    first_window = burst.due_at - timedelta(seconds=count / RATE / (1 - HEADROOM)) - MARGIN
    try:
        for i in range(3):
            burst.spawn(f"replica-{i}", *REPLICA, rate=RATE)
        burst.wait_ready()
        burst.plan(RATE)
        assert SystemClock().now() < first_window, "planned after the first window opened"
        for i in range(3):
            finish(burst, i)
    finally:
        burst.close()
    exactly_once(burst, recording_slack, store_url)
    slots_within_the_rate(slots_log)
    arrivals_within_the_rate(recording_slack)
    lateness = [(at - burst.due_at).total_seconds() for _, at in recording_slack.delivered]
    assert max(lateness) <= 0.0, "a reminder arrived after its due instant"
    assert min(lateness) >= -(count / RATE + 2.0), "a reminder came more than N/R + 2 s early"
    with Store.open(store_url) as store:
        senders = {d.claimed_by for d in store.outbox.items(statuses=[OutboxStatus.SENT])}
    assert len(senders) >= 2, f"only {senders} sent anything"


def test_three_replicas_through_every_fault_send_each_exactly_once(
    store_url: str, tmp_path: Path, recording_slack: RecordingSlack, slots_log: Path
) -> None:
    """Slow answers past the timeout, 500s, a 429, refusals and lost connections: no double, no loss."""
    count = 300
    slack = recording_slack
    burst = prepare_burst(store_url, tmp_path, slack.api_url, count, due_in=8.0, plan=False)
    opens = burst.due_at - timedelta(seconds=count / RATE + 0.5)
    step = timedelta(seconds=0.4)
    faults = [
        (opens + step * 1, lambda: slack.slow("chat.postMessage", 1.2)),
        (opens + step * 2, lambda: slack.clear_faults("chat.postMessage")),
        (opens + step * 3, lambda: slack.fail_next("chat.postMessage", status=500, times=15)),
        (opens + step * 4, lambda: slack.fail_next("chat.postMessage", retry_after=1)),
        (opens + step * 5, slack.refuse),
        (opens + step * 6, slack.accept),
        (opens + step * 7, lambda: slack.drop_after("chat.postMessage", 10)),
    ]
    timers: list[threading.Timer] = []
    try:
        for i in range(3):
            burst.spawn(
                f"replica-{i}", *REPLICA, "--lease", "3", "--client-timeout", "0.5", rate=RATE
            )
        burst.wait_ready()
        burst.plan(RATE)
        timers = [at_instant(when, action) for when, action in faults]
        for i in range(3):
            finish(burst, i)
    finally:
        for timer in timers:
            timer.cancel()
        slack.accept()
        burst.close()
    exactly_once(burst, slack, store_url)
    assert slack.calls("conversations.history"), "no unknown outcome was read back"
    slots_within_the_rate(slots_log)  # every call's slot, failed ones included
    # Arrivals at the fake are printed, not asserted, here: while its fault modes run,
    # the fake now and then answers a bunch of requests at once (seen: 2×R in 0.1 s,
    # seconds after the faults, with every slot correctly spaced).
    print(f"peak {slack.peak_per_second('chat.postMessage')} posts in one second at the fake")


def test_kill_mid_send_is_read_back_by_the_survivor(
    store_url: str, tmp_path: Path, recording_slack: RecordingSlack
) -> None:
    """SIGKILL while Slack holds its answers: the next process reads back and sends no double."""
    slack = recording_slack
    count = 200
    burst = prepare_burst(store_url, tmp_path, slack.api_url, count, due_in=5.0)
    try:
        first = burst.spawn("first", "--lease", "2", "--client-timeout", "5", rate=RATE)
        slack.wait_for("chat.postMessage", 60, timeout=30)
        slack.slow("chat.postMessage", 3.0)  # posted, but no answer comes back in time
        slack.wait_for("chat.postMessage", 80, timeout=30)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        slack.clear_faults()
        with Store.open(store_url) as store:
            in_flight = store.outbox.items(statuses=[OutboxStatus.CLAIMED])
        assert in_flight, "the kill came with nothing in flight"
        burst.spawn("second", "--lease", "2", "--until-done", "--max-seconds", "40", rate=RATE)
        finish(burst, 1)
    finally:
        burst.close()
    exactly_once(burst, slack, store_url)
    assert len(slack.calls("conversations.history")) >= 1
