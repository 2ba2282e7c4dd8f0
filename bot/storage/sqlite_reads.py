"""The reads of a one-shot process on a SQLite file, through Python's own sqlite3.

`summit-bot ask` opens the store, reads the schema's revision, the schedule saved last
and the asker's settings and bookmarks, answers, and exits. Importing SQLAlchemy alone
takes it nine to ten times as long as starting the interpreter, so those few reads are
plain SQL on sqlite3 here, and SQLAlchemy is loaded only when the process writes. Each
statement is the one SQLAlchemy issues for the same read (a test compares the records
both ways over the same databases), and each is a single SELECT: atomic on its own.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from bot.storage.records import Snapshot, Viewer, viewer_from

__all__ = ["SQLITE_BUSY_TIMEOUT_MS", "SqliteReads", "sqlite_file"]

#: How long a SQLite connection waits for another writer before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS: Final = 30_000

# `sqlite:///relative/path` or `sqlite:////absolute/path`, nothing more: any other form
# (in memory, a query string, escapes) is left to SQLAlchemy, which reads it exactly.
_PLAIN_FILE: Final = re.compile(r"sqlite(?:\+pysqlite)?:///(?P<path>[^?#%]+)")

_REVISION: Final = "SELECT version_num FROM alembic_version"
_HAS_REVISION: Final = (
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
)
_SNAPSHOTS: Final = (
    "SELECT id, loaded_at, source, digest, content FROM schedule_snapshots ORDER BY id DESC"
)
_LATEST_DIGEST: Final = "SELECT digest FROM schedule_snapshots ORDER BY id DESC LIMIT 1"
# The person's settings row and bookmark rows in one statement, told apart by `kind`.
_VIEWER: Final = (
    "SELECT 0 AS kind, timezone AS value, lead_minutes, reminders_enabled, timezone_checked_at"
    " FROM preferences WHERE user_id = ?"
    " UNION ALL SELECT 1, session_id, NULL, NULL, NULL FROM bookmarks WHERE user_id = ?"
)


def sqlite_file(url: str) -> Path | None:
    """The file a plain `sqlite:///path` URL names, or None for any other URL."""
    found = _PLAIN_FILE.fullmatch(url)
    if found is None or found["path"] == ":memory:":
        return None
    return Path(found["path"])


def _instant(text: str) -> datetime:
    """An instant as the store writes it on SQLite (naive UTC text), made aware."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class SqliteReads:
    """Read-only statements on one SQLite file, over a connection of their own."""

    def __init__(self, path: Path, busy_timeout_seconds: float) -> None:
        """Read `path`, waiting at most `busy_timeout_seconds` for a lock (WAL needs none)."""
        self.path = path
        self._lock = threading.Lock()
        # Autocommit (isolation_level None): each SELECT sees the last commit, and no
        # transaction stays open between reads to hold back a checkpoint.
        self._conn = sqlite3.connect(
            path, timeout=busy_timeout_seconds, isolation_level=None, check_same_thread=False
        )

    def _rows(self, sql: str, *params: object) -> list[Any]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def schema_revision(self) -> str | None:
        """The migration the database is at, or None for a database never migrated."""
        if not self._rows(_HAS_REVISION)[0][0]:
            return None
        rows = self._rows(_REVISION)
        return rows[0][0] if rows else None

    def snapshots(self, limit: int | None = None) -> list[Snapshot]:
        """The kept schedules, newest first (at most `limit` of them when given)."""
        sql, params = (_SNAPSHOTS, ()) if limit is None else (f"{_SNAPSHOTS} LIMIT ?", (limit,))
        return [
            Snapshot(
                id=id_, loaded_at=_instant(loaded), source=source, digest=digest, content=content
            )
            for id_, loaded, source, digest, content in self._rows(sql, *params)
        ]

    def latest_digest(self) -> str | None:
        """The digest of the schedule saved last, or None when there is none."""
        rows = self._rows(_LATEST_DIGEST)
        return rows[0][0] if rows else None

    def viewer(self, user_id: str) -> Viewer:
        """A person's settings (the defaults when they never set any) and bookmarks."""
        return viewer_from(user_id, self._rows(_VIEWER, user_id, user_id), _instant)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()
