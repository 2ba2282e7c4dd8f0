"""What changed between two loads of a schedule, and whether a reload looks safe.

Sessions are paired first by id, then by the source's own uid, then by occupying the very
same slot (start, end and room): a session whose id changed because its title did is the
same session renamed. Only changes attendees care about (time, room, title) are `changed`;
anything else (description, proposers, links, track, a bare id change) is `edited`, so a
typo fix never reaches anyone's DMs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from schedule.model import Schedule, Session
from schedule.ranges import format_range


def _squash(text: str) -> str:
    """`text` with runs of whitespace made one space and the ends trimmed."""
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class SessionChange:
    """One session present in both schedules, as it was (`old`) and as it is (`new`)."""

    old: Session
    new: Session

    @property
    def moved_time(self) -> bool:
        """True when the start or the end instant changed."""
        return self.old.start != self.new.start or self.old.end != self.new.end

    @property
    def moved_room(self) -> bool:
        """True when the room changed (whitespace-only differences do not count)."""
        return _squash(self.old.room) != _squash(self.new.room)

    @property
    def renamed(self) -> bool:
        """True when the title changed (whitespace-only differences do not count)."""
        return _squash(self.old.title) != _squash(self.new.title)

    @property
    def id_changed(self) -> bool:
        """True when the session was paired by uid or slot and carries a new id."""
        return self.old.id != self.new.id

    @property
    def kinds(self) -> frozenset[str]:
        """The attendee-visible kinds of change: a subset of {"time", "room", "title"}."""
        found: set[str] = set()
        if self.moved_time:
            found.add("time")
        if self.moved_room:
            found.add("room")
        if self.renamed:
            found.add("title")
        return frozenset(found)

    @property
    def moved(self) -> bool:
        """True when the session moved in time or to another room."""
        return self.moved_time or self.moved_room


@dataclass(frozen=True, slots=True)
class ScheduleDiff:
    """The difference between an old and a new schedule.

    `changed` holds pairs with a time, room or title change; `edited` holds every other
    pair that differs in any way (including an id change alone). Each tuple follows
    schedule order (start, end, id): `removed` the old schedule's, the others the new one's.
    """

    added: tuple[Session, ...]
    removed: tuple[Session, ...]
    changed: tuple[SessionChange, ...]
    edited: tuple[SessionChange, ...]
    old_count: int
    """How many sessions the old schedule had (the base of `removed_fraction`)."""

    @property
    def is_empty(self) -> bool:
        """True when the two schedules hold the very same sessions."""
        return not (self.added or self.removed or self.changed or self.edited)

    @property
    def removed_fraction(self) -> float:
        """The share of the old schedule's sessions that the new one drops (0.0 if none)."""
        return len(self.removed) / self.old_count if self.old_count else 0.0

    @property
    def id_changes(self) -> dict[str, str]:
        """Old id → new id for every paired session whose id changed (to carry bookmarks)."""
        return {c.old.id: c.new.id for c in (*self.changed, *self.edited) if c.id_changed}

    def summary(self) -> str:
        """A short count such as "2 added, 1 removed, 3 moved, 1 renamed" (zeros left out).

        A change that both moves and renames counts in both; "no changes" when empty.
        """
        counts = (
            (len(self.added), "added"),
            (len(self.removed), "removed"),
            (sum(1 for c in self.changed if c.moved), "moved"),
            (sum(1 for c in self.changed if c.renamed), "renamed"),
            (len(self.edited), "edited"),
        )
        parts = [f"{n} {label}" for n, label in counts if n]
        return ", ".join(parts) if parts else "no changes"


def _pair_unique(
    old: dict[str, Session],
    new: dict[str, Session],
    key: Callable[[Session], Hashable | None],
) -> list[tuple[Session, Session]]:
    """Pair sessions of `old` and `new` whose key is set and unique on both sides.

    Paired sessions are taken out of both dicts (which map id → session).
    """

    def by_key(sessions: Iterable[Session]) -> dict[Hashable, list[Session]]:
        groups: dict[Hashable, list[Session]] = {}
        for session in sessions:
            k = key(session)
            if k is not None:
                groups.setdefault(k, []).append(session)
        return groups

    old_groups = by_key(old.values())
    new_groups = by_key(new.values())
    pairs: list[tuple[Session, Session]] = []
    for k, olds in old_groups.items():
        news = new_groups.get(k, [])
        if len(olds) == 1 and len(news) == 1:
            pairs.append((olds[0], news[0]))
            del old[olds[0].id]
            del new[news[0].id]
    return pairs


