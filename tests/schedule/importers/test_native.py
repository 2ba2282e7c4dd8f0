from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from schedule.importers.native import dump_schedule, parse_native
from schedule.importers.sched_text import parse_sched_text
from schedule.model import Proposal, Schedule, ScheduleError, Session

HK = ZoneInfo("Asia/Hong_Kong")

SCHEDULE = Schedule(
    name="Summit — Nova",
    timezone="Asia/Hong_Kong",
    sessions=(
        Session(
            id="merged",
            uid="sched-42",
            title="Merged “Topic”",
            start=datetime(2013, 11, 5, 12, 5, tzinfo=HK),
            end=datetime(2013, 11, 5, 12, 45, tzinfo=HK),
            room="Room 204-205",
            track="Nova",
            description="Line one\n\nLine two é",
            proposers=("Andrew Laski", "haruka tanizawa"),
            proposals=(
                Proposal("First", "Text one", ("Andrew Laski",)),
                Proposal("Second", "", ("haruka tanizawa",)),
            ),
            links=("https://etherpad.openstack.org/p/x",),
        ),
        Session(
            id="early",
            title="Early",
            start=datetime(2013, 11, 5, 1, 0, 0, 250000, tzinfo=UTC),
            end=datetime(2013, 11, 5, 1, 40, tzinfo=UTC),
        ),
    ),
)


def test_round_trip_is_exact() -> None:
    """Dumping then parsing gives back an equal schedule."""
    assert parse_native(dump_schedule(SCHEDULE), source="x.json") == SCHEDULE


def test_dump_is_stable_sorted_and_in_utc() -> None:
    """The dump is key-sorted, indented, ends with a newline and writes UTC with "Z"."""
    text = dump_schedule(SCHEDULE)
    assert text == dump_schedule(parse_native(text, source="x.json"))
    assert text.endswith("}\n")
    document = json.loads(text)
    assert list(document) == ["format", "name", "sessions", "timezone"]
    assert document["format"] == "summit-bot/1"
    first, second = document["sessions"]
    assert list(first) == sorted(first)
    assert (first["id"], first["start"], first["end"]) == (
        "early",
        "2013-11-05T01:00:00.250000Z",
        "2013-11-05T01:40:00Z",
    )
    assert (second["start"], second["end"]) == ("2013-11-05T04:05:00Z", "2013-11-05T04:45:00Z")
    assert second["proposals"][0] == {
        "description": "Text one",
        "proposers": ["Andrew Laski"],
        "title": "First",
    }
    assert "Summit — Nova" in text


def test_parsed_instants_are_utc() -> None:
    """Parsed instants carry the UTC zone."""
    parsed = parse_native(dump_schedule(SCHEDULE), source="x.json")
    assert all(s.start.tzinfo is UTC and s.end.tzinfo is UTC for s in parsed.sessions)


def test_offsets_other_than_z_are_read() -> None:
    """An instant written with another offset is read as the same instant."""
    document = json.loads(dump_schedule(SCHEDULE))
    document["sessions"][0]["start"] = "2013-11-05T09:00:00.250+08:00"
    parsed = parse_native(json.dumps(document), source="x.json")
    assert parsed.sessions[0].start == datetime(2013, 11, 5, 1, 0, 0, 250000, tzinfo=UTC)


def test_optional_fields_default_to_empty() -> None:
    """A session with only id, title, start and end gets empty optional fields."""
    document = {
        "format": "summit-bot/1",
        "name": "Small",
        "timezone": "UTC",
        "sessions": [
            {"id": "a", "title": "A", "start": "2013-11-05T01:00:00Z", "end": "2013-11-05T02:00Z"}
        ],
    }
    (session,) = parse_native(json.dumps(document), source="x.json").sessions
    assert (session.room, session.proposers, session.proposals, session.links) == ("", (), (), ())
    assert session.end - session.start == timedelta(hours=1)


def test_seed_round_trip(seed_path: Path) -> None:
    """The seed schedule survives a dump and parse unchanged."""
    seed = parse_sched_text(
        seed_path.read_text(encoding="utf-8"), source=str(seed_path), timezone="Asia/Hong_Kong"
    )
    assert parse_native(dump_schedule(seed), source="seed.json") == seed


def broken(change: Any) -> str:
    """The error message for the sample document after `change` edits it."""
    document = json.loads(dump_schedule(SCHEDULE))
    change(document)
    with pytest.raises(ScheduleError) as caught:
        parse_native(json.dumps(document), source="bad.json")
    return str(caught.value)


def test_wrong_format_is_refused() -> None:
    """A document of another format is refused."""
    message = broken(lambda d: d.update(format="summit-bot/9"))
    assert message == "bad.json: format is 'summit-bot/9', expected 'summit-bot/1'"


def test_bad_instants_are_refused() -> None:
    """Unreadable or offset-less instants are refused, naming the session."""
    message = broken(lambda d: d["sessions"][0].update(start="yesterday"))
    assert message == (
        "bad.json: session 1 (early): cannot read start 'yesterday' (ISO 8601 expected)"
    )
    message = broken(lambda d: d["sessions"][1].update(end="2013-11-05T04:45:00"))
    assert message.startswith("bad.json: session 2 (merged): end '2013-11-05T04:45:00' has no")


def test_end_before_start_is_refused() -> None:
    """A session ending before it starts is refused."""
    message = broken(lambda d: d["sessions"][0].update(end="2013-11-05T00:00:00Z"))
    assert message.startswith("bad.json: session 1 (early): ")
    assert "before start" in message


def test_structure_faults_are_refused() -> None:
    """Unknown or missing keys, wrong types and duplicate ids are refused."""
    assert "unknown keys ['colour']" in broken(lambda d: d["sessions"][0].update(colour="red"))
    assert "missing keys ['title']" in broken(lambda d: d["sessions"][0].pop("title"))
    assert "proposers must be a list of text" in broken(
        lambda d: d["sessions"][1].update(proposers="Boris")
    )
    assert "proposal 1: unknown keys ['when']" in broken(
        lambda d: d["sessions"][1]["proposals"][0].update(when="now")
    )
    assert "duplicate session id 'early'" in broken(lambda d: d["sessions"][1].update(id="early"))
    assert broken(lambda d: d.update(timezone="Nowhere/City")).startswith(
        "bad.json: unknown time zone 'Nowhere/City'"
    )
    assert broken(lambda d: d.update(sessions={})) == "bad.json: sessions must be a list"


def test_invalid_json_is_refused() -> None:
    """Malformed JSON is refused with its line number."""
    with pytest.raises(ScheduleError, match=r"^bad\.json:2: not valid JSON"):
        parse_native('{"format":\n nope}', source="bad.json")


def test_point_event_round_trips() -> None:
    """A zero-length session survives summit-bot JSON (the database snapshot format)."""
    at = datetime(2016, 2, 21, 10, 0, tzinfo=UTC)
    point = Session(id="boarding", title="Boarding begins", start=at, end=at)
    original = Schedule(name="Cruise", timezone="UTC", sessions=(point,))
    assert parse_native(dump_schedule(original), source="x.json") == original
