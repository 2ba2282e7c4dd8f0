"""Queries over a schedule: what is on now, what is next, a day, search, overlaps."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from schedule.model import Schedule, Session, fold


@dataclass(frozen=True, slots=True)
class Upcoming:
    """The sessions sharing the next start time after an instant."""

    start: datetime
    sessions: tuple[Session, ...]
    minutes_until: int


class ScheduleIndex:
    """An immutable index over a schedule; `now` and `next` cost O(log n)."""

    def __init__(self, schedule: Schedule) -> None:
        """Build the start list, the elementary time segments and the search texts."""
        self.schedule = schedule
        self.sessions = schedule.sessions
        self._starts = [s.start for s in self.sessions]
        self._by_id = {s.id: s for s in self.sessions}
        self._by_folded_id = {s.id.casefold(): s for s in self.sessions}
        self._bounds, self._active = _segments(tuple(s for s in self.sessions if not s.is_point))
        # Point events are in no segment (never on now); `between` finds them by their instant.
        self._points = tuple(s for s in self.sessions if s.is_point)
        self._point_starts = [s.start for s in self._points]
        self._title_text = {s.id: fold(s.title) for s in self.sessions}
        self._body_text = {s.id: fold(_body(s)) for s in self.sessions}

    @property
    def first(self) -> Session | None:
        """The session that starts first, or None for an empty schedule."""
        return self.sessions[0] if self.sessions else None

    @property
    def ends_at(self) -> datetime | None:
        """The instant the last session ends."""
        return max((s.end for s in self.sessions), default=None)

    def now(self, at: datetime) -> tuple[Session, ...]:
        """The sessions in progress at `at` (start <= at < end)."""
        segment = bisect_right(self._bounds, at) - 1
        if segment < 0 or segment >= len(self._active):
            return ()
        return self._active[segment]

    def next(self, at: datetime) -> Upcoming | None:
        """The sessions of the first start time strictly after `at`, or None after the last."""
        i = bisect_right(self._starts, at)
        if i >= len(self._starts):
            return None
        start = self._starts[i]
        j = bisect_right(self._starts, start)
        minutes = _minutes_until(at, start)
        return Upcoming(start=start, sessions=self.sessions[i:j], minutes_until=minutes)

    def between(self, start: datetime, end: datetime) -> tuple[Session, ...]:
        """The sessions that overlap [start, end) and the point events in it, in schedule order."""
        if not start < end:
            return ()
        first = max(bisect_right(self._bounds, start) - 1, 0)
        last = bisect_left(self._bounds, end)
        found: dict[str, Session] = {}
        for active in self._active[first:last]:
            for session in active:
                if session.start < end and start < session.end:
                    found[session.id] = session
        low = bisect_left(self._point_starts, start)
        high = bisect_left(self._point_starts, end)
        for point in self._points[low:high]:
            found[point.id] = point
        return tuple(s for s in self.sessions if s.id in found) if found else ()

    def day(self, day: date) -> tuple[Session, ...]:
        """The sessions that overlap `day` in the schedule's own time zone."""
        zone = self.schedule.zone
        start = datetime.combine(day, time(0), tzinfo=zone)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        return self.between(start, end)

    def days(self) -> tuple[date, ...]:
        """The local dates on which sessions start, in order."""
        zone = self.schedule.zone
        return tuple(sorted({s.start.astimezone(zone).date() for s in self.sessions}))

    def get(self, session_id: str) -> Session | None:
        """The session with this id (case-insensitive), or the only one it is a prefix of."""
        key = session_id.strip().casefold()
        if not key:
            return None
        found = self._by_folded_id.get(key)
        if found is not None:
            return found
        prefixed = [s for k, s in self._by_folded_id.items() if k.startswith(key)]
        return prefixed[0] if len(prefixed) == 1 else None

    def search(self, words: str) -> tuple[Session, ...]:
        """Sessions matching every word (case- and accent-insensitive); title hits first."""
        terms = fold(words).split()
        if not terms:
            return ()
        title_hits: list[Session] = []
        other_hits: list[Session] = []
        for session in self.sessions:
            title = self._title_text[session.id]
            text = title + "\n" + self._body_text[session.id]
            if not all(term in text for term in terms):
                continue
            if any(term in title for term in terms):
                title_hits.append(session)
            else:
                other_hits.append(session)
        return tuple(title_hits + other_hits)

    def overlaps(self, session: Session) -> tuple[Session, ...]:
        """The other sessions that share some stretch of time with `session` (`Session.overlaps`)."""
        return tuple(
            s
            for s in self.between(session.start, session.end)
            if session.overlaps(s) and s.id != session.id
        )


def _body(session: Session) -> str:
    parts = [session.description, " ".join(session.proposers)]
    for proposal in session.proposals:
        parts += [proposal.title, proposal.description, " ".join(proposal.proposers)]
    return "\n".join(parts)


def _minutes_until(at: datetime, start: datetime) -> int:
    seconds = (start - at).total_seconds()
    return int(-(-seconds // 60))


def _segments(
    sessions: tuple[Session, ...],
) -> tuple[list[datetime], list[tuple[Session, ...]]]:
    """Cut time at every start and end; record which sessions are active in each piece."""
    bounds = sorted({s.start for s in sessions} | {s.end for s in sessions})
    starting: dict[datetime, list[Session]] = {}
    ending: dict[datetime, set[str]] = {}
    for s in sessions:
        starting.setdefault(s.start, []).append(s)
        ending.setdefault(s.end, set()).add(s.id)
    active: list[tuple[Session, ...]] = []
    current: list[Session] = []
    for bound in bounds:
        gone = ending.get(bound)
        if gone:
            current = [s for s in current if s.id not in gone]
        current.extend(starting.get(bound, ()))
        active.append(tuple(sorted(current, key=lambda s: (s.start, s.end, s.id))))
    return bounds, active
