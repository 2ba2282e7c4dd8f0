"""Reading a person's time ("thu 3pm") against the schedule in service."""

from __future__ import annotations

from datetime import datetime

from schedule.index import ScheduleIndex
from schedule.timeparse import ParsedTime, parse_time


def read_time(text: str, index: ScheduleIndex, now: datetime) -> ParsedTime:
    """A human time read in the summit's zone (see `schedule.timeparse`).

    Weekdays name the summit's days; a bare time or hour is on the clock's day while the
    clock is within the summit's days, else on the summit's first day.
    """
    zone = index.schedule.zone
    days = index.days()
    reference = now
    first = index.first
    if first is not None and days and not days[0] <= now.astimezone(zone).date() <= days[-1]:
        reference = first.start
    return parse_time(text, zone, reference, days)
