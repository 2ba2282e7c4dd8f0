"""Schedule changes while the summit runs: reload, guard, replicas and change notices.

- `Reloader.start_up` (`start_schedule` without a runtime): the schedule to serve at startup,
  the configured one applied as a reload over the last good one saved, with the same guard.
- `Reloader`: `/nova reload`, the timed URL fetch, the replica sync and the change DMs;
  the runtime builds one per process.
- `plan_notices` / `queue_notices`: who is told what about a change, each person once
  (queued in the outbox, sent by its one sender).
"""

from bot.reload.fetch import UrlFetcher, is_url
from bot.reload.notices import Notice, decide_notices, plan_notices, queue_notices
from bot.reload.reloader import Reloader, ReloadOutcome, Status, start_schedule
from bot.reload.sources import (
    Startup,
    carry_renames,
    configured_source,
    load_source,
    schedule_before_start_up,
    schedule_digest,
    serving_schedule,
    snapshot_schedule,
)

__all__ = [
    "Notice",
    "ReloadOutcome",
    "Reloader",
    "Startup",
    "Status",
    "UrlFetcher",
    "carry_renames",
    "configured_source",
    "decide_notices",
    "is_url",
    "load_source",
    "plan_notices",
    "queue_notices",
    "schedule_before_start_up",
    "schedule_digest",
    "serving_schedule",
    "snapshot_schedule",
    "start_schedule",
]
