"""Planning: bring the reminder deliveries of some people and sessions in line with what they want.

A person wants a reminder for a session when a *source* says so (their bookmarks, the
tracks they follow), their reminders are on, and the session is in the schedule. Each reminder is keyed on (person, session, start instant), so two
sources wanting the same session never make two reminders, and a session that moves gets
a new reminder while its old one is cancelled.

`plan_reminders` is the one function that writes the plan. Everything that can change it
calls it with the people and sessions concerned: a bookmark added or removed, a new lead
time, reminders turned on or off, a schedule replaced, the engine starting.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.core import Core
from bot.render.blocks import duration_words, minutes_between
from bot.settings import Settings
from bot.store import DISMISSED, Delivery, DeliveryStatus, Preferences
from schedule.index import ScheduleIndex
from schedule.model import Session

Pair = tuple[str, str]
"""(person, session id)."""

Scope = frozenset[str] | None
"""The ids to look at; None means all of them."""

WantedSource = Callable[[Core, Scope, Scope], Iterable[Pair]]
"""Given (core, people, sessions), the (person, session) pairs that want a reminder."""

_ACTIVE = (DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)
_DONE = (DeliveryStatus.SENT, DeliveryStatus.MISSED, DeliveryStatus.FAILED)


@dataclass(frozen=True)
class PlanResult:
    """What one planning pass changed."""

    planned: tuple[Pair, ...] = ()
    """Pairs whose reminder was planned or re-timed."""
    cancelled: int = 0
    """Pending reminders cancelled."""
    too_late: tuple[Pair, ...] = ()
    """Pairs that want a reminder whose moment has passed before the session starts."""

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return bool(self.planned) or self.cancelled > 0


def bookmarked(core: Core, users: Scope, sessions: Scope) -> Iterable[Pair]:
    """Every bookmark is a wish for a reminder."""
    bookmarkers = core.store.bookmarks.bookmarkers(sessions, users=users)
    return sorted(
        (user_id, session_id) for session_id, people in bookmarkers.items() for user_id in people
    )


def followed(core: Core, users: Scope, sessions: Scope) -> Iterator[Pair]:
    """A person following track T wants a reminder for every session of T."""
    by_track: dict[str, list[str]] = defaultdict(list)
    for session in core.index.sessions:
        if session.track and (sessions is None or session.id in sessions):
            by_track[session.track].append(session.id)
    if users is None:
        followers = core.store.follows.followers(by_track)
        for track, ids in by_track.items():
            for user_id in followers.get(track, ()):
                yield from ((user_id, session_id) for session_id in ids)
        return
    for user_id in sorted(users):
        for track in core.store.follows.tracks_of(user_id):
            yield from ((user_id, session_id) for session_id in by_track.get(track, ()))


# Follows want reminders too (`/nova follow`, bot/commands/follow.py).
DEFAULT_SOURCES: tuple[WantedSource, ...] = (bookmarked, followed)


def lead_minutes(settings: Settings, preferences: Preferences) -> int:
    """The person's lead time, or the bot's default."""
    if preferences.lead_minutes is not None:
        return preferences.lead_minutes
    return settings.reminder_lead_minutes


def plan_reminders(
    core: Core,
    at: datetime,
    *,
    users: Collection[str] | None = None,
    sessions: Collection[str] | None = None,
    renew: bool = False,
    sources: Iterable[WantedSource] = DEFAULT_SOURCES,
) -> PlanResult:
    """Make the deliveries of `users` × `sessions` (None: all) match what is wanted at `at`.

    For each wanted (person, session) the reminder is due `lead` minutes before the
    session's current start:
    - a reminder already sent, missed, failed or in flight for that start is left alone;
    - one the person cancelled stays cancelled unless `renew` (they bookmarked it again);
    - a pending one is re-timed if the lead time changed;
    - when the moment has passed but the session has not begun, a reminder that was
      still coming (e.g. the session moved earlier, the lead time grew) is due at once,
      while a new wish gets none (reported in `too_late`).
    Every other pending reminder in scope is cancelled: unbookmarked, reminders off,
    session moved or removed. Only differences are written, so planning again is cheap.
    """
    user_scope = None if users is None else frozenset(users)
    session_scope = None if sessions is None else frozenset(sessions)
    if user_scope == frozenset() or session_scope == frozenset():
        return PlanResult()
    store, index = core.store, core.index
    wanted: set[Pair] = set()
    for source in sources:
        wanted.update(
            (user_id, session_id)
            for user_id, session_id in source(core, user_scope, session_scope)
            if (user_scope is None or user_id in user_scope)
            and (session_scope is None or session_id in session_scope)
        )
    rows: dict[Pair, list[Delivery]] = defaultdict(list)
    for delivery in store.deliveries.find(user_scope, session_scope):
        rows[(delivery.user_id, delivery.session_id)].append(delivery)
    preferences = store.people.preferences(user_id for user_id, _ in wanted)

    planned: list[Pair] = []
    too_late: list[Pair] = []
    settled: set[Pair] = set()
    keep: set[int] = set()
    for pair in sorted(wanted):
        user_id, session_id = pair
        session = index.get(session_id)
        prefs = preferences.get(user_id) or Preferences(user_id=user_id)
        if session is None or not prefs.reminders_enabled:
            continue
        existing = rows.get(pair, [])
        current = next((d for d in existing if d.start_at == session.start), None)
        if current is not None:
            keep.add(current.id)
        due = _due(session, lead_minutes(core.settings, prefs), at, current, existing, renew)
        if due is None:
            if _wanted_but_late(session, at, current, existing, renew):
                too_late.append(pair)
            continue
        store.deliveries.plan(user_id, session_id, session.start, due, at)
        planned.append(pair)
        settled.add(pair)

    cancelled = 0
    for pair, deliveries in rows.items():
        if pair in settled:
            continue  # planning cancelled the reminders of the old start instants
        for delivery in deliveries:
            if (
                delivery.status is DeliveryStatus.PENDING
                and delivery.id not in keep
                and store.deliveries.cancel(delivery.id, delivery.user_id, at=at)
            ):
                cancelled += 1
    result = PlanResult(tuple(planned), cancelled, tuple(too_late))
    if result.changed:
        notify_planned(core)
    return result


def _due(
    session: Session,
    lead: int,
    at: datetime,
    current: Delivery | None,
    existing: list[Delivery],
    renew: bool,
) -> datetime | None:
    """When the reminder for `session` should go out, or None when nothing is to be written."""
    if current is not None:
        if current.status in _DONE or current.status is DeliveryStatus.CLAIMED:
            return None
        if current.status is DeliveryStatus.CANCELLED and current.error == DISMISSED and not renew:
            return None
    if session.start <= at:
        return None  # begun: a pending reminder left here is recorded missed by the engine
    moment = session.start - timedelta(minutes=lead)
    if moment > at:
        due = moment
    elif current is not None and current.status is DeliveryStatus.PENDING:
        due = min(current.due_at, at)
    elif any(d.status in _ACTIVE for d in existing):
        due = at  # it was coming, and the session moved earlier: send it now
    else:
        return None
    if current is not None and current.status is DeliveryStatus.PENDING and current.due_at == due:
        return None
    return due


def _wanted_but_late(
    session: Session,
    at: datetime,
    current: Delivery | None,
    existing: list[Delivery],
    renew: bool,
) -> bool:
    """True when a new wish came after the reminder moment, before the session starts."""
    if not at < session.start:
        return False
    if current is not None and current.status is not DeliveryStatus.CANCELLED:
        return False
    if current is not None and current.error == DISMISSED and not renew:
        return False
    return not any(d.status in _ACTIVE for d in existing)


def changed_sessions(old: ScheduleIndex, new: ScheduleIndex) -> frozenset[str]:
    """Ids of sessions added, removed or moved to another start by a schedule replacement."""
    before = {s.id: s.start for s in old.sessions}
    after = {s.id: s.start for s in new.sessions}
    return frozenset(i for i in before.keys() | after.keys() if before.get(i) != after.get(i))


# -- who hears about planning ------------------------------------------------------------


def on_planned(core: Core, callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` after planning changes `core`'s reminders; returns the way to stop."""
    core.plan_listeners.append(callback)

    def stop() -> None:
        if callback in core.plan_listeners:
            core.plan_listeners.remove(callback)

    return stop


