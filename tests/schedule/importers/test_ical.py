from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schedule.importers.ical import parse_ical
from schedule.model import Schedule, ScheduleError

HK_VTIMEZONE = """\
BEGIN:VTIMEZONE
TZID:Asia/Hong_Kong
BEGIN:STANDARD
DTSTART:19700101T000000
TZOFFSETFROM:+0800
TZOFFSETTO:+0800
TZNAME:HKT
END:STANDARD
END:VTIMEZONE"""

CUSTOM_VTIMEZONE = """\
BEGIN:VTIMEZONE
TZID:Summit Venue Time
BEGIN:STANDARD
DTSTART:19701025T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE"""


def calendar(*events: str, header: str = "", newline: str = "\r\n") -> str:
    """A VCALENDAR around `events` (each the lines inside one VEVENT) and `header` lines."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//summit-bot tests//EN"]
    lines += [line for line in header.splitlines() if line]
    for event in events:
        lines += ["BEGIN:VEVENT", *event.splitlines(), "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return newline.join(lines) + newline


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def only(schedule: Schedule) -> tuple[datetime, datetime]:
    """The start and end of a one-session schedule."""
    (session,) = schedule.sessions
    return session.start, session.end


def test_utc_times() -> None:
    """UTC times are kept as they are, in UTC."""
    text = calendar("UID:a\nSUMMARY:Talk\nDTSTART:20131105T031500Z\nDTEND:20131105T035500Z")
    schedule = parse_ical(text, source="utc.ics")
    assert only(schedule) == (utc(2013, 11, 5, 3, 15), utc(2013, 11, 5, 3, 55))
    assert schedule.sessions[0].start.tzinfo is UTC
    assert schedule.timezone == "UTC"


def test_tzid_with_vtimezone() -> None:
    """TZID times are read in their zone, and the first TZID names the schedule's zone."""
    text = calendar(
        "UID:a\nSUMMARY:Talk\nDTSTART;TZID=Asia/Hong_Kong:20131105T111500\n"
        "DTEND;TZID=Asia/Hong_Kong:20131105T115500",
        header=HK_VTIMEZONE,
    )
    schedule = parse_ical(text, source="tzid.ics")
    assert only(schedule) == (utc(2013, 11, 5, 3, 15), utc(2013, 11, 5, 3, 55))
    assert schedule.timezone == "Asia/Hong_Kong"


def test_custom_tzid_is_read_from_its_vtimezone() -> None:
    """A TZID that is no IANA name is read from its VTIMEZONE, including summer time."""
    text = calendar(
        "UID:a\nSUMMARY:Summer\nDTSTART;TZID=Summit Venue Time:20190822T120000\nDURATION:PT45M",
        "UID:b\nSUMMARY:Winter\nDTSTART;TZID=Summit Venue Time:20191222T120000\nDURATION:PT45M",
        header=CUSTOM_VTIMEZONE,
    )
    schedule = parse_ical(text, source="custom.ics")
    assert [s.start for s in schedule.sessions] == [utc(2019, 8, 22, 10), utc(2019, 12, 22, 11)]
    assert schedule.timezone == "UTC"


def test_floating_times_use_x_wr_timezone() -> None:
    """Floating times are read in X-WR-TIMEZONE, which also names the schedule's zone."""
    text = calendar(
        "UID:a\nSUMMARY:Talk\nDTSTART:20190822T120000\nDTEND:20190822T124500",
        header="X-WR-TIMEZONE:Europe/Berlin",
    )
    schedule = parse_ical(text, source="floating.ics")
    assert only(schedule) == (utc(2019, 8, 22, 10), utc(2019, 8, 22, 10, 45))
    assert schedule.timezone == "Europe/Berlin"


def test_floating_times_use_the_given_zone_first() -> None:
    """A given zone wins over X-WR-TIMEZONE for floating times and the schedule's zone."""
    text = calendar(
        "UID:a\nSUMMARY:Talk\nDTSTART:20131105T111500\nDTEND:20131105T115500",
        header="X-WR-TIMEZONE:Europe/Berlin",
    )
    schedule = parse_ical(text, source="floating.ics", timezone="Asia/Hong_Kong")
    assert only(schedule) == (utc(2013, 11, 5, 3, 15), utc(2013, 11, 5, 3, 55))
    assert schedule.timezone == "Asia/Hong_Kong"


def test_floating_time_without_any_zone_is_refused() -> None:
    """A floating time with no zone to read it in is refused, naming the event."""
    text = calendar("UID:float-1\nSUMMARY:Adrift\nDTSTART:20131105T111500")
    with pytest.raises(ScheduleError) as caught:
        parse_ical(text, source="adrift.ics")
    message = str(caught.value)
    assert message.startswith("adrift.ics: event 1 (UID float-1, 'Adrift'): floating time")


