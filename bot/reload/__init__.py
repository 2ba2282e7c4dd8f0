"""Schedule changes while the summit runs: reload, guard, replicas and change notices.

- `start_schedule` / `initial_schedule`: the schedule to serve at startup (the configured
  one applied as a reload over the last good one saved, or that one kept).
- `Reloader`: `/nova reload`, the timed URL fetch, the replica sync and the change DMs;
  the runtime builds one per process.
- `plan_notices` / `NoticeSender`: who is told what about a change, each person once.
"""

from bot.reload.fetch import UrlFetcher, is_url
from bot.reload.notices import Notice, NoticeSender, Notifier, SendReport, plan_notices
from bot.reload.reloader import Reloader, ReloadOutcome, Status
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
    "NoticeSender",
    "Notifier",
    "ReloadOutcome",
    "Reloader",
    "SendReport",
    "Startup",
    "Status",
    "UrlFetcher",
    "carry_renames",
    "configured_source",
    "initial_schedule",
    "is_url",
    "load_source",
    "plan_notices",
    "schedule_digest",
    "serving_schedule",
    "snapshot_schedule",
    "start_schedule",
]
