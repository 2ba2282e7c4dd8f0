"""Calendar feeds in the database: each person's feed token and each session's SEQUENCE.

A feed token is a random secret shown once to its person; only its SHA-256 is stored, so
a copy of the database does not open anybody's feed. Issuing a new token replaces the old
one (one per person), which then answers nothing.

`calendar_sessions` remembers what feeds said about every session: a UID that never
changes (it survives a rename of the session id), the session's time, room and title,
and a SEQUENCE raised each time its time or room changes or it is removed (or comes
back). `record_schedule` compares a schedule with those rows; it is idempotent, so every
replica may call it for the same reload and the SEQUENCE still rises once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from sqlalchemy import Connection, select, update
from sqlalchemy.engine import RowMapping

from bot.storage.database import Database, chunks
from bot.storage.tables import BookmarkRow, CalendarSessionRow, CalendarTokenRow, FollowRow, utc
from schedule.ics_export import event_uid
from schedule.model import Schedule, Session

#: Bytes of randomness in a feed token (43 URL-safe characters).
TOKEN_BYTES: Final = 32
#: The exact shape of a token `issue_token` makes; anything else is refused unread.
TOKEN_LENGTH: Final = 43
_TOKEN_ALPHABET: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)


def token_digest(token: str) -> str:
    """The SHA-256 (hex) under which `token` is stored."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def well_formed_token(token: str) -> bool:
    """True when `token` has the shape of a token this module issues."""
    return len(token) == TOKEN_LENGTH and set(token) <= _TOKEN_ALPHABET


