from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event

from schedule.ics_export import event_uid, export_ics
from schedule.model import Session

HK = ZoneInfo("Asia/Hong_Kong")
STAMP = datetime(2013, 11, 4, 8, 30, tzinfo=UTC)


def hk(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in November 2013 given in Hong Kong time, returned in UTC."""
    return datetime(2013, 11, day, hour, minute, tzinfo=HK).astimezone(UTC)


NOVA_API = Session(
    id="nova-api",
    title="Nova API",
    start=hk(5, 11, 15),
    end=hk(5, 11, 55),
    room="Room 204",
    track="Nova",
    description="Plans for v3. Etherpad: https://etherpad.openstack.org/p/icehouse-nova-api",
    proposers=("Chris Yeoh", "Ken'ichi Ohmichi"),
    links=("https://etherpad.openstack.org/p/icehouse-nova-api", "https://example.org/slides"),
)
NOVA_CELLS = Session(
    id="nova-cells",
    title="Nova cells",
    start=hk(6, 14, 0),
    end=hk(6, 14, 40),
)


def export(*sessions: Session, name: str = "Icehouse Nova") -> bytes:
    """Export `sessions` with fixed settings."""
    return export_ics(sessions, calendar_name=name, timezone="Asia/Hong_Kong", at=STAMP)


def parse(data: bytes) -> tuple[Calendar, list[Event]]:
    """The calendar in `data` and its events."""
    calendar = Calendar.from_ical(data)
    return calendar, list(calendar.events)


def test_calendar_properties() -> None:
    """The calendar carries version, product, scale, method, name and zone."""
    calendar, _ = parse(export(NOVA_API))
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["prodid"]) == "-//summit-bot//EN"
    assert str(calendar["calscale"]) == "GREGORIAN"
    assert str(calendar["method"]) == "PUBLISH"
    assert calendar["x-wr-calname"].to_ical() == b"Icehouse Nova"
    assert calendar["x-wr-timezone"].to_ical() == b"Asia/Hong_Kong"


def test_custom_prodid() -> None:
    """A caller's product id replaces the default."""
    data = export_ics([], calendar_name="x", timezone="UTC", at=STAMP, prodid="-//acme//bot//EN")
    assert str(Calendar.from_ical(data)["prodid"]) == "-//acme//bot//EN"


def test_hong_kong_session_instants_in_utc() -> None:
    """A session at 11:15 Hong Kong time is written as 03:15Z and reads back as that instant."""
    data = export(NOVA_API)
    assert b"DTSTART:20131105T031500Z" in data
    assert b"DTEND:20131105T035500Z" in data
    assert b"DTSTAMP:20131104T083000Z" in data
    _, (event,) = parse(data)
    start = event.decoded("dtstart")
    assert start == datetime(2013, 11, 5, 3, 15, tzinfo=UTC)
    assert start.utcoffset() == timedelta(0)
    assert event.decoded("dtend") == hk(5, 11, 55)
    assert event.decoded("dtstamp") == STAMP


def test_local_instants_and_stamp_are_converted() -> None:
    """Sessions and a stamp given in venue time are still written in UTC."""
    local = Session(
        id="late",
        title="Late",
        start=datetime(2013, 11, 5, 23, 30, tzinfo=HK),
        end=datetime(2013, 11, 6, 0, 30, tzinfo=HK),
    )
    data = export_ics(
        [local], calendar_name="x", timezone="Asia/Hong_Kong", at=STAMP.astimezone(HK)
    )
    assert b"DTSTART:20131105T153000Z" in data
    assert b"DTEND:20131105T163000Z" in data
    assert b"DTSTAMP:20131104T083000Z" in data


def test_event_fields() -> None:
    """Summary, location, description, URL and category come from the session."""
    _, (event,) = parse(export(NOVA_API))
    assert str(event["uid"]) == "nova-api@summit-bot"
    assert str(event["summary"]) == "Nova API"
    assert str(event["location"]) == "Room 204"
    assert str(event["url"]) == "https://etherpad.openstack.org/p/icehouse-nova-api"
    assert [str(c) for c in event.categories] == ["Nova"]
    assert str(event["description"]) == (
        "When: Tue 5 Nov 11:15–11:55 HKT\n\n"
        "Plans for v3. Etherpad: https://etherpad.openstack.org/p/icehouse-nova-api\n\n"
        "Proposed by: Chris Yeoh, Ken'ichi Ohmichi\n\n"
        "https://example.org/slides"
    )


def test_optional_fields_left_out() -> None:
    """A bare session has no location, URL or categories; its description is its time."""
    _, (event,) = parse(export(NOVA_CELLS))
    for name in ("location", "url", "categories"):
        assert name not in event
    assert str(event["description"]).startswith("When: ")


def test_awkward_text_survives() -> None:
    """Commas, semicolons, backslashes, newlines and non-ASCII round-trip in every text field."""
    title = "Nova, Cinder; Neutron \\ ü — 会议\nsecond line"
    tricky = Session(
        id="tricky",
        title=title,
        start=hk(7, 9),
        end=hk(7, 10),
        room="Salle 2; étage 3, aile B",
        track="Compute, storage",
        description="Line one; with, punctuation\nLine two: 東京",
    )
    data = export(tricky, name="Nova, 冰屋; bookmarks")
    calendar, (event,) = parse(data)
    assert str(event["summary"]) == title
    assert str(event["location"]) == tricky.room
    assert str(event["description"]) == "When: Thu 7 Nov 09:00–10:00 HKT\n\n" + tricky.description
    assert [str(c) for c in event.categories] == ["Compute, storage"]
    assert calendar["x-wr-calname"].to_ical() == "Nova\\, 冰屋\\; bookmarks".encode()


def test_long_lines_folded() -> None:
    """Long non-ASCII text is folded into lines of at most 75 octets and still reads back."""
    title = "Überlegungen zur Skalierung " * 10 + "— 会议" * 20
    long = Session(id="long", title=title, start=hk(7, 9), end=hk(7, 10))
    data = export(long)
    lines = data.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)
    _, (event,) = parse(data)
    assert str(event["summary"]) == title


