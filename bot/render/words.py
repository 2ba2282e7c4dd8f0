"""The words every answer shares: dates, times, ranges, waits and zones; counts and pages.

Blocks, fallback text, the console, DMs and notices all use these functions, so a day is
always "Fri 8 Nov", a range "Fri 8 Nov 11:15–11:55 HKT" and a wait "in 1 h 40 min",
whatever the locale of the machine (day and month names are English, not `%a`/`%b`).
Ranges, times of day and zone labels come from `schedule.ranges` (point events, a label per
end across a clock change), so the schedule's own texts (a calendar's description) read the
same. Nothing here escapes: the texts hold only digits, names of days, months and zones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING, TypeVar

from schedule.names import DAYS, LONG_DAYS, LONG_MONTHS, MONTHS
from schedule.ranges import clock_time as clock_time
from schedule.ranges import format_range
from schedule.ranges import zone_label as zone_label

if TYPE_CHECKING:
    from schedule.diff import SessionChange
    from schedule.model import Session


MINUTES_PER_DAY = 24 * 60
T = TypeVar("T")


def _day_of(when: datetime | date, zone: tzinfo | None) -> date:
    if isinstance(when, datetime):
        return when.astimezone(zone).date() if zone is not None else when.date()
    return when


def day_label(when: datetime | date, zone: tzinfo | None = None) -> str:
    """A day like "Fri 8 Nov": an instant is read in `zone`, a date as it is."""
    day = _day_of(when, zone)
    return f"{DAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"


def long_day(when: datetime | date, zone: tzinfo | None = None, *, year: bool = False) -> str:
    """A day like "Friday 8 November" (with `year`: "Friday 8 November 2013")."""
    day = _day_of(when, zone)
    text = f"{LONG_DAYS[day.weekday()]} {day.day} {LONG_MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if year else text


def clock_label(instant: datetime, zone: tzinfo) -> str:
    """A time with its zone, like "11:15 HKT"."""
    return f"{clock_time(instant, zone)} {zone_label(instant, zone)}"


def moment(instant: datetime, zone: tzinfo) -> str:
    """A day, time and zone, like "Fri 8 Nov 11:15 HKT"."""
    return f"{day_label(instant, zone)} {clock_label(instant, zone)}"


def instant_range(start: datetime, end: datetime, zone: tzinfo) -> str:
    """A range like "Fri 8 Nov 11:15–11:55 HKT", the day named once.

    The end names its own day when it falls on another one ("Fri 8 Nov 23:30–Sat 9 Nov
    00:30 HKT"), each end carries its own zone label when a clock change falls in between
    ("Sun 3 Nov 01:30 EDT–01:15 EST"), and a point event is one time ("Tue 5 Nov 11:15
    HKT"): `schedule.ranges.format_range` writes them.
    """
    return format_range(start, end, zone)


def time_range(session: Session, zone: tzinfo) -> str:
    """The session's range in `zone` (see `instant_range`)."""
    return instant_range(session.start, session.end, zone)


def slot(session: Session, zone: tzinfo) -> str:
    """Where and when, like "Fri 8 Nov 11:15–11:55 HKT, Room 204" (room left out if unknown)."""
    room = " ".join(session.room.split())
    return f"{time_range(session, zone)}, {room}" if room else time_range(session, zone)


def minutes_between(earlier: datetime, later: datetime) -> int:
    """Whole minutes from `earlier` to `later`, rounded up."""
    seconds = (later - earlier).total_seconds()
    return int(-(-seconds // 60))


def duration_words(minutes: int) -> str:
    """A length like "45 min", "2 h", "1 h 5 min" (under a day), then "1 day", "3 days"."""
    if minutes < 60:
        return f"{minutes} min"
    if minutes < MINUTES_PER_DAY:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h" if rest == 0 else f"{hours} h {rest} min"
    days = int(minutes / MINUTES_PER_DAY + 0.5)
    return f"{days} day{'s' * (days != 1)}"


def relative(at: datetime, instant: datetime) -> str:
    """How far `instant` is from `at`: "in 25 min", "in 1 h 40 min", "in 2 days", "5 min ago"."""
    minutes = minutes_between(at, instant)
    if minutes == 0:
        return "now"
    if minutes > 0:
        return f"in {duration_words(minutes)}"
    return f"{duration_words(-minutes)} ago"


def status_line(session: Session, at: datetime) -> str:
    """Where the session stands at `at`: on now with time left, starting in, or ended.

    A point event is never on: at its instant it is "now", after it "passed".
    """
    if session.in_progress(at):
        return f"on now · {duration_words(minutes_between(at, session.end))} left"
    if at < session.start:
        return f"starts {relative(at, session.start)}"
    if session.is_point:
        return "now" if at == session.start else "passed"
    return "ended"


def slack_date(instant: datetime, zone: tzinfo, fmt: str = "{date_short_pretty} {time}") -> str:
    """A `<!date^…>` token Slack shows in each viewer's own zone, falling back to `zone`."""
    return f"<!date^{int(instant.timestamp())}^{fmt}|{moment(instant, zone)}>"


def describe_move(change: SessionChange, zone: tzinfo) -> str:
    """What changed, like "Tue 5 Nov 11:15–11:55 HKT, Room 204 → Wed 6 Nov 14:00–14:40 HKT, Room 201".

    A rename adds "was: Old title"; a change nobody sees reads "details updated".
    """
    parts: list[str] = []
    if change.moved:
        parts.append(f"{slot(change.old, zone)} → {slot(change.new, zone)}")
    if change.renamed:
        parts.append(f"was: {' '.join(change.old.title.split())}")
    return "; ".join(parts) if parts else "details updated"


def describe_cancel(session: Session, zone: tzinfo) -> str:
    """A dropped session, like "cancelled (was Tue 5 Nov 11:15–11:55 HKT, Room 204)"."""
    return f"cancelled (was {slot(session, zone)})"


def when(instant: datetime, zone: tzinfo) -> str:
    """The day and time in `zone`, like "Tue 5 Nov at 11:15 HKT"."""
    return f"{day_label(instant, zone)} at {clock_label(instant, zone)}"


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`count` with `noun`, plural unless one: "1 session", "3 sessions", "2 people"."""
    word = noun if count == 1 else (many or noun + "s")
    return f"{count} {word}"


def page_of(items: Sequence[T], page: int, size: int) -> tuple[Sequence[T], int]:
    """The items on page `page` (from 0) of `size` each, and how many come after them."""
    first = page * size
    shown = items[first : first + size]
    return shown, max(0, len(items) - first - len(shown))
