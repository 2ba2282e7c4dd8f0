"""iCalendar (.ics) files, as exported by Sched, pretalx, vobject and calendar programs."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component

from schedule.importers._common import (
    Draft,
    build_schedule,
    decode,
    default_name,
    distinct,
    links_for,
    plain_text,
    zone,
)
from schedule.model import Schedule, ScheduleError

_PROPOSED = re.compile(r"\(Session proposed by\s+([^)]+?)\)", re.IGNORECASE)
_TIME_PROPERTIES = ("DTSTART", "DTEND", "DURATION")


class _Zones:
    """How floating and all-day times of one calendar are placed in time."""

    def __init__(self, calendar: Component, *, timezone: str | None, source: str) -> None:
        """Read the calendar-wide zone hints; `timezone` wins over X-WR-TIMEZONE."""
        self.source = source
        calendar_zone = _text(calendar.get("X-WR-TIMEZONE")).strip()
        self.floating_name = timezone or calendar_zone or None
        if timezone is not None:
            zone(timezone, source=source)
        elif calendar_zone:
            zone(calendar_zone, source=source, what="X-WR-TIMEZONE")
        self.schedule_name = self.floating_name or _first_tzid(calendar) or "UTC"
        self.schedule_zone = ZoneInfo(self.schedule_name)

    def floating(self, label: str) -> ZoneInfo:
        """The zone for a time without one, or an error naming the event."""
        if self.floating_name is None:
            raise ScheduleError(
                f"{self.source}: {label}: floating time with no time zone "
                "(give a time zone or add X-WR-TIMEZONE)"
            )
        return ZoneInfo(self.floating_name)


def parse_ical(
    data: bytes | str,
    *,
    source: str,
    timezone: str | None = None,
    default_minutes: int = 60,
    track: str | None = None,
    name: str | None = None,
) -> Schedule:
    """A whole schedule from an iCalendar file; every VEVENT becomes a session.

    Floating times are read in `timezone`, else in X-WR-TIMEZONE; all-day events span
    their days in the schedule's zone; an event with neither DTEND nor DURATION lasts
    `default_minutes`. Raises ScheduleError naming the source and the event.
    """
    if default_minutes <= 0:
        raise ScheduleError(f"{source}: default_minutes must be positive, not {default_minutes}")
    whole = decode(data, source=source)
    text = whole.lstrip()
    if not text.upper().startswith("BEGIN:VCALENDAR"):
        raise ScheduleError(f"{source}: not an iCalendar file (it does not begin BEGIN:VCALENDAR)")
    _check_nesting(whole, source)
    try:
        calendar = Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ScheduleError(f"{source}: not a readable iCalendar file: {reason}") from None
    zones = _Zones(calendar, timezone=timezone, source=source)
    drafts: list[Draft] = []
    for number, event in enumerate(calendar.walk("VEVENT"), start=1):
        if _text(event.get("STATUS")).strip().upper() == "CANCELLED":
            continue
        drafts.append(_draft(event, number, zones, default_minutes, track, source))
    if not drafts:
        raise ScheduleError(f"{source}: no events (VEVENT) found")
    calendar_name = html.unescape(_text(calendar.get("X-WR-CALNAME"))).strip()
    return build_schedule(
        drafts,
        name=name or calendar_name or default_name(source),
        timezone=zones.schedule_name,
        source=source,
    )


def _check_nesting(text: str, source: str) -> None:
    """Refuse, naming the line, a BEGIN without its END (a truncated file) or a stray END."""
    open_blocks: list[tuple[str, int]] = []
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        key, _, value = line.partition(":")
        name = value.strip().upper()
        if key.strip().upper() == "BEGIN":
            open_blocks.append((name, number))
        elif key.strip().upper() == "END":
            if not open_blocks or open_blocks[-1][0] != name:
                expected = f"END:{open_blocks[-1][0]}" if open_blocks else "nothing"
                raise ScheduleError(f"{source}:{number}: END:{name} where {expected} was expected")
            open_blocks.pop()
    if open_blocks:
        name, begun = open_blocks[-1]
        raise ScheduleError(
            f"{source}:{len(lines)}: missing END:{name} for the BEGIN:{name} of line {begun}; "
            "the file ends too early (truncated?)"
        )


def _draft(
    event: Component,
    number: int,
    zones: _Zones,
    default_minutes: int,
    track: str | None,
    source: str,
) -> Draft:
    """One session from one VEVENT."""
    uid = _text(event.get("UID")).strip()
    title = _unescaped(event.get("SUMMARY")).strip()
    named = [part for part in (f"UID {uid}" if uid else "", repr(title) if title else "") if part]
    label = f"event {number}" + (f" ({', '.join(named)})" if named else "")
    for prop, message in event.errors:
        if prop in _TIME_PROPERTIES:
            raise ScheduleError(f"{source}: {label}: cannot read {prop}: {message}")
    if "RRULE" in event or "RDATE" in event:
        raise ScheduleError(f"{source}: {label}: recurring events are not supported")
    begins, ends = _span(event, label, zones, default_minutes)
    if ends < begins:
        raise ScheduleError(
            f"{source}: {label}: end {ends.isoformat()} is before start {begins.isoformat()}"
        )
    raw_description = _text(event.get("DESCRIPTION"))
    proposers = distinct(
        html.unescape(match.group(1)).strip() for match in _PROPOSED.finditer(raw_description)
    )
    description = plain_text(_PROPOSED.sub("", raw_description), entities=True)
    url = _text(event.get("URL")).strip()
    return Draft(
        where=f"{source}: {label}",
        title=title or "(untitled)",
        start=begins,
        end=ends,
        room=_unescaped(event.get("LOCATION")).strip(),
        track=_first_category(event) if track is None else track,
        description=description,
        proposers=proposers,
        links=links_for([url] if url else [], title, html.unescape(raw_description)),
        uid=uid,
    )


def _span(
    event: Component, label: str, zones: _Zones, default_minutes: int
) -> tuple[datetime, datetime]:
    """The aware start and end of an event from DTSTART and DTEND, DURATION or the default."""
    source = zones.source
    start_value = _value(event, "DTSTART", label, source)
    if start_value is None:
        raise ScheduleError(f"{source}: {label}: has no DTSTART")
    end_value = _value(event, "DTEND", label, source)
    duration = _value(event, "DURATION", label, source)
    if duration is not None and not isinstance(duration, timedelta):
        raise ScheduleError(f"{source}: {label}: DURATION {duration!r} is not a duration")
    if not isinstance(start_value, date):
        raise ScheduleError(f"{source}: {label}: DTSTART {start_value!r} is not a date or time")
    if not isinstance(start_value, datetime):
        return _all_day(start_value, end_value, duration, label, zones)
    begins = _aware(start_value, label, zones)
    if end_value is not None:
        if not isinstance(end_value, datetime):
            raise ScheduleError(
                f"{source}: {label}: DTEND {end_value!r} is a date but DTSTART is a date-time"
            )
        return begins, _aware(end_value, label, zones)
    if duration is not None:
        return begins, _after(begins, duration)
    return begins, begins + timedelta(minutes=default_minutes)


def _all_day(
    day: date, end_value: Any, duration: timedelta | None, label: str, zones: _Zones
) -> tuple[datetime, datetime]:
    """An all-day event: from the start of its first day to the start of the day after it."""
    place = zones.schedule_zone
    begins = datetime.combine(day, time(), tzinfo=place)
    if end_value is not None:
        if isinstance(end_value, datetime) or not isinstance(end_value, date):
            raise ScheduleError(
                f"{zones.source}: {label}: DTEND {end_value!r} is not a date but DTSTART is"
            )
        return begins, datetime.combine(end_value, time(), tzinfo=place)
    if duration is not None:
        return begins, _after(begins, duration)
    return begins, datetime.combine(day + timedelta(days=1), time(), tzinfo=place)


def _after(begins: datetime, duration: timedelta) -> datetime:
    """`begins` plus a DURATION: whole days on the local calendar, the rest in exact time."""
    local_days = (begins + timedelta(days=duration.days)).astimezone(UTC)
    return local_days + timedelta(seconds=duration.seconds, microseconds=duration.microseconds)


def _aware(value: datetime, label: str, zones: _Zones) -> datetime:
    """`value` with a zone: its own (UTC, TZID) or, when floating, the calendar's."""
    if value.tzinfo is None:
        return value.replace(tzinfo=zones.floating(label))
    return value


