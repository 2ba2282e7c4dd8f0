"""The words every answer shares: when something happens, how many there are, which page.

One home for these, so that `now`, `next`, the App Home page and the reminders say the
same thing the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import TypeVar

from bot.render.blocks import clock_time, day_label, zone_label

T = TypeVar("T")


def clock_label(instant: datetime, zone: tzinfo) -> str:
    """The time of day in `zone` with the zone's name, like "11:15 HKT"."""
    return f"{clock_time(instant, zone)} {zone_label(instant, zone)}"


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