def test_duration_instead_of_dtend() -> None:
    """DURATION gives the end when there is no DTEND."""
    text = calendar("UID:a\nSUMMARY:Talk\nDTSTART:20131105T031500Z\nDURATION:PT1H15M")
    assert only(parse_ical(text, source="d.ics")) == (
        utc(2013, 11, 5, 3, 15),
        utc(2013, 11, 5, 4, 30),
    )


def test_no_dtend_and_no_duration_uses_default_length() -> None:
    """An event with neither DTEND nor DURATION lasts the default length."""
    text = calendar("UID:a\nSUMMARY:Talk\nDTSTART:20131105T031500Z")
    assert only(parse_ical(text, source="d.ics"))[1] == utc(2013, 11, 5, 4, 15)
    assert only(parse_ical(text, source="d.ics", default_minutes=25))[1] == utc(2013, 11, 5, 3, 40)


def test_folded_lines_are_reassembled() -> None:
    """A long line folded onto continuation lines reads as one line."""
    text = calendar(
        "UID:a\nSUMMARY:A rather long title that has been folded by the\n  exporting program\n"
        "DTSTART:20131105T031500Z\n"
        "DESCRIPTION:Notes at https://etherpad.openstack.org/p/icehouse-fol\n ded-line-test"
    )
    (session,) = parse_ical(text, source="fold.ics").sessions
    assert session.title == "A rather long title that has been folded by the exporting program"
    assert (
        session.description == "Notes at https://etherpad.openstack.org/p/icehouse-folded-line-test"
    )
    assert session.links == ("https://etherpad.openstack.org/p/icehouse-folded-line-test",)


def test_unfolded_long_lines_are_accepted() -> None:
    """A line far longer than 75 octets, never folded, is read whole."""
    long_text = "word " * 200
    text = calendar(f"UID:a\nSUMMARY:Talk\nDTSTART:20131105T031500Z\nDESCRIPTION:{long_text}")
    assert parse_ical(text, source="long.ics").sessions[0].description == long_text.strip()


def test_byte_order_mark_and_line_ends() -> None:
    """A UTF-8 BOM, CRLF or LF line ends and bytes or text all read the same."""
    event = "UID:a\nSUMMARY:Café\nDTSTART:20131105T031500Z"
    crlf = calendar(event, newline="\r\n")
    lf = calendar(event, newline="\n")
    expected = parse_ical(crlf, source="x.ics")
    assert parse_ical(b"\xef\xbb\xbf" + crlf.encode("utf-8"), source="x.ics") == expected
    assert parse_ical(lf, source="x.ics") == expected
    assert parse_ical("\ufeff" + lf, source="x.ics") == expected
    assert expected.sessions[0].title == "Café"


def test_html_entities_and_escaped_commas() -> None:
    """HTML entities as Sched writes them and escaped commas are decoded."""
    text = calendar(
        "UID:a\nSUMMARY:Q&amp;A: Nova&#39;s &quot;future&quot;\n"
        "DTSTART:20131105T031500Z\n"
        "DESCRIPTION:Ask us anything&mdash;really\\, anything &amp; everything.\\nSecond line.\n"
        "LOCATION:AWE Level 2\\, Room 204-205"
    )
    (session,) = parse_ical(text, source="html.ics").sessions
    assert session.title == 'Q&A: Nova\'s "future"'
    assert session.description == "Ask us anything—really, anything & everything.\nSecond line."
    assert session.room == "AWE Level 2, Room 204-205"


def test_html_markup_in_description_becomes_text() -> None:
    """A description written as HTML paragraphs and lists becomes plain text."""
    text = calendar(
        "UID:a\nSUMMARY:Talk\nDTSTART:20131105T031500Z\n"
        'DESCRIPTION:<p>Intro &amp; more.</p><ul><li>one</li><li><a href="https://ex'
        '\n ample.org/x">two</a></li></ul>'
    )
    (session,) = parse_ical(text, source="markup.ics").sessions
    assert session.description == "Intro & more.\n\n- one\n- two"
    assert session.links == ("https://example.org/x",)


def test_categories_give_the_track() -> None:
    """The first category is the track; empty CATEGORIES leave it empty; a given track wins."""
    text = calendar(
        "UID:a\nSUMMARY:One\nDTSTART:20131105T031500Z\nCATEGORIES:Nova,Compute",
        "UID:b\nSUMMARY:Two\nDTSTART:20131105T041500Z\nCATEGORIES:",
        "UID:c\nSUMMARY:Three\nDTSTART:20131105T051500Z",
        "UID:d\nSUMMARY:Four\nDTSTART:20131105T061500Z\nCATEGORIES:GAMING TRACK\\, OFFICE HOURS",
    )
    assert [s.track for s in parse_ical(text, source="c.ics").sessions] == [
        "Nova",
        "",
        "",
        "GAMING TRACK",
    ]
    assert {s.track for s in parse_ical(text, source="c.ics", track="Keynotes").sessions} == {
        "Keynotes"
    }


