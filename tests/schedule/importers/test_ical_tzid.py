"""Strict iCalendar zones: a TZID nobody knows is an error naming the event and the zone."""

from __future__ import annotations

import pytest

from schedule.importers import load_schedule_bytes
from schedule.importers.ical import parse_ical
from schedule.model import ScheduleError


def calendar(*lines: str, header: str = "X-WR-TIMEZONE:Asia/Hong_Kong") -> str:
    """A calendar with one event made of `lines`."""
    body = "\n".join(lines)
    return (
        f"BEGIN:VCALENDAR\nVERSION:2.0\n{header}\nBEGIN:VEVENT\nUID:u1\nSUMMARY:Scheduler talk\n"
        f"{body}\nEND:VEVENT\nEND:VCALENDAR\n"
    )


@pytest.mark.parametrize("prop", ["DTSTART", "DTEND"])
def test_unknown_tzid_is_an_error_naming_event_and_zone(prop: str) -> None:
    """An unknown TZID is not silently read in X-WR-TIMEZONE."""
    start = "DTSTART;TZID=Asia/Hong_Kong:20131105T111500"
    end = "DTEND;TZID=Asia/Hong_Kong:20131105T115500"
    if prop == "DTSTART":
        start = "DTSTART;TZID=Mars/Olympus_Mons:20131105T111500"
    else:
        end = "DTEND;TZID=Mars/Olympus_Mons:20131105T115500"
    with pytest.raises(ScheduleError) as raised:
        parse_ical(calendar(start, end), source="summit.ics")
    message = str(raised.value)
    assert "Scheduler talk" in message
    assert "Mars/Olympus_Mons" in message
    assert prop in message


def test_unknown_tzid_without_a_calendar_zone_is_an_error_too() -> None:
    """With no X-WR-TIMEZONE either, the unknown zone is named (not "floating time")."""
    text = calendar(
        "DTSTART;TZID=Nowhere Standard Time:20131105T111500",
        "DURATION:PT40M",
        header="PRODID:-//x//y//EN",
    )
    with pytest.raises(ScheduleError, match="Nowhere Standard Time"):
        load_schedule_bytes(text.encode(), source="summit.ics", timezone="Asia/Hong_Kong")


def test_known_tzid_and_floating_times_still_read() -> None:
    """IANA TZIDs and floating times with X-WR-TIMEZONE are read as before."""
    named = parse_ical(
        calendar(
            "DTSTART;TZID=Europe/Berlin:20131105T111500",
            "DTEND;TZID=Europe/Berlin:20131105T115500",
        ),
        source="a.ics",
    )
    assert named.sessions[0].start.utcoffset() is not None
    floating = parse_ical(calendar("DTSTART:20131105T111500", "DURATION:PT40M"), source="b.ics")
    assert floating.sessions[0].start.isoformat() == "2013-11-05T03:15:00+00:00"  # stored in UTC
