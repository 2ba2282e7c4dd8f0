"""Time ranges as people read them: "Tue 5 Nov 11:15–11:55 HKT", each end labelled across DST.

A range whose two ends fall under different zone abbreviations (a session from 20:00 EST to
03:00 EDT) labels each end with its own; otherwise one label follows the range. A point event
(start == end) is one instant. Day and month names are English whatever the locale.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from schedule.names import DAYS, MONTHS


def clock_time(instant: datetime, zone: tzinfo) -> str:
    """Format like "11:15" in `zone`."""
    return instant.astimezone(zone).strftime("%H:%M")


def day_label(instant: datetime, zone: tzinfo) -> str:
    """Format like "Tue 5 Nov" in `zone`."""
    local = instant.astimezone(zone)
    return f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]}"


def zone_label(instant: datetime, zone: tzinfo) -> str:
    """The zone's abbreviation at `instant` ("HKT"), or its UTC offset ("UTC+10:30") if none."""
    local = instant.astimezone(zone)
    name = local.tzname()
    if name and name[0] not in "+-":
        return name
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}" + (f":{rest:02d}" if rest else "")


def format_range(start: datetime, end: datetime, zone: tzinfo, *, label: bool = True) -> str:
    """`start`–`end` in `zone`, the day named once unless the end falls on another day.

    Each end carries its own zone label when the two differ (across a DST change), whatever
    `label` says; otherwise one label follows the range when `label` is set.
    """
    first, last = zone_label(start, zone), zone_label(end, zone)
    begins = f"{day_label(start, zone)} {clock_time(start, zone)}"
    if start == end:
        return f"{begins} {first}" if label else begins
    same_day = start.astimezone(zone).date() == end.astimezone(zone).date()
    ends = clock_time(end, zone) if same_day else f"{day_label(end, zone)} {clock_time(end, zone)}"
    if first != last:
        return f"{begins} {first}–{ends} {last}"
    return f"{begins}–{ends} {first}" if label else f"{begins}–{ends}"