def test_all_day_event_spans_the_whole_day_in_the_zone() -> None:
    """A DATE-only event spans from midnight to midnight in the schedule's zone."""
    text = calendar(
        "UID:a\nSUMMARY:Registration open\nDTSTART;VALUE=DATE:20131105",
        "UID:b\nSUMMARY:Hackathon\nDTSTART;VALUE=DATE:20131106\nDTEND;VALUE=DATE:20131108",
        "UID:c\nSUMMARY:Sprint\nDTSTART;VALUE=DATE:20131109\nDURATION:P2D",
        header="X-WR-TIMEZONE:Asia/Hong_Kong",
    )
    schedule = parse_ical(text, source="allday.ics")
    assert [(s.title, s.start, s.end) for s in schedule.sessions] == [
        ("Registration open", utc(2013, 11, 4, 16), utc(2013, 11, 5, 16)),
        ("Hackathon", utc(2013, 11, 5, 16), utc(2013, 11, 7, 16)),
        ("Sprint", utc(2013, 11, 8, 16), utc(2013, 11, 10, 16)),
    ]


def test_all_day_event_across_a_clock_change_keeps_local_midnights() -> None:
    """An all-day event on the day clocks change lasts 23 hours, midnight to midnight."""
    text = calendar("UID:a\nSUMMARY:Change\nDTSTART;VALUE=DATE:20190331")
    (session,) = parse_ical(text, source="dst.ics", timezone="Europe/Berlin").sessions
    assert session.end - session.start == timedelta(hours=23)


def test_name_uid_url_and_links() -> None:
    """The name comes from X-WR-CALNAME; UID and URL are kept; text links are found."""
    text = calendar(
        "UID:sched-123\nSUMMARY:Talk\nDTSTART:20131105T031500Z\n"
        "URL:https://summit.sched.org/event/123\n"
        "DESCRIPTION:Pad: https://etherpad.openstack.org/p/talk.",
        header="X-WR-CALNAME:Icehouse &amp; friends",
    )
    schedule = parse_ical(text, source="named.ics")
    assert schedule.name == "Icehouse & friends"
    (session,) = schedule.sessions
    assert session.uid == "sched-123"
    assert session.links == (
        "https://summit.sched.org/event/123",
        "https://etherpad.openstack.org/p/talk",
    )
    assert parse_ical(text, source="named.ics", name="Mine").name == "Mine"


def test_name_defaults_to_file_name() -> None:
    """Without X-WR-CALNAME or a given name the file name names the schedule."""
    text = calendar("UID:a\nSUMMARY:Talk\nDTSTART:20131105T031500Z")
    assert parse_ical(text, source="/tmp/summit-2013.ics").name == "summit-2013"


def test_proposers_only_from_structured_lines() -> None:
    """Proposers come from "(Session proposed by ...)" and are otherwise left empty."""
    text = calendar(
        "UID:a\nSUMMARY:One\nDTSTART:20131105T031500Z\n"
        "DESCRIPTION:Tasks as resources. (Session proposed by Andrew Laski)",
        "UID:b\nSUMMARY:Two\nDTSTART:20131105T041500Z\nDESCRIPTION:Talk by Jane Doe.",
    )
    one, two = parse_ical(text, source="p.ics").sessions
    assert one.proposers == ("Andrew Laski",)
    assert one.description == "Tasks as resources."
    assert two.proposers == ()
    assert two.description == "Talk by Jane Doe."


def test_duplicate_titles_get_distinct_ids_in_time_order() -> None:
    """Two events with one title get distinct ids, the earlier one the plain slug."""
    text = calendar(
        "UID:b\nSUMMARY:Office Hours\nDTSTART:20131106T031500Z",
        "UID:a\nSUMMARY:Office Hours\nDTSTART:20131105T031500Z",
    )
    sessions = parse_ical(text, source="dup.ics").sessions
    assert [(s.id, s.uid) for s in sessions] == [("office-hours", "a"), ("office-hours-2", "b")]


def test_cancelled_events_are_left_out() -> None:
    """Events with STATUS:CANCELLED do not become sessions."""
    text = calendar(
        "UID:a\nSUMMARY:Kept\nDTSTART:20131105T031500Z",
        "UID:b\nSUMMARY:Dropped\nDTSTART:20131105T041500Z\nSTATUS:CANCELLED",
    )
    assert [s.title for s in parse_ical(text, source="c.ics").sessions] == ["Kept"]


