"""`summit-bot` behaves like a command line: version, pipes, files, defaults, settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.store import Store
from tests.factories import local

ROOT = Path(__file__).parents[2]
AT = "2013-11-05 11:20"
BOOKMARKS = ("conductor-tasks-next-steps", "instance-tasks-in-api")


def summit_bot(
    *argv: str, cwd: Path, shell_tail: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    """`summit-bot ARGV` as a process in `cwd` (with `shell_tail`, e.g. "| head -1", after it)."""
    command = " ".join([sys.executable, "-m", "bot", *(f"'{a}'" for a in argv)]) + shell_tail
    return subprocess.run(
        ["sh", "-c", command],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        timeout=60,
        check=False,
    )


def bookmark(url: str, user_id: str = "U_CONSOLE") -> None:
    """Give `user_id` two bookmarks in the database at `url`."""
    with Store.open(url) as store:
        for session_id in BOOKMARKS:
            store.bookmarks.add([(user_id, session_id)], local(AT))


def test_version(tmp_path: Path) -> None:
    """`summit-bot --version` prints the installed version and exits 0."""
    result = summit_bot("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("summit-bot 0.")
    assert result.stderr == ""


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`summit-bot ask … | head -1` prints one line and no traceback."""
    result = summit_bot(
        "ask",
        "--at",
        AT,
        "/nova search the",
        cwd=tmp_path,
        shell_tail=" | head -1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}",
    )
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert "BrokenPipe" not in result.stderr
    assert result.stderr == ""


def test_ask_export_writes_the_file_it_names(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ask "/nova export"` writes the named .ics in the current folder, or where -o says."""
    bookmark(cli_db)
    assert main(["ask", "--at", AT, "/nova export"]) == 0
    out = capsys.readouterr().out
    [named] = {Path(w).name for w in out.replace(":", " ").split() if w.endswith(".ics")}
    written = tmp_path / named
    assert written.read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert f"Saved {written}" in out
    elsewhere = tmp_path / "cal"
    elsewhere.mkdir()
    assert main(["ask", "--at", AT, "-o", str(elsewhere), "export"]) == 0
    assert (elsewhere / named).read_bytes().count(b"BEGIN:VEVENT") == 2
    assert main(["ask", "--at", AT, "-o", str(tmp_path / "mine.ics"), "export"]) == 0
    assert (tmp_path / "mine.ics").read_bytes().count(b"BEGIN:VEVENT") == 2


def test_the_default_database_follows_the_person_not_the_folder(
    tmp_path: Path, private_data_folder: Path
) -> None:
    """Without DATABASE_URL, a bookmark made in one folder is there in another."""
    env = {"DATABASE_URL": "", "XDG_DATA_HOME": str(private_data_folder)}
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    database = private_data_folder / "summit-bot" / "summit-bot.db"
    assert summit_bot("ask", "--at", AT, "now", cwd=one, **env).returncode == 0
    assert database.is_file()
    assert list(one.iterdir()) == []
    bookmark(f"sqlite:///{database}")
    mine = summit_bot("ask", "--at", AT, "mine", cwd=two, **env)
    assert "Conductor Tasks Next Steps" in mine.stdout
    where = summit_bot("where", cwd=two, **env)
    assert where.returncode == 0
    assert f"sqlite:///{database}" in where.stdout
    refused = summit_bot("reset", cwd=two, **env)
    assert refused.returncode == 1
    assert "summit-bot reset --yes" in refused.stderr
    assert database.is_file()
    done = summit_bot("reset", "--yes", cwd=two, **env)
    assert done.returncode == 0, done.stderr
    assert not database.exists()
    assert "no bookmarks yet" in summit_bot("ask", "--at", AT, "mine", cwd=one, **env).stdout


def test_where_names_the_settings_but_no_secret(tmp_path: Path) -> None:
    """`where` shows the database (password hidden), the .env in use, and tokens only as set."""
    (tmp_path / ".env").write_text("SUMMIT_BOT_COMMAND=/summit\n")
    result = summit_bot(
        "where",
        cwd=tmp_path,
        DATABASE_URL="postgresql+psycopg://summit:hunter2@db.example:5432/summit",
        SLACK_BOT_TOKEN="xoxb-very-secret",
        SLACK_SIGNING_SECRET="signing-very-secret",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "postgresql+psycopg://summit:***@db.example:5432/summit" in out
    assert str(tmp_path / ".env") in out
    assert "/summit" in out
    for secret in ("hunter2", "very-secret"):
        assert secret not in out
    assert "SLACK_BOT_TOKEN       set" in out
    assert "SLACK_APP_TOKEN       not set" in out
    assert (
        "reset deletes a local SQLite database only"
        in summit_bot(
            "reset", "--yes", cwd=tmp_path, DATABASE_URL="postgresql+psycopg://u:pw@h/db"
        ).stderr
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("SUMMIT_BOT_COMMAND", "summit", "SUMMIT_BOT_COMMAND: 'summit' must start with /"),
        ("SUMMIT_BOT_COMMAND", "/Summit Bot", "SUMMIT_BOT_COMMAND: '/Summit Bot' is not a slash"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL: 'LOUD' is not a level"),
        ("SUMMIT_BOT_HTTP_PORT", "70000", "SUMMIT_BOT_HTTP_PORT: 70000 is not a port"),
        ("SUMMIT_BOT_ADMINS", "alice", "SUMMIT_BOT_ADMINS: 'alice' is not a Slack user id"),
        ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL: 'slack.com/api' is not an http(s)"),
        ("DATABASE_URL", "mysql://u:pw@h/db", "DATABASE_URL is not a database URL"),
    ],
)
def test_each_setting_is_checked_at_start_in_one_line(
    tmp_path: Path, name: str, value: str, expected: str
) -> None:
    """A bad setting stops the start with exit 2 and one line naming it (never a secret)."""
    result = summit_bot("ask", "now", cwd=tmp_path, **{name: value})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"summit-bot: {expected}")
    assert "pw@" not in result.stderr
