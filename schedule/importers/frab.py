"""frab and pretalx schedule JSON: schedule.conference.days[].rooms{room: [events]}."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

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

_DURATION = re.compile(r"^(\d{1,3}):([0-5]\d)(?::([0-5]\d))?$")


def parse_frab(
    data: bytes | str,
    *,
    source: str,
    timezone: str | None = None,
    track: str | None = None,
    name: str | None = None,
) -> Schedule:
    """A whole schedule from frab/pretalx JSON; every event of every room becomes a session.

    The zone is `timezone`, else conference.time_zone_name, else the offset the event dates
    carry. Raises ScheduleError naming the source and the day, room and event at fault.
    """
    root = load_json(data, source=source)
    return schedule_from_frab(root, source=source, timezone=timezone, track=track, name=name)


def schedule_from_frab(
    root: Any,
    *,
    source: str,
    timezone: str | None = None,
    track: str | None = None,
    name: str | None = None,
    lines: dict[int, int] | None = None,
) -> Schedule:
    """A whole schedule from a frab document read into dicts and lists (from JSON or XML).

    `lines` maps the id of an event dict to its line in the source, for error messages.
    """
    conference = _conference(root, source)
    zone_name = timezone or _text(conference.get("time_zone_name"), f"{source}: time_zone_name")
    if zone_name:
        zone(zone_name, source=source)
    drafts = [
        _draft(event, day, room, zone_name or None, track, where)
        for event, day, room, where in _events(conference["days"], source, lines or {})
    ]
    title = _text(conference.get("title"), f"{source}: title").strip()
    return build_schedule(
        drafts,
        name=name or title or default_name(source),
        timezone=zone_name or _zone_from_offsets(drafts, source),
        source=source,
    )


def _conference(root: Any, source: str) -> dict[str, Any]:
    """schedule.conference, with its days checked to be a list."""
    plan = root.get("schedule") if isinstance(root, dict) else None
    conference = plan.get("conference") if isinstance(plan, dict) else None
    if not isinstance(conference, dict):
        raise ScheduleError(f"{source}: not a frab schedule (no schedule.conference object)")
    if not isinstance(conference.get("days"), list):
        raise ScheduleError(f"{source}: schedule.conference.days is missing or not a list")
    return conference


def _events(
    days: list[Any], source: str, lines: dict[int, int]
) -> Iterator[tuple[dict[str, Any], dict[str, Any], str, str]]:
    """Every (event, its day, its room, where it is) of a frab days list, checked for shape."""
    for day_number, day in enumerate(days, start=1):
        rooms = day.get("rooms", {}) if isinstance(day, dict) else None
        if not isinstance(rooms, dict):
            raise ScheduleError(f"{source}: day {day_number} has no rooms object")
        for room, events in rooms.items():
            if not isinstance(events, list):
                raise ScheduleError(f"{source}: day {day_number} room {room!r} is not a list")
            for number, event in enumerate(events, start=1):
                line = lines.get(id(event))
                place = f"{source}:{line}:" if line else f"{source}:"
                where = f"{place} day {day_number}, room {room!r}, event {number}"
                if not isinstance(event, dict):
                    raise ScheduleError(f"{where}: not an object")
                yield event, day, str(room), where


def load_json(data: bytes | str, *, source: str) -> Any:
    """Parsed JSON, or a one-line ScheduleError with the line and column of the fault."""
    text = decode(data, source=source)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fault = f"{exc.msg[:1].lower()}{exc.msg[1:]} column {exc.colno}"
        if exc.msg.startswith("Unterminated") or exc.pos >= len(text.rstrip()):
            fault += "; the file ends too early (truncated?)"
        raise ScheduleError(f"{source}:{exc.lineno}: not valid JSON: {fault}") from None


def _draft(
    event: dict[str, Any],
    day: dict[str, Any],
    room: str,
    zone_name: str | None,
    track: str | None,
    where: str,
) -> Draft:
    """One session from one frab event."""
    uid = _text(event.get("guid"), where) or _text(event.get("id"), where)
    title = _text(event.get("title"), where).strip()
    if uid or title:
        where = f"{where} ({', '.join(part for part in (uid, repr(title)) if part)})"
    begins = _start(event, day, zone_name, where)
    ends = begins + _duration(event.get("duration"), where)
    raw = [_text(event.get(key), where) for key in ("subtitle", "abstract", "description")]
    description = "\n\n".join(distinct(plain_text(part) for part in raw))
    explicit = [_text(event.get("url"), where)]
    for link in _list(event.get("links"), "links", where):
        explicit.append(_text(link.get("url") if isinstance(link, dict) else link, where))
    persons = _list(event.get("persons"), "persons", where)
    return Draft(
        where=where,
        title=title or "(untitled)",
        start=begins,
        end=ends,
        room=_text(event.get("room"), where).strip() or room,
        track=_text(event.get("track"), where).strip() if track is None else track,
        description=description,
        proposers=distinct(_person(person, where) for person in persons),
        links=links_for(explicit, title, *raw),
        uid=uid,
    )


def _start(
    event: dict[str, Any], day: dict[str, Any], zone_name: str | None, where: str
) -> datetime:
    """The event's start: its ISO `date`, else the day's date and its `start` clock time."""
    stamp = _text(event.get("date"), where).strip()
    if stamp:
        try:
            begins = datetime.fromisoformat(stamp)
        except ValueError:
            raise ScheduleError(f"{where}: cannot read date {stamp!r}") from None
    else:
        begins = _start_from_day(event, day, where)
    if begins.tzinfo is None:
        if zone_name is None:
            raise ScheduleError(
                f"{where}: start {stamp or begins.isoformat()!r} has no offset and the "
                "schedule names no time zone; give the venue's zone with --timezone "
                "(or SUMMIT_BOT_SCHEDULE_TIMEZONE)"
            )
        begins = begins.replace(tzinfo=zone(zone_name, source=where))
    return begins


def _start_from_day(event: dict[str, Any], day: dict[str, Any], where: str) -> datetime:
    """A naive start from day.date and event.start; times before day_start are the next day."""
    clock = _text(event.get("start"), where).strip()
    day_text = _text(day.get("date"), where).strip()
    try:
        on = date.fromisoformat(day_text)
        at = time.fromisoformat(clock)
    except ValueError:
        raise ScheduleError(
            f"{where}: no date, and cannot read day {day_text!r} with start {clock!r}"
        ) from None
    day_start = _text(day.get("day_start"), where).strip()
    if day_start:
        try:
            opens = datetime.fromisoformat(day_start).time()
        except ValueError:
            raise ScheduleError(f"{where}: cannot read day_start {day_start!r}") from None
        if at < opens:
            on += timedelta(days=1)
    return datetime.combine(on, at)


def _duration(value: Any, where: str) -> timedelta:
    """A frab duration "HH:MM" or "H:MM:SS"."""
    match = _DURATION.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ScheduleError(f"{where}: cannot read duration {value!r} (expected HH:MM)")
    hours, minutes, seconds = match.groups()
    return timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds or 0))


def _zone_from_offsets(drafts: list[Draft], source: str) -> str:
    """A zone for a schedule that names none: the fixed-offset zone its dates carry."""
    offsets = {draft.start.utcoffset() for draft in drafts}
    if not offsets:
        return "UTC"
    if len(offsets) != 1:
        raise ScheduleError(
            f"{source}: no time_zone_name and the dates carry several offsets; give the "
            "venue's zone with --timezone (or SUMMIT_BOT_SCHEDULE_TIMEZONE)"
        )
    offset = offsets.pop() or timedelta()
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    if rest or not -12 <= hours <= 14:
        raise ScheduleError(
            f"{source}: no time_zone_name and offset {offset} has no zone; give the venue's "
            "zone with --timezone (or SUMMIT_BOT_SCHEDULE_TIMEZONE)"
        )
    return "UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"


def _person(person: Any, where: str) -> str:
    """A speaker's public name."""
    if isinstance(person, str):
        return person.strip()
    if isinstance(person, dict):
        for key in ("public_name", "name", "full_public_name"):
            name = _text(person.get(key), where).strip()
            if name:
                return name
        return ""
    raise ScheduleError(f"{where}: a person is neither a name nor an object")


def _list(value: Any, key: str, where: str) -> list[Any]:
    """A list field (absent or null means empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ScheduleError(f"{where}: {key} is not a list")
    return value


def _text(value: Any, where: str) -> str:
    """A text field as str ("" when absent or null); numbers are written out."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ScheduleError(f"{where}: expected text, found {type(value).__name__} {value!r}")
    return str(value)