def error_for(text: str | bytes, *, timezone: str | None = None, default_minutes: int = 60) -> str:
    """The message of the ScheduleError that parsing `text` raises."""
    with pytest.raises(ScheduleError) as caught:
        parse_ical(text, source="broken.ics", timezone=timezone, default_minutes=default_minutes)
    return str(caught.value)


def test_not_icalendar_is_refused() -> None:
    """Text that is no iCalendar at all is refused, naming the file."""
    assert error_for("hello, world\n").startswith("broken.ics: not an iCalendar file")
    assert error_for(b"\xff\xfe\x00").startswith("broken.ics: not UTF-8 text")


def test_garbled_content_line_is_refused() -> None:
    """A calendar with a line that is not a property is refused."""
    text = "BEGIN:VCALENDAR\r\nthis is not a property\r\nEND:VCALENDAR\r\n"
    assert error_for(text).startswith("broken.ics: not a readable iCalendar file")


def test_event_without_dtstart_is_refused() -> None:
    """A VEVENT without DTSTART is refused, naming it by UID and summary."""
    text = calendar("UID:ok\nSUMMARY:Fine\nDTSTART:20131105T031500Z", "UID:x-2\nSUMMARY:Lost")
    assert error_for(text) == "broken.ics: event 2 (UID x-2, 'Lost'): has no DTSTART"


def test_event_without_uid_or_summary_is_named_by_index() -> None:
    """An event with neither UID nor SUMMARY is named by its position."""
    text = calendar("UID:ok\nSUMMARY:Fine\nDTSTART:20131105T031500Z", "LOCATION:Somewhere")
    assert error_for(text) == "broken.ics: event 2: has no DTSTART"


def test_unparseable_date_is_refused() -> None:
    """A DTSTART that is no date is refused, naming the event."""
    text = calendar("SUMMARY:Bad Date\nDTSTART:2013110")
    message = error_for(text)
    assert message.startswith("broken.ics: event 1 ('Bad Date'): cannot read DTSTART")


def test_dtend_before_dtstart_is_refused() -> None:
    """An event that ends before it starts is refused."""
    text = calendar("UID:back\nSUMMARY:Backwards\nDTSTART:20131105T031500Z\nDTEND:20131105T021500Z")
    message = error_for(text)
    assert message.startswith("broken.ics: event 1 (UID back, 'Backwards'): end ")
    assert "before start" in message


def test_zero_length_event_is_a_point_event() -> None:
    """A Sched marker whose DTEND equals its DTSTART loads as a point event, not a refusal."""
    text = calendar(
        "UID:clock\nSUMMARY:Set your clock forward to 3 am!\n"
        "DTSTART:20160221T100000Z\nDTEND:20160221T100000Z",
        "UID:talk\nSUMMARY:Talk\nDTSTART:20160221T110000Z\nDTEND:20160221T120000Z",
    )
    schedule = parse_ical(text, source="sched.ics")
    (marker,) = [s for s in schedule.sessions if s.uid == "clock"]
    assert marker.start == marker.end == utc(2016, 2, 21, 10)
    assert marker.is_point


def test_mixed_date_and_date_time_is_refused() -> None:
    """A date-time DTSTART with a date DTEND is refused."""
    text = calendar("UID:m\nSUMMARY:Mixed\nDTSTART:20131105T031500Z\nDTEND;VALUE=DATE:20131106")
    assert "is a date but DTSTART is a date-time" in error_for(text)


def test_recurring_event_is_refused() -> None:
    """A recurring event is refused rather than imported once."""
    text = calendar("UID:r\nSUMMARY:Daily\nDTSTART:20131105T031500Z\nRRULE:FREQ=DAILY;COUNT=3")
    assert error_for(text) == (
        "broken.ics: event 1 (UID r, 'Daily'): recurring events are not supported"
    )


def test_calendar_without_events_is_refused() -> None:
    """A calendar with no events is refused."""
    assert error_for(calendar()) == "broken.ics: no events (VEVENT) found"


def test_unknown_zones_are_refused() -> None:
    """An unknown given zone or X-WR-TIMEZONE is refused, naming the file."""
    text = calendar("UID:a\nSUMMARY:T\nDTSTART:20131105T031500Z", header="X-WR-TIMEZONE:Nowhere")
    assert error_for(text).startswith("broken.ics: unknown X-WR-TIMEZONE 'Nowhere'")
    assert error_for(text, timezone="Atlantis/Capital").startswith(
        "broken.ics: unknown time zone 'Atlantis/Capital'"
    )


def test_non_positive_default_length_is_refused() -> None:
    """A default length of zero minutes is refused."""
    text = calendar("UID:a\nSUMMARY:T\nDTSTART:20131105T031500Z")
    assert "default_minutes must be positive" in error_for(text, default_minutes=0)
