from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from schedule.importers.frab import parse_frab
from schedule.model import ScheduleError


def event(**fields: Any) -> dict[str, Any]:
    """A frab event with sensible defaults, changed by `fields`."""
    base: dict[str, Any] = {
        "id": 1,
        "guid": "00000000-0000-4000-8000-000000000001",
        "date": "2019-08-21T11:00:00+02:00",
        "start": "11:00",
        "duration": "00:30",
        "room": "Curie",
        "title": "Opening Ceremony",
        "subtitle": "",
        "track": "CCC",
        "abstract": "Welcome to the camp.",
        "description": "See https://events.ccc.de/camp/2019/wiki for the wiki.",
        "persons": [{"id": 1, "public_name": "jinxx"}, {"id": 2, "name": "smtw"}],
        "links": [{"url": "https://events.ccc.de/camp/2019/", "title": "Camp"}],
        "url": "https://fahrplan.events.ccc.de/camp/2019/Fahrplan/events/1.html",
    }
    base.update(fields)
    return base


def frab(*days: dict[str, Any], conference: dict[str, Any] | None = None) -> dict[str, Any]:
    """A frab document with `days` and conference fields."""
    fields: dict[str, Any] = {
        "acronym": "Camp2019",
        "title": "Chaos Communication Camp 2019",
        "time_zone_name": "Europe/Berlin",
    }
    fields.update(conference or {})
    fields["days"] = list(days)
    return {"schedule": {"version": "1", "conference": fields}}


