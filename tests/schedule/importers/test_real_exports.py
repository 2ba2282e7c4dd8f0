"""Every real export in ../shared/data (and the seed Sched text) loads, checked independently.

Counts and every start and end instant are compared with `independent.py`'s reading of the
file, which shares no code with the importers.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from schedule.importers import load_schedule, load_schedule_bytes
from schedule.index import ScheduleIndex
from schedule.model import ScheduleError
from tests.schedule.importers.conftest import DATA, SEED
from tests.schedule.importers.independent import READERS, Triple

EXPORTS = sorted(p.name for p in DATA.glob("*") if p.name != "README.md") if DATA.is_dir() else []
EXPECTED_EVENTS = {
    "frab-31c3-schedule.xml": 138,
    "frab-camp2019-schedule.json": 79,
    "nonsched_pyconuk2015_vobject_folded.ics": 162,
    "pretalx-rc3-schedule.json": 48,
    "sched-org_jococruise2016_all.ics": 133,
}


def path_of(name: str) -> Path:
    """The real file called `name`; skips when the shared folder is absent."""
    path = SEED if name == SEED.name else DATA / name
    if not path.is_file():
        pytest.skip(f"real export {path} not found (the shared folder beside the checkout)")
    return path


def test_every_export_has_an_independent_reader() -> None:
    """No file in ../shared/data goes untested: each has a reader and an expected count."""
    if not EXPORTS:
        pytest.skip(f"real exports not found at {DATA}")
    for name in EXPORTS:
        assert Path(name).suffix in READERS, name
        assert name in EXPECTED_EVENTS, name


@pytest.mark.parametrize("name", [*EXPECTED_EVENTS, SEED.name])
def test_export_loads_with_every_instant(name: str) -> None:
    """All events load, and the (uid, start, end) of each matches the independent reading."""
    path = path_of(name)
    expected = READERS[path.suffix](path)
    if name in EXPECTED_EVENTS:
        assert len(expected) == EXPECTED_EVENTS[name]
    timezone = "Asia/Hong_Kong" if path == SEED else None
    schedule = load_schedule(path, timezone=timezone)
    assert len(schedule.sessions) == len(expected)
    keep_uid = path != SEED
    loaded: Counter[Triple] = Counter(
        (s.uid if keep_uid else "", s.start.astimezone(UTC), s.end.astimezone(UTC))
        for s in schedule.sessions
    )
    assert loaded == Counter(expected)


@pytest.mark.parametrize("name", [*EXPECTED_EVENTS, SEED.name])
def test_export_is_served_at_each_start(name: str) -> None:
    """At each event's start it is next just before, and on now (unless zero-length) at it."""
    path = path_of(name)
    schedule = load_schedule(path, timezone="Asia/Hong_Kong" if path == SEED else None)
    index = ScheduleIndex(schedule)
    for session in schedule.sessions:
        on = index.now(session.start)
        assert (session in on) is (session.start < session.end)
        upcoming = index.next(session.start - timedelta(microseconds=1))
        assert upcoming is not None
        assert upcoming.start == session.start
        assert session in upcoming.sessions
        assert session in index.day(session.start.astimezone(schedule.zone).date())


def test_sched_export_with_zero_length_markers_loads() -> None:
    """The Sched export with two events made zero-length (as Sched writes markers) loads whole."""
    path = path_of("sched-org_jococruise2016_all.ics")
    text = path.read_text(encoding="utf-8")
    starts = re.findall(r"^DTSTART:(\S+)\r?$", text, re.M)[:2]
    for stamp in starts:
        text = re.sub(r"(DTSTART:" + stamp + r"\r?\nDTEND:)\S+", r"\g<1>" + stamp, text, count=1)
    schedule = load_schedule_bytes(text.encode(), source=path.name)
    assert len(schedule.sessions) == EXPECTED_EVENTS[path.name]
    points = [s for s in schedule.sessions if s.is_point]
    assert len(points) == 2
    index = ScheduleIndex(schedule)
    for point in points:
        assert point not in index.now(point.start)
        assert point in index.day(point.start.date())


def test_31c3_xml_details() -> None:
    """The 31C3 schedule.xml: entities decoded, persons and links kept, nights past midnight."""
    schedule = load_schedule(path_of("frab-31c3-schedule.xml"))
    assert schedule.name == "31. Chaos Communication Congress"
    by_uid = {s.uid: s for s in schedule.sessions}
    agenda = by_uid["HOqeNIb6G7M4hYFKFRkCmQ"]
    assert agenda.title == "„Wir beteiligen uns aktiv an den Diskussionen“"
    assert agenda.track == "Ethics, Society & Politics"
    assert agenda.proposers == ("Martin Haase/maha",)
    assert agenda.links[0] == "http://breitband.deutschlandradiokultur.de/brb140823/"
    scada = by_uid["OQzXwQcnHSLD9Qd7Iu7Rqw"]
    assert '"heavy" industrial solutions' in scada.description
    late = by_uid["77aea78c-f2d2-461a-92b3-82929a79d598"]
    assert (late.start, late.end) == (
        datetime(2014, 12, 27, 23, 0, tzinfo=UTC),
        datetime(2014, 12, 28, 1, 15, tzinfo=UTC),
    )
    assert all("&amp;" not in s.track and "&quot;" not in s.description for s in schedule.sessions)


def test_31c3_venue_local_starts_give_the_same_instants() -> None:
    """Without its <date>s, the file's <start> on the day's date (or the next) gives every instant."""
    path = path_of("frab-31c3-schedule.xml")
    text = path.read_text(encoding="utf-8")
    stripped = re.sub(r"<date>[^<]*</date>\n", "", text)
    assert "<date>" not in stripped
    with_dates = load_schedule(path)
    local_only = load_schedule_bytes(stripped.encode(), source=path.name, timezone="Europe/Berlin")
    assert [(s.uid, s.start, s.end) for s in local_only.sessions] == [
        (s.uid, s.start, s.end) for s in with_dates.sessions
    ]


def test_pretalx_json_as_pretalx_writes_it() -> None:
    """rC3's pretalx JSON names no zone: its +01:00 dates give the zone; CRLFs are tidied."""
    schedule = load_schedule(path_of("pretalx-rc3-schedule.json"))
    assert schedule.timezone == "Etc/GMT-1"
    assert all("\r" not in s.description for s in schedule.sessions)
    gluon = [s for s in schedule.sessions if s.uid == "c3642671-4c1f-5109-81ba-0535c1cc8428"]
    assert len(gluon) == 1
    assert gluon[0].start == datetime(2020, 12, 27, 10, 30, tzinfo=UTC)
    assert "https://gluon.readthedocs.io/" in gluon[0].links


def test_31c3_fault_names_the_line_of_its_event() -> None:
    """A broken duration in the real schedule.xml is refused naming its <event>'s line."""
    path = path_of("frab-31c3-schedule.xml")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    target = next(
        i for i, line in enumerate(lines) if "<event guid='OQzXwQcnHSLD9Qd7Iu7Rqw'" in line
    )
    duration = next(i for i in range(target, len(lines)) if lines[i].startswith("<duration>"))
    lines[duration] = "<duration>an hour</duration>\n"
    with pytest.raises(ScheduleError) as caught:
        load_schedule_bytes("".join(lines).encode(), source=path.name)
    message = str(caught.value)
    assert message.startswith(f"{path.name}:{target + 1}: day 1, room 'Saal 1', event ")
    assert "cannot read duration 'an hour'" in message
