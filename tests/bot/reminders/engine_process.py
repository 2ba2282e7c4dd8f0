"""A bot process running only the reminder engine, for the crash and replica tests.

`python -m tests.bot.reminders.engine_process --worker-id W [--lease S] [--client-timeout S]
[--until-done]`
reads its settings from the environment (DATABASE_URL, SLACK_API_URL, SLACK_BOT_TOKEN,
SUMMIT_BOT_SCHEDULE, SUMMIT_BOT_SLACK_MESSAGES_PER_SECOND, SUMMIT_BOT_CLOCK_START), prints
With ENGINE_SLOTS_LOG set, every send slot the process is granted is appended to that file.
"ready <seconds the wall clock is ahead of the engine's clock>" once the engine runs, and stops on SIGTERM, or with --until-done once no reminder is pending or
claimed and something was queued (checked every 0.1 s; a bounded --max-seconds ends it in
any case).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from datetime import datetime
from typing import Any

from bot.clock import SystemClock
from bot.edge.slack import SlackMessenger
from bot.reminders.engine import ReminderEngine
from bot.runtime import build_runtime
from bot.settings import Settings


def main(argv: list[str]) -> int:
    """Run the engine until told to stop; exit status 0 when it finished its work."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker-id", required=True)
    parser.add_argument("--lease", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--client-timeout", type=float, default=10.0)
    parser.add_argument("--recheck", type=float, default=30.0)
    parser.add_argument("--until-done", action="store_true")
    parser.add_argument("--max-seconds", type=float, default=90.0)
    args = parser.parse_args(argv)

    slots_log = os.environ.get("ENGINE_SLOTS_LOG")  # every slot granted, for the tests
    if slots_log:
        _log_slots(slots_log)
    writes_log = os.environ.get("ENGINE_WRITES_LOG")  # when each post's request was written
    if writes_log:
        _log_writes(writes_log)
    settings = Settings.from_env(env_file=None)
    runtime = build_runtime(settings)
    store = runtime.core.store
    messenger = SlackMessenger.from_settings(settings, store, timeout=args.client_timeout)
    engine = ReminderEngine(
        runtime.core,
        runtime.clock,
        messenger,
        settings,
        args.worker_id,
        workers=args.workers,
        lease_seconds=args.lease,
        recheck_seconds=args.recheck,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    engine.start()
    # How far the engine's clock is behind the wall clock, for measuring lateness.
    offset = (SystemClock().now() - runtime.clock.now()).total_seconds()
    print(f"ready {offset:.6f}", flush=True)
    deadline = time.monotonic() + args.max_seconds
    finished = False
    while not stop.wait(0.1) and time.monotonic() < deadline:
        if args.until_done:
            counts = store.outbox.counts()
            if counts["pending"] == 0 and counts["claimed"] == 0 and any(counts.values()):
                finished = True
                break
    engine.stop()
    runtime.close()
    return 0 if finished or not args.until_done else 1


def _log_slots(path: str) -> None:
    """Append every send slot this process is granted (claims and grants) to `path`."""
    from bot.storage.outbox import Claim, OutboxRepository

    claim, grant = OutboxRepository.claim, OutboxRepository.grant

    def write(slots: list[datetime]) -> None:
        with open(path, "a", encoding="utf-8") as out:
            out.writelines(f"{slot.timestamp():.6f}\n" for slot in slots)

    def logged_claim(self: OutboxRepository, *args: Any, **kwargs: Any) -> list[Claim]:
        claims = claim(self, *args, **kwargs)
        write([c.slot for c in claims])
        return claims

    def logged_grant(self: OutboxRepository, *args: Any, **kwargs: Any) -> list[datetime]:
        slots = grant(self, *args, **kwargs)
        write(slots)
        return slots

    OutboxRepository.claim = logged_claim  # type: ignore[method-assign]
    OutboxRepository.grant = logged_grant  # type: ignore[method-assign]


def _log_writes(path: str) -> None:
    """Append `<wall instant> <outbox key>` to `path` as each gated post's request is written."""
    import re

    from bot.edge import slack
    from bot.outbox.sender import OutboxSender

    send = slack._GatedHTTPConnection.send
    key = re.compile(rb'"outbox_key": ?"([^"]+)"')
    on_time = OutboxSender._on_time
    slots = threading.local()

    def logged_on_time(self: OutboxSender, slot: datetime) -> None:
        on_time(self, slot)
        slots.slot, slots.checked_at = slot, time.time()

    OutboxSender._on_time = logged_on_time  # type: ignore[method-assign]
    late = OutboxSender._late

    def logged_late(self: OutboxSender, slot: datetime) -> float:
        seconds = late(self, slot)
        if seconds > self.options.tolerance:
            with open(path + ".missed", "a", encoding="utf-8") as out:
                out.write(f"{seconds:.6f}\n")
        return seconds

    OutboxSender._late = logged_late  # type: ignore[method-assign]

    def logged_send(self: Any, data: Any) -> None:
        checked = self.check is not None
        send(self, data)
        found = key.search(data) if checked and isinstance(data, bytes) else None
        if found:
            with open(path, "a", encoding="utf-8") as out:
                out.write(
                    f"{slots.checked_at:.6f} {found.group(1).decode()} "
                    f"{slots.slot.timestamp():.6f} {os.getpid()}\n"
                )

    slack._GatedHTTPConnection.send = logged_send  # type: ignore[method-assign]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
