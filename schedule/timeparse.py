"""Read human times ("thu 3pm", "2013-11-07 14:45") and days in the summit's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

from dateutil import parser as dateparser
from dateutil.parser import ParserError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_instant(text: str, zone: tzinfo, at: datetime) -> datetime:
    """An aware UTC instant for `text`; missing parts come from `at` seen in `zone`.

    Raises ValueError with a one-line reason when `text` is not a time.
    """
    cleaned = text.strip()
    if not cleaned:
        raise ValueError("no time given")
    local = at.astimezone(zone)
    default = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    try:
        parsed = dateparser.parse(cleaned, default=default)
    except (ParserError, OverflowError, ValueError) as exc:
        raise ValueError(f"cannot read {cleaned!r} as a time") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def weekday_number(word: str) -> int | None:
    """0 for Monday .. 6 for Sunday when `word` names a weekday (or its first 3+ letters)."""
    key = word.strip().casefold()
    if len(key) < 3:
        return None
    for number, name in enumerate(WEEKDAYS):
        if name.startswith(key):
            return number
    return None


def resolve_day(word: str, days: tuple[date, ...], today: date) -> date | None:
    """The date `word` names: a weekday (a summit day first), or an ISO or written date."""
    weekday = weekday_number(word)
    if weekday is not None:
        for day in days:
            if day.weekday() == weekday:
                return day
        offset = (weekday - today.weekday()) % 7
        return date.fromordinal(today.toordinal() + offset)
    if not any(ch.isdigit() for ch in word):
        return None
    try:
        parsed = dateparser.parse(word, default=datetime(today.year, today.month, today.day))
    except (ParserError, OverflowError, ValueError):
        return None
    return parsed.date()
