"""A deliberate switch: `reload --force` applies what the guard refuses, quietly by default."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import fixed_clock
from bot.core.schedule_source import ScheduleSource
from bot.reload import Reloader, Status, serving_schedule
from bot.reload.notices import WITHHELD
from bot.reminders.planner import install_planning
from bot.settings import Settings
from bot.storage.outbox import OutboxKind, OutboxStatus
from bot.store import Store
from schedule.importers import dump_schedule, load_bundled
from schedule.model import Schedule
from tests.bot.reload.conftest import RecordingNotifier, notice_sender
from tests.factories import local, schedule, session
from tests.support.wiring import make_core


def icehouse() -> Schedule:
    """Four Nova sessions on Tuesday."""
    return schedule(
        session("keynote", "2013-11-05 11:15", title="Nova Keynote"),
        session("workshop", "2013-11-05 12:30", title="Workshop"),
        session("lunch", "2013-11-05 13:30", title="Lunch talk"),
        session("close", "2013-11-05 15:00", title="Closing"),
    )


def other_conference() -> Schedule:
    """Another conference: none of the Icehouse sessions, so the guard refuses it."""
    return schedule(
        session("juno-1", "2014-05-13 09:00", title="Juno One"),
        session("juno-2", "2014-05-13 10:00", title="Juno Two"),
        name="Juno",
    )


class Setup:
    """A core with reminder planning, a bookmark on the keynote and a recording reloader."""

    def __init__(self, store: Store, tmp_path: Path) -> None:
        """Serve Icehouse, bookmark its keynote for U1, write the other conference's file."""
        self.store = store
        self.clock = fixed_clock(local("2013-11-05 09:00"))
        # An admin's file argument is read only inside SUMMIT_BOT_RELOAD_DIR: here, tmp_path.
        admins = dataclasses.replace(
            Settings(), admin_user_ids=frozenset({"UADMIN"}), reload_dir=str(tmp_path)
        )
        schedules = ScheduleSource(icehouse())
        self.notifier = RecordingNotifier()
        self.reloader = Reloader(
            admins,
            store,
            schedules,
            clock=self.clock,
            sender=notice_sender(store, self.notifier, self.clock),
            background=False,
        )
        self.core = make_core(admins, store, schedules, reloader=self.reloader)
        install_planning(self.core, self.clock)
        keynote = self.core.index.get("keynote")
        assert keynote is not None
        self.core.set_bookmark("U1", keynote, True, self.clock.now())
        self.path = tmp_path / "juno.json"
        self.path.write_text(dump_schedule(other_conference()), encoding="utf-8")

    def pending(self) -> list[str]:
        """The session ids of U1's pending reminders."""
        pending = self.store.outbox.items(
            OutboxKind.REMINDER, statuses=[OutboxStatus.PENDING], recipient="U1"
        )
        return [item.session_id or "" for item in pending]


@pytest.fixture
def setup(sqlite_store: Store, tmp_path: Path) -> Setup:
    """The switch scenario on SQLite."""
    return Setup(sqlite_store, tmp_path)


def test_guard_refuses_without_force(setup: Setup) -> None:
    """Without force the other conference is refused and the reminder stays."""
    outcome = setup.reloader.reload(str(setup.path))
    assert outcome.status is Status.REFUSED
    assert setup.pending() == ["keynote"]


def test_forced_reload_applies_cancels_reminders_and_tells_nobody(setup: Setup) -> None:
    """Forced: the new schedule serves, the vanished keynote's reminder is cancelled, no DM."""
    outcome = setup.reloader.reload(str(setup.path), force=True)
    assert outcome.status is Status.APPLIED
    assert outcome.forced_past is not None
    assert "would remove 4 of 4 sessions" in outcome.forced_past
    assert [s.id for s in setup.core.index.sessions] == ["juno-1", "juno-2"]
    assert setup.pending() == []
    assert setup.notifier.sent == []
    assert outcome.silenced == 1
    assert outcome.describe().startswith("Forced past the guard (would remove 4 of 4 sessions")
    assert "Nobody is told (1 change notice(s) withheld: no --notify)." in outcome.describe()
    [withheld] = setup.store.outbox.items(OutboxKind.NOTICE, recipient="U1")
    assert (withheld.status, withheld.error) == (OutboxStatus.CANCELLED, WITHHELD)
    # A replica or a restart announcing the last change sends nothing either.
    assert setup.reloader.announce_latest() == ()
    assert setup.notifier.sent == []


def test_forced_reload_with_notify_tells_the_bookmarker(setup: Setup) -> None:
    """Forced with notify: the keynote's bookmarker is told it was cancelled."""
    outcome = setup.reloader.reload(str(setup.path), force=True, notify=True)
    assert outcome.status is Status.APPLIED
    assert outcome.silenced == 0
    assert len(setup.notifier.to("U1")) == 1
    assert "Nova Keynote" in setup.notifier.to("U1")[0]


def test_admin_reload_force_in_slack(setup: Setup) -> None:
    """`/nova reload force FILE` from an admin applies it; from anyone else it is refused."""
    core = setup.core
    at = setup.clock.now()
    refused = core.answer(f"reload force {setup.path}", "U1", at)
    assert "Only the summit's admins" in refused.text
    answer = core.answer(f"reload force {setup.path}", "UADMIN", at)
    assert answer.text.startswith("Forced past the guard")
    assert [s.id for s in core.index.sessions] == ["juno-1", "juno-2"]
    assert setup.notifier.sent == []


def test_cli_reload_force(cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`summit-bot reload --force FILE` prints the diff summary and applies what was refused."""
    bundled = load_bundled()
    path = tmp_path / "short.json"
    path.write_text(
        dump_schedule(dataclasses.replace(bundled, sessions=bundled.sessions[:3])),
        encoding="utf-8",
    )
    assert main(["reload", str(path)]) == 2
    capsys.readouterr()
    assert main(["reload", "--force", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Forced past the guard (would remove 28 of 31 sessions (90%)")
    assert f"Reloaded {path}: 28 removed. Now serving" in out
    with Store.open(cli_db) as store:
        served = serving_schedule(Settings.from_env({}, env_file=None), store)
    assert len(served.sessions) == 3
