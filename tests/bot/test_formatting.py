"""The one formatter: days, times, ranges, waits and zones, as every answer writes them."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cli import main
from bot.clock import fixed_clock
from bot.console.terminal import Console
from bot.core import Core
from bot.reload.notices import moved_message
from bot.render.words import (
    day_label,
    describe_cancel,
    describe_move,
    duration_words,
    instant_range,
    long_day,
    moment,
    relative,
    time_range,
)
from bot.store import Store
from schedule.diff import SessionChange, diff_schedules
from schedule.importers import dump_schedule, load_bundled
from schedule.model import Session
from tests.factories import local, schedule, session

HKT = ZoneInfo("Asia/Hong_Kong")
NEW_YORK = ZoneInfo("America/New_York")
_WORDS = re.compile(r"(\d+ h( \d+ min)?|\d+ min|\d+ days?)")


def test_days_are_written_one_way() -> None:
    """A day is "Fri 8 Nov" (no leading zero), in the zone asked, whatever the locale."""
    assert day_label(datetime(2013, 11, 8, 1, 0, tzinfo=HKT), HKT) == "Fri 8 Nov"
    assert day_label(datetime(2013, 11, 7, 17, 0, tzinfo=UTC), HKT) == "Fri 8 Nov"
    assert day_label(date(2013, 11, 5)) == "Tue 5 Nov"
    assert long_day(date(2013, 11, 7), year=True) == "Thursday 7 November 2013"
    assert moment(local("2013-11-05 11:15"), HKT) == "Tue 5 Nov 11:15 HKT"


def test_relative_times_read_the_same_from_minutes_to_days() -> None:
    """Waits go "in 25 min", "in 1 h 40 min", "in 23 h 59 min", then "in 1 day", "in 2 days"."""
    at = local("2013-11-05 11:20")
    assert relative(at, at + timedelta(minutes=25)) == "in 25 min"
    assert relative(at, at + timedelta(minutes=100)) == "in 1 h 40 min"
    assert relative(at, at + timedelta(hours=2)) == "in 2 h"
    assert relative(at, at + timedelta(hours=23, minutes=59)) == "in 23 h 59 min"
    assert relative(at, at + timedelta(hours=24)) == "in 1 day"
    assert relative(at, at + timedelta(hours=45, minutes=40)) == "in 2 days"
    assert relative(at, at + timedelta(hours=47, minutes=40)) == "in 2 days"
    assert relative(at, at - timedelta(minutes=5)) == "5 min ago"
    assert relative(at, at) == "now"


@given(st.integers(min_value=0, max_value=60 * 24 * 400))
def test_durations_never_mix_hours_past_a_day(minutes: int) -> None:
    """Any wait is minutes, hours and minutes under a day, whole days from a day on."""
    text = duration_words(minutes)
    assert _WORDS.fullmatch(text), text
    assert ("day" in text) is (minutes >= 24 * 60)
    if " h" in text:
        hours = int(text.split(" h")[0])
        assert 1 <= hours <= 23


@given(st.integers(min_value=1, max_value=60 * 24 * 30), st.integers(min_value=1, max_value=600))
def test_longer_waits_never_read_shorter(minutes: int, more: int) -> None:
    """A later instant never reads as a smaller wait than an earlier one."""

    def size(text: str) -> float:
        if "day" in text:
            return int(text.split()[0]) * 1440.0
        hours = int(text.split(" h")[0]) if " h" in text else 0
        mins = int(text.split()[-2]) if text.endswith("min") else 0
        return hours * 60.0 + mins

    assert size(duration_words(minutes + more)) >= size(duration_words(minutes))


def test_ranges_name_the_day_once_and_each_zone_when_it_changes() -> None:
    """A range names its day once, the end's day after midnight, and both zones across DST."""
    talk = session("a", "2013-11-05 11:15", minutes=40)
    assert time_range(talk, HKT) == "Tue 5 Nov 11:15–11:55 HKT"
    late = session("b", "2013-11-05 23:30", minutes=60)
    assert time_range(late, HKT) == "Tue 5 Nov 23:30–Wed 6 Nov 00:30 HKT"
    # New York left daylight saving time at 02:00 on 3 Nov 2013.
    start = datetime(2013, 11, 3, 5, 30, tzinfo=UTC)  # 01:30 EDT
    end = start + timedelta(hours=1)  # 01:30 EST
    assert instant_range(start, end, NEW_YORK) == "Sun 3 Nov 01:30 EDT–01:30 EST"


