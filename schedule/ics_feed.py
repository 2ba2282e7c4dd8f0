"""A subscribed calendar feed (RFC 5545) of sessions, built with the icalendar library.

Unlike a one-off export, a feed is fetched again and again by calendar apps, so each event
carries what lets them update it in place: a UID that never changes, a SEQUENCE that rises
when the session moves (time or room) or is cancelled, a DTSTAMP saying when its content
last changed, and STATUS:CANCELLED for a session the schedule dropped. The same inputs
always give the same bytes, so the body's digest is a faithful ETag.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from schedule.ics_export import session_event
from schedule.model import Session

#: How often calendar apps are asked to fetch the feed again.
REFRESH_INTERVAL = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One session as a feed shows it."""

    session: Session
    uid: str
    sequence: int
    stamp: datetime
    """When the event's content last changed (its DTSTAMP)."""
    cancelled: bool = False


def feed_ics(events: Iterable[FeedEvent], *, calendar_name: str, timezone: str) -> bytes:
    """The feed's iCalendar bytes: one VEVENT per event, in start order, instants in UTC."""
    # Loaded here, not at import: only a feed's fetch builds one (see `ics_export`).
    from icalendar import Calendar, vText

    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", "-//summit-bot//calendar feed//EN")
    calendar.add("calscale", "GREGORIAN")
    name = " ".join(calendar_name.split())
    calendar.add("name", vText(name))
    calendar.add("x-wr-calname", vText(name))
    calendar.add("x-wr-timezone", vText(timezone))
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vText("PT15M"))  # the same, for Outlook
    ordered = sorted(events, key=lambda e: (e.session.start, e.session.end, e.uid))
    for item in ordered:
        event = session_event(item.session, item.stamp.astimezone(UTC), uid=item.uid)
        event.add("sequence", item.sequence)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        event.add("last-modified", item.stamp.astimezone(UTC))
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data
