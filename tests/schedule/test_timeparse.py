from __future__ import annotations

from datetime import date

import pytest

from schedule.timeparse import parse_instant, resolve_day, weekday_number
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
