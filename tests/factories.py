"""Small schedules for tests, written in the venue's local time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from schedule.model import Schedule, Session

HKG = ZoneInfo("Asia/Hong_Kong")


def local(text: str, zone: ZoneInfo = HKG) -> datetime:
    """An aware UTC instant from "2013-11-05 11:15" read in `zone`."""
    return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC)


def session(
    session_id: str,
    start: str,
    minutes: int = 40,
    *,
    title: str | None = None,
    room: str = "Room 204-205",
    proposers: tuple[str, ...] = (),
    description: str = "",
    track: str = "Nova",
) -> Session:
    """A session starting at local `start` (Hong Kong) lasting `minutes`."""
    begin = local(start)
    return Session(
        id=session_id,
        title=title or session_id.replace("-", " ").title(),
        start=begin,
        end=begin + timedelta(minutes=minutes),
        room=room,
        track=track,
        description=description,
        proposers=proposers,
    )


def schedule(*sessions: Session, name: str = "Test summit") -> Schedule:
    """A Hong Kong schedule of `sessions`."""
    return Schedule(name=name, timezone="Asia/Hong_Kong", sessions=sessions)
