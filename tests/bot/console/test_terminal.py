from __future__ import annotations

import io
from collections.abc import Callable

from bot.clock import fixed_clock
from bot.console.terminal import Console
from bot.core import Core
from tests.factories import local


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
    assert console.exec_command("now").replace("(2)", "(1)") == out


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
    assert "Thu 07 Nov 2013 15:00 HKT" in console.exec_command(":time thu 3pm")
    assert "Thu 07 Nov 2013 15:00" in console.exec_command(":time")
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
