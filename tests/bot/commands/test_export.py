from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from slack_sdk.web.async_client import AsyncWebClient

from bot.cli import main
from bot.commands.export import save_attachments, upload_attachments
from bot.core import Core
from bot.core.message import Attachment, Message
from bot.reload import schedule_digest
from bot.store import Store
from schedule.importers import dump_schedule, load_bundled
from tests.factories import local
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import dm_channel_id
from tests.support.store_helpers import save_snapshot

AT = local("2013-11-05 09:00")
IDS = ("conductor-tasks-next-steps", "nova-live-snapshot-feature")


def events(data: bytes) -> dict[str, tuple[object, object]]:
    """UID → (start, end) of every event in an .ics file, read back with icalendar."""
    calendar = Calendar.from_ical(data)
    return {
        str(e["UID"]): (e.decoded("DTSTART"), e.decoded("DTEND")) for e in calendar.walk("VEVENT")
    }


def test_export_attaches_the_bookmarks_with_the_same_instants(core: Core) -> None:
    """The attached .ics holds each bookmark at its exact instants, with a stable UID."""
    for session_id in IDS:
        core.store.bookmarks.add([("U1", session_id)], AT)
    message = core.answer("/nova export", "U1", AT)
    [attachment] = message.attachments
    assert attachment.filename.endswith("-bookmarks.ics")
    assert "(2 sessions)" in message.text
    found = events(attachment.content)
    expected = {}
    for session_id in IDS:
        session = core.index.get(session_id)
        assert session is not None
        expected[f"{session_id}@summit-bot"] = (session.start, session.end)
    assert found == expected
    later = core.answer("/nova export", "U1", AT + timedelta(days=1))
    assert set(events(later.attachments[0].content)) == set(expected)


def test_export_without_bookmarks_attaches_nothing(core: Core) -> None:
    """Someone with no bookmarks is told so, and no file comes."""
    message = core.answer("/nova export", "U2", AT)
    assert message.attachments == ()
    assert "no bookmarks to export" in message.text


def test_save_attachments_writes_into_the_folder_only(tmp_path: Path) -> None:
    """The console saves each file in the folder, never outside it."""
    message = Message(
        text="x", attachments=(Attachment(filename="../../evil.ics", content=b"ICS", title="t"),)
    )
    [path] = save_attachments(message, tmp_path)
    assert path == (tmp_path / "evil.ics").resolve()
    assert path.read_bytes() == b"ICS"


def test_upload_attachments_sends_the_file_to_the_dm() -> None:
    """The upload goes through files.getUploadURLExternal and completes in the person's DM."""
    message = Message(
        text="x", attachments=(Attachment(filename="mine.ics", content=b"BEGIN:VCAL", title="M"),)
    )
    with FakeSlack() as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        ids = asyncio.run(upload_attachments(client, "U1", message))
        [upload] = slack.uploads()
    assert ids == [upload.file_id]
    assert upload.completed
    assert upload.channel_id == dm_channel_id("U1")
    assert (upload.filename, upload.data, upload.title) == ("mine.ics", b"BEGIN:VCAL", "M")


def test_cli_export_writes_the_saved_schedules_times(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`summit-bot export -o` writes the bookmarks at the times of the schedule in service."""
    bundled = load_bundled()
    first = bundled.sessions[0]
    hour = timedelta(hours=1)
    moved = dataclasses.replace(first, start=first.start + hour, end=first.end + hour)
    served = dataclasses.replace(bundled, sessions=(moved, *bundled.sessions[1:]))
    with Store.open(cli_db) as store:
        save_snapshot(store, "test", schedule_digest(served), dump_schedule(served), AT)
        store.bookmarks.add([("U1", first.id)], AT)
    assert main(["export", "--user", "U1", "-o", "mine.ics"]) == 0
    assert capsys.readouterr().out == "wrote 1 sessions to mine.ics\n"
    found = events((tmp_path / "mine.ics").read_bytes())
    assert found == {f"{first.id}@summit-bot": (moved.start, moved.end)}


def test_cli_export_of_an_unknown_person_is_an_empty_calendar(
    cli_db: str, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    """A person without bookmarks gets a valid calendar with no events on standard output."""
    assert main(["export", "--user", "UNOBODY"]) == 0
    out = capfdbinary.readouterr().out
    assert out.startswith(b"BEGIN:VCALENDAR")
    assert events(out) == {}


def test_cli_export_to_an_unwritable_place_is_one_line(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file that cannot be written is one error line and exit status 2."""
    assert main(["export", "--user", "U1", "-o", "no/such/folder/mine.ics"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("summit-bot: no/such/folder/mine.ics: cannot write")


def test_cli_export_needs_a_user(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Leaving out --user is a usage error."""
    assert main(["export"]) == 2
    assert "--user" in capsys.readouterr().err
