from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser, main

ROOT = Path(__file__).parents[2]


pytestmark = pytest.mark.usefixtures("cli_db")


def test_ask_prints_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    """`ask --at` answers in plain text and exits 0."""
    assert main(["ask", "--at", "2013-11-05 11:20", "/nova now"]) == 0
    out = capsys.readouterr().out
    assert "Conductor Tasks Next Steps" in out
    assert "[Bookmark] (1)" in out


def test_ask_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`ask --json` prints the Slack message JSON."""
    assert main(["ask", "--json", "--at", "thu 9am", "now"]) == 0
    message = json.loads(capsys.readouterr().out)
    assert set(message) == {"text", "blocks"}
    assert "PCI" in message["text"] or message["blocks"]


def test_ask_user_sees_own_bookmarks(capsys: pytest.CaptureFixture[str]) -> None:
    """`ask --user` answers for that person."""
    assert main(["ask", "--user", "U9", "--at", "2013-11-05 11:20", "mine"]) == 0
    assert "no bookmarks yet" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["ask"],
        ["ask", "--at", "banana split", "now"],
        ["ask", "--frobnicate", "now"],
        ["frobnicate"],
        ["ask", "--start", "60", "now"],
        ["ask", "--at", "2013-11-07 14:45 +25:00", "now"],
        ["ask", "--at", "2013-11-07 14:45 CST", "now"],
        ["ask", "--at", "thu 15:00", "--speed", "fast", "now"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad arguments exit 2 with a single line on stderr."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("summit-bot: ")
    assert err.count("\n") == 1


def test_every_command_has_help() -> None:
    """Every subcommand and every option has help text."""
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    choices = subparsers.choices  # type: ignore[attr-defined]
    helps = {a.dest: a.help for a in subparsers._choices_actions}  # type: ignore[attr-defined]
    assert set(choices) == set(helps)
    for name, sub in choices.items():
        assert helps[name], f"{name} has no help"
        for action in sub._actions:
            if action.dest != "help":
                assert action.help, f"{name} {action.dest} has no help"


def test_convert_writes_native_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`convert` turns a Sched page text into summit-bot JSON that loads again."""
    from schedule.importers import load_schedule

    source = tmp_path / "sched.txt"
    source.write_text(
        "Nova [clear filter]\nTuesday, November 5\n\n\nA talk\nAbout things.\n\n"
        "(Session proposed by Ann)\n\nTuesday November 5, 2013 11:15am - 11:55am\nRoom 1\n"
    )
    out = tmp_path / "out.json"
    assert main(["convert", str(source), "-o", str(out), "--timezone", "Asia/Hong_Kong"]) == 0
    assert "wrote 1 sessions" in capsys.readouterr().out
    loaded = load_schedule(out)
    assert loaded.sessions[0].title == "A talk"


def test_entry_point_runs_as_a_process(tmp_path: Path) -> None:
    """The installed `summit-bot ask` works as a whole process."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--at", "fri 11:10", "/nova now"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Nova Objects" in result.stdout or "11:00" in result.stdout


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["ask", "--at", "2013-11-07 14:45 +25:00", "now"], "--at"),
        (["ask", "--at", "9 XYZ", "now"], "--at"),
        (["ask", "--start", "2060", "now"], "--start"),
        (["ask", "--at", "", "now"], "--at"),
    ],
)
def test_bad_time_names_the_flag_and_an_example(
    argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad time exits 2 with one line naming the flag and giving an example of it."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"summit-bot: {flag}: ")
    assert f"for example {flag} " in err
    assert err.count("\n") == 1


def test_at_with_abbreviation_is_honoured_without_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--at "2013-11-07 14:45 EST"` answers for 14:45 EST (03:45 HKT next day), silently."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["ask", "--json", "--at", "2013-11-07 14:45 EST", "today"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "Friday 8 November 2013" in captured.out


def test_start_accepts_the_forms_of_at(capsys: pytest.CaptureFixture[str]) -> None:
    """`--start "thu 3pm"` replays from the summit's Thursday 15:00, like --at would fix it."""
    assert main(["ask", "--start", "thu 3pm", "--speed", "0", "today"]) == 0
    assert "Thursday 7 November 2013" in capsys.readouterr().out


def test_at_in_a_dst_gap_prints_a_note(capsys: pytest.CaptureFixture[str]) -> None:
    """A wall time that does not exist is answered with a one-line note saying what was taken."""
    assert main(["ask", "--at", "2014-03-09 02:30 America/New_York", "now"]) == 0
    err = capsys.readouterr().err
    assert err == (
        "summit-bot: --at: note: Sun 9 Mar 2014 02:30 does not exist in America/New_York "
        "(the clocks skip it); took 03:30 EDT\n"
    )
