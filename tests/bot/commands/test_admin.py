from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from bot.commands.admin import source_argument
from bot.core import Core
from bot.core.schedule_source import ScheduleSource
from bot.reload import Reloader
from bot.settings import Settings
from bot.store import Store
from schedule.importers import dump_schedule, load_bundled
from schedule.model import Schedule
from tests.bot.commands.test_agenda import blob
from tests.bot.reload.conftest import RecordingNotifier, notice_sender
from tests.factories import local
from tests.support.schedule_server import Server
from tests.support.wiring import make_core

AT = local("2013-11-04 09:00")
FIRST = "conductor-tasks-next-steps"


@pytest.fixture
def admin_core(settings: Settings, sqlite_store: Store, tmp_path: Path) -> Core:
    """The bundled schedule, UADMIN the one admin, reloads allowed from tmp_path and loopback."""
    return make_core(
        dataclasses.replace(
            settings,
            admin_user_ids=frozenset({"UADMIN"}),
            reload_dir=str(tmp_path),
            reload_allow_hosts=frozenset({"127.0.0.1"}),
        ),
        sqlite_store,
        ScheduleSource(load_bundled()),
    )


def first_moved_an_hour() -> Schedule:
    """The bundled schedule with its first session an hour later."""
    bundled = load_bundled()
    first = bundled.sessions[0]
    hour = timedelta(hours=1)
    moved = dataclasses.replace(first, start=first.start + hour, end=first.end + hour)
    return dataclasses.replace(bundled, sessions=(moved, *bundled.sessions[1:]))


def test_reload_by_anyone_else_is_refused(core: Core) -> None:
    """A person who is not an admin is told they cannot reload, and nothing changes."""
    before = core.index.schedule
    message = core.answer("/nova reload", "U1", AT)
    assert message.text == "Only the summit's admins can reload the schedule."
    assert core.index.schedule is before
    assert core.store.snapshots.latest() is None


def test_admin_reload_of_the_configured_schedule_changes_nothing(admin_core: Core) -> None:
    """Reloading the bundled schedule that is already served answers "No changes"."""
    message = admin_core.answer("/nova reload", "UADMIN", AT)
    assert message.text.startswith("No changes:")
    assert "31 sessions" in message.text


def test_admin_reload_of_a_file_lists_the_move(admin_core: Core, tmp_path: Path) -> None:
    """An admin's reload of another file applies it and lists what moved."""
    path = tmp_path / "moved.json"
    path.write_text(dump_schedule(first_moved_an_hour()), encoding="utf-8")
    admin_core.store.bookmarks.add([("U1", FIRST)], AT)
    message = admin_core.answer(f"/nova reload {path}", "UADMIN", AT)
    assert message.text.startswith(f"Reloaded {path}: 1 moved.")
    assert "1 person will be told about 1 change(s) once the bot can send DMs." in message.text
    assert "Tue 5 Nov 11:15–11:55, AWE Level 2, Room 204-205 → Tue 5 Nov 12:15–12:55" in blob(
        message
    )
    first = admin_core.index.get(FIRST)
    assert first is not None
    assert first.start == local("2013-11-05 12:15")


def test_admin_is_told_why_a_reload_is_refused(admin_core: Core, tmp_path: Path) -> None:
    """A broken file is refused with its reason and the schedule in service stays."""
    path = tmp_path / "broken.json"
    path.write_text('{"format": "summit-bot/1", "name": "x", "sess', encoding="utf-8")
    message = admin_core.answer(f"/nova reload {path}", "UADMIN", AT)
    assert message.text.startswith(f"Reload of {path} refused:")
    assert "not valid JSON" in message.text
    assert "Still serving" in message.text
    assert len(admin_core.index.sessions) == 31


def test_admin_reload_from_a_url_in_slack_link_markup(admin_core: Core, server: Server) -> None:
    """A URL as Slack sends it (<url|label>) is fetched from the loopback server and applied."""
    server.publish(dump_schedule(first_moved_an_hour()).encode("utf-8"), etag='"1"')
    notifier = RecordingNotifier()
    reloader = Reloader(
        admin_core.settings,
        admin_core.store,
        admin_core.schedules,
        sender=notice_sender(admin_core.store, notifier),
        background=False,
    )
    admin_core = make_core(
        admin_core.settings, admin_core.store, admin_core.schedules, reloader=reloader
    )
    admin_core.store.bookmarks.add([("U1", FIRST)], AT)
    label = server.url.removeprefix("http://")
    message = admin_core.answer(f"/nova reload <{server.url}|{label}>", "UADMIN", AT)
    assert message.text.startswith(f"Reloaded {server.url}: 1 moved.")
    assert "1 person is being told about 1 change(s)." in message.text
    [text] = notifier.to("U1")
    assert "→ Tue 5 Nov 12:15–12:55" in text


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("", None),
        ("  /srv/schedule.ics ", "/srv/schedule.ics"),
        ("<https://example.org/s.ics>", "https://example.org/s.ics"),
        ("<https://example.org/s.ics|example.org/s.ics>", "https://example.org/s.ics"),
    ],
)
def test_source_argument_reads_paths_and_slack_links(args: str, expected: str | None) -> None:
    """The reload argument is a path or a URL, with Slack's link markup taken off."""
    assert source_argument(args) == expected
