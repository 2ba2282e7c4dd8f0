"""Personal calendar feeds: the URL a person subscribes to and the calendar it serves.

`/nova calendar` gives a person `<SUMMIT_BOT_PUBLIC_URL>/calendar/<token>.ics`; a calendar
app fetches it every few minutes (`GET /calendar/<token>.ics`, `bot.web.calendar`) and gets
the person's bookmarked sessions and the sessions of the tracks they follow. Each event's
SEQUENCE comes from the database (`store.calendar`), which `install_calendar_tracking`
keeps in line with every schedule this process serves (start-up, reloads, replica syncs).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.core import Core
from bot.reload.sources import Startup
from bot.settings import Settings
from schedule.diff import diff_schedules
from schedule.ics_export import event_uid
from schedule.ics_feed import FeedEvent, feed_ics
from schedule.index import ScheduleIndex
from schedule.model import Session

if TYPE_CHECKING:
    from bot.storage.calendar_feed import FeedPicks

log = logging.getLogger(__name__)

#: The path of a feed under the public URL; `{token}` is the person's secret.
FEED_PATH = "/calendar/{token}.ics"


_FEED_TOKEN = re.compile(r"(/calendar/)[A-Za-z0-9_-]{20,}(\.ics)")


def redact_feed_tokens(text: str) -> str:
    """`text` with the secret of every feed URL in it replaced by "…"."""
    return _FEED_TOKEN.sub(r"\1…\2", text)


class RedactFeedTokens(logging.Filter):
    """A log filter that keeps feed tokens out of log lines (Slack's DEBUG logs bodies)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message when it holds a feed URL; never drops a record."""
        message = record.getMessage()
        redacted = redact_feed_tokens(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def feed_url(settings: Settings, token: str) -> str | None:
    """The https (or http) URL of the feed with `token`; None without SUMMIT_BOT_PUBLIC_URL."""
    if not settings.public_url:
        return None
    return settings.public_url + FEED_PATH.format(token=token)


def webcal_url(url: str) -> str:
    """`url` with the webcal:// scheme, which opens the subscribe dialog of calendar apps."""
    return "webcal://" + url.split("://", 1)[1]


def install_calendar_tracking(
    core: Core, startup: Startup | None, clock: Clock, *, record_now: bool = True
) -> None:
    """Record the schedule in service now (unless not `record_now`), and every one replacing it.

    Recording is idempotent: a process that skips it (one that serves no feed and changed
    nothing) leaves it to the next process that serves feeds or replaces the schedule.
    """

    def record(schedule_index: ScheduleIndex, renames: dict[str, str], at: datetime) -> None:
        try:
            core.store.calendar.record_schedule(schedule_index.schedule, at, renames)
        except Exception:
            # Idempotent: the next reload or feed request records it again.
            log.exception("could not record the schedule for calendar feeds")

    def on_replace(old: ScheduleIndex, new: ScheduleIndex) -> None:
        renames = diff_schedules(old.schedule, new.schedule).id_changes
        record(new, renames, clock.now())

    if record_now:
        renames = startup.diff.id_changes if startup is not None and startup.diff else {}
        record(core.index, renames, clock.now())
    core.schedules.subscribe(on_replace)


def person_feed(core: Core, user_id: str, at: datetime) -> bytes:
    """The iCalendar feed of `user_id` at `at`: their picks, removed ones kept cancelled."""
    index = core.index
    picks = core.store.calendar.picks(user_id)
    known = {s.session_id for s in picks.sessions}
    if any(picks.covers(s.id, s.track) and s.id not in known for s in index.sessions):
        # A schedule not recorded yet (its recording failed): record it, then read again.
        core.store.calendar.record_schedule(index.schedule, at)
        picks = core.store.calendar.picks(user_id)
    events = _live_events(index, picks)
    ends = index.ends_at
    if ends is not None and at < ends:
        events += _cancelled_events(index, picks)
    schedule = index.schedule
    return feed_ics(
        events, calendar_name=f"{schedule.name} · my sessions", timezone=schedule.timezone
    )


def _live_events(index: ScheduleIndex, picks: FeedPicks) -> list[FeedEvent]:
    rows = {s.session_id: s for s in picks.sessions}
    events = []
    for session in index.sessions:
        if not picks.covers(session.id, session.track):
            continue
        row = rows.get(session.id)
        if row is None:  # recorded meanwhile by nobody: a first version
            events.append(FeedEvent(session, event_uid(session), 0, session.start))
        else:
            events.append(FeedEvent(session, row.uid, row.sequence, row.changed_at))
    return events


def _cancelled_events(index: ScheduleIndex, picks: FeedPicks) -> list[FeedEvent]:
    present = {s.id for s in index.sessions}
    events = []
    for row in picks.sessions:
        if row.removed_at is None or row.session_id in present:
            continue
        if not picks.covers(row.session_id, row.track):
            continue
        session = Session(
            id=row.session_id,
            title=row.title,
            start=row.start_at,
            end=row.end_at,
            room=row.room,
            track=row.track,
        )
        events.append(FeedEvent(session, row.uid, row.sequence, row.changed_at, cancelled=True))
    return events
