from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schedule.importers import load_schedule_bytes
from schedule.importers.frab_xml import parse_frab_xml
from schedule.model import ScheduleError

EVENT = """\
<event guid='{guid}' id='{id}'>
{date}<start>{start}</start>
<duration>{duration}</duration>
<room>Saal 1</room>
<title>{title}</title>
<subtitle>Sub</subtitle>
<track>CCC</track>
<abstract>Ab &amp; stract</abstract>
<description>See https://example.org/more.</description>
<persons><person id='1'>erdgeist</person><person id='2'>Ren&#233;</person></persons>
<links><link href='https://example.org/slides'>Slides</link></links>
</event>
"""


def event(
    *,
    guid: str = "g1",
    id: str = "1",
    date: str | None = "2014-12-27T11:00:00+01:00",
    start: str = "11:00",
    duration: str = "00:30",
    title: str = "Opening &amp; &quot;Keynote&quot;",
) -> str:
    """One <event> element; `date` None leaves the <date> out."""
    date_line = f"<date>{date}</date>\n" if date is not None else ""
    return EVENT.format(
        guid=guid, id=id, date=date_line, start=start, duration=duration, title=title
    )


def document(*events: str, zone: str = "", day_start: str = "2014-12-27T11:00:00+01:00") -> str:
    """A schedule.xml with one day (27 Dec 2014, running to 04:00) and one room."""
    zone_line = f"<time_zone_name>{zone}</time_zone_name>" if zone else ""
    return (
        "<?xml version='1.0' encoding='utf-8' ?>\n<schedule>\n<version>1</version>\n"
        f"<conference><title>31C3</title>{zone_line}</conference>\n"
        f"<day date='2014-12-27' index='1' start='{day_start}' end='2014-12-28T04:00:00+01:00'>\n"
        "<room name='Saal 1'>\n" + "".join(events) + "</room>\n</day>\n</schedule>\n"
    )


def test_event_fields_and_entities() -> None:
    """An event gives title (entities decoded), instants, room, track, persons and links."""
    schedule = parse_frab_xml(document(event()), source="s.xml")
    (session,) = schedule.sessions
    assert session.title == 'Opening & "Keynote"'
    assert session.start == datetime(2014, 12, 27, 10, 0, tzinfo=UTC)
    assert session.end == datetime(2014, 12, 27, 10, 30, tzinfo=UTC)
    assert (session.room, session.track, session.uid) == ("Saal 1", "CCC", "g1")
    assert session.proposers == ("erdgeist", "René")
    assert session.links == ("https://example.org/slides", "https://example.org/more")
    assert session.description == "Sub\n\nAb & stract\n\nSee https://example.org/more."
    assert schedule.name == "31C3"


def test_venue_local_start_on_day_date_and_past_midnight() -> None:
    """Without <date>, <start> is read on the day's date, or the next when before day start."""
    xml = document(
        event(guid="a", id="1", date=None, start="23:30", duration="01:00", title="Late"),
        event(guid="b", id="2", date=None, start="02:00", duration="00:45", title="Later"),
        zone="Europe/Berlin",
    )
    schedule = parse_frab_xml(xml, source="s.xml")
    late, later = schedule.sessions
    assert (late.start, late.end) == (
        datetime(2014, 12, 27, 22, 30, tzinfo=UTC),
        datetime(2014, 12, 27, 23, 30, tzinfo=UTC),
    )
    assert later.start == datetime(2014, 12, 28, 1, 0, tzinfo=UTC)
    assert schedule.timezone == "Europe/Berlin"


def test_zone_from_offsets_when_none_is_named() -> None:
    """Dates with +01:00 and no zone name give the fixed-offset zone."""
    assert parse_frab_xml(document(event()), source="s.xml").timezone == "Etc/GMT-1"


def test_start_without_date_or_zone_names_the_flag() -> None:
    """A venue-local start in a schedule naming no zone is refused, naming --timezone."""
    with pytest.raises(ScheduleError) as caught:
        parse_frab_xml(document(event(date=None)), source="s.xml")
    message = str(caught.value)
    assert message.startswith("s.xml:7: day 1, room 'Saal 1', event 1 (g1, ")
    assert "--timezone" in message
    assert "SUMMIT_BOT_SCHEDULE_TIMEZONE" in message


def test_zero_duration_is_a_point_event() -> None:
    """<duration>00:00</duration> loads as a point event."""
    (session,) = parse_frab_xml(document(event(duration="00:00")), source="s.xml").sessions
    assert session.is_point


def test_detected_by_content() -> None:
    """An XML schedule is recognised whatever the file is called."""
    schedule = load_schedule_bytes(document(event()).encode(), source="schedule.txt")
    assert len(schedule.sessions) == 1


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<schedule><conference><title>&lol9;</title></conference></schedule>
"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE schedule [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<schedule><conference><title>&secret;</title></conference></schedule>
"""


@pytest.mark.parametrize("xml", [BOMB, EXTERNAL], ids=["billion-laughs", "external-entity"])
def test_entity_declarations_are_refused(xml: str) -> None:
    """An XML bomb or an external entity is refused before anything is expanded or read."""
    with pytest.raises(ScheduleError) as caught:
        load_schedule_bytes(xml.encode(), source="evil.xml")
    message = str(caught.value)
    assert message.startswith("evil.xml: refused: the XML declares entities")
    assert "\n" not in message


def test_truncated_xml_names_the_line() -> None:
    """A cut-off schedule.xml is one line naming the file, the line and truncation."""
    text = document(event(), event(guid="g2", id="2"))
    cut = text[: len(text) // 2]
    with pytest.raises(ScheduleError) as caught:
        parse_frab_xml(cut, source="cut.xml")
    message = str(caught.value)
    assert message.startswith(f"cut.xml:{len(cut.splitlines())}: not valid XML: ")
    assert "truncated" in message
    assert "\n" not in message


def test_not_a_schedule_is_refused() -> None:
    """XML whose root is not <schedule> is refused, naming the root."""
    with pytest.raises(ScheduleError, match=r"not a frab schedule \(root <html>\)"):
        parse_frab_xml("<html><body/></html>", source="page.xml")


def test_bad_duration_names_the_event() -> None:
    """An unreadable duration is refused, naming day, room and event."""
    with pytest.raises(ScheduleError) as caught:
        parse_frab_xml(document(event(duration="half an hour")), source="s.xml")
    assert str(caught.value).startswith("s.xml:7: day 1, room 'Saal 1', event 1 (g1, ")
    assert "cannot read duration 'half an hour'" in str(caught.value)
