"""A bot process running only the reminder engine, for the crash and replica tests.

`python -m tests.bot.reminders.engine_process --worker-id W [--lease S] [--until-done]`
reads its settings from the environment (DATABASE_URL, SLACK_API_URL, SLACK_BOT_TOKEN,
SUMMIT_BOT_SCHEDULE, SUMMIT_BOT_SLACK_MESSAGES_PER_SECOND, SUMMIT_BOT_CLOCK_START), prints
"ready <seconds the wall clock is ahead of the engine's clock>" once the engine runs, and stops on SIGTERM, or with --until-done once no reminder is pending or
claimed (checked every 0.1 s; a bounded --max-seconds ends it in any case).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time

from bot.clock import SystemClock
from bot.edge.slack import SlackMessenger
from bot.reminders import ReminderEngine
from bot.runtime import build_runtime
from bot.settings import Settings


def main(argv: list[str]) -> int:
    """Run the engine until told to stop; exit status 0 when it finished its work."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker-id", required=True)
    parser.add_argument("--lease", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--until-done", action="store_true")
    parser.add_argument("--max-seconds", type=float, default=90.0)
    args = parser.parse_args(argv)

    settings = Settings.from_env(env_file=None)
    runtime = build_runtime(settings)
    store = runtime.core.store
    messenger = SlackMessenger.from_settings(settings, store)
    engine = ReminderEngine(
        runtime.core,
        runtime.clock,
        messenger,
        settings,
        args.worker_id,
        workers=args.workers,
        lease_seconds=args.lease,
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
            counts = store.deliveries.counts()
            if counts["pending"] == 0 and counts["claimed"] == 0:
                finished = True
                break
    engine.stop()
    runtime.close()
    return 0 if finished or not args.until_done else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
