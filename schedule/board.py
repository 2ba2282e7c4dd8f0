"""What is on now and next, for a whole schedule or one room, and when that changes.

The hallway screen (`GET /screen`) and the channel board (one Slack message kept up to
date) both show a `Board`; `board_changes` gives the instants at which a board's content
changes (every start and end), so the board is edited exactly then and never in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schedule.index import ScheduleIndex
from schedule.model import Session, fold


def _room_key(room: str) -> str:
    return fold(" ".join(room.split()))


@dataclass(frozen=True, slots=True)
class Board:
    """The sessions in progress at `at` and those of the next start time after it."""

    at: datetime
    room: str | None
    now: tuple[Session, ...]
    next: tuple[Session, ...]
    started: bool
    """False before the whole schedule's first session starts."""
    over: bool
    """True once the whole schedule's last session has ended."""

    @property
    def key(self) -> str:
        """The board's content as a short identity: equal keys show the same sessions."""
        now = ",".join(s.id for s in self.now)
        upcoming = ",".join(f"{s.id}@{s.start.isoformat()}" for s in self.next)
        return f"{self.room or '*'}|{now}|{upcoming}"


def rooms(index: ScheduleIndex) -> tuple[str, ...]:
    """The schedule's rooms, each once (whitespace squashed), in order of first use."""
    seen: dict[str, str] = {}
    for session in index.sessions:
        name = " ".join(session.room.split())
        if name:
            seen.setdefault(_room_key(name), name)
    return tuple(seen.values())


def find_room(index: ScheduleIndex, text: str) -> str | None:
    """The room `text` names (ignoring case, accents and spacing), or None."""
    wanted = _room_key(text)
    return next((room for room in rooms(index) if _room_key(room) == wanted), None)


def _in_room(sessions: tuple[Session, ...], room: str | None) -> tuple[Session, ...]:
    if room is None:
        return sessions
    key = _room_key(room)
    return tuple(s for s in sessions if _room_key(s.room) == key)


def board_at(index: ScheduleIndex, at: datetime, room: str | None = None) -> Board:
    """The board at instant `at`, for the whole schedule or only `room` (a name of `rooms`)."""
    sessions = _in_room(index.sessions, room)
    now = _in_room(index.now(at), room)
    later = [s for s in sessions if s.start > at]
    first_next = min((s.start for s in later), default=None)
    upcoming = tuple(s for s in later if s.start == first_next)
    # Whether the summit (not the room) has begun or ended: a room waits for its first
    # session while the summit is already on.
    first = index.first.start if index.first is not None else None
    last = index.ends_at
    return Board(
        at=at,
        room=room,
        now=now,
        next=upcoming,
        started=first is not None and at >= first,
        over=last is not None and at >= last,
    )


def board_changes(index: ScheduleIndex, room: str | None = None) -> tuple[datetime, ...]:
    """Every instant at which the board changes (each session's start and end), in order."""
    sessions = _in_room(index.sessions, room)
    return tuple(sorted({s.start for s in sessions} | {s.end for s in sessions}))


def next_change(index: ScheduleIndex, at: datetime, room: str | None = None) -> datetime | None:
    """The first instant after `at` at which the board changes, or None."""
    return next((t for t in board_changes(index, room) if t > at), None)