def _squash(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class CalendarSession:
    """What the feeds know about one session (also once the schedule dropped it)."""

    session_id: str
    uid: str
    sequence: int
    start_at: datetime
    end_at: datetime
    room: str
    title: str
    track: str
    changed_at: datetime
    removed_at: datetime | None


@dataclass(frozen=True, slots=True)
class FeedPicks:
    """One person's picks and what the feeds know about the sessions they cover."""

    bookmarks: frozenset[str]
    tracks: frozenset[str]
    sessions: tuple[CalendarSession, ...]

    def covers(self, session_id: str, track: str) -> bool:
        """True when the person bookmarked the session or follows its track."""
        return session_id in self.bookmarks or (bool(track) and track in self.tracks)


class CalendarFeeds:
    """Feed tokens and per-session calendar state; `store.calendar`."""

    def __init__(self, db: Database) -> None:
        """Work through `db`."""
        self._db = db

    # -- tokens --------------------------------------------------------------------------

    def issue_token(self, user_id: str, at: datetime) -> str:
        """A new feed token for `user_id`, replacing (and so killing) any earlier one."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        values = {"token_sha256": token_digest(token), "created_at": utc(at, "at")}
        stmt = (
            self._db.insert(CalendarTokenRow)
            .values(user_id=user_id, **values)
            .on_conflict_do_update(index_elements=["user_id"], set_=values)
        )
        with self._db.write() as conn:
            conn.execute(stmt)
        return token

    def has_token(self, user_id: str) -> bool:
        """True when `user_id` has a feed."""
        stmt = select(CalendarTokenRow.user_id).where(CalendarTokenRow.user_id == user_id)
        with self._db.read() as conn:
            return conn.scalar(stmt) is not None

    def person_for(self, token: str) -> str | None:
        """The person whose feed `token` opens, or None (malformed, unknown or replaced)."""
        if not well_formed_token(token):
            return None
        stmt = select(CalendarTokenRow.user_id).where(
            CalendarTokenRow.token_sha256 == token_digest(token)
        )
        with self._db.read() as conn:
            return conn.scalar(stmt)

    # -- sessions ------------------------------------------------------------------------

    def picks(self, user_id: str) -> FeedPicks:
        """`user_id`'s bookmarks and followed tracks, with the calendar rows they cover."""
        row = CalendarSessionRow
        with self._db.read() as conn:
            bookmarks = frozenset(
                conn.scalars(select(BookmarkRow.session_id).where(BookmarkRow.user_id == user_id))
            )
            tracks = frozenset(
                conn.scalars(select(FollowRow.track).where(FollowRow.user_id == user_id))
            )
            table = row.__table__
            found: list[CalendarSession] = []
            if tracks:
                stmt = select(table).where(row.track.in_(sorted(tracks)))
                found.extend(_session(r) for r in conn.execute(stmt).mappings())
            for chunk in chunks(bookmarks):
                stmt = select(table).where(row.session_id.in_(chunk))
                found.extend(_session(r) for r in conn.execute(stmt).mappings())
        unique = {s.session_id: s for s in found}
        return FeedPicks(bookmarks, tracks, tuple(unique[k] for k in sorted(unique)))

    def sessions(self) -> dict[str, CalendarSession]:
        """Every session row by id (removed ones included)."""
        with self._db.read() as conn:
            rows = conn.execute(select(CalendarSessionRow.__table__)).mappings()
            return {str(r["session_id"]): _session(r) for r in rows}

    def record_schedule(
        self, schedule: Schedule, at: datetime, renames: Mapping[str, str] | None = None
    ) -> int:
        """Bring the rows in line with `schedule`; returns how many SEQUENCEs rose.

        `renames` (old id → new id, from the reload's diff) carries a renamed session's
        row, and so its UID and SEQUENCE, over to its new id. A session whose time or room
        differs from its row gets SEQUENCE + 1; one missing from `schedule` is marked
        removed (SEQUENCE + 1), and one that comes back is restored (SEQUENCE + 1).
        Idempotent: recording the same schedule again changes nothing (and writes nothing).
        """
        stamp = utc(at, "at")
        with self._db.read() as conn:
            if _plan(_known(conn), schedule, renames or {}, stamp).empty:
                return 0
        with self._db.write() as conn:
            self._db.take_turns(conn, "calendar-sessions")
            plan = _plan(_known(conn), schedule, renames or {}, stamp)
            plan.apply(conn, self._db)
        return plan.bumped


def _known(conn: Connection) -> dict[str, CalendarSession]:
    rows = conn.execute(select(CalendarSessionRow.__table__)).mappings()
    return {str(r["session_id"]): _session(r) for r in rows}


@dataclass
class _Plan:
    """The writes that bring the calendar rows in line with a schedule."""

    renames: list[tuple[str, str]] = field(default_factory=list)
    inserts: list[dict[str, object]] = field(default_factory=list)
    updates: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    stamp: datetime | None = None
    bumped: int = 0

    @property
    def empty(self) -> bool:
        return not (self.renames or self.inserts or self.updates or self.removed)

    def apply(self, conn: Connection, db: Database) -> None:
        row = CalendarSessionRow
        for old, new in self.renames:
            conn.execute(update(row).where(row.session_id == old).values(session_id=new))
        for session_id, values in self.updates:
            conn.execute(update(row).where(row.session_id == session_id).values(values))
        if self.inserts:
            conn.execute(db.insert(row), self.inserts)
        for chunk in chunks(self.removed):
            conn.execute(
                update(row)
                .where(row.session_id.in_(chunk))
                .values(sequence=row.sequence + 1, removed_at=self.stamp, changed_at=self.stamp)
            )


def _plan(
    known: dict[str, CalendarSession],
    schedule: Schedule,
    renames: Mapping[str, str],
    stamp: datetime,
) -> _Plan:
    plan = _Plan(stamp=stamp)
    for old, new in renames.items():
        if old in known and new not in known:
            plan.renames.append((old, new))
            known[new] = known.pop(old)
    present = set()
    for session in schedule.sessions:
        present.add(session.id)
        before = known.get(session.id)
        if before is None:
            plan.inserts.append(
                _values(session, stamp) | {"uid": event_uid(session), "sequence": 0}
            )
            continue
        values = _changes(before, session, stamp)
        if values:
            plan.bumped += "sequence" in values
            plan.updates.append((session.id, values))
    plan.removed = [
        s.session_id for s in known.values() if s.session_id not in present and s.removed_at is None
    ]
    plan.bumped += len(plan.removed)
    return plan


def _values(session: Session, stamp: datetime) -> dict[str, object]:
    """A row's columns for `session` as it is now."""
    return {
        "session_id": session.id,
        "start_at": utc(session.start),
        "end_at": utc(session.end),
        "room": session.room,
        "title": session.title,
        "track": session.track,
        "changed_at": stamp,
        "removed_at": None,
    }


def _changes(before: CalendarSession, session: Session, stamp: datetime) -> dict[str, object]:
    """The column updates that bring `before` in line with `session` ({} when none)."""
    moved = (
        before.start_at != session.start
        or before.end_at != session.end
        or _squash(before.room) != _squash(session.room)
    )
    edited = before.title != session.title or before.track != session.track
    restored = before.removed_at is not None
    if not (moved or edited or restored):
        return {}
    values = _values(session, stamp)
    del values["session_id"]
    if moved or restored:
        values["sequence"] = before.sequence + 1
    return values


def _session(row: RowMapping) -> CalendarSession:
    return CalendarSession(
        session_id=row["session_id"],
        uid=row["uid"],
        sequence=row["sequence"],
        start_at=row["start_at"],
        end_at=row["end_at"],
        room=row["room"],
        title=row["title"],
        track=row["track"],
        changed_at=row["changed_at"],
        removed_at=row["removed_at"],
    )
