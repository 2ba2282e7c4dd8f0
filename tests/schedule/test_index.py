from __future__ import annotations

from datetime import timedelta

import pytest

from schedule.index import ScheduleIndex
from schedule.model import Schedule, Session
from tests.factories import local, schedule, session


@pytest.fixture
def index() -> ScheduleIndex:
    """Two morning sessions with a gap, a parallel pair, and a late-night one over midnight."""
    return ScheduleIndex(
        schedule(
            session("a", "2013-11-05 11:15", 40),
            session("b", "2013-11-05 12:05", 40, proposers=("Andrew Laski",)),
            session("c1", "2013-11-05 14:00", 40, room="Room 201"),
            session("c2", "2013-11-05 14:00", 60, room="Room 202"),
            session("late", "2013-11-05 23:30", 60, title="Café Night Hacking"),
        )
    )


def ids(sessions: tuple[Session, ...]) -> list[str]:
    return [s.id for s in sessions]


def test_now_includes_start(index: ScheduleIndex) -> None:
    """A session is on at its first instant."""
    assert ids(index.now(local("2013-11-05 11:15"))) == ["a"]


def test_now_excludes_end(index: ScheduleIndex) -> None:
    """A session is over at its end instant."""
    assert ids(index.now(local("2013-11-05 11:55"))) == []
    assert ids(index.now(local("2013-11-05 11:55") - timedelta(microseconds=1))) == ["a"]


def test_now_in_gap_is_empty(index: ScheduleIndex) -> None:
    """Between sessions nothing is on."""
    assert index.now(local("2013-11-05 12:00")) == ()


def test_now_parallel_sessions(index: ScheduleIndex) -> None:
    """Parallel sessions are both on, and the longer one stays on alone."""
    assert ids(index.now(local("2013-11-05 14:10"))) == ["c1", "c2"]
    assert ids(index.now(local("2013-11-05 14:45"))) == ["c2"]


def test_before_and_after(index: ScheduleIndex) -> None:
    """Before the first session and after the last, nothing is on."""
    assert index.now(local("2013-11-01 09:00")) == ()
    assert index.now(local("2013-11-06 00:30")) == ()


def test_now_across_midnight(index: ScheduleIndex) -> None:
    """A session running past midnight is on after midnight."""
    assert ids(index.now(local("2013-11-06 00:10"))) == ["late"]


def test_next_strictly_after(index: ScheduleIndex) -> None:
    """Next is the first start time strictly after the instant, with minutes until."""
    upcoming = index.next(local("2013-11-05 11:15"))
    assert upcoming is not None
    assert ids(upcoming.sessions) == ["b"]
    assert upcoming.minutes_until == 50


def test_next_groups_same_start(index: ScheduleIndex) -> None:
    """Sessions sharing the next start time come together."""
    upcoming = index.next(local("2013-11-05 12:50"))
    assert upcoming is not None
    assert ids(upcoming.sessions) == ["c1", "c2"]
    assert upcoming.minutes_until == 70


def test_next_rounds_minutes_up(index: ScheduleIndex) -> None:
    """Thirty seconds before a start is one minute until it."""
    upcoming = index.next(local("2013-11-05 12:04") + timedelta(seconds=30))
    assert upcoming is not None
    assert upcoming.minutes_until == 1


def test_next_after_last_is_none(index: ScheduleIndex) -> None:
    """After the last start there is no next."""
    assert index.next(local("2013-11-05 23:30")) is None


def test_day_uses_venue_zone(index: ScheduleIndex) -> None:
    """A day's agenda is the local day, including the session that runs past midnight."""
    assert ids(index.day(local("2013-11-05 00:00").astimezone(index.schedule.zone).date())) == [
        "a",
        "b",
        "c1",
        "c2",
        "late",
    ]
    wednesday = local("2013-11-06 00:00").astimezone(index.schedule.zone).date()
    assert ids(index.day(wednesday)) == ["late"]


def test_search_accent_and_case_insensitive(index: ScheduleIndex) -> None:
    """Search ignores case and accents."""
    assert ids(index.search("CAFE")) == ["late"]
    assert ids(index.search("café hacking")) == ["late"]


