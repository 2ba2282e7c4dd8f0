from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from schedule.ics_export import export_ics
from schedule.model import Session
from schedule.ranges import format_range, zone_label

NEW_YORK = ZoneInfo("America/New_York")
HONG_KONG = ZoneInfo("Asia/Hong_Kong")


def ny(text: str) -> datetime:
    """An instant given in New York wall time (no DST gap or overlap at these times)."""
    return datetime.fromisoformat(text).replace(tzinfo=NEW_YORK).astimezone(UTC)


OVERNIGHT = Session(
    id="night", title="Night", start=ny("2014-03-08 20:00"), end=ny("2014-03-09 03:00")
)


def test_range_across_spring_forward_labels_each_end() -> None:
    """20:00 EST to 03:00 EDT carries both labels, so the end is not an hour off."""
    assert format_range(OVERNIGHT.start, OVERNIGHT.end, NEW_YORK) == (
        "Sat 8 Mar 20:00 EST–Sun 9 Mar 03:00 EDT"
    )


def test_range_across_fall_back_labels_each_end() -> None:
    """01:30 EDT to 01:10 EST (later, after the clocks fell back) says which 01:xx is which."""
    start = datetime(2014, 11, 2, 5, 30, tzinfo=UTC)
    end = datetime(2014, 11, 2, 6, 10, tzinfo=UTC)
    assert format_range(start, end, NEW_YORK) == "Sun 2 Nov 01:30 EDT–01:10 EST"


def test_range_without_change_has_one_label() -> None:
    """A range inside one offset keeps its single trailing label."""
    start = datetime(2013, 11, 5, 3, 15, tzinfo=UTC)
    end = datetime(2013, 11, 5, 3, 55, tzinfo=UTC)
    assert format_range(start, end, HONG_KONG) == "Tue 5 Nov 11:15–11:55 HKT"
    assert format_range(start, end, HONG_KONG, label=False) == "Tue 5 Nov 11:15–11:55"


def test_point_event_is_one_instant() -> None:
    """A zero-length event prints as one time, not 11:15–11:15."""
    start = datetime(2013, 11, 5, 3, 15, tzinfo=UTC)
    assert format_range(start, start, HONG_KONG) == "Tue 5 Nov 11:15 HKT"


def test_zone_without_abbreviation_shows_minutes_of_offset() -> None:
    """Lord Howe's +10:30 is labelled UTC+10:30, not cut to UTC+10."""
    winter = datetime(2014, 7, 1, 0, 0, tzinfo=UTC)
    assert zone_label(winter, ZoneInfo("Australia/Lord_Howe")) == "UTC+10:30"
    assert zone_label(winter, ZoneInfo("America/St_Johns")) == "NDT"
    assert zone_label(winter, ZoneInfo("America/Sao_Paulo")) == "UTC-03"


def test_calendar_export_description_labels_each_end() -> None:
    """The exported event's description gives the venue range with both labels."""
    data = export_ics(
        [OVERNIGHT], calendar_name="x", timezone="America/New_York", at=OVERNIGHT.start
    )
    (event,) = Calendar.from_ical(data).walk("VEVENT")
    assert str(event["description"]).startswith("When: Sat 8 Mar 20:00 EST–Sun 9 Mar 03:00 EDT")


def test_change_notice_slot_labels_each_end_across_dst() -> None:
    """The slot a change DM names carries both labels when DST changes inside it."""
    from bot.render.words import describe_cancel

    assert describe_cancel(OVERNIGHT, NEW_YORK) == (
        "cancelled (was Sat 8 Mar 20:00 EST–Sun 9 Mar 03:00 EDT)"
    )
