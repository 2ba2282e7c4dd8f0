"""The subscribed feed's iCalendar text, read back by icalendar and by vobject."""

from __future__ import annotations

from dataclasses import replace

import icalendar
import vobject

from schedule.ics_feed import FeedEvent, feed_ics
from tests.factories import local, session

STAMP = local("2013-11-01 09:00")


def test_hostile_text_cannot_add_events_or_properties() -> None:
    """A title and room with line breaks and iCalendar syntax stay one property of one event."""
    hostile = replace(
        session("x", "2013-11-05 11:00"),
        title="Nice\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil@example.org",
        room="Room 1;X-EVIL=1\nSTATUS:CANCELLED",
    )
    body = feed_ics(
        [FeedEvent(hostile, "x@summit-bot", 0, STAMP)], calendar_name="T", timezone="Asia/Hong_Kong"
    )
    [event] = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert str(event["UID"]) == "x@summit-bot"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == hostile.title.replace("\r\n", "\n")  # one text
    [other] = vobject.readOne(body.decode("utf-8")).contents["vevent"]
    assert other.uid.value == "x@summit-bot"
    assert other.location.value == hostile.room


def test_cancelled_event_keeps_uid_and_carries_its_sequence() -> None:
    """A cancelled event says STATUS:CANCELLED with the SEQUENCE and DTSTAMP it was given."""
    gone = session("gone", "2013-11-05 12:00")
    body = feed_ics(
        [FeedEvent(gone, "old-id@summit-bot", 3, local("2013-11-04 10:00"), cancelled=True)],
        calendar_name="T",
        timezone="Asia/Hong_Kong",
    )
    [event] = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert str(event["UID"]) == "old-id@summit-bot"
    assert int(event["SEQUENCE"]) == 3
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("DTSTAMP") == local("2013-11-04 10:00")
    assert event.decoded("DTSTART") == gone.start


def test_same_events_give_the_same_bytes_in_any_order() -> None:
    """The feed sorts its events, so its bytes (and ETag) do not depend on input order."""
    events = [
        FeedEvent(session(i, f"2013-11-05 1{n}:00"), f"{i}@summit-bot", 0, STAMP)
        for n, i in enumerate("abc")
    ]
    forward = feed_ics(events, calendar_name="T", timezone="Asia/Hong_Kong")
    backward = feed_ics(events[::-1], calendar_name="T", timezone="Asia/Hong_Kong")
    assert forward == backward
    cal = icalendar.Calendar.from_ical(forward)
    assert [str(e["UID"]) for e in cal.walk("VEVENT")] == [
        "a@summit-bot",
        "b@summit-bot",
        "c@summit-bot",
    ]
    assert str(cal["REFRESH-INTERVAL"].to_ical().decode()) == "PT15M"
