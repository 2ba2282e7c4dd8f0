from __future__ import annotations

import warnings
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from schedule.timeparse import (
    ParsedTime,
    TimeError,
    parse_instant,
    parse_time,
    resolve_day,
    weekday_number,
)
from tests.factories import HKG, local


def test_weekday_and_pm_in_venue_zone() -> None:
    """The text "thu 3pm" in the summit week is Thursday 15:00 Hong Kong time."""
    at = local("2013-11-05 11:00")
    assert parse_instant("thu 3pm", HKG, at) == local("2013-11-07 15:00")


def test_iso_date_and_time_in_venue_zone() -> None:
    """A date and time without offset is read in the venue's zone."""
    assert parse_instant("2013-11-07 14:45", HKG, local("2020-01-01 00:00")) == local(
        "2013-11-07 14:45"
    )


def test_explicit_offset_wins() -> None:
    """A time with its own offset keeps it."""
    assert parse_instant("2013-11-07T06:45:00Z", HKG, local("2013-11-05 00:00")) == local(
        "2013-11-07 14:45"
    )


def test_time_only_uses_current_local_day() -> None:
    """A bare time means that time on the current local day."""
    at = local("2013-11-06 00:30")
    assert parse_instant("9am", HKG, at) == local("2013-11-06 09:00")


@pytest.mark.parametrize("text", ["", "banana split", "25:99"])
def test_bad_times_raise(text: str) -> None:
    """Text that is not a time raises ValueError."""
    with pytest.raises(ValueError, match="time"):
        parse_instant(text, HKG, local("2013-11-05 11:00"))


def test_weekday_number() -> None:
    """Weekday names and three-letter abbreviations are recognised; other words are not."""
    assert weekday_number("Thursday") == 3
    assert weekday_number("thu") == 3
    assert weekday_number("th") is None
    assert weekday_number("now") is None


def test_resolve_day_prefers_summit_days() -> None:
    """A weekday names the summit's day of that name, whatever today is."""
    days = (date(2013, 11, 5), date(2013, 11, 6), date(2013, 11, 7), date(2013, 11, 8))
    assert resolve_day("thursday", days, date(2026, 11, 24)) == date(2013, 11, 7)
    assert resolve_day("2013-11-08", days, date(2026, 11, 24)) == date(2013, 11, 8)
    assert resolve_day("sunday", days, date(2013, 11, 5)) == date(2013, 11, 10)
    assert resolve_day("help", days, date(2013, 11, 5)) is None


SUMMIT_DAYS = (date(2013, 11, 5), date(2013, 11, 6), date(2013, 11, 7), date(2013, 11, 8))
NEW_YORK = ZoneInfo("America/New_York")


def read(text: str, at: str = "2013-11-08 10:00", zone: ZoneInfo = HKG) -> ParsedTime:
    """`text` read with the clock at HK local `at` during the summit."""
    return parse_time(text, zone, local(at), SUMMIT_DAYS)


def test_weekday_is_the_summits_day_wherever_the_clock_is() -> None:
    """The text "wed 11:50am" is the summit's Wednesday even with the clock on Friday or a year on."""
    assert read("wed 11:50am").instant == local("2013-11-06 11:50")
    assert read("wednesday 11:50", at="2014-06-01 10:00").instant == local("2013-11-06 11:50")
    assert read("thu").instant == local("2013-11-07 00:00")


@pytest.mark.parametrize(("text", "hour"), [("9", 9), ("0", 0), ("23", 23), ("09", 9)])
def test_bare_number_is_an_hour(text: str, hour: int) -> None:
    """A bare number is that hour of the current day, never a day of the month."""
    assert read(text).instant == local(f"2013-11-08 {hour:02d}:00")


