"""Schedules published at a URL: conditional fetches, timed reloads and the admins' alerts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.reload import Status, UrlFetcher, start_schedule
from bot.settings import Settings
from bot.store import Store
from schedule.ics_export import export_ics
from schedule.model import Schedule, ScheduleError
from tests.bot.reload.conftest import (
    AT,
    RecordingNotifier,
    base_schedule,
    make_world,
)
from tests.factories import local, schedule
from tests.support.schedule_server import Server


def ics(sched: Schedule) -> bytes:
    """`sched` as an iCalendar file (its UIDs give back the same session ids)."""
    return export_ics(sched.sessions, calendar_name=sched.name, timezone=sched.timezone, at=AT)


def moved_a() -> Schedule:
    """The base schedule with session a moved to the afternoon."""
    sessions = {s.id: s for s in base_schedule().sessions}
    old = sessions["a"]
    begin = local("2013-11-05 16:00")
    sessions["a"] = dataclasses.replace(old, start=begin, end=begin + (old.end - old.start))
    return schedule(*sessions.values())


def test_etag_is_sent_back_and_304_means_unchanged(server: Server) -> None:
    """The second fetch sends If-None-Match and a 304 answer means nothing new."""
    server.publish(ics(base_schedule()), etag='"v1"')
    fetcher = UrlFetcher(server.url)
    first = fetcher.fetch()
    assert first is not None
    assert first.etag == '"v1"'
    assert fetcher.fetch() is None
    assert server.published.seen[-1].get("If-None-Match") == '"v1"'


def test_last_modified_is_sent_back(server: Server) -> None:
    """A server giving Last-Modified is asked If-Modified-Since next time."""
    server.publish(ics(base_schedule()))
    server.published.last_modified = "Mon, 04 Nov 2013 01:00:00 GMT"
    fetcher = UrlFetcher(server.url)
    assert fetcher.fetch() is not None
    assert fetcher.fetch() is None
    assert server.published.seen[-1].get("If-Modified-Since") == "Mon, 04 Nov 2013 01:00:00 GMT"


def test_same_body_without_validators_is_unchanged(server: Server) -> None:
    """Without validators, a body identical to the last one is still "nothing new"."""
    server.publish(ics(base_schedule()))
    fetcher = UrlFetcher(server.url)
    assert fetcher.fetch() is not None
    assert fetcher.fetch() is None
    server.publish(ics(moved_a()))
    assert fetcher.fetch() is not None


def test_http_errors_and_other_schemes_raise(server: Server) -> None:
    """A server error and a non-http URL are ScheduleErrors naming the fault."""
    server.publish(b"oops", status=500)
    with pytest.raises(ScheduleError, match="HTTP 500"):
        UrlFetcher(server.url).fetch()
    with pytest.raises(ScheduleError, match="only http"):
        UrlFetcher("file:///etc/hostname")


def test_startup_fetches_the_url_and_timed_reloads_follow_it(
    server: Server, sqlite_url: str, tmp_path: Path
) -> None:
    """With a URL configured the first schedule comes from it, and polls apply its changes."""
    server.publish(ics(base_schedule()), etag='"v1"')
    notifier = RecordingNotifier()
    world = make_world(
        sqlite_url, tmp_path / "unused.json", notifier=notifier, schedule_url=server.url
    )
    try:
        assert world.startup.source == server.url
        assert len(world.schedules.schedule.sessions) == 6
        world.store.bookmarks.add([("U1", "a")], AT)
        assert world.reloader.reload(timed=True).status is Status.UNCHANGED
        server.publish(ics(moved_a()), etag='"v2"')
        outcome = world.reloader.reload(timed=True)
        assert outcome.status is Status.APPLIED
        [text] = notifier.to("U1")
        assert "→ Tue 5 Nov 16:00–16:40, Room 201" in text
        assert world.reloader.reload(timed=True).status is Status.UNCHANGED
        assert server.published.seen[-1].get("If-None-Match") == '"v2"'
    finally:
        world.store.close()


def test_timed_failures_alert_the_admins_once_each(
    server: Server, sqlite_url: str, tmp_path: Path
) -> None:
    """Each distinct failure of the timed fetch DMs every admin once, however often it recurs."""
    server.publish(ics(base_schedule()))
    world = make_world(
        sqlite_url,
        tmp_path / "unused.json",
        schedule_url=server.url,
        admins=frozenset({"UADMIN", "UBOSS"}),
    )
    try:
        server.publish(b"Service Unavailable", status=503)
        for _ in range(3):
            assert world.reloader.reload(timed=True).status is Status.REFUSED
        assert len(world.notifier.to("UADMIN")) == 1
        assert len(world.notifier.to("UBOSS")) == 1
        assert "HTTP 503" in world.notifier.to("UADMIN")[0]
        server.publish(ics(schedule(*base_schedule().sessions[:2])))
        for _ in range(2):
            outcome = world.reloader.reload(timed=True)
            assert outcome.status in (Status.REFUSED, Status.UNCHANGED)
        alerts = world.notifier.to("UADMIN")
        assert len(alerts) == 2
        assert "would remove 4 of 6 sessions" in alerts[1]
        assert len(world.schedules.schedule.sessions) == 6
    finally:
        world.store.close()


def test_unreachable_url_without_saved_schedule_fails_startup(tmp_path: Path) -> None:
    """With nothing saved yet, a URL that cannot be fetched stops startup with its reason."""
    settings = dataclasses.replace(Settings(), schedule_url="http://127.0.0.1:9/schedule.ics")
    with Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}") as store:
        with pytest.raises(ScheduleError, match="cannot fetch"):
            start_schedule(settings, store, AT)
        assert store.snapshots.latest() is None
