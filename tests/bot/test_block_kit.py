"""Every kind of answer the bot builds is valid Block Kit, checked with slack_sdk's models."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.commands.bookmarks import toggle_bookmark
from bot.commands.registry import Click
from bot.core import Core
from bot.core import block_kit as kit
from bot.core.schedule_source import ScheduleSource
from bot.edge.answering import BUSY
from bot.handlers.replies import SORRY
from bot.reminders.message import reminder_message
from bot.render.blocks import UNBOOKMARK
from bot.settings import Settings
from bot.store import Store
from bot.views.home import home_view
from schedule.importers import load_bundled
from tests.factories import local, schedule, session
from tests.support.block_kit import assert_block_kit, assert_valid_message
from tests.support.wiring import make_core

QUESTIONS = [
    "now",
    "next",
    "today",
    "tomorrow",
    "thursday",
    "day 2013-11-08",
    "search nova",
    "search scheduler",
    "search nothing-matches-this",
    "show instance-tasks-in-api",
    "show no-such-session",
    "mine",
    "remind",
    "remind 5",
    "reminders",
    "follow",
    "unfollow",
    "export",
    "share now",
    "share mine",
    "reload",
    "help",
    "nxt",
]
MOMENTS = ["2013-11-04 09:00", "2013-11-05 11:20", "2013-11-06 13:00", "2013-11-09 09:00"]


@pytest.fixture
def bookmarked(core: Core) -> Core:
    """The core, with U1 holding a dozen bookmarks (several pages, overlaps) and a zone."""
    at = local("2013-11-04 09:00")
    for found in core.index.sessions[:14]:
        core.store.bookmarks.add([("U1", found.id)], at)
    core.store.bookmarks.add([("U1", "gone-from-the-schedule")], at)
    core.store.people.set_timezone("U1", "America/Los_Angeles", at)
    return core


@pytest.mark.parametrize("moment", MOMENTS)
def test_every_answer_is_valid_block_kit(bookmarked: Core, moment: str) -> None:
    """Every subcommand, at every phase of the summit, for someone with bookmarks, is valid."""
    at = local(moment)
    for question in QUESTIONS:
        for page in (0, 1):
            message = bookmarked.answer(question, "U1", at, page)
            assert_valid_message(message, context=f"{question!r} page {page} at {moment}")


def test_home_view_and_reminder_are_valid(bookmarked: Core) -> None:
    """The App Home page and the reminder DM are valid Block Kit."""
    at = local("2013-11-05 11:20")
    assert_valid_message(home_view(bookmarked, "U1", at), context="home")
    first = bookmarked.index.sessions[1]
    late = reminder_message(bookmarked, "U1", first, at, first.start - timedelta(minutes=15))
    assert_valid_message(late, context="reminder")


def test_click_results_are_valid(bookmarked: Core) -> None:
    """The update and the notice a bookmark click produces are valid Block Kit."""
    at = local("2013-11-05 11:20")
    target = bookmarked.index.sessions[0]
    click = Click(bookmarked, "U1", at, UNBOOKMARK, {"id": target.id, "q": "now", "p": 0})
    result = toggle_bookmark(click)
    assert result.update is not None
    assert result.notice is not None
    assert_valid_message(result.update, context="update")
    assert_valid_message(result.notice, context="notice")


def test_fixed_answers_are_valid() -> None:
    """The apology and the busy answer are valid Block Kit."""
    assert_valid_message(SORRY, context="sorry")
    assert_valid_message(BUSY, context="busy")


@pytest.fixture
def outsized(tmp_path: Path) -> Iterator[Core]:
    """A core serving sessions whose every text is far beyond Slack's limits."""
    huge = "Ünïcode & <b>markup</b> " * 400
    sessions = [
        session(
            f"s{n}-" + "x" * 300,
            f"2013-11-05 {9 + n % 8:02d}:00",
            title=huge,
            room=huge,
            proposers=tuple(huge[:200] for _ in range(30)),
            description=huge * 3,
        )
        for n in range(60)
    ]
    store = Store.open(f"sqlite:///{tmp_path / 'big.db'}")
    settings = Settings.from_env({}, env_file=None)
    yield make_core(settings, store, ScheduleSource(schedule(*sessions)))
    store.close()


def test_outsized_texts_are_cut_to_the_limits(outsized: Core) -> None:
    """Titles, rooms and descriptions of thousands of characters still give valid Block Kit."""
    at = local("2013-11-05 11:20")
    first = outsized.index.sessions[0]
    for sid in [s.id for s in outsized.index.sessions[:20]]:
        outsized.store.bookmarks.add([("U1", sid)], at)
    for question in ["now", "next", "today", "search unicode", f"show {first.id}", "mine"]:
        assert_valid_message(outsized.answer(question, "U1", at), context=question)
    assert_valid_message(home_view(outsized, "U1", at), context="home")


def test_builders_are_the_models_own_json() -> None:
    """Each builder of `bot.core.block_kit` gives exactly what slack_sdk's model of it gives."""
    assert_block_kit(
        [
            kit.header("h" * 400),
            kit.section("s" * 4000, kit.button("b" * 100, "a", "v", style="danger", emoji=True)),
            kit.context("c" * 4000),
            kit.divider(),
            kit.actions(kit.button("More", "more", "{}"), kit.button("Go", "go", "1")),
        ]
    )
    with pytest.raises(ValueError, match="too long"):
        kit.button("b", "a", "v" * 2001)


def test_bundled_core_fixture_is_the_nova_schedule(core: Core) -> None:
    """The checks above run on the real bundled schedule."""
    assert core.index.schedule.name == load_bundled().name


def test_channel_board_is_valid(core: Core) -> None:
    """The channel board's message, before, during and after the summit, is valid Block Kit."""
    from bot.board import board_message
    from schedule.board import board_at

    index = core.index
    for moment in MOMENTS:
        message = board_message(board_at(index, local(moment)), index)
        assert_valid_message(message, context=f"board at {moment}")