@pytest.mark.parametrize("text", ["24", "60", "2060", "thu 25"])
def test_bare_number_out_of_hours_is_refused_with_example(text: str) -> None:
    """A number that is no hour is refused, with an example, never read as a year."""
    with pytest.raises(TimeError, match=r"is not an hour of the day \(0-23\).*'9am'"):
        read(text)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2013-11-07 14:45 EST", datetime(2013, 11, 7, 19, 45, tzinfo=UTC)),
        ("2013-11-07 14:45 edt", datetime(2013, 11, 7, 18, 45, tzinfo=UTC)),
        ("2013-11-07 14:45 CET", datetime(2013, 11, 7, 13, 45, tzinfo=UTC)),
        ("2013-11-07 14:45 HKT", datetime(2013, 11, 7, 6, 45, tzinfo=UTC)),
        ("2013-11-07 14:45 UTC", datetime(2013, 11, 7, 14, 45, tzinfo=UTC)),
        ("2013-11-07 14:45 Europe/Berlin", datetime(2013, 11, 7, 13, 45, tzinfo=UTC)),
        ("2013-11-07 14:45 +05:30", datetime(2013, 11, 7, 9, 15, tzinfo=UTC)),
        ("2013-11-07T14:45-0300", datetime(2013, 11, 7, 17, 45, tzinfo=UTC)),
        ("thu 2:45pm America/New_York", datetime(2013, 11, 7, 19, 45, tzinfo=UTC)),
    ],
)
def test_zones_are_honoured(text: str, utc: datetime) -> None:
    """Abbreviations, IANA names and offsets after a time decide its instant."""
    assert read(text).instant == utc


def test_zone_words_emit_no_warning() -> None:
    """Reading a zone abbreviation prints no dateutil warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read("2013-11-07 14:45 EST")
        with pytest.raises(TimeError):
            read("2013-11-07 14:45 XYZ")


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("2013-11-07 14:45 CST", "zone 'CST' is ambiguous"),
        ("2013-11-07 14:45 IST", "zone 'IST' is ambiguous"),
        ("2013-11-07 14:45 XYZ", "unknown zone 'XYZ'"),
        ("2013-11-07 14:45 Mars/Olympus", "unknown zone 'Mars/Olympus'"),
        ("2013-11-07 14:45 +25:00", "offset '+25:00' is out of range"),
        ("2013-11-07T14:45+25:00", "offset '+25:00' is out of range"),
    ],
)
def test_bad_zones_are_refused_clearly(text: str, fault: str) -> None:
    """Ambiguous or unknown zones and impossible offsets are refused in one line."""
    with pytest.raises(TimeError) as caught:
        read(text)
    assert str(caught.value).startswith(fault)
    assert "\n" not in str(caught.value)


def test_time_in_dst_gap_is_answered_with_a_note() -> None:
    """02:30 on a spring-forward day does not exist: 03:30 EDT is taken, and the note says so."""
    parsed = read("2014-03-09 02:30", zone=NEW_YORK)
    assert parsed.instant == datetime(2014, 3, 9, 7, 30, tzinfo=UTC)
    assert parsed.note is not None
    assert "Sun 9 Mar 2014 02:30 does not exist in America/New_York" in parsed.note
    assert "took 03:30 EDT" in parsed.note


def test_time_in_dst_overlap_is_answered_with_a_note() -> None:
    """01:30 on a fall-back day happens twice: the first is taken, the note names the second."""
    parsed = read("2014-11-02 01:30", zone=NEW_YORK)
    assert parsed.instant == datetime(2014, 11, 2, 5, 30, tzinfo=UTC)
    assert parsed.note is not None
    assert "happens twice" in parsed.note
    assert "write 01:30 EST for the second" in parsed.note
    second = read("2014-11-02 01:30 EST", zone=NEW_YORK)
    assert (second.instant, second.note) == (datetime(2014, 11, 2, 6, 30, tzinfo=UTC), None)


def test_ordinary_time_has_no_note() -> None:
    """A wall time that exists once carries no note."""
    assert read("thu 3pm").note is None


def test_resolve_day_refuses_bare_numbers() -> None:
    """A bare number is not a day ("7" would be an hour), and a year is not one either."""
    assert resolve_day("7", SUMMIT_DAYS, date(2013, 11, 5)) is None
    assert resolve_day("2060", SUMMIT_DAYS, date(2013, 11, 5)) is None
    assert resolve_day("7 Nov", SUMMIT_DAYS, date(2013, 11, 5)) == date(2013, 11, 7)


def test_summit_zones_own_abbreviation_is_honoured() -> None:
    """The abbreviation IST is ambiguous in general but, for a Dublin summit, is Irish Summer Time."""
    dublin = ZoneInfo("Europe/Dublin")
    parsed = read("2014-07-01 10:00 IST", zone=dublin)
    assert parsed.instant == datetime(2014, 7, 1, 9, 0, tzinfo=UTC)
