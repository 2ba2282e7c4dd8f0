from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import fixed_clock
from bot.console.terminal import Console
from bot.core import Core
from bot.core.schedule_source import ScheduleSource
from bot.settings import Settings
from bot.store import Store
from schedule.model import Schedule, Session
from tests.factories import local
from tests.support.wiring import make_core


def feeder(lines: list[str]) -> Callable[[str], str]:
    """An input function that returns `lines` one by one, then signals end of input."""
    queue = list(lines)

    def read(prompt: str) -> str:
        if not queue:
            raise EOFError
        return queue.pop(0)

    return read


def test_now_renders_for_terminal(core: Core) -> None:
    """Typing `/nova now` shows the session with its button as `[Bookmark] (n)`."""
    console = Console(core, fixed_clock(local("2013-11-05 11:20")))
    out = console.exec_command("/nova now")
    assert "Conductor Tasks Next Steps" in out
    assert "[Bookmark] (1)" in out
    assert "<!date" not in out
    again = console.exec_command("now").replace("(3)", "(1)").replace("(4)", "(2)")
    assert again == out


def test_click_bookmarks(core: Core) -> None:
    """`:click N` presses the button, stores the bookmark and shows the new state."""
    console = Console(core, fixed_clock(local("2013-11-05 11:20")), "U7")
    console.exec_command("now")
    out = console.exec_command(":click 1")
    assert "Bookmarked Conductor Tasks Next Steps" in out
    assert "[Bookmarked ✓]" in out
    assert core.store.bookmarks.sessions_of("U7") == {"conductor-tasks-next-steps"}
    assert "Which button?" in console.exec_command(":click 99")


def test_user_switch(core: Core) -> None:
    """`:user` changes who the console acts as."""
    console = Console(core, fixed_clock(local("2013-11-05 11:20")), "U1")
    console.exec_command("now")
    console.exec_command(":click 1")
    assert console.exec_command(":user U2") == "You are now U2."
    assert "[Bookmark]" in console.exec_command("now")


def test_time_and_warp(core: Core) -> None:
    """`:time` fixes the clock in the summit's zone and `:warp` runs it at a speed."""
    console = Console(core, fixed_clock(local("2013-11-05 11:20")))
    assert "Thu 7 Nov 2013 15:00 HKT (07:00 UTC)" in console.exec_command(":time thu 3pm")
    assert "Thu 7 Nov 2013 15:00" in console.exec_command(":time")
    assert "60× speed" in console.exec_command(":warp wed 9am 60")
    assert "Error:" in console.exec_command(":time banana split")


def test_help_and_unknown_meta(core: Core) -> None:
    """`:help` lists the console commands and an unknown one says so."""
    console = Console(core, fixed_clock(local("2013-11-05 11:20")))
    text = console.exec_command(":help")
    for word in (":click", ":user", ":time", ":warp", ":quit", ":help", ":json"):
        assert word in text
    assert "Unknown console command" in console.exec_command(":frobnicate")


def test_run_loop_with_injected_io(core: Core) -> None:
    """The loop reads lines, prints answers and stops at :quit."""
    out = io.StringIO()
    console = Console(core, fixed_clock(local("2013-11-05 11:20")))
    console.run(feeder(["now", "next", ":quit", "never read"]), out)
    printed = out.getvalue()
    assert "summit-bot console" in printed
    assert "Conductor Tasks Next Steps" in printed
    assert "Instance tasks in API" in printed


def test_run_stops_at_end_of_input(core: Core) -> None:
    """End of input (Ctrl-D) ends the loop quietly."""
    out = io.StringIO()
    Console(core, fixed_clock(local("2013-11-05 11:20"))).run(feeder(["help"]), out)
    assert "/nova now" in out.getvalue()


def test_weekday_means_the_summits_day_from_a_later_clock(core: Core) -> None:
    """With the clock on Friday 8 Nov, `:time wed 11:50am` is the summit's Wednesday 6 Nov."""
    console = Console(core, fixed_clock(local("2013-11-08 10:00")))
    assert "Wed 6 Nov 2013 11:50 HKT" in console.exec_command(":time wed 11:50am")


def test_bare_number_is_an_hour_of_the_current_day(core: Core) -> None:
    """With the clock on Friday 8 Nov, `:time 9` is Friday 09:00, not Saturday 9 Nov."""
    console = Console(core, fixed_clock(local("2013-11-08 10:00")))
    assert "Fri 8 Nov 2013 09:00 HKT" in console.exec_command(":time 9")
    answer = console.exec_command(":time 60")
    assert answer.startswith("Error: '60' in '60' is not an hour of the day (0-23)")
    assert "Fri 8 Nov 2013 09:00" in console.exec_command(":time")


def test_warp_with_a_speed_alone_keeps_the_time(core: Core) -> None:
    """`:warp 60` runs on from the clock's time at 60×, not from the year 2060."""
    console = Console(core, fixed_clock(local("2013-11-08 10:00")))
    answer = console.exec_command(":warp 60")
    assert "Fri 8 Nov 2013 10:00 HKT" in answer
    assert "60× speed" in answer


def test_time_in_a_dst_gap_says_what_was_taken(settings: Settings, sqlite_store: Store) -> None:
    """In a New York summit, `:time` at 02:30 on the spring-forward day answers with a note."""
    new_york = ZoneInfo("America/New_York")
    start = datetime(2014, 3, 8, 20, 0, tzinfo=new_york).astimezone(UTC)
    night = Session(id="night", title="Night", start=start, end=start + timedelta(hours=8))
    plan = Schedule(name="x", timezone="America/New_York", sessions=(night,))
    core = make_core(settings, sqlite_store, ScheduleSource(plan))
    console = Console(core, fixed_clock(start))
    answer = console.exec_command(":time sun 2:30am")
    assert "Sun 9 Mar 2014 03:30 EDT" in answer
    assert "Note: Sun 9 Mar 2014 02:30 does not exist in America/New_York" in answer
