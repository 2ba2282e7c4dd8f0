"""Claiming outbox rows under a race: every open row goes to exactly one worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.storage.outbox import NewItem, OutboxItem, OutboxKind, OutboxStatus, reminder_key
from bot.store import Store

T0 = datetime(2013, 11, 5, 3, 0, tzinfo=UTC)
ROWS = 1_000
WORKERS = 3
BATCH = 7
PROJECT_ROOT = Path(__file__).resolve().parents[3]

# A worker process: open the store, say it is ready, wait for "go", claim until dry.
WORKER_SCRIPT = textwrap.dedent(
    """
    import json
    import sys
    import time
    from datetime import datetime

    from datetime import timedelta

    from bot.store import Store

    url, worker_id, now, batch = sys.argv[1:]
    store = Store.open(url)
    print("ready", flush=True)
    sys.stdin.readline()
    claimed = []
    while batch_rows := store.outbox.claim(
        datetime.fromisoformat(now),
        worker_id=worker_id,
        limit=int(batch),
        lease=timedelta(seconds=600),
        interval=timedelta(microseconds=1),
        per_channel=timedelta(seconds=1),
    ):
        claimed.extend(c.item.id for c in batch_rows)
        time.sleep(0.002)  # a sender works between claims (see claim_in_threads)
    store.close()
    print(json.dumps(claimed), flush=True)
    """
)


def row(user: str, session: str, start: datetime, due: datetime) -> NewItem:
    """A reminder row of `user` for `session`, due at `due`."""
    return NewItem(
        kind=OutboxKind.REMINDER,
        key=reminder_key(user, session, start),
        recipient=user,
        not_before=due,
        due_at=due,
        give_up_at=start + timedelta(minutes=5),
        session_id=session,
        starts_at=start,
    )


def plan_due_rows(store: Store, count: int = ROWS) -> None:
    """Plan `count` reminders (one person each) that are all due by `T0`, plus a few that are not."""
    rows = [
        row(
            f"U{i}",
            f"s-{i}",
            T0 + timedelta(hours=1, minutes=i % 50),
            T0 - timedelta(seconds=i % 97),
        )
        for i in range(count)
    ]
    rows += [
        row(f"U-later-{i}", f"s-later-{i}", T0 + timedelta(days=1), T0 + timedelta(hours=5))
        for i in range(5)
    ]
    store.outbox.enqueue(rows, T0 - timedelta(hours=1))


def claim_batch(
    store: Store, now: datetime, worker: str, limit: int, lease_seconds: float
) -> list[OutboxItem]:
    """One claim of up to `limit` rows, with tiny slots so the budget never holds it back."""
    claims = store.outbox.claim(
        now,
        worker_id=worker,
        limit=limit,
        lease=timedelta(seconds=lease_seconds),
        interval=timedelta(microseconds=1),
        per_channel=timedelta(seconds=1),
    )
    return [c.item for c in claims]


def owners_in_database(store: Store) -> dict[int, str | None]:
    """Every claimed row's id and the worker the database says holds it."""
    return {d.id: d.claimed_by for d in store.outbox.items(statuses=[OutboxStatus.CLAIMED])}


def check_exactly_once(store: Store, claims: dict[str, list[int]]) -> None:
    """Each due row was claimed once, by the worker the database names, and none else."""
    every = [i for ids in claims.values() for i in ids]
    duplicates = [i for i, n in Counter(every).items() if n > 1]
    assert duplicates == []
    assert len(every) == ROWS
    owners = owners_in_database(store)
    assert owners == {i: worker for worker, ids in claims.items() for i in ids}
    assert sum(1 for ids in claims.values() if ids) >= 2, "the race never happened"
    counts = store.outbox.counts()
    assert counts["claimed"] == ROWS
    assert counts["pending"] == 5


def claim_in_threads(url: str, now: datetime, lease_seconds: float) -> dict[str, list[int]]:
    """Race `WORKERS` threads, each with its own store, claiming until nothing is left."""
    stores = [Store.open(url) for _ in range(WORKERS)]
    barrier = threading.Barrier(WORKERS)
    claims: dict[str, list[int]] = {f"t{i}": [] for i in range(WORKERS)}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        worker = f"t{i}"
        try:
            barrier.wait()
            while batch := claim_batch(stores[i], now, worker, BATCH, lease_seconds):
                assert all(d.claimed_by == worker for d in batch)
                claims[worker].extend(d.id for d in batch)
                # A real sender works between claims; without this pause SQLite's busy
                # handler can let one thread take every batch while the others back off.
                time.sleep(0.002)
        except BaseException as exc:  # re-raised in the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(WORKERS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for other in stores:
            other.close()
    if errors:
        raise errors[0]
    return claims


def test_claim_due_race_between_threads(store_url: str, store: Store) -> None:
    """Three threads with their own stores claim 1,000 due rows; each row exactly once."""
    plan_due_rows(store)
    claims = claim_in_threads(store_url, T0, lease_seconds=600)
    check_exactly_once(store, claims)
    assert {d.attempts for d in store.outbox.items(statuses=[OutboxStatus.CLAIMED])} == {1}


def test_claim_due_race_between_processes(store_url: str, store: Store) -> None:
    """Three processes claim 1,000 due rows in small batches; each row exactly once."""
    plan_due_rows(store)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), *sys.path])}
    workers = {
        f"p{i}": subprocess.Popen(
            [sys.executable, "-c", WORKER_SCRIPT, store_url, f"p{i}", T0.isoformat(), str(BATCH)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=PROJECT_ROOT,
            env=env,
        )
        for i in range(WORKERS)
    }
    claims: dict[str, list[int]] = {}
    try:
        for process in workers.values():
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        for process in workers.values():
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        for name, process in workers.items():
            out, err = process.communicate(timeout=90)
            assert process.returncode == 0, err
            claims[name] = json.loads(out)
    finally:
        for process in workers.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    check_exactly_once(store, claims)


def test_expired_leases_reclaimed_once_under_a_race(store_url: str, store: Store) -> None:
    """After a worker dies, the racing survivors take over each of its rows exactly once."""
    plan_due_rows(store, count=200)
    dead = claim_batch(store, T0, "dead", 500, lease_seconds=30)
    assert len(dead) == 200
    early = T0 + timedelta(seconds=29)
    assert claim_batch(store, early, "t9", 500, lease_seconds=30) == []
    claims = claim_in_threads(store_url, T0 + timedelta(seconds=31), lease_seconds=30)
    every = sorted(i for ids in claims.values() for i in ids)
    assert every == sorted(d.id for d in dead)
    owners = owners_in_database(store)
    assert owners == {i: worker for worker, ids in claims.items() for i in ids}
    retaken = store.outbox.items(statuses=[OutboxStatus.CLAIMED])
    assert {(d.attempts, d.uncertain) for d in retaken} == {(2, True)}
