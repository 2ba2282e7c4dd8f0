"""The console and `ask` as a newcomer uses them: typed lines in, what they print out."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import fixed_clock
from bot.console.terminal import Console
from bot.core import Core
from bot.core.message import Message
from bot.render.blocks import section
from tests.factories import local

ROOT = Path(__file__).parents[2]
AT = local("2013-11-05 11:20")


def feeder(lines: list[str], during: Callable[[int], None] | None = None) -> Callable[[str], str]:
    """An input function giving `lines` one by one; `during(n)` runs while line n is awaited."""
    queue = list(lines)
    asked = 0

    def read(prompt: str) -> str:
        nonlocal asked
        if during is not None:
            during(asked)
        asked += 1
        if not queue:
            raise EOFError
        return queue.pop(0)

    return read


def test_a_dm_during_typing_redraws_the_prompt_and_the_typing(core: Core) -> None:
    """A reminder printed while someone types is followed by the prompt and what they typed."""
    out = io.StringIO()
    console = Console(core, fixed_clock(AT), "U1", out, line_buffer=lambda: "sea")
    reminder = Message(text="Starts in 10 min", blocks=(section("*Starts in 10 min*"),))

    def dm_arrives(n: int) -> None:
        if n == 1:  # the second prompt is up: the person has typed "sea"
            worker = threading.Thread(target=console.print_dm, args=("U1", reminder))
            worker.start()
            worker.join()

    console.run(feeder(["now", "search scheduler"], dm_arrives), out)
    printed = out.getvalue()
    dm = printed.index("[DM to U1]")
    assert printed.index("Starts in 10 min", dm) < printed.index("U1> sea", dm)
    # Between answers (no prompt up) a DM is printed without a prompt after it.
    quiet = io.StringIO()
    idle = Console(core, fixed_clock(AT), "U1", quiet, line_buffer=lambda: "never")
    idle.print_dm("U1", reminder)
    assert "U1> " not in quiet.getvalue()


def test_details_and_show_as_typed(core: Core) -> None:
    """`:click` on a listed session's Details shows it in full; `show` alone explains itself."""
    console = Console(core, fixed_clock(AT), "U1")
    listed = console.exec_command("search scheduler")
    assert "[Bookmark] (1)  [Details] (2)" in listed
    detail = console.exec_command(":click 2")
    assert "id rethinking-scheduler-design" in detail
    assert "[Details]" not in detail
    usage = console.exec_command("show")
    assert "No session with id" not in usage
    assert "/nova show <id>" in usage
    assert "e.g. /nova show conductor-tasks-next-steps" in usage


def test_help_is_grouped_and_admin_lines_are_for_admins(core: Core) -> None:
    """Attendees see the schedule subcommands first and no `reload`; an admin sees it last."""
    console = Console(core, fixed_clock(AT), "U1")
    text = console.exec_command("help")
    assert text.index("The schedule") < text.index("/nova now") < text.index("Your summit")
    assert text.index("Your summit") < text.index("/nova mine") < text.index("More")
    assert "reload" not in text
    admin_core = dataclasses.replace(
        core, settings=dataclasses.replace(core.settings, admin_user_ids=frozenset({"UADMIN"}))
    )
    admin_text = Console(admin_core, fixed_clock(AT), "UADMIN").exec_command("help")
    assert admin_text.index("Admins") > admin_text.index("More")
    assert "/nova reload [force [notify]] [file or URL]" in admin_text
    typo = console.exec_command("nxt")
    assert typo.splitlines()[0] == "I don't know nxt. Did you mean /nova next?"
    assert "/nova help lists everything." in typo
    assert "/nova search <words>" not in typo
    assert len(typo.splitlines()) <= 3


def test_follow_promises_only_the_reminders_that_come(core: Core) -> None:
    """Following during the first session promises 30 reminders, as many as are planned."""
    from bot.reminders.planner import install_planning
    from bot.storage.outbox import OutboxKind, OutboxStatus

    install_planning(core, fixed_clock(AT))
    console = Console(core, fixed_clock(AT), "U1")
    said = console.exec_command("follow")
    assert "each of its 30 coming sessions" in said
    assert "1 session has begun, ended or starts too soon" in said
    coming = core.store.outbox.items(OutboxKind.REMINDER, [OutboxStatus.PENDING], "U1")
    assert len(coming) == 30


def test_console_json_and_ask_json_agree_on_non_ascii(
    core: Core, cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`:json` and `ask --json` print the same JSON, with “ and ’ as themselves."""
    console = Console(core, fixed_clock(AT), "U_CONSOLE")
    console.exec_command("search scheduler")
    shown = console.exec_command(":json")
    assert main(["ask", "--json", "--at", "2013-11-05 11:20", "search scheduler"]) == 0
    asked = capsys.readouterr().out
    assert "“scheduler”" in shown
    assert "\\u201c" not in shown
    assert "\\u201c" not in asked
    assert json.loads(shown) == json.loads(asked)


def run_console(lines: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`summit-bot console` as a process, fed `lines` on its standard input."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "console", "--at", "2013-11-05 11:20"],
        input=lines,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        timeout=60,
        check=False,
    )


def test_a_refused_reload_is_said_once(tmp_path: Path) -> None:
    """An admin's reload of a broken file prints the refusal once, with no log line repeating it."""
    (tmp_path / "broken.json").write_text('{"format": "summit-bot", "sessions": [}')
    result = run_console(
        "/nova reload broken.json\n",
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}",
        SUMMIT_BOT_ADMINS="U_CONSOLE",
    )
    assert result.returncode == 0, result.stderr
    both = result.stdout + result.stderr
    assert both.count("refused") == 1, both
    assert "Still serving" in result.stdout
