"""The schedule model: sessions, the proposals merged into them, and a whole schedule."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo


class ScheduleError(ValueError):
    """A schedule file could not be read; the message names the file, the place and the fault."""


@dataclass(frozen=True, slots=True)
class Proposal:
    """One proposal merged into a session (Sched's "include the following subject(s)")."""

    title: str
    description: str
    proposers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Session:
    """One scheduled session; `start` and `end` are timezone-aware instants (start <= end).

    A session with `start == end` is a point event (Sched's "Boarding begins" markers): it is
    never in progress, but it is listed, searched, shown and reminded of at its start.
    """

    id: str
    title: str
    start: datetime
    end: datetime
    room: str = ""
    track: str = ""
    description: str = ""
    proposers: tuple[str, ...] = ()
    proposals: tuple[Proposal, ...] = ()
    links: tuple[str, ...] = ()
    uid: str = ""
    """The source's own identity for the session (iCalendar UID, frab guid), if it has one."""

    def __post_init__(self) -> None:
        """Refuse naive instants and negative spans."""
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError(f"session {self.id!r}: start and end must be timezone-aware")
        if self.end < self.start:
            raise ValueError(f"session {self.id!r}: end {self.end} is before start {self.start}")

    @property
    def is_point(self) -> bool:
        """True for a point event, one that starts and ends at the same instant."""
        return self.start == self.end

    def in_progress(self, at: datetime) -> bool:
        """True when `at` lies in [start, end); a point event is never in progress."""
        return self.start <= at < self.end

    def overlaps(self, other: Session) -> bool:
        """True when the two sessions share some stretch of time (touching ends do not overlap).

        A point event ("Boarding begins") takes no time, so it clashes with nothing.
        """
        if self.is_point or other.is_point:
            return False
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class Schedule:
    """A conference track's sessions, sorted by start then id, with the venue's time zone."""

    name: str
    timezone: str
    sessions: tuple[Session, ...] = field(default=())

    def __post_init__(self) -> None:
        """Sort sessions and refuse duplicate ids or an unknown zone."""
        ZoneInfo(self.timezone)
        ordered = tuple(sorted(self.sessions, key=lambda s: (s.start, s.end, s.id)))
        object.__setattr__(self, "sessions", ordered)
        seen: set[str] = set()
        for session in ordered:
            if session.id in seen:
                raise ValueError(f"duplicate session id {session.id!r}")
            seen.add(session.id)

    @property
    def zone(self) -> tzinfo:
        """The venue's time zone."""
        return ZoneInfo(self.timezone)


_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def find_links(text: str) -> tuple[str, ...]:
    """The distinct http(s) links in `text`, in order, without trailing punctuation."""
    found: list[str] = []
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?")
        if url not in found:
            found.append(url)
    return tuple(found)


def fold(text: str) -> str:
    """Lower-case `text` and strip accents, for case- and accent-insensitive matching."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slugify(text: str, max_words: int = 6) -> str:
    """A short readable id from a title: ascii, lower case, words joined by '-'."""
    words = re.findall(r"[a-z0-9]+", fold(text))
    return "-".join(words[:max_words]) or "session"


def unique_ids(titles: list[str]) -> list[str]:
    """Slugs for `titles`, made unique by a numeric suffix where two would collide."""
    counts: dict[str, int] = {}
    ids: list[str] = []
    for title in titles:
        base = slugify(title)
        counts[base] = counts.get(base, 0) + 1
        ids.append(base if counts[base] == 1 else f"{base}-{counts[base]}")
    return ids
