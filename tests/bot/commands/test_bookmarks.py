from __future__ import annotations

from bot.console.render_text import render
from bot.core import Core
from tests.bot.commands.test_agenda import blob, buttons
from tests.factories import local

AT = local("2013-11-05 11:20")


def test_bookmark_button_toggles_state(core: Core) -> None:
    """Clicking Bookmark stores it and the updated message shows "Bookmarked ✓"."""
    message = core.answer("now", "U1", AT)
    button = buttons(message)[0]
    result = core.act(button["action_id"], button["value"], "U1", AT)
    assert core.store.bookmarks.sessions_of("U1") == {"conductor-tasks-next-steps"}
    assert result.update is not None
    assert [b["text"]["text"] for b in buttons(result.update)] == ["Bookmarked ✓"]
    assert result.notice is not None
    assert "Bookmarked" in result.notice.text
    again = buttons(result.update)[0]
    core.act(again["action_id"], again["value"], "U1", AT)
    assert core.store.bookmarks.sessions_of("U1") == frozenset()


def test_double_click_leaves_one_bookmark(core: Core) -> None:
    """Clicking the same Bookmark button twice leaves a single bookmark."""
    button = buttons(core.answer("now", "U1", AT))[0]
    core.act(button["action_id"], button["value"], "U1", AT)
    core.act(button["action_id"], button["value"], "U1", AT)
    assert core.store.bookmarks.sessions_of("U1") == {"conductor-tasks-next-steps"}


def test_bookmarks_are_per_person(core: Core) -> None:
    """One person's bookmark does not show as another's."""
    button = buttons(core.answer("now", "U1", AT))[0]
    core.act(button["action_id"], button["value"], "U1", AT)
    assert [b["text"]["text"] for b in buttons(core.answer("now", "U2", AT))] == ["Bookmark"]


def test_overlap_is_reported(core: Core) -> None:
    """Bookmarking a session that overlaps another bookmark names the other one."""
    from bot.core.schedule_source import ScheduleSource
    from tests.factories import schedule, session

    core.schedules = ScheduleSource(
        schedule(session("a", "2013-11-05 11:00", 60), session("b", "2013-11-05 11:30", 60))
    )
    core.store.bookmarks.add([("U1", "a")], AT)
    button = next(
        b for b in buttons(core.answer("show b", "U1", AT)) if b["action_id"] == "bookmark"
    )
    result = core.act("bookmark", button["value"], "U1", AT)
    assert result.notice is not None
    assert "overlaps your bookmark *A*" in blob(result.notice)


def test_mine_groups_by_day_and_flags_overlaps(core: Core) -> None:
    """`mine` lists bookmarks by day with remove buttons and marks overlaps."""
    from bot.core.schedule_source import ScheduleSource
    from tests.factories import schedule, session

    core.schedules = ScheduleSource(
        schedule(
            session("a", "2013-11-05 11:00", 60),
            session("b", "2013-11-05 11:30", 60),
            session("c", "2013-11-06 09:00", 40),
        )
    )
    for sid in ("a", "b", "c"):
        core.store.bookmarks.add([("U1", sid)], AT)
    message = core.answer("mine", "U1", AT)
    text = render(message)[0]
    assert text.index("Tuesday 5 November") < text.index("Wednesday 6 November")
    assert "overlaps your bookmark B" in text
    assert "overlaps your bookmark A" in text
    assert {b["action_id"] for b in buttons(message)} == {"unbookmark"}


def test_mine_empty(core: Core) -> None:
    """With no bookmarks, `mine` says how to make one."""
    assert "no bookmarks yet" in core.answer("mine", "U1", AT).text
