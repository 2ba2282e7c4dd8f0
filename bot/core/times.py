"""Reading a person's time ("thu 3pm") against the schedule in service."""

from __future__ import annotations

from datetime import datetime

from schedule.index import ScheduleIndex
from schedule.timeparse import parse_instant


def read_time(text: str, index: ScheduleIndex, now: datetime) -> datetime:
    """A human time read in the summit's zone; days default to the summit's when outside it."""
    reference = now
    first, ends = index.first, index.ends_at
    if first is not None and ends is not None and not first.start <= now < ends:
        reference = first.start
    return parse_instant(text, index.schedule.zone, reference)
