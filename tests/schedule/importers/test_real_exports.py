"""Every real export in ../shared/data (and the seed Sched text) loads, checked independently.

Counts and every start and end instant are compared with `independent.py`'s reading of the
file, which shares no code with the importers.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from schedule.importers import load_schedule, load_schedule_bytes
from schedule.index import ScheduleIndex
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