def diff_schedules(old: Schedule, new: Schedule) -> ScheduleDiff:
    """Compare two loads of a schedule: pair sessions by id, then uid, then identical slot.

    A uid or a slot pairs sessions only when exactly one unpaired session on each side
    has it, so an ambiguous match is reported as a removal plus an addition.
    """
    unpaired_old = {s.id: s for s in old.sessions}
    unpaired_new = {s.id: s for s in new.sessions}
    pairs: list[tuple[Session, Session]] = []
    for session_id in [i for i in unpaired_old if i in unpaired_new]:
        pairs.append((unpaired_old.pop(session_id), unpaired_new.pop(session_id)))
    pairs += _pair_unique(unpaired_old, unpaired_new, lambda s: s.uid or None)
    pairs += _pair_unique(unpaired_old, unpaired_new, lambda s: (s.start, s.end, _squash(s.room)))

    order = {s.id: i for i, s in enumerate(new.sessions)}
    pairs.sort(key=lambda pair: order[pair[1].id])
    changed: list[SessionChange] = []
    edited: list[SessionChange] = []
    for before, after in pairs:
        change = SessionChange(before, after)
        if change.kinds:
            changed.append(change)
        elif before != after:
            edited.append(change)
    return ScheduleDiff(
        added=tuple(s for s in new.sessions if s.id in unpaired_new),
        removed=tuple(s for s in old.sessions if s.id in unpaired_old),
        changed=tuple(changed),
        edited=tuple(edited),
        old_count=len(old.sessions),
    )


@dataclass(frozen=True, slots=True)
class ReloadGuard:
    """Refuses a reload that looks like a broken file rather than a schedule update."""

    max_removed_fraction: float = 1 / 3
    """The largest share of the old sessions a reload may remove."""

    def __post_init__(self) -> None:
        """Refuse a fraction outside [0, 1]."""
        if not 0.0 <= self.max_removed_fraction <= 1.0:
            raise ValueError(
                f"max_removed_fraction must lie in [0, 1], not {self.max_removed_fraction}"
            )

    def check(self, old: Schedule, new: Schedule) -> str | None:
        """The reason to refuse replacing `old` by `new`, or None when the reload is acceptable.

        Refused: a new schedule without sessions (a truncated or wrong file) and one that
        removes more than `max_removed_fraction` of the old sessions.
        """
        if not new.sessions:
            return "the new schedule has no sessions"
        diff = diff_schedules(old, new)
        if diff.removed_fraction > self.max_removed_fraction:
            return (
                f"would remove {len(diff.removed)} of {diff.old_count} sessions"
                f" ({diff.removed_fraction:.0%})"
            )
        return None


def check_reload(
    old: Schedule, new: Schedule, *, max_removed_fraction: float = 1 / 3
) -> str | None:
    """The reason to refuse replacing `old` by `new`, or None (see `ReloadGuard.check`)."""
    return ReloadGuard(max_removed_fraction).check(old, new)


def _slot(session: Session, zone: tzinfo) -> str:
    """The slot such as "Tue 5 Nov 11:15–11:55, Room 204" in `zone` (end day when it differs)."""
    text = format_range(session.start, session.end, zone, label=False)
    room = _squash(session.room)
    return f"{text}, {room}" if room else text


def describe_change(change: SessionChange, zone: tzinfo) -> str:
    """One human line saying what changed, with times in `zone`.

    For example "Tue 5 Nov 11:15–11:55, Room 204 → Wed 6 Nov 14:00–14:40, Room 201" for a
    move and "was: Old title" for a rename, joined by "; " when both. The caller shows the
    session itself (its new title); a change with no attendee-visible kind reads
    "details updated".
    """
    parts: list[str] = []
    if change.moved:
        parts.append(f"{_slot(change.old, zone)} → {_slot(change.new, zone)}")
    if change.renamed:
        parts.append(f"was: {_squash(change.old.title)}")
    return "; ".join(parts) if parts else "details updated"


def describe_cancelled(session: Session, zone: tzinfo) -> str:
    """One human line for a session dropped from the schedule, with its slot in `zone`."""
    return f"cancelled (was {_slot(session, zone)})"


def _digest(*fields: str) -> str:
    """A short stable hex digest of `fields`."""
    joined = "\x1f".join(fields)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]


def _utc(moment: datetime) -> str:
    """`moment` as a UTC ISO string, so equal instants in other zones give the same text."""
    return moment.astimezone(UTC).isoformat()


def change_key(change: SessionChange) -> str:
    """A stable key for this change: the same change always gives the same key.

    Built from the old id and the new id, start, end, room and title, so applying the
    same reload twice (even in two processes) yields the same key, while a later change
    to the same session yields a different one.
    """
    new = change.new
    return "change:" + _digest(
        change.old.id, new.id, _utc(new.start), _utc(new.end), _squash(new.room), _squash(new.title)
    )


def cancel_key(session: Session) -> str:
    """A stable key for the cancellation of `session` (its id and slot as they were)."""
    return "cancel:" + _digest(session.id, _utc(session.start), _utc(session.end))
