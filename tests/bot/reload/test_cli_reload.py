"""`summit-bot reload`: the schedule replaced from the command line, into the database."""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.reload import serving_schedule
from bot.settings import Settings
from bot.store import Store
from schedule.importers import dump_schedule, load_bundled


def test_cli_reload_saves_the_new_schedule(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A good file is applied: the summary is printed and the database serves it."""
    bundled = load_bundled()
    first = bundled.sessions[0]
    hour = timedelta(hours=1)
    moved = dataclasses.replace(first, start=first.start + hour, end=first.end + hour)
    path = tmp_path / "moved.json"
    path.write_text(
        dump_schedule(dataclasses.replace(bundled, sessions=(moved, *bundled.sessions[1:]))),
        encoding="utf-8",
    )
    assert main(["reload", str(path)]) == 0
    assert capsys.readouterr().out.startswith(f"Reloaded {path}: 1 moved.")
    with Store.open(cli_db) as store:
        served = serving_schedule(Settings.from_env({}, env_file=None), store)
    assert moved in served.sessions
    assert main(["reload", str(path)]) == 0
    assert capsys.readouterr().out.startswith("No changes:")


def test_cli_reload_refusal_is_one_line(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file removing most sessions is refused with one line on stderr and exit status 2."""
    bundled = load_bundled()
    path = tmp_path / "short.json"
    path.write_text(
        dump_schedule(dataclasses.replace(bundled, sessions=bundled.sessions[:3])),
        encoding="utf-8",
    )
    assert main(["reload", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "refused: would remove 28 of 31 sessions (90%)" in captured.err


def test_cli_reload_puts_the_reload_log_level_back(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Quieting the reloader's log for its one-line refusal lasts only as long as the command."""
    reload_log = logging.getLogger("bot.reload")
    before = reload_log.level
    path = tmp_path / "empty.json"
    path.write_text(dump_schedule(dataclasses.replace(load_bundled(), sessions=())), "utf-8")
    try:
        reload_log.setLevel(logging.INFO)
        assert main(["reload", str(path)]) == 2
        assert reload_log.level == logging.INFO
    finally:
        reload_log.setLevel(before)
