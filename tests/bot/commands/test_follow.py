from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.clock import fixed_clock
from bot.core import Core
from bot.core.schedule_source import ScheduleSource
from bot.reload import Reloader, Status
from bot.reminders.planner import install_planning
from bot.storage.outbox import OutboxStatus
from schedule.importers import dump_schedule
from tests.factories import local, schedule, session

AT = local("2013-11-04 09:00")
FIRST = "conductor-tasks-next-steps"


def pending(core: Core, user_id: str) -> list[str]:
    """The session ids of a person's pending reminders, in due order."""
    return [
        d.session_id
        for d in core.store.outbox.items(statuses=[OutboxStatus.PENDING], recipient=user_id)
    ]


def two_tracks(core: Core) -> None:
    """Serve a schedule with a Nova and a Cinder track."""
    core.schedules = ScheduleSource(
        schedule(
            session("n1", "2013-11-05 11:00"),
            session("n2", "2013-11-05 12:00"),
            session("c1", "2013-11-05 11:00", track="Cinder", room="Room 201"),
        )
    )


def test_follow_defaults_to_the_schedules_track(core: Core) -> None:
    """`follow` alone follows the bundled schedule's only track and plans its reminders."""
    message = core.answer("/nova follow", "U1", AT)
    assert message.text.startswith(
        "You now follow the Nova track: a reminder 10 min before each of its 31 coming sessions"
    )
    assert core.store.follows.tracks_of("U1") == {"Nova"}
    assert len(pending(core, "U1")) == 31
    again = core.answer("/nova follow nova", "U1", AT)
    assert again.text.startswith("You already follow the Nova track (31 sessions).")


def test_follow_asks_which_track_when_there_are_several(core: Core) -> None:
    """With several tracks and none configured, `follow` lists them instead of guessing."""
    two_tracks(core)
    message = core.answer("/nova follow", "U1", AT)
    assert message.text == (
        "Which track? /nova follow <track> with one of: Nova, Cinder. You follow: none."
    )
    assert core.store.follows.tracks_of("U1") == frozenset()
    assert core.answer("/nova follow cin", "U1", AT).text.startswith("You now follow the Cinder")
    assert pending(core, "U1") == ["c1"]


def test_follow_of_an_unknown_track_names_the_tracks(core: Core) -> None:
    """A track that does not exist is refused with the list of tracks."""
    message = core.answer("/nova follow swift", "U1", AT)
    assert message.text == "There is no track swift. Tracks: Nova."
    assert core.store.follows.tracks_of("U1") == frozenset()


def test_follow_and_bookmark_give_one_reminder(core: Core) -> None:
    """A session both followed and bookmarked has one reminder, which stays while either holds."""
    install_planning(core, fixed_clock(AT))
    first = core.index.get(FIRST)
    assert first is not None
    core.set_bookmark("U1", first, True, AT)
    assert pending(core, "U1") == [FIRST]
    core.answer("/nova follow", "U1", AT)
    reminders = pending(core, "U1")
    assert len(reminders) == 31
    assert reminders.count(FIRST) == 1
    assert len(core.store.outbox.items(recipient="U1")) == 31
    core.set_bookmark("U1", first, False, AT)
    assert FIRST in pending(core, "U1")
    message = core.answer("/nova unfollow", "U1", AT)
    assert message.text.startswith("You no longer follow the Nova track")
    assert pending(core, "U1") == []


def test_unfollow_keeps_bookmarked_reminders(core: Core) -> None:
    """Unfollowing cancels the track's reminders except those of bookmarked sessions."""
    install_planning(core, fixed_clock(AT))
    first = core.index.get(FIRST)
    assert first is not None
    core.answer("/nova follow", "U1", AT)
    core.set_bookmark("U1", first, True, AT)
    core.answer("/nova unfollow Nova", "U1", AT)
    assert pending(core, "U1") == [FIRST]
    assert core.answer("/nova unfollow Nova", "U1", AT).text == (
        "You do not follow the Nova track."
    )


def test_sessions_added_later_are_reminded_to_followers(core: Core, tmp_path: Path) -> None:
    """A session a reload adds to a followed track gets a reminder without a bookmark."""
    install_planning(core, fixed_clock(AT))
    core.answer("/nova follow", "U1", AT)
    added = session("late-addition", "2013-11-08 16:00", title="Late addition")
    path = tmp_path / "more.json"
    bigger = dataclasses.replace(
        core.index.schedule, sessions=(*core.index.schedule.sessions, added)
    )
    path.write_text(dump_schedule(bigger), encoding="utf-8")
    reloader = Reloader(core.settings, core.store, core.schedules, background=False)
    assert reloader.reload(str(path), AT).status is Status.APPLIED
    assert "late-addition" in pending(core, "U1")
    assert len(pending(core, "U1")) == 32
