"""A burst of reminders due at one instant, sent to a fake Slack that allows R messages a second.

`python -m bench burst` (or `python -m bench.reminder_burst --reminders 5000 --rate 100`):
N people bookmarked one session; every reminder is due at the same instant. A reminder
engine process (the bot's, with SUMMIT_BOT_SLACK_MESSAGES_PER_SECOND=R) sends them to the
fake Slack, which answers 429 beyond R chat.postMessage calls a second. Reported: total
delivery time against the floor N/R (target ≤ 1.1×), duplicates and lost reminders (both
target 0), 429 answers, and lateness p50/p95/p99 from the due instant.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bot.store import Store
from tests.bot.reminders.support import RecordingSlack, prepare_burst
from tests.support.slack_requests import dm_channel_id


def percentile(values: list[float], fraction: float) -> float:
    """The `fraction` quantile of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def main(argv: list[str]) -> None:
    """Run one burst and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench burst")
    parser.add_argument("--reminders", type=int, default=5_000, help="N, reminders due at once")
    parser.add_argument("--rate", type=float, default=100.0, help="R, messages a second")
    parser.add_argument("--workers", type=int, default=8, help="sending threads")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--lead-seconds", type=float, default=3.0, help="engine start to due")
    args = parser.parse_args(argv)
    count, rate = args.reminders, args.rate

    with RecordingSlack() as slack, tempfile.TemporaryDirectory() as folder:
        slack.rate_limit("chat.postMessage", rate)
        url = args.database_url or f"sqlite:///{Path(folder) / 'burst.db'}"
        began = time.perf_counter()
        burst = prepare_burst(url, Path(folder), slack.api_url, count, due_in=3600.0)
        print(f"planned {count} reminders in {time.perf_counter() - began:.1f} s")
        # The fake Slack shares this process: a collector pause here would bunch the arrivals
        # it times (and answer 429 for it), charged to the engine. Collect after the burst.
        gc.collect()
        gc.disable()
        # The engine replays time so that the due instant comes `lead_seconds` after it starts.
        process = burst.spawn(
            "bench",
            "--until-done",
            "--workers",
            str(args.workers),
            "--max-seconds",
            str(count / rate * 3 + 60),
            rate=rate,
            clock_start=burst.due_at - timedelta(seconds=args.lead_seconds),
        )
        ready = (process.stdout.readline() if process.stdout else "").split()
        try:
            out, err = process.communicate(timeout=count / rate * 3 + 120)
        finally:
            gc.enable()
        if process.returncode != 0 or not ready or ready[0] != "ready":
            print(f"engine process failed ({process.returncode}):\n{out}\n{err[-4000:]}")
            sys.exit(1)
        with Store.open(url) as store:
            counts = store.deliveries.counts()

    # The engine's clock runs `behind` seconds after the wall clock the fake noted arrivals in.
    behind = timedelta(seconds=float(ready[1]))
    due = burst.due_at + behind
    received = slack.delivered_per_channel()
    wanted = {dm_channel_id(user_id) for user_id in burst.users}
    lost = len(wanted - set(received))
    duplicates = sum(n - 1 for n in received.values())
    first_arrival: dict[str, float] = {}
    for channel, instant in slack.delivered:
        first_arrival.setdefault(channel, (instant - due).total_seconds())
    lateness = list(first_arrival.values())
    total = max(lateness)
    floor = count / rate
    posts = len(slack.calls("chat.postMessage"))
    print(f"N={count} reminders, R={rate:g} messages/s, {args.workers} senders")
    print(
        f"  total delivery time {total:6.2f} s   floor N/R {floor:6.2f} s   ratio {total / floor:.3f}"
    )
    print(f"  target ≤ 1.1× floor: {'met' if total <= 1.1 * floor else 'NOT met'}")
    print(f"  duplicates {duplicates}   lost {lost}   429 answers {posts - sum(received.values())}")
    print(
        f"  lateness p50 {percentile(lateness, 0.50):6.2f} s   p95 {percentile(lateness, 0.95):6.2f} s"
        f"   p99 {percentile(lateness, 0.99):6.2f} s   first {min(lateness):5.2f} s"
        f"   mean {statistics.fmean(lateness):6.2f} s"
    )
    print(f"  store: {counts}")


if __name__ == "__main__":
    main(sys.argv[1:])
