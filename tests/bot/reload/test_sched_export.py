"""A real Sched iCalendar export loaded, then changed, through the reloader."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.reload import Status
from tests.bot.reload.conftest import AT, make_world

SCHED_EXPORT = (
    Path(__file__).parents[3] / ".." / "shared" / "data" / "sched-org_jococruise2016_all.ics"
)


@pytest.fixture
def sched_export() -> Path:
    """The JoCo Cruise 2016 export from Sched (skipped when the shared data is absent)."""
    if not SCHED_EXPORT.is_file():
        pytest.skip(f"the real Sched export is not available at {SCHED_EXPORT}")
    return SCHED_EXPORT


def test_sched_export_reloads_with_a_move_and_a_cancellation(
    sched_export: Path, sqlite_url: str, tmp_path: Path
) -> None:
    """Moving one event and dropping another in the Sched file reaches their bookmarkers."""
    world = make_world(sqlite_url, sched_export)
    try:
        assert len(world.schedules.schedule.sessions) == 133
        sessions = {s.uid: s for s in world.schedules.schedule.sessions}
        meeting = sessions["ae2ff9eb325cbb7409cc5dbf83204f0c"]  # Speed Meeting, Sun 17:00
        ninja = sessions["10597a0a877786bc1c944d37305a00fd"]  # Ninja Pirate registration
        world.store.bookmarks.add([("U1", meeting.id)], AT)
        world.store.bookmarks.add([("U2", ninja.id)], AT)
        text = sched_export.read_bytes()
        text = text.replace(
            b"DTSTART:20160221T170000Z\r\nDTEND:20160221T183000Z\r\nSUMMARY:Speed Meeting",
            b"DTSTART:20160221T210000Z\r\nDTEND:20160221T223000Z\r\nSUMMARY:Speed Meeting",
        )
        start = text.index(b"BEGIN:VEVENT\r\nDTSTART:20160221T184500Z")
        end = text.index(b"END:VEVENT\r\n", start) + len(b"END:VEVENT\r\n")
        changed = tmp_path / "jococruise-changed.ics"
        changed.write_bytes(text[:start] + text[end:])

        outcome = world.reloader.reload(str(changed))
        assert outcome.status is Status.APPLIED
        assert outcome.diff is not None
        assert outcome.diff.summary() == "1 removed, 1 moved"
        [moved] = world.notifier.to("U1")
        before = "Sun 21 Feb 17:00–18:30, Olive or Twist, Deck 14, Aft"
        assert f"{before} → Sun 21 Feb 21:00–22:30" in moved
        [cancelled] = world.notifier.to("U2")
        assert "is cancelled (was Sun 21 Feb 18:45–19:45" in cancelled
        assert len(world.schedules.schedule.sessions) == 132
    finally:
        world.store.close()