def test_calendar_name_kept_on_one_line() -> None:
    """Line breaks in the calendar name are collapsed to spaces."""
    calendar, _ = parse(export(NOVA_CELLS, name="Icehouse\nNova  bookmarks"))
    assert calendar["x-wr-calname"].to_ical() == b"Icehouse Nova bookmarks"


def test_uids_stable_across_exports() -> None:
    """Two exports at different times, with a moved session, keep the same UIDs."""
    first = export(NOVA_API, NOVA_CELLS)
    moved = Session(id="nova-api", title="Nova API", start=hk(7, 9), end=hk(7, 9, 40))
    second = export_ics(
        [NOVA_CELLS, moved],
        calendar_name="Icehouse Nova",
        timezone="Asia/Hong_Kong",
        at=STAMP + timedelta(days=1),
    )
    uids_first = [str(e["uid"]) for e in parse(first)[1]]
    uids_second = [str(e["uid"]) for e in parse(second)[1]]
    assert uids_first == ["nova-api@summit-bot", "nova-cells@summit-bot"]
    assert sorted(uids_second) == uids_first
    assert event_uid(moved) == "nova-api@summit-bot"


def test_same_input_same_bytes() -> None:
    """Exporting the same sessions at the same instant gives identical bytes in any order."""
    assert export(NOVA_API, NOVA_CELLS) == export(NOVA_CELLS, NOVA_API)


def test_empty_export_is_valid() -> None:
    """An export without sessions is a well-formed calendar with no events."""
    data = export()
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert data.endswith(b"END:VCALENDAR\r\n")
    calendar, events = parse(data)
    assert events == []
    assert str(calendar["version"]) == "2.0"


def test_rejects_naive_stamp_unknown_zone_and_duplicates() -> None:
    """A naive stamp, an unknown zone or a repeated session id is refused."""
    with pytest.raises(ValueError, match="timezone-aware"):
        export_ics([], calendar_name="x", timezone="UTC", at=datetime(2013, 11, 4))
    with pytest.raises(ValueError, match="unknown time zone"):
        export_ics([], calendar_name="x", timezone="Mars/Olympus", at=STAMP)
    with pytest.raises(ValueError, match="duplicate session id"):
        export(NOVA_API, NOVA_API)
