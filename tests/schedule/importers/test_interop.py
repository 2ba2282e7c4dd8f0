"""Real exports from other conference tools, read from ../shared/data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from schedule.importers import load_schedule
from schedule.model import Session


def by_title(sessions: tuple[Session, ...], title: str) -> Session:
    """The one session called `title`."""
    (found,) = [s for s in sessions if s.title == title]
    return found


def test_sched_org_export(data_dir: Path) -> None:
    """Sched's export gives 133 sessions at exact UTC instants with escaped commas decoded."""
    schedule = load_schedule(data_dir / "sched-org_jococruise2016_all.ics")
    assert len(schedule.sessions) == 133
    assert (schedule.name, schedule.timezone) == ("jococruise2016", "UTC")
    registration = by_title(schedule.sessions, "Registration")
    assert (registration.start, registration.end) == (
        datetime(2016, 2, 21, 16, 30, tzinfo=UTC),
        datetime(2016, 2, 21, 20, 30, tzinfo=UTC),
    )
    assert registration.room == "Game Room (Conference Center), Deck 2, Forward"
    assert registration.track == ""
    assert registration.uid == "d1e273d876af6720dbb233477b7825c1"
    assert registration.links == (
        "http://jococruise2016.sched.org/event/d1e273d876af6720dbb233477b7825c1",
    )
    assert "(which gets you access to all JCC2016 events), your swag bag," in (
        registration.description
    )
    farewell = by_title(schedule.sessions, "Farewell Cocktail Reception")
    assert (farewell.start, farewell.end) == (
        datetime(2016, 2, 28, 2, 0, tzinfo=UTC),
        datetime(2016, 2, 28, 3, 0, tzinfo=UTC),
    )
    assert {s.track for s in schedule.sessions if s.title == "Speed Meeting"} == {"SHADOW CRUISE"}


def test_sched_org_export_entities_are_decoded(data_dir: Path) -> None:
    """No HTML entity survives in the Sched export's text, and &amp; becomes &."""
    schedule = load_schedule(data_dir / "sched-org_jococruise2016_all.ics")
    for session in schedule.sessions:
        for text in (session.title, session.description, session.room):
            for entity in ("&amp;", "&mdash;", "&rsquo;", "&#39;", "&quot;"):
                assert entity not in text
    tattoos = by_title(schedule.sessions, "Geek Out About Tattoos")
    assert "for an exciting Q&A on the high seas" in tattoos.description


def test_vobject_export_with_folded_lines(data_dir: Path) -> None:
    """The vobject export gives 162 sessions, folded lines whole, missing ends 60 minutes long."""
    schedule = load_schedule(data_dir / "nonsched_pyconuk2015_vobject_folded.ics")
    assert len(schedule.sessions) == 162
    assert schedule.name == "PyCon UK 2015 Schedule"
    first = schedule.sessions[0]
    assert first.title == "Registration / Breakfast"
    assert first.uid == "20160417T070217Z-32078@testing-worker-linux-docker-3ee836b9-3394-linux-5"
    assert first.start == datetime(2015, 9, 18, 7, 0, tzinfo=UTC)
    hooks = [s for s in schedule.sessions if "python-import-hooks" in s.description]
    assert len(hooks) == 1
    assert (
        hooks[0].description == "http://www.pyconuk.org/talks/a-deep-dive-into-python-import-hooks/"
    )
    assert "http://www.pyconuk.org/talks/a-deep-dive-into-python-import-hooks/" in hooks[0].links
    without_end = {
        "The Friday Night Charity Social in memory of John Pinner": datetime(2015, 9, 18, 18, 30),
        "The PyCon UK Dinner (Ticket required)": datetime(2015, 9, 19, 18, 30),
        "Alt Party (TBA)": datetime(2015, 9, 19, 18, 30),
        "The Mellow Night": datetime(2015, 9, 20, 18, 30),
        "End of Conference, pack up, see you in 2016!": datetime(2015, 9, 21, 16, 0),
    }
    for title, start in without_end.items():
        session = by_title(schedule.sessions, title)
        assert session.start == start.replace(tzinfo=UTC)
        assert session.end - session.start == timedelta(minutes=60)


def test_vobject_export_default_length_is_configurable(data_dir: Path) -> None:
    """The length given to events without an end follows default_minutes."""
    schedule = load_schedule(
        data_dir / "nonsched_pyconuk2015_vobject_folded.ics", default_minutes=180
    )
    mellow = by_title(schedule.sessions, "The Mellow Night")
    assert mellow.end - mellow.start == timedelta(hours=3)


def test_frab_export(data_dir: Path) -> None:
    """The frab export gives 79 sessions in Europe/Berlin; a late talk ends on the next date."""
    schedule = load_schedule(data_dir / "frab-camp2019-schedule.json")
    berlin = ZoneInfo("Europe/Berlin")
    assert len(schedule.sessions) == 79
    assert (schedule.name, schedule.timezone) == ("Chaos Communication Camp 2019", "Europe/Berlin")
    late = by_title(schedule.sessions, "Achtung, Datenpannen!")
    assert (late.start, late.end) == (
        datetime(2019, 8, 22, 21, 0, tzinfo=UTC),
        datetime(2019, 8, 22, 22, 30, tzinfo=UTC),
    )
    assert late.start.astimezone(berlin).date() == date(2019, 8, 22)
    assert late.end.astimezone(berlin).date() == date(2019, 8, 23)
    assert late.proposers == ("Alvar C.H. Freude", "Stefan Brink")
    assert late.room == "Meitner"
    assert late.track == "Entertainment"
    assert late.uid == "ed4b6c75-14f4-49fe-a11e-3762bd6b54e3"
    assert "<p>" not in late.description
    fomu = by_title(schedule.sessions, "Fomu - an FPGA inside your USB port!")
    assert fomu.proposers == ("Tim 'mithro' Ansell", 'Sean "xobs" Cross')
    assert "https://fomu.im" in fomu.links
    lightning = by_title(schedule.sessions, "Lightning Talks")
    assert lightning.end - lightning.start == timedelta(hours=3)
    assert {s.start.astimezone(berlin).date() for s in schedule.sessions} == {
        date(2019, 8, day) for day in range(21, 26)
    }