def notify_planned(core: Core) -> None:
    """Tell whoever listens on `core` (its running engine) that the plan changed."""
    for callback in list(core.plan_listeners):
        callback()


class ReminderPlanner:
    """Keeps one core's reminders planned: on bookmark changes and schedule replacements.

    The runtime builds one per process and `install`s it once; the bookmark listener's
    line tells the person when a session starts within their lead time.
    """

    def __init__(self, core: Core, clock: Clock) -> None:
        """Plan `core`'s reminders, reading the time from `clock` on schedule replacements."""
        self.core = core
        self.clock = clock
        self._installed = False
        self._lock = threading.Lock()

    def install(self) -> bool:
        """Listen to `core`'s bookmarks and schedule source; False when already installed."""
        with self._lock:
            if self._installed:
                return False
            self._installed = True
        self.core.bookmark_listeners.append(self._on_bookmark)
        self.core.schedules.subscribe(self._on_replace)
        return True

    def plan(self, at: datetime) -> PlanResult:
        """Plan every reminder at `at` (e.g. when the engine starts)."""
        return plan_reminders(self.core, at)

    def _on_bookmark(self, user_id: str, session: Session, added: bool, at: datetime) -> str | None:
        core = self.core
        result = plan_reminders(core, at, users={user_id}, sessions={session.id}, renew=added)
        if not added or not result.too_late:
            return None
        lead = lead_minutes(core.settings, core.store.people.preferences([user_id])[user_id])
        starts = duration_words(minutes_between(at, session.start))
        return (
            f":bell: It starts in {starts}, within your {lead}-minute reminder time, "
            "so no reminder will come for it."
        )

    def _on_replace(self, old: ScheduleIndex, new: ScheduleIndex) -> None:
        affected = changed_sessions(old, new)
        if affected:
            plan_reminders(self.core, self.clock.now(), sessions=affected)


def install_planning(core: Core, clock: Clock) -> ReminderPlanner:
    """A `ReminderPlanner` for `core`, installed (for tests and tools built without a runtime)."""
    planner = ReminderPlanner(core, clock)
    planner.install()
    return planner