def day(index: int, date: str, rooms: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """A frab day that opens at 09:00 and runs to 04:00 the next morning."""
    return {
        "index": index,
        "date": date,
        "day_start": f"{date}T09:00:00+02:00",
        "day_end": "next-day-04:00",
        "rooms": rooms,
    }


SAMPLE = frab(
    day(
        1,
        "2019-08-21",
        {
            "Curie": [event()],
            "Meitner": [
                event(
                    id=2,
                    guid="00000000-0000-4000-8000-000000000002",
                    date="2019-08-21T23:30:00+02:00",
                    start="23:30",
                    duration="1:15:00",
                    room="Meitner",
                    title="Night Talk",
                    track="Science",
                    abstract="<p>Stars &amp; planets.</p><ul><li>one</li><li>two</li></ul>",
                    description="",
                    persons=[{"public_name": "Ada"}],
                    links=[],
                    url="",
                )
            ],
        },
    )
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_sample_sessions() -> None:
    """Each event becomes a session with its instants, room, track, speakers and guid."""
    schedule = parse_frab(json.dumps(SAMPLE), source="camp.json")
    assert schedule.name == "Chaos Communication Camp 2019"
    assert schedule.timezone == "Europe/Berlin"
    opening, night = schedule.sessions
    assert (opening.start, opening.end) == (utc(2019, 8, 21, 9), utc(2019, 8, 21, 9, 30))
    assert opening.room == "Curie"
    assert opening.track == "CCC"
    assert opening.proposers == ("jinxx", "smtw")
    assert opening.uid == "00000000-0000-4000-8000-000000000001"
    assert opening.description == (
        "Welcome to the camp.\n\nSee https://events.ccc.de/camp/2019/wiki for the wiki."
    )
    assert opening.links == (
        "https://fahrplan.events.ccc.de/camp/2019/Fahrplan/events/1.html",
        "https://events.ccc.de/camp/2019/",
        "https://events.ccc.de/camp/2019/wiki",
    )
    assert (night.start, night.end) == (utc(2019, 8, 21, 21, 30), utc(2019, 8, 21, 22, 45))
    assert night.description == "Stars & planets.\n\n- one\n- two"
    assert night.id == "night-talk"


def test_bytes_with_byte_order_mark() -> None:
    """UTF-8 bytes with a BOM read like the text."""
    data = b"\xef\xbb\xbf" + json.dumps(SAMPLE).encode("utf-8")
    assert parse_frab(data, source="camp.json") == parse_frab(json.dumps(SAMPLE), source="x")


def test_arguments_win() -> None:
    """A given zone, track and name replace the document's."""
    schedule = parse_frab(
        json.dumps(SAMPLE), source="camp.json", timezone="UTC", track="Talks", name="Camp"
    )
    assert (schedule.name, schedule.timezone) == ("Camp", "UTC")
    assert {s.track for s in schedule.sessions} == {"Talks"}
    assert schedule.sessions[0].start == utc(2019, 8, 21, 9)


def test_zone_from_offsets_when_none_is_named() -> None:
    """Without time_zone_name the dates' offset names a fixed-offset zone."""
    document = copy.deepcopy(SAMPLE)
    del document["schedule"]["conference"]["time_zone_name"]
    schedule = parse_frab(json.dumps(document), source="camp.json")
    assert schedule.timezone == "Etc/GMT-2"
    assert schedule.sessions[0].start == utc(2019, 8, 21, 9)


def test_start_from_day_and_clock_when_date_is_missing() -> None:
    """Without `date` the start is the day's date and clock time; small hours are the next day."""
    late = event(start="01:30", title="Small Hours")
    evening = event(start="20:00", title="Evening")
    del late["date"], evening["date"]
    document = frab(day(1, "2019-08-21", {"Curie": [evening, late]}))
    sessions = parse_frab(json.dumps(document), source="camp.json").sessions
    assert [(s.title, s.start) for s in sessions] == [
        ("Evening", utc(2019, 8, 21, 18)),
        ("Small Hours", utc(2019, 8, 21, 23, 30)),
    ]


def test_room_key_used_when_event_has_no_room() -> None:
    """An event without a room field takes the room it is listed under."""
    document = frab(day(1, "2019-08-21", {"Meitner": [event(room=None)]}))
    assert parse_frab(json.dumps(document), source="c.json").sessions[0].room == "Meitner"


def error_for(document: Any) -> str:
    """The message of the ScheduleError that parsing `document` raises."""
    text = document if isinstance(document, str) else json.dumps(document)
    with pytest.raises(ScheduleError) as caught:
        parse_frab(text, source="broken.json")
    return str(caught.value)


def test_invalid_json_names_the_line() -> None:
    """Malformed JSON is refused with its line number."""
    assert error_for('{\n  "schedule": {\n    oops\n}').startswith("broken.json:3: not valid JSON")


def test_missing_conference_is_refused() -> None:
    """JSON without schedule.conference is refused."""
    assert error_for({"schedule": {}}).startswith("broken.json: not a frab schedule")
    assert error_for({"schedule": {"conference": {}}}).startswith(
        "broken.json: schedule.conference.days is missing"
    )


@pytest.mark.parametrize(
    ("fields", "fault"),
    [
        ({"duration": "forty"}, "cannot read duration 'forty'"),
        ({"duration": "-0:30"}, "cannot read duration '-0:30'"),
        ({"date": "2019-08-21 eleven"}, "cannot read date"),
        ({"persons": "jinxx"}, "persons is not a list"),
        ({"title": ["not", "text"]}, "expected text"),
    ],
)
def test_broken_event_is_refused_with_its_place(fields: dict[str, Any], fault: str) -> None:
    """A broken event is refused, naming the day, room and event."""
    document = frab(day(1, "2019-08-21", {"Curie": [event(), event(**fields)]}))
    message = error_for(document)
    assert message.startswith("broken.json: day 1, room 'Curie', event 2")
    assert fault in message


def test_zero_duration_is_a_point_event() -> None:
    """An event of duration 00:00 loads as a point event at its date."""
    document = frab(day(1, "2019-08-21", {"Curie": [event(duration="00:00")]}))
    (session,) = parse_frab(json.dumps(document), source="ok.json").sessions
    assert session.is_point
    assert session.start == datetime(2019, 8, 21, 9, 0, tzinfo=UTC)


def test_naive_date_without_zone_is_refused() -> None:
    """A start without offset in a schedule that names no zone is refused."""
    document = frab(
        day(1, "2019-08-21", {"Curie": [event(date="2019-08-21T11:00:00")]}),
        conference={"time_zone_name": None},
    )
    assert "has no offset and the schedule names no time zone" in error_for(document)


def test_unknown_zone_and_empty_schedule_are_refused() -> None:
    """An unknown zone name or a schedule without events is refused."""
    assert error_for(frab(conference={"time_zone_name": "Moon/Base"})).startswith(
        "broken.json: unknown time zone 'Moon/Base'"
    )
    assert error_for(frab(day(1, "2019-08-21", {"Curie": []}))) == "broken.json: no sessions found"