def _value(event: Component, prop: str, label: str, source: str) -> Any:
    """The decoded value of a date-time property, or None when it is absent."""
    found = event.get(prop)
    if found is None:
        return None
    if isinstance(found, list):
        raise ScheduleError(f"{source}: {label}: more than one {prop}")
    try:
        value = found.dt
    except (AttributeError, ValueError) as exc:
        raise ScheduleError(f"{source}: {label}: cannot read {prop}: {exc}") from None
    # icalendar leaves a time naive when it knows no zone by its TZID (no IANA name, no
    # VTIMEZONE); read as floating it would silently take X-WR-TIMEZONE instead.
    params = getattr(found, "params", None)
    tzid = params.get("TZID") if params is not None else None
    if tzid and isinstance(value, datetime) and value.tzinfo is None:
        raise ScheduleError(f"{source}: {label}: {prop} names an unknown time zone {str(tzid)!r}")
    return value


def _first_tzid(calendar: Component) -> str | None:
    """The first IANA zone named by a TZID in the calendar, if any."""
    for event in calendar.walk("VEVENT"):
        for prop in ("DTSTART", "DTEND"):
            found = event.get(prop)
            params = getattr(found, "params", None)
            tzid = params.get("TZID") if params is not None else None
            if not tzid:
                continue
            place: tzinfo | None = getattr(getattr(found, "dt", None), "tzinfo", None)
            if isinstance(place, ZoneInfo):
                return place.key
            if _is_zone(str(tzid)):
                return str(tzid)
    for vtimezone in calendar.walk("VTIMEZONE"):
        tzid = _text(vtimezone.get("TZID"))
        if _is_zone(tzid):
            return tzid
    return None


def _is_zone(key: str) -> bool:
    """True when `key` names an IANA zone."""
    try:
        ZoneInfo(key)
    except (KeyError, ValueError):
        return False
    return True


def _first_category(event: Component) -> str:
    r"""The event's first non-empty category ("" when CATEGORIES is absent or empty).

    Sched writes several categories as one value with escaped commas
    ("FEATURED EVENT\, OFFICE HOURS"), so commas inside a value separate categories too.
    """
    found = event.get("CATEGORIES")
    groups = found if isinstance(found, list) else [found] if found is not None else []
    for group in groups:
        for category in getattr(group, "cats", []):
            for text in html.unescape(str(category)).split(","):
                if text.strip():
                    return text.strip()
    return ""


def _text(value: Any) -> str:
    """A text property as str ("" when absent; several values are joined by commas)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _unescaped(value: Any) -> str:
    """A text property with the HTML entities Sched writes (&amp; &#39; &quot;) decoded."""
    return html.unescape(_text(value))
