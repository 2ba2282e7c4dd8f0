"""Fast start: `--help` and `ask` import only what they use (checked with `python -X importtime`)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.store import Store

ROOT = Path(__file__).resolve().parents[2]


def imported(args: list[str], cwd: Path, **env: str) -> set[str]:
    """The modules a `summit-bot` command line imports, as `python -X importtime` lists them."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot.cli", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def roots(modules: set[str]) -> set[str]:
    """The top-level packages among `modules`."""
    return {name.split(".", 1)[0] for name in modules}


def test_help_imports_only_argparse(tmp_path: Path) -> None:
    """`summit-bot --help` loads neither the database, nor Slack, nor the schedule, nor settings."""
    modules = imported(["--help"], tmp_path)
    assert not roots(modules) & {"sqlalchemy", "slack_sdk", "slack_bolt", "aiohttp", "dateutil"}
    assert not {m for m in modules if m.startswith(("bot.", "schedule"))} - {"bot.cli"}


NOT_FOR_ASK = {
    # Slack and the web: `ask` answers in the terminal.
    "slack_sdk",
    "slack_bolt",
    "aiohttp",
    "starlette",
    "uvicorn",
    # Timed jobs and scraped metrics: `ask` answers once and exits.
    "apscheduler",
    "tzlocal",
    "prometheus_client",
    # Migrations (the schema is at head), calendars (built only by an export or a feed).
    "alembic",
    "icalendar",
    "dotenv",
    "psycopg",
    # The database: a ready SQLite file is read through sqlite3 (`bot.storage.sqlite_reads`).
    "sqlalchemy",
}
"""Top-level packages `summit-bot ask "/nova now"` must not load."""


def test_ask_imports_no_slack_nor_what_sqlite_does_not_need(tmp_path: Path) -> None:
    """`summit-bot ask "/nova now"` on a ready SQLite database loads no Slack, web, scheduler, metrics, SQLAlchemy or icalendar."""
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'ask.db'}"}
    question = ["ask", "--at", "2013-11-05 11:20", "/nova now"]
    imported(question, tmp_path, **database)  # creates and migrates the database
    modules = imported(question, tmp_path, **database)
    assert {"bot.core", "bot.runtime", "bot.storage.sqlite_reads"} <= modules  # read the store
    assert not roots(modules) & NOT_FOR_ASK
    assert not {"asyncio", "urllib.request", "http.client"} & modules
    assert not {m for m in modules if m.startswith(("bot.slack", "bot.handlers", "bot.web"))}
    assert "bot.edge.slack" not in modules


def test_export_through_ask_still_loads_icalendar(tmp_path: Path) -> None:
    """The lazy import is real: `ask "/nova export"` loads icalendar and writes the calendar."""
    url = f"sqlite:///{tmp_path / 'ask.db'}"
    with Store.open(url) as store:
        store.bookmarks.add([("U_CONSOLE", "instance-tasks-in-api")], datetime.now(UTC))
    database = {"DATABASE_URL": url}
    modules = imported(
        ["ask", "--at", "2013-11-05 11:20", "-o", str(tmp_path), "/nova export"],
        tmp_path,
        **database,
    )
    assert "icalendar" in modules
    assert "apscheduler" not in roots(modules)
    assert b"BEGIN:VCALENDAR" in next(tmp_path.glob("*.ics")).read_bytes()


def test_ask_that_writes_loads_sqlalchemy_and_the_write_lands(tmp_path: Path) -> None:
    """`ask "/nova remind 15"` writes through SQLAlchemy (loaded then, Core only), and the setting is kept."""
    url = f"sqlite:///{tmp_path / 'ask.db'}"
    Store.open(url).close()
    modules = imported(
        ["ask", "--at", "2013-11-05 11:20", "/nova remind 15"], tmp_path, DATABASE_URL=url
    )
    assert "sqlalchemy" in roots(modules)
    assert not {m for m in modules if m.startswith("sqlalchemy.orm")}, "the store is Core only"
    assert not {m for m in modules if m.startswith("sqlalchemy.dialects.postgresql")}
    with Store.open(url) as store:
        assert store.people.preferences(["U_CONSOLE"])["U_CONSOLE"].lead_minutes == 15