def test_the_console_uses_the_same_words(core: Core) -> None:
    """The console's clock, a day's agenda and a wait read as the formatter writes them."""
    console = Console(core, fixed_clock(local("2013-11-05 11:20")))
    assert "Tue 5 Nov 2013 11:20 HKT (03:20 UTC)" in console.exec_command(":time")
    day = console.exec_command("thursday")
    assert "Thursday 7 November 2013" in day
    assert "starts in 2 days" in day
    assert not re.search(r"\d{2} h", day)  # never "45 h 40 min"
    assert "Fri 08" not in console.exec_command("friday")


def test_a_vanished_session_is_named_by_its_title(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a reload drops a bookmarked session, `mine` names it by title, not by its id."""
    with Store.open(cli_db) as store:
        store.bookmarks.add([("U1", "conductor-tasks-next-steps")], local("2013-11-05 09:00"))
        store.bookmarks.add([("U1", "instance-tasks-in-api")], local("2013-11-05 09:00"))
    assert main(["ask", "--user", "U1", "--at", "2013-11-05 09:00", "mine"]) == 0
    bundled = load_bundled()
    kept = [s for s in bundled.sessions if s.id != "conductor-tasks-next-steps"]
    smaller = tmp_path / "smaller.json"
    smaller.write_text(dump_schedule(dataclasses.replace(bundled, sessions=tuple(kept))))
    monkeypatch.setenv("SUMMIT_BOT_SCHEDULE", str(smaller))  # the next start takes it up
    capsys.readouterr()
    assert main(["ask", "--user", "U1", "--at", "2013-11-05 09:00", "mine"]) == 0
    out = capsys.readouterr().out
    assert "No longer in the schedule: Conductor Tasks Next Steps" in out
    assert "conductor-tasks-next-steps" not in out


def test_change_notices_carry_day_and_zone() -> None:
    """A move's DM says both slots with their day and zone, in text and blocks."""
    old = session("a", "2013-11-05 11:15")
    new = dataclasses.replace(old, start=local("2013-11-06 14:00"), end=local("2013-11-06 14:40"))
    change = diff_schedules(schedule(old), schedule(new)).changed[0]
    message = moved_message(change, HKT, (), "You bookmarked this session.")
    expected = "Tue 5 Nov 11:15–11:55 HKT, Room 204-205 → Wed 6 Nov 14:00–14:40 HKT, Room 204-205"
    assert expected in message.text
    assert expected in json.dumps(message.to_dict(), ensure_ascii=False)


def move(old: Session, new: Session) -> str:
    """How the formatter words the change from `old` to `new` in Hong Kong time."""
    return describe_move(SessionChange(old, new), HKT)


def test_a_move_names_both_slots_with_day_and_zone() -> None:
    """A move reads "old slot → new slot", each with its day, zone and room, in the zone asked."""
    old = session("nova-api", "2013-11-05 11:15", title="Nova API", room="Room 204")
    new = dataclasses.replace(
        old, start=local("2013-11-06 14:00"), end=local("2013-11-06 14:40"), room="Room 201"
    )
    assert move(old, new) == (
        "Tue 5 Nov 11:15–11:55 HKT, Room 204 → Wed 6 Nov 14:00–14:40 HKT, Room 201"
    )
    in_utc = describe_move(SessionChange(old, new), UTC)
    assert in_utc == "Tue 5 Nov 03:15–03:55 UTC, Room 204 → Wed 6 Nov 06:00–06:40 UTC, Room 201"


def test_renames_midnight_edits_and_cancellations() -> None:
    """A rename adds "was: …"; an end after midnight names its day; an edit is "details updated"."""
    old = session("nova-api", "2013-11-05 11:15", title="Nova API", room="Room 204")
    renamed = dataclasses.replace(old, title="Nova v3 API")
    assert move(old, renamed) == "was: Nova API"
    assert move(old, dataclasses.replace(renamed, room="")) == (
        "Tue 5 Nov 11:15–11:55 HKT, Room 204 → Tue 5 Nov 11:15–11:55 HKT; was: Nova API"
    )
    late = session("late", "2013-11-05 23:30", minutes=60, title="Late", room="Room 204")
    assert move(late, dataclasses.replace(late, room="Room 201")) == (
        "Tue 5 Nov 23:30–Wed 6 Nov 00:30 HKT, Room 204 → "
        "Tue 5 Nov 23:30–Wed 6 Nov 00:30 HKT, Room 201"
    )
    assert move(late, dataclasses.replace(late, description="typo fixed")) == "details updated"
    assert describe_cancel(old, HKT) == "cancelled (was Tue 5 Nov 11:15–11:55 HKT, Room 204)"
