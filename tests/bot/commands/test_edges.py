"""Summit edges, point events and ranges across DST, as the /nova answers show them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.console.render_text import render
from bot.core import Core
from bot.core.schedule_source import ScheduleSource
from bot.settings import Settings
from bot.store import Store
from schedule.model import Schedule, Session
from tests.factories import local, schedule, session
from tests.support.wiring import make_core


def core_for(plan: Schedule, settings: Settings, store: Store) -> Core:
    """A core serving `plan`."""
    return make_core(settings, store, ScheduleSource(plan))


@pytest.fixture
def ending(settings: Settings, sqlite_store: Store) -> Core:
    """A last day where the last session (16:00–17:00) starts while a long one runs to 18:00."""
    return core_for(
        schedule(
            session("long", "2013-11-08 14:00", 240, title="Long Workshop"),
            session("last", "2013-11-08 16:00", 60, title="Closing Talk"),
        ),
        settings,
        sqlite_store,
    )


def text(core: Core, words: str, at: datetime) -> str:
    """The console text of the answer to `words` at `at`."""
    return render(core.answer(words, "U1", at))[0]


def test_next_after_last_start_is_not_over(ending: Core) -> None:
    """Between the last start and the last end, next says nothing else starts and shows what is on."""
    answer = text(ending, "next", local("2013-11-08 16:30"))
    assert "over" not in answer
    assert "Nothing else starts" in answer
    assert "Long Workshop" in answer
    assert "Closing Talk" in answer
    assert "Fri 8 Nov at 18:00 HKT" in answer


def test_next_after_last_end_is_over(ending: Core) -> None:
    """At the last end instant the summit is over, and the end it names is not in the future."""
    answer = text(ending, "next", local("2013-11-08 18:00"))
    assert "The summit is over — the last session ended Fri 8 Nov at 18:00 HKT." in answer
    assert "over" in text(ending, "now", local("2013-11-08 18:00"))


def test_now_after_last_start_shows_sessions_on(ending: Core) -> None:
    """Now between the last start and the last end lists what is running, not "over"."""
    answer = text(ending, "now", local("2013-11-08 17:30"))
    assert "over" not in answer
    assert "Long Workshop" in answer


@pytest.fixture
def with_point(settings: Settings, sqlite_store: Store) -> Core:
    """A talk and a zero-length "Boarding begins" marker at 12:00."""
    return core_for(
        schedule(
            session("talk", "2013-11-05 11:00", 40, title="Morning Talk"),
            session("boarding", "2013-11-05 12:00", 0, title="Boarding begins"),
            session("lunch", "2013-11-05 13:00", 60, title="Lunch"),
        ),
        settings,
        sqlite_store,
    )


def test_point_event_never_on_now(with_point: Core) -> None:
    """At the marker's instant nothing is on now; the marker is not listed as on."""
    answer = text(with_point, "now", local("2013-11-05 12:00"))
    assert "Nothing is on right now" in answer
    assert "On now" not in answer
    assert "Boarding begins" not in answer.split("Next", 1)[0]


def test_point_event_in_next_today_search_show(with_point: Core) -> None:
    """The marker is the next thing, in today's agenda, found by search and shown in full."""
    at = local("2013-11-05 11:50")
    assert "Boarding begins" in text(with_point, "next", at)
    today = text(with_point, "today", at)
    assert "Boarding begins" in today
    assert "Tue 5 Nov 12:00 HKT" in today
    assert "12:00–12:00" not in today
    assert "Boarding begins" in text(with_point, "search boarding", at)
    shown = text(with_point, "show boarding", at)
    assert "Tue 5 Nov 12:00 HKT" in shown
    assert "starts in 10 min" in shown
    assert "passed" in text(with_point, "show boarding", at + timedelta(minutes=30))


def test_range_across_dst_in_block_kit(settings: Settings, sqlite_store: Store) -> None:
    """A session from 20:00 EST to 03:00 EDT shows both labels in Block Kit and console text."""
    new_york = ZoneInfo("America/New_York")
    start = datetime(2014, 3, 8, 20, 0, tzinfo=new_york).astimezone(UTC)
    night = Session(id="night", title="Night Hack", start=start, end=start + timedelta(hours=6))
    core = core_for(
        Schedule(name="x", timezone="America/New_York", sessions=(night,)), settings, sqlite_store
    )
    message = core.answer("show night", "U1", start)
    label = "Sat 8 Mar 20:00 EST–Sun 9 Mar 03:00 EDT"
    assert label in str(message.to_dict())
    assert label in render(message)[0]
    assert label in message.text


def test_nova_bare_number_is_not_a_day(core: Core) -> None:
    """`/nova 7` is not the 7th of some month; `/nova thursday` is the summit's Thursday."""
    at = local("2014-06-01 10:00")
    assert "I don't know" in core.answer("7", "U1", at).text
    assert "Thursday 7 November 2013" in core.answer("thursday", "U1", at).text


def test_point_event_is_remindable_at_its_start(settings: Settings, sqlite_store: Store) -> None:
    """Bookmarking a zero-length event plans its reminder the lead time before its instant."""
    from bot.clock import fixed_clock
    from bot.reminders.planner import install_planning
    from bot.storage.outbox import OutboxKind, OutboxStatus

    core = core_for(
        schedule(session("boarding", "2013-11-05 12:00", 0, title="Boarding begins")),
        settings,
        sqlite_store,
    )
    clock = fixed_clock(local("2013-11-05 09:00"))
    install_planning(core, clock)
    boarding = core.index.get("boarding")
    assert boarding is not None
    core.set_bookmark("U1", boarding, True, clock.now())
    [planned] = sqlite_store.outbox.items(
        OutboxKind.REMINDER, statuses=[OutboxStatus.PENDING], recipient="U1"
    )
    assert planned.session_id == "boarding"
    assert planned.due_at == local("2013-11-05 11:50")
