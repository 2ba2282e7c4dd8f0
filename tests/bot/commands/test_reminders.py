"""`/nova remind`, `/nova reminders` and their buttons, through the core."""

from __future__ import annotations

import pytest

from bot.clock import fixed_clock
from bot.commands.reminders import CANCEL_REMINDER
from bot.core import Core
from bot.core.schedule_source import ScheduleSource
from bot.reminders.planner import install_planning
from bot.render.blocks import BOOKMARK
from bot.settings import Settings
from bot.storage.outbox import OutboxStatus
from bot.store import Store
from schedule.importers import load_bundled
from tests.bot.commands.test_agenda import blob, buttons
from tests.factories import local
from tests.support.wiring import make_core

AT = local("2013-11-05 10:00")
FIRST = "conductor-tasks-next-steps"  # Tuesday 11:15
SECOND = "instance-tasks-in-api"  # Tuesday 12:05


@pytest.fixture
def planned(settings: Settings, store: Store) -> Core:
    """The bundled schedule on SQLite and PostgreSQL, with reminder planning installed."""
    core = make_core(settings, store, ScheduleSource(load_bundled()))
    install_planning(core, fixed_clock(AT))
    return core


def bookmark(core: Core, user_id: str, session_id: str) -> None:
    """Bookmark through the core, as a button would."""
    session = core.index.get(session_id)
    assert session is not None
    core.set_bookmark(user_id, session, True, AT)


def due_times(core: Core, user_id: str) -> dict[str, str]:
    """Pending reminders as {session: "HH:MM"} in the summit's zone."""
    zone = core.index.schedule.zone
    return {
        d.session_id: d.due_at.astimezone(zone).strftime("%H:%M")
        for d in core.store.outbox.items(statuses=[OutboxStatus.PENDING], recipient=user_id)
    }


def test_remind_shows_the_default(planned: Core) -> None:
    """`/nova remind` says reminders are on, 10 minutes before, the default."""
    text = planned.answer("remind", "U1", AT).text
    assert "Reminders are on" in text
    assert "10 min before" in text
    assert "(the default)" in text


def test_remind_minutes_sets_lead_and_moves_reminders(planned: Core) -> None:
    """`/nova remind 5` stores 5 minutes and re-times the coming reminders."""
    bookmark(planned, "U1", FIRST)
    bookmark(planned, "U1", SECOND)
    answer = planned.answer("remind 5", "U1", AT).text
    assert "5 min before" in answer
    assert "2 coming reminders re-timed" in answer
    assert planned.store.people.preferences(["U1"])["U1"].lead_minutes == 5
    assert due_times(planned, "U1") == {FIRST: "11:10", SECOND: "12:00"}
    shown = planned.answer("/nova remind", "U1", AT).text
    assert "5 min before" in shown
    assert "default" not in shown


def test_remind_zero_tells_the_truth_and_plans_at_the_start(planned: Core) -> None:
    """`/nova remind 0` says "as each bookmarked session starts" and plans the DM at the start."""
    bookmark(planned, "U1", FIRST)
    answer = planned.answer("remind 0", "U1", AT).text
    assert "I DM you as each bookmarked session starts" in answer
    assert due_times(planned, "U1") == {FIRST: "11:15"}
    [row] = planned.store.outbox.items(statuses=[OutboxStatus.PENDING], recipient="U1")
    assert row.not_before == row.starts_at  # never before it starts


def test_remind_off_and_on(planned: Core) -> None:
    """`off` cancels coming reminders and `on` plans them again."""
    bookmark(planned, "U1", FIRST)
    assert "1 coming reminder cancelled" in planned.answer("remind off", "U1", AT).text
    assert due_times(planned, "U1") == {}
    assert "Reminders are off" in planned.answer("remind", "U1", AT).text
    assert "Reminders are off" in planned.answer("reminders", "U1", AT).text
    assert "1 reminder planned" in planned.answer("remind on", "U1", AT).text
    assert due_times(planned, "U1") == {FIRST: "11:05"}


