"""Schedule changes while the summit runs: reload, guard, replicas and change notices.

- `start_schedule` / `initial_schedule`: the schedule to serve at startup (the configured
  one applied as a reload over the last good one saved, or that one kept).
- `Reloader`: `/nova reload`, the timed URL fetch, the replica sync and the change DMs;
  `start_reloader(runtime, sender)` starts one for a bot process.
- `plan_notices` / `queue_notices`: who is told what about a change, each person once
  (queued in the outbox, sent by its one sender).
"""

from bot.reload.fetch import UrlFetcher, is_url
from bot.reload.notices import Notice, decide_notices, plan_notices, queue_notices
from bot.reload.reloader import (
    Reloader,
    ReloadOutcome,
    Status,
    attach,
    reloader_for,
    start_reloader,
)
from bot.reload.sources import (
    Startup,
    carry_renames,
    configured_source,
    initial_schedule,
    load_source,
    schedule_digest,
    serving_schedule,
    snapshot_schedule,
    start_schedule,
)

__all__ = [
    "Notice",
    "ReloadOutcome",
    "Reloader",
    "Startup",
    "Status",
    "UrlFetcher",
    "attach",
    "carry_renames",
    "configured_source",
    "decide_notices",
    "initial_schedule",
    "is_url",
    "load_source",
    "plan_notices",
    "queue_notices",
    "reloader_for",
    "schedule_digest",
    "serving_schedule",
    "snapshot_schedule",
    "start_reloader",
    "start_schedule",
]
