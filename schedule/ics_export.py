"""Sessions (a person's bookmarks) as an iCalendar file, built with the icalendar library.

Every instant is written in UTC so each calendar shows the right time whatever its own
zone; the venue's zone is named in X-WR-TIMEZONE only as a hint. Each event's UID is
derived from the session id, so importing a newer export updates events in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schedule.model import Session
from schedule.ranges import format_range

# The icalendar library is loaded by the functions that build a calendar, not at import:
# `event_uid` is read on every start (the feed's SEQUENCE tracking), a calendar is built
# only when someone exports or fetches a feed, and `summit-bot ask` must start fast.
if TYPE_CHECKING:
    from icalendar import Event

UID_DOMAIN = "summit-bot"


def event_uid(session: Session) -> str:
    """The iCalendar UID for `session`: stable across exports as long as its id is."""
    return f"{session.id}@{UID_DOMAIN}"


def _one_line(text: str) -> str:
    """`text` with runs of whitespace (line breaks included) made one space."""
    return " ".join(text.split())


def _description(session: Session, venue: tzinfo | None) -> str:
    """The description: the venue's time range (with `venue`), the text, proposers, links."""
    parts: list[str] = []
    if venue is not None:
        parts.append(f"When: {format_range(session.start, session.end, venue)}")
    if session.description.strip():
        parts.append(session.description.strip())
    if session.proposers:
        parts.append("Proposed by: " + ", ".join(session.proposers))
    links = [link for link in session.links if link not in session.description]
    if links:
        parts.append("\n".join(links))
    return "\n\n".join(parts)


def session_event(
    session: Session, stamp: datetime, uid: str | None = None, venue: tzinfo | None = None
) -> Event:
    """One VEVENT for `session`, its instants in UTC; `uid` defaults to `event_uid`.

    With `venue`, the description begins with the time range in the venue's zone.
    """
    from icalendar import Event

    event = Event()
    event.add("uid", uid or event_uid(session))
    event.add("dtstamp", stamp)
    event.add("dtstart", session.start.astimezone(UTC))
    event.add("dtend", session.end.astimezone(UTC))
    event.add("summary", session.title)
    if session.room:
        event.add("location", session.room)
    description = _description(session, venue)
    if description:
        event.add("description", description)
    if session.links:
        event.add("url", session.links[0])
    if session.track:
        event.add("categories", [session.track])
    return event


def export_ics(
    sessions: Iterable[Session],
    *,
    calendar_name: str,
    timezone: str,
    at: datetime,
    prodid: str = "-//summit-bot//EN",
) -> bytes:
    """An iCalendar (RFC 5545) file with one event per session, in schedule order.

    `at` (timezone-aware) is every event's DTSTAMP; `timezone` is the venue's IANA zone.
    Raises ValueError for a naive `at`, an unknown zone or two sessions with the same id.
    """
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {timezone!r}") from exc
    ordered = sorted(sessions, key=lambda s: (s.start, s.end, s.id))
    seen: set[str] = set()
    for session in ordered:
        if session.id in seen:
            raise ValueError(f"duplicate session id {session.id!r}")
        seen.add(session.id)

    from icalendar import Calendar, vText

    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", prodid)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    name = _one_line(calendar_name)
    calendar.add("name", vText(name))
    calendar.add("x-wr-calname", vText(name))
    calendar.add("x-wr-timezone", vText(timezone))
    stamp = at.astimezone(UTC)
    for session in ordered:
        calendar.add_component(session_event(session, stamp, venue=ZoneInfo(timezone)))
    data: bytes = calendar.to_ical()
    return data
