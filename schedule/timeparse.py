"""The one reader of human times ("thu 3pm", "9", "2013-11-07 14:45 EST") and days.

Every time word of the bot (`--at`, `--start`, `:time`, `:warp`, `/nova <weekday|date>`)
goes through `parse_time` or `resolve_day`:

- a weekday means the summit's day of that name, wherever the clock stands;
- a bare number is an hour of the current day ("9" = 09:00), never a day or a year;
- a trailing zone is an IANA name ("Europe/Berlin"), an unambiguous abbreviation ("EST",
  "HKT"), "Z" or an offset ("+01:00"); ambiguous ("CST", "IST") or unknown ones are refused;
- a local time the zone skips (a DST gap) or repeats (an overlap) is taken with a note saying
  which instant was chosen.

Errors are `TimeError` (a ValueError) with a one-line reason that ends with an example.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateparser
from dateutil.parser import ParserError

from schedule.names import DAYS, LONG_DAYS, LONG_MONTHS, MONTHS

WEEKDAYS = tuple(day.lower() for day in LONG_DAYS)
EXAMPLE = "e.g. 'thu 3pm', '9', '14:30' or '2013-11-07 14:45 HKT'"

# Abbreviations that name one offset only. CST, IST, BST, AST and the like name several
# zones (China and US Central, India and Ireland...) and are refused as ambiguous.
_ABBREVIATIONS: dict[str, float] = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "CET": 1, "CEST": 2, "MET": 1,
    "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "EST": -5, "EDT": -4, "CDT": -5, "MST": -7,
    "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10, "HKT": 8, "SGT": 8,
    "AWST": 8, "JST": 9, "KST": 9, "ACST": 9.5, "ACDT": 10.5, "AEST": 10, "AEDT": 11,
    "NZST": 12, "NZDT": 13, "NST": -3.5, "NDT": -2.5,
}  # fmt: skip
_AMBIGUOUS = {
    "CST": "US Central or China",
    "IST": "India, Ireland or Israel",
    "BST": "British Summer or Bangladesh",
    "AST": "Atlantic or Arabia",
    "ADT": "Atlantic or Arabia",
    "SST": "Samoa or Singapore",
}
_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
_ATTACHED_OFFSET = re.compile(r"(?<=\d)(Z|[+-]\d{2}:?\d{2})$")
_NOT_ZONES = {"am", "pm", "a.m.", "p.m.", "noon", "midnight", "at", "on", "of", "the"}


class TimeError(ValueError):
    """A text that is not a time; the message is one line ending with an example."""


@dataclass(frozen=True, slots=True)
class ParsedTime:
    """An instant read from text, with a note when the local time was skipped or repeated."""

    instant: datetime
    note: str | None = None


def parse_time(text: str, zone: tzinfo, at: datetime, days: tuple[date, ...] = ()) -> ParsedTime:
    """The instant `text` names; missing parts come from `at` seen in `zone`.

    `days` are the summit's local days: a weekday names the one of them with that name.
    Raises TimeError with a one-line reason when `text` is not a time.
    """
    cleaned = " ".join(text.split())
    if not cleaned:
        raise TimeError(f"no time given ({EXAMPLE})")
    exact = _iso_instant(cleaned)
    if exact is not None:
        return ParsedTime(exact)
    words, word = _split_zone(cleaned)
    if word is None:
        return _placed(_local(words, at.astimezone(zone).date(), days, cleaned), zone, cleaned)
    try:
        place: tzinfo | None = _zone_word(word)
        refusal: TimeError | None = None
    except TimeError as exc:
        place, refusal = None, exc
    local = _local(words, at.astimezone(place or zone).date(), days, cleaned)
    # The summit zone's own abbreviation at that wall time ("IST" in Dublin, "EDT" in New
    # York) is honoured even where it is ambiguous elsewhere, and it picks the fold.
    if word.isalpha():
        for fold in (0, 1):
            own = local.replace(tzinfo=zone, fold=fold)
            if own.tzname() == word.upper() or own.tzname() == word:
                return ParsedTime(own.astimezone(UTC))
    if refusal is not None:
        raise refusal
    assert place is not None
    return _placed(local, place, cleaned)


def parse_instant(text: str, zone: tzinfo, at: datetime, days: tuple[date, ...] = ()) -> datetime:
    """The UTC instant `text` names (see `parse_time`), without its note."""
    return parse_time(text, zone, at, days).instant.astimezone(UTC)


def weekday_number(word: str) -> int | None:
    """0 for Monday .. 6 for Sunday when `word` names a weekday (or its first 3+ letters)."""
    key = word.strip().casefold().rstrip(".,")
    if len(key) < 3:
        return None
    for number, name in enumerate(WEEKDAYS):
        if name.startswith(key):
            return number
    return None


def resolve_day(word: str, days: tuple[date, ...], today: date) -> date | None:
    """The date `word` names: a weekday (the summit's day first) or a date; else None.

    A bare number is not a day (it would be an hour), so "7" gives None.
    """
    cleaned = " ".join(word.split())
    weekday = weekday_number(cleaned)
    if weekday is not None:
        return _weekday_date(weekday, days, today)
    if not any(ch.isdigit() for ch in cleaned) or cleaned.isdigit():
        return None
    try:
        parsed = _dateutil(cleaned, datetime.combine(today, time()))
    except TimeError:
        return None
    return parsed.date() if parsed.time() == time() else None


def _weekday_date(weekday: int, days: tuple[date, ...], today: date) -> date:
    """The summit's day called `weekday`, else that weekday on or after `today`."""
    for day in days:
        if day.weekday() == weekday:
            return day
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def _iso_instant(text: str) -> datetime | None:
    """`text` as an ISO 8601 instant with an offset, or None when it is not one."""
    if not re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d", text):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None


def _split_zone(text: str) -> tuple[str, str | None]:
    """The words of `text` without a trailing zone word, and that word (None if none)."""
    attached = _ATTACHED_OFFSET.search(text)
    if attached is not None:
        return text[: attached.start()].strip(), attached.group(1)
    words = text.split(" ")
    last = words[-1]
    rest = " ".join(words[:-1])
    # A word after a clock time ("14:45 XYZ") is a zone, a known one or a refused one.
    if len(words) > 1 and _looks_like_zone(last) and any(ch.isdigit() for ch in rest):
        return rest, last
    return text, None


def _looks_like_zone(word: str) -> bool:
    """True when `word` is written like a zone rather than a clock time or a day."""
    if "/" in word or _OFFSET.match(word):
        return True
    key = word.casefold()
    if key in _NOT_ZONES or weekday_number(key) is not None or _is_month(key):
        return False
    return word.isalpha() and 1 <= len(word) <= 5


def _zone_word(word: str) -> tzinfo:
    """The zone a word names, or a TimeError saying why it cannot be used."""
    offset = _OFFSET.match(word)
    if offset is not None:
        sign, hours, minutes = offset.groups()
        span = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if span > timedelta(hours=14) or int(minutes or 0) >= 60:
            raise TimeError(f"offset {word!r} is out of range (-12:00 to +14:00), {EXAMPLE}")
        return timezone(-span if sign == "-" else span)
    key = word.upper()
    if key in _AMBIGUOUS:
        raise TimeError(
            f"zone {word!r} is ambiguous ({_AMBIGUOUS[key]}); give an IANA name such as "
            "'America/Chicago' or an offset such as '+08:00'"
        )
    if key in _ABBREVIATIONS:
        return timezone(timedelta(hours=_ABBREVIATIONS[key]), key)
    try:
        return ZoneInfo(word)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeError(
            f"unknown zone {word!r}; give an IANA name such as 'Europe/Berlin', an "
            "abbreviation such as EST or CET, or an offset such as '+08:00'"
        ) from None


_MONTHS = tuple(name.casefold() for name in LONG_MONTHS)


def _is_month(word: str) -> bool:
    return len(word) >= 3 and any(name.startswith(word) for name in _MONTHS)


def _local(words: str, today: date, days: tuple[date, ...], original: str) -> datetime:
    """The naive local date and time `words` name (no zone left in them)."""
    if not words:
        raise TimeError(f"no time before the zone in {original!r} ({EXAMPLE})")
    first, _, rest = words.partition(" ")
    weekday = weekday_number(first)
    if weekday is not None:
        on = _weekday_date(weekday, days, today)
        return (
            datetime.combine(on, _clock(rest, original)) if rest else datetime.combine(on, time())
        )
    if words.isdigit():
        return datetime.combine(today, _clock(words, original))
    if re.fullmatch(r"\d{1,2}(:\d{2})?\s*([ap]\.?m\.?)?", words, re.IGNORECASE):
        return datetime.combine(today, _clock(words, original))
    return _dateutil(words, datetime.combine(today, time()), original)


def _clock(words: str, original: str) -> time:
    """A clock time: "9" (an hour), "9am", "14:30", "2:45pm"."""
    if words.isdigit():
        if int(words) > 23:
            raise TimeError(
                f"{words!r} in {original!r} is not an hour of the day (0-23); "
                "write a time such as '9', '9am' or '14:30'"
            )
        return time(int(words))
    parsed = _dateutil(words, datetime(2000, 1, 1), original)
    if parsed.date() != date(2000, 1, 1):
        raise TimeError(f"{words!r} in {original!r} is not a clock time ({EXAMPLE})")
    return parsed.time()


def _dateutil(words: str, default: datetime, original: str | None = None) -> datetime:
    """Dateutil's reading of a date and time without a zone, refusing bare years and days."""
    shown = original or words
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            parsed = dateparser.parse(words, default=default, ignoretz=True)
    except (ParserError, OverflowError, ValueError, Warning):
        raise TimeError(f"cannot read {shown!r} as a time ({EXAMPLE})") from None
    return parsed


def _placed(local: datetime, place: tzinfo, original: str) -> ParsedTime:
    """`local` in `place`, with a note when the zone skips or repeats that wall time."""
    first = local.replace(tzinfo=place, fold=0)
    second = local.replace(tzinfo=place, fold=1)
    if first.utcoffset() == second.utcoffset():
        return ParsedTime(first.astimezone(UTC))
    shown = f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local:%Y %H:%M}"
    if _round_trips(first):
        # An overlap: the wall time happens twice; take the first, say how to get the second.
        chosen = first.astimezone(UTC)
        other = second.astimezone(place)
        return ParsedTime(
            chosen,
            f"{shown} happens twice in {_name(place)}; took the first ({first:%H:%M %Z}), "
            f"write {other:%H:%M} {other:%Z} for the second",
        )
    # A gap: the wall time does not exist; take the instant the clocks jumped over it at.
    chosen = first.astimezone(UTC)
    shown_as = chosen.astimezone(place)
    return ParsedTime(
        chosen,
        f"{shown} does not exist in {_name(place)} (the clocks skip it); took {shown_as:%H:%M %Z}",
    )


def _round_trips(aware: datetime) -> bool:
    return aware.astimezone(UTC).astimezone(aware.tzinfo).replace(tzinfo=None) == aware.replace(
        tzinfo=None, fold=0
    )


def _name(place: tzinfo) -> str:
    return str(getattr(place, "key", place))
