"""A burst of reminders due at one instant, sent by three replicas sharing one budget.

`python -m bench burst` (or `python -m bench.reminder_burst --reminders 5000 --rate 100`):
N people bookmarked one session; every reminder is due at the same instant. Three engine
processes (the bot's, SUMMIT_BOT_SLACK_MESSAGES_PER_SECOND=R) on one PostgreSQL database
(`--backend sqlite` for a SQLite file) send them to the fake Slack, which answers 429
beyond R chat.postMessage calls a second. Reported, counted at the fake: lateness against
the due instant (goals: none after due when N/R ≤ the lead; none earlier than N/R + 2 s
before due), duplicates and losses by the outbox key each message carries (goal 0), 429
answers, and the peak one-second rate (goal ≤ R), besides the slots the database granted.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import statistics
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from bench.databases import fresh_database
from bot.storage.outbox import OutboxStatus
from bot.store import Store
from tests.bot.reminders.support import RecordingSlack, prepare_burst


def percentile(values: list[float], fraction: float) -> float:
    """The `fraction` quantile of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def main(argv: list[str]) -> None:
    """Run one burst and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench burst")
    parser.add_argument("--reminders", type=int, default=5_000, help="N, reminders due at once")
    parser.add_argument("--rate", type=float, default=100.0, help="R, messages a second")
    parser.add_argument("--replicas", type=int, default=3, help="engine processes")
    parser.add_argument("--backend", default="postgresql", help="postgresql or sqlite")
    args = parser.parse_args(argv)
    count, rate = args.reminders, args.rate
    lead_in = count / rate + 10.0  # the processes are up and the windows open after this

    with (
        fresh_database(args.backend) as url,
        RecordingSlack() as slack,
        tempfile.TemporaryDirectory() as folder,
    ):
        slack.rate_limit("chat.postMessage", rate)
        slots_log = Path(folder) / "slots.log"
        slots_log.touch()
        os.environ["ENGINE_SLOTS_LOG"] = str(slots_log)
        writes_log = Path(folder) / "writes.log"
        writes_log.touch()
        os.environ["ENGINE_WRITES_LOG"] = str(writes_log)
        burst = prepare_burst(url, Path(folder), slack.api_url, count, lead_in, plan=False)
        # The fake Slack shares this process: a collector pause here would bunch the
        # arrivals it times (and answer 429 for it), charged to the engines.
        gc.collect()
        gc.disable()
        try:
            for i in range(args.replicas):
                burst.spawn(
                    f"replica-{i}",
                    "--until-done",
                    "--recheck",
                    "0.5",
                    "--max-seconds",
                    str(lead_in + count / rate * 3 + 60),
                    rate=rate,
                )
            burst.wait_ready()
            burst.plan(rate)
            failed = []
            for process in burst.processes:
                _out, err = process.communicate(timeout=lead_in + count / rate * 3 + 120)
                if process.returncode != 0:
                    failed.append(f"{process.returncode}: {err[-2000:]}")
        finally:
            gc.enable()
            burst.close()
        if failed:
            print("engine process failed:\n" + "\n".join(failed))
            sys.exit(1)
        report(burst.due_at, burst.keys(), slack, slots_log, count, rate, args.replicas)
        breakdown(url, burst.due_at, slack, writes_log)


def report(
    due: object,
    keys: set[str],
    slack: RecordingSlack,
    slots_log: Path,
    count: int,
    rate: float,
    replicas: int,
) -> None:
    """Print lateness, duplicates, losses and rates."""
    posted = slack.posted_keys()
    lost = len(keys - set(posted))
    duplicates = sum(n - 1 for n in posted.values())
    lateness = [(at - due).total_seconds() for _, at in slack.delivered]  # type: ignore[operator]
    floor = count / rate
    posts = len(slack.calls("chat.postMessage"))
    slots = sorted(float(line) for line in slots_log.read_text().split())
    gap = min(b - a for a, b in itertools.pairwise(slots))
    print(f"N={count} reminders, R={rate:g} messages/s, {replicas} replicas")
    print(
        f"  lateness against due: first {min(lateness):7.2f} s   p50 "
        f"{percentile(lateness, 0.5):7.2f} s   p99 {percentile(lateness, 0.99):7.2f} s   "
        f"last {max(lateness):6.2f} s   mean {statistics.fmean(lateness):6.2f} s"
    )
    print(
        f"  goals: none after due: {'met' if max(lateness) <= 0 else 'NOT met'};"
        f" none earlier than N/R + 2 s = {floor + 2:.1f} s:"
        f" {'met' if min(lateness) >= -(floor + 2) else 'NOT met'}"
    )
    print(f"  duplicates {duplicates}   lost {lost}   429 answers {posts - len(slack.delivered)}")
    print(
        f"  peak {slack.peak_per_second('chat.postMessage')} posts in one second at the fake;"
        f" {len(slots)} slots granted, at least {gap * 1000:.2f} ms apart (1/R = "
        f"{1000 / rate:.2f} ms)"
    )


def breakdown(url: str, due: datetime, slack: RecordingSlack, writes_log: Path) -> None:
    """Where each arrival's lateness comes from: window, slot grant, and the post after its slot.

    lateness = (window opening - due) + (slot - window opening) + (arrival - slot), each
    read per message from its outbox row (its last claim's slot) and its arrival at the fake.
    """
    with Store.open(url) as store:
        rows = store.outbox.items(statuses=[OutboxStatus.SENT])
    written: dict[str, float] = {}
    used: dict[str, float] = {}
    writer: dict[str, str] = {}
    for line in writes_log.read_text().splitlines():
        instant, key, slot, pid = line.split(" ")
        writer[key] = pid
        written[key] = float(instant)  # the last write of each key: the one that arrived
        used[key] = float(slot)
    window, grant, post, tries, write, wire = [], [], [], [], [], []
    for row in rows:
        arrived = slack.arrived.get(row.key)
        if arrived is None or row.slot_at is None:
            continue
        window.append((row.not_before - due).total_seconds())
        grant.append((row.slot_at - row.not_before).total_seconds())
        post.append((arrived - row.slot_at).total_seconds())
        tries.append(row.attempts)
        if row.key in written:
            write.append(written[row.key] - used[row.key])
            wire.append(arrived.timestamp() - written[row.key])
    for name, values, unit in (
        ("window opens - due", window, 1.0),
        ("slot - window opens", grant, 1000.0),
        ("arrival - slot", post, 1000.0),
        ("  checked - its slot", write, 1000.0),
        ("  arrival - checked", wire, 1000.0),
    ):
        if not values:
            continue
        label = "s" if unit == 1.0 else "ms"
        print(
            f"  {name:20s} min {min(values) * unit:8.2f} {label}  p50 "
            f"{percentile(values, 0.5) * unit:8.2f}  p99 {percentile(values, 0.99) * unit:8.2f}"
            f"  max {max(values) * unit:8.2f}"
        )
    print(f"  claims per message: {statistics.fmean(tries):.3f} (max {max(tries)})")
    missed_log = writes_log.with_name(writes_log.name + ".missed")
    missed = (
        sorted(float(x) * 1000 for x in missed_log.read_text().split())
        if missed_log.exists()
        else []
    )
    if missed:
        print(
            f"  slots missed (given back): {len(missed)}, late by ms: min {missed[0]:.1f} p50 "
            f"{percentile(missed, 0.5):.1f} p90 {percentile(missed, 0.9):.1f} max {missed[-1]:.1f}"
        )
    by_arrival = sorted((at.timestamp(), key) for key, at in slack.arrived.items())
    times = [t for t, _ in by_arrival]
    for refused in slack.refused[:5]:
        t = refused.timestamp()
        inside = [(a, k) for a, k in by_arrival if t - 1.0 < a <= t]
        late = sorted(
            (
                ((a - used[k]) * 1000, (a - t) * 1000, (a - written[k]) * 1000, writer[k])
                for a, k in inside
                if k in used
            ),
            reverse=True,
        )
        print(f"  429 at {t - times[0]:8.3f} s: {len(inside)} arrivals in the second before;")
        for lateness, when, wire, pid in late[:6]:
            print(
                f"     {lateness:6.1f} ms after its slot, {when:7.1f} ms from the 429, "
                f"{wire:6.1f} ms after the check, process {pid}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
