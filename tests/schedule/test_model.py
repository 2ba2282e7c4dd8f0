from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schedule.index import ScheduleIndex
from schedule.model import Schedule, Session, find_links, fold, slugify, unique_ids

START = datetime(2013, 11, 5, 3, 15, tzinfo=UTC)


def test_session_refuses_naive_instants() -> None:
    """A session's start and end must be timezone-aware."""
    with pytest.raises(ValueError, match="timezone-aware"):
        Session(id="x", title="X", start=datetime(2013, 11, 5, 11, 15), end=START)


def test_session_refuses_negative_span() -> None:
    """A session must not end before it starts."""
    with pytest.raises(ValueError, match="before start"):
        Session(id="x", title="X", start=START, end=START - timedelta(seconds=1))


def test_zero_length_session_is_a_point_event_never_in_progress() -> None:
    """A session ending as it starts is a point event, in progress at no instant."""
    point = Session(id="x", title="Boarding begins", start=START, end=START)
    assert point.is_point
    assert not point.in_progress(START)
    assert not point.in_progress(START - timedelta(seconds=1))


def test_in_progress_is_half_open() -> None:
    """A session is in progress from its start up to, not including, its end."""
    session = Session(id="x", title="X", start=START, end=START + timedelta(minutes=40))
    assert session.in_progress(START)
    assert not session.in_progress(START + timedelta(minutes=40))
    assert not session.in_progress(START - timedelta(seconds=1))


def test_touching_sessions_do_not_overlap() -> None:
    """Back-to-back sessions do not overlap; a shared minute does."""
    a = Session(id="a", title="A", start=START, end=START + timedelta(minutes=40))
    b = Session(id="b", title="B", start=a.end, end=a.end + timedelta(minutes=40))
    c = Session(id="c", title="C", start=a.end - timedelta(minutes=1), end=b.end)
    assert not a.overlaps(b)
    assert a.overlaps(c)
    assert c.overlaps(a)


def test_a_point_event_clashes_with_nothing() -> None:
    """A marker inside a session ("Boarding begins") overlaps neither it nor an equal marker."""
    talk = Session(id="talk", title="T", start=START, end=START + timedelta(minutes=40))
    inside = START + timedelta(minutes=10)
    marker = Session(id="marker", title="M", start=inside, end=inside)
    twin = Session(id="twin", title="M2", start=inside, end=inside)
    assert not talk.overlaps(marker)
    assert not marker.overlaps(talk)
    assert not marker.overlaps(twin)
    index = ScheduleIndex(Schedule("s", "UTC", (talk, marker, twin)))
    assert index.overlaps(talk) == ()
    assert index.overlaps(marker) == ()


def test_schedule_sorts_and_refuses_duplicates() -> None:
    """A schedule sorts its sessions by start and refuses two sessions with one id."""
    late = Session(
        id="late", title="L", start=START + timedelta(hours=1), end=START + timedelta(hours=2)
    )
    early = Session(id="early", title="E", start=START, end=START + timedelta(hours=1))
    assert [s.id for s in Schedule("s", "UTC", (late, early)).sessions] == ["early", "late"]
    with pytest.raises(ValueError, match="duplicate session id"):
        Schedule("s", "UTC", (early, early))


def test_schedule_refuses_unknown_zone() -> None:
    """A schedule's zone must be a real IANA zone."""
    with pytest.raises(Exception, match="Mars"):
        Schedule("s", "Mars/Olympus", ())


def test_find_links_trims_punctuation_and_duplicates() -> None:
    """Links are found once each, without trailing punctuation."""
    text = (
        "See https://etherpad.openstack.org/p/IcehouseNova. And (https://x.org/a), https://x.org/a"
    )
    assert find_links(text) == ("https://etherpad.openstack.org/p/IcehouseNova", "https://x.org/a")


def test_fold_and_slugify() -> None:
    """Folding drops case and accents; slugs are short, ascii and readable."""
    assert fold("Café ÉTÉ") == "cafe ete"
    assert slugify("Hyper-V: Icehouse features") == "hyper-v-icehouse-features"
    assert slugify("!!!") == "session"


def test_unique_ids_suffix_collisions() -> None:
    """Colliding titles get numbered ids."""
    assert unique_ids(["Nova Un-conference", "Nova Un-conference", "Other"]) == [
        "nova-un-conference",
        "nova-un-conference-2",
        "other",
    ]