def test_search_title_hits_first() -> None:
    """Sessions whose title matches come before those matching only the description."""
    index = ScheduleIndex(
        schedule(
            session("early", "2013-11-05 09:00", description="about the scheduler"),
            session("sched", "2013-11-05 15:00", title="Scheduler design"),
        )
    )
    assert ids(index.search("scheduler")) == ["sched", "early"]


def test_search_proposers(index: ScheduleIndex) -> None:
    """Proposers are searched too, and every word must match."""
    assert ids(index.search("laski")) == ["b"]
    assert index.search("laski café") == ()
    assert index.search("   ") == ()


def test_get_exact_and_prefix(index: ScheduleIndex) -> None:
    """Get finds an id case-insensitively, or the only id it prefixes."""
    assert index.get("LATE") is not None
    assert index.get("la") is not None
    assert index.get("c") is None
    assert index.get("zzz") is None


def test_overlaps(index: ScheduleIndex) -> None:
    """Overlaps are the other sessions sharing an instant; touching ends do not count."""
    c1 = index.get("c1")
    assert c1 is not None
    assert ids(index.overlaps(c1)) == ["c2"]
    a = index.get("a")
    assert a is not None
    assert index.overlaps(a) == ()


def test_empty_schedule() -> None:
    """An empty schedule answers nothing without failing."""
    index = ScheduleIndex(Schedule(name="empty", timezone="UTC"))
    assert index.now(local("2013-11-05 11:15")) == ()
    assert index.next(local("2013-11-05 11:15")) is None
    assert index.first is None
    assert index.ends_at is None


def test_now_matches_brute_force_on_random_schedule() -> None:
    """The segment index agrees with a scan of every session at many instants."""
    import random

    rng = random.Random(7)
    base = local("2013-11-05 08:00")
    sessions = []
    for n in range(300):
        start = base + timedelta(minutes=rng.randrange(0, 3 * 24 * 60, 5))
        sessions.append(
            Session(
                id=f"s{n}",
                title=f"S {n}",
                start=start,
                end=start + timedelta(minutes=rng.choice([10, 30, 40, 90, 600])),
            )
        )
    index = ScheduleIndex(
        Schedule(name="random", timezone="Asia/Hong_Kong", sessions=tuple(sessions))
    )
    for _ in range(2000):
        at = base + timedelta(minutes=rng.randrange(-60, 4 * 24 * 60))
        expected = sorted(s.id for s in sessions if s.start <= at < s.end)
        assert sorted(ids(index.now(at))) == expected


@pytest.fixture
def with_points() -> ScheduleIndex:
    """A talk, a point event inside it, and a point event alone at 13:00."""
    return ScheduleIndex(
        schedule(
            session("talk", "2013-11-05 11:00", 60),
            session("boarding", "2013-11-05 11:30", 0, title="Boarding begins"),
            session("clock", "2013-11-05 13:00", 0, title="Set your clock forward to 3 am!"),
        )
    )


def test_point_event_is_never_on_now(with_points: ScheduleIndex) -> None:
    """A zero-length event is not in progress at its own instant, nor does it linger after."""
    assert ids(with_points.now(local("2013-11-05 11:30"))) == ["talk"]
    assert ids(with_points.now(local("2013-11-05 13:00"))) == []
    assert ids(with_points.now(local("2013-11-05 13:01"))) == []


def test_point_event_is_next(with_points: ScheduleIndex) -> None:
    """A zero-length event is listed by next when its instant is the next start."""
    upcoming = with_points.next(local("2013-11-05 12:00"))
    assert upcoming is not None
    assert ids(upcoming.sessions) == ["clock"]
    assert upcoming.minutes_until == 60


def test_point_event_is_in_its_day_and_search(with_points: ScheduleIndex) -> None:
    """A zero-length event is in its day's agenda, found by search and by its id."""
    from datetime import date

    assert ids(with_points.day(date(2013, 11, 5))) == ["talk", "boarding", "clock"]
    assert ids(with_points.day(date(2013, 11, 6))) == []
    assert ids(with_points.search("clock forward")) == ["clock"]
    assert with_points.get("boarding") is not None


def test_point_event_at_window_edges(with_points: ScheduleIndex) -> None:
    """between() holds a point event at its window's start, not at its end."""
    at = local("2013-11-05 13:00")
    assert ids(with_points.between(at, at + timedelta(minutes=1))) == ["clock"]
    assert ids(with_points.between(at - timedelta(minutes=1), at)) == []