@pytest.mark.parametrize("words", ["remind soon", "remind 999", "remind -5"])
def test_remind_with_bad_words_explains(planned: Core, words: str) -> None:
    """Words that are no lead time get the usage, and change nothing."""
    text = planned.answer(words, "U1", AT).text
    assert "how many minutes" in text
    assert planned.store.people.preferences(["U1"])["U1"].lead_minutes is None


def test_reminders_lists_coming_ones_with_cancel_buttons(planned: Core) -> None:
    """`/nova reminders` lists each coming reminder, soonest first, with a Cancel button."""
    bookmark(planned, "U1", SECOND)
    bookmark(planned, "U1", FIRST)
    message = planned.answer("reminders", "U1", AT)
    text = blob(message)
    assert "Your reminders · 2" in text
    assert text.index("Conductor Tasks") < text.index("Instance tasks in API")
    assert "reminder Tue 5 Nov 11:05 HKT (in 1 h 5 min)" in text
    assert [b["action_id"] for b in buttons(message)] == [
        CANCEL_REMINDER,
        "details",
        CANCEL_REMINDER,
        "details",
    ]


def test_cancel_button_keeps_the_bookmark(planned: Core) -> None:
    """Cancel drops that reminder only: the bookmark stays and the list shrinks."""
    bookmark(planned, "U1", FIRST)
    bookmark(planned, "U1", SECOND)
    first = buttons(planned.answer("reminders", "U1", AT))[0]
    result = planned.act(first["action_id"], first["value"], "U1", AT)
    assert result.notice is not None
    assert "stays in your bookmarks" in result.notice.text
    assert result.update is not None
    assert "Your reminders · 1" in blob(result.update)
    assert FIRST in planned.store.bookmarks.sessions_of("U1")
    assert due_times(planned, "U1") == {SECOND: "11:55"}
    again = planned.act(first["action_id"], first["value"], "U1", AT)
    assert again.notice is not None
    assert "already sent or cancelled" in again.notice.text


def test_cancel_button_of_someone_else_does_nothing(planned: Core) -> None:
    """A person cannot cancel another person's reminder with its button value."""
    bookmark(planned, "U1", FIRST)
    button = buttons(planned.answer("reminders", "U1", AT))[0]
    result = planned.act(button["action_id"], button["value"], "U2", AT)
    assert result.notice is not None
    assert "no longer exists" in result.notice.text
    assert due_times(planned, "U1") == {FIRST: "11:05"}


def test_reminders_empty_says_how_to_get_some(planned: Core) -> None:
    """With nothing coming, `/nova reminders` says bookmarks bring reminders."""
    text = planned.answer("reminders", "U1", AT).text
    assert "No reminders coming" in text
    assert "10 min before" in text


def test_bookmark_within_lead_time_is_said_in_the_confirmation(planned: Core) -> None:
    """Bookmarking at 11:08 a session starting 11:15 says no reminder will come."""
    late = local("2013-11-05 11:08")
    button = next(
        b
        for b in buttons(planned.answer(f"show {FIRST}", "U1", late))
        if b["action_id"] == BOOKMARK
    )
    result = planned.act(BOOKMARK, button["value"], "U1", late)
    assert result.notice is not None
    assert "It starts in 7 min, within your 10-minute reminder time" in result.notice.text
    assert planned.store.outbox.items(recipient="U1") == []


def test_bookmark_early_enough_adds_no_line(planned: Core) -> None:
    """A bookmark well before the reminder moment confirms as usual and plans the reminder."""
    button = next(
        b for b in buttons(planned.answer(f"show {FIRST}", "U1", AT)) if b["action_id"] == BOOKMARK
    )
    result = planned.act(BOOKMARK, button["value"], "U1", AT)
    assert result.notice is not None
    assert "reminder time" not in result.notice.text
    assert due_times(planned, "U1") == {FIRST: "11:05"}


def test_help_lists_the_reminder_commands(planned: Core) -> None:
    """Help shows `remind` and `reminders` with their usage."""
    text = blob(planned.answer("help", "U1", AT))
    assert "/nova remind [5|15|off|on]" in text
    assert "/nova reminders" in text
