"""Planning: bring the reminders of some people and sessions in line with what they want.

A person wants a reminder for a session when a *source* says so (their bookmarks, the
tracks they follow), their reminders are on, and the session is in the schedule. Each reminder is keyed on (person, session, start instant), so two
sources wanting the same session never make two reminders, and a session that moves gets
a new reminder while its old one is cancelled.

Deciding is pure (`decide_reminders`: inputs → plan, no database); the send windows
around the instants the plan changes are worked out before it is written
(`with_windows`, one read), and applying writes it in batches (`apply_plan`).
`plan_reminders` reads, decides and applies. Everything that can change it
calls it with the people and sessions concerned: a bookmark added or removed, a new lead
time, reminders turned on or off, a schedule replaced, the engine starting.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.core import Core
from bot.outbox.windows import (
    opens_after_changes,
    send_interval,
    window_ranges,
)
from bot.render.words import relative
from bot.settings import Settings
from bot.storage.records import (
    DISMISSED,
    NewItem,
    OutboxItem,
    OutboxKind,
    OutboxStatus,
    Retime,
    WindowRow,
    reminder_key,
)
from bot.store import Preferences
from schedule.index import ScheduleIndex
from schedule.model import Session

if TYPE_CHECKING:
    from bot.storage.outbox import OutboxRepository

Pair = tuple[str, str]
"""(person, session id)."""

Scope = frozenset[str] | None
"""The ids to look at; None means all of them."""

WantedSource = Callable[[Core, Scope, Scope], Iterable[Pair]]
"""Given (core, people, sessions), the (person, session) pairs that want a reminder."""

_ACTIVE = (OutboxStatus.PENDING, OutboxStatus.CLAIMED)
_DONE = (OutboxStatus.SENT, OutboxStatus.MISSED, OutboxStatus.FAILED)

GIVE_UP_AFTER = timedelta(minutes=5)
"""A reminder is recorded missed only when it could not go out before its session ran this long."""


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


@dataclass(frozen=True)
class PlanInputs:
    """Everything planning decides from, read beforehand (no database in the decision)."""

    wanted: frozenset[Pair]
    """(person, session) pairs that want a reminder."""
    sessions: Mapping[str, Session]
    """The sessions in the schedule, by id."""
    preferences: Mapping[str, Preferences]
    """Each wanting person's settings."""
    existing: Sequence[OutboxItem]
    """The reminder rows in scope, whatever their status."""
    default_lead: int
    """The bot's lead time, for people who never chose one."""


@dataclass(frozen=True)
class ReminderPlan:
    """What planning decided: rows to add, to re-time or revive, to cancel."""

    new: tuple[NewItem, ...] = ()
    retime: tuple[Retime, ...] = ()
    cancel: tuple[int, ...] = ()
    planned: tuple[Pair, ...] = ()
    too_late: tuple[Pair, ...] = ()


@dataclass(frozen=True)
class Window:
    """The send window of a reminder: its moment, and when it is given up."""

    due: datetime
    give_up: datetime


def reminder_window(start: datetime, lead: int) -> Window:
    """A reminder `lead` minutes before `start`, given up once the session ran `GIVE_UP_AFTER`."""
    return Window(start - timedelta(minutes=lead), start + GIVE_UP_AFTER)


def decide_reminders(inputs: PlanInputs, at: datetime, *, renew: bool = False) -> ReminderPlan:
    """The reminders `inputs` call for at `at` (pure: inputs → plan).

    For each wanted (person, session) the reminder is due `lead` minutes before the
    session's current start:
    - a reminder already sent, missed, failed or in flight for that start is left alone;
    - one the person cancelled stays cancelled unless `renew` (they bookmarked it again);
    - a pending one is re-timed if the lead time changed;
    - when the moment has passed but the reminder can still go out before it is given
      up, a reminder that was still coming (the session moved earlier, the lead time
      grew) is due at once, while a new wish gets none (reported in `too_late`).
    Every other pending reminder in scope is cancelled: unbookmarked, reminders off,
    session moved or removed. Only differences are planned, so planning again is empty.
    """
    rows: dict[Pair, list[OutboxItem]] = defaultdict(list)
    for item in inputs.existing:
        if item.session_id is not None:
            rows[(item.recipient, item.session_id)].append(item)
    new: list[NewItem] = []
    retime: list[Retime] = []
    planned: list[Pair] = []
    too_late: list[Pair] = []
    keep: set[int] = set()
    for pair in sorted(inputs.wanted):
        decision = _decide_pair(inputs, pair, rows.get(pair, []), at, renew)
        if decision is None:
            continue
        kept, change = decision
        keep.update(kept)
        if change is _TOO_LATE:
            too_late.append(pair)
        elif isinstance(change, NewItem):
            new.append(change)
            planned.append(pair)
        elif isinstance(change, Retime):
            retime.append(change)
            planned.append(pair)
    cancel = [
        item.id
        for items in rows.values()
        for item in items
        if item.status is OutboxStatus.PENDING and item.id not in keep
    ]
    return ReminderPlan(tuple(new), tuple(retime), tuple(cancel), tuple(planned), tuple(too_late))


_TOO_LATE = object()
"""A change meaning "wanted, but its moment passed"."""

_Decision = tuple[set[int], object]


def _decide_pair(
    inputs: PlanInputs, pair: Pair, existing: list[OutboxItem], at: datetime, renew: bool
) -> _Decision | None:
    """The rows of `pair` to keep and its change (NewItem, Retime, _TOO_LATE or None)."""
    user_id, session_id = pair
    session = inputs.sessions.get(session_id)
    prefs = inputs.preferences.get(user_id) or Preferences(user_id=user_id)
    if session is None or not prefs.reminders_enabled:
        return None
    current = next((i for i in existing if i.starts_at == session.start), None)
    kept = {current.id} if current is not None else set()
    lead = prefs.lead_minutes if prefs.lead_minutes is not None else inputs.default_lead
    window = reminder_window(session.start, lead)
    due = _due(window, at, current, existing, renew)
    if due is None:
        late = _wanted_but_late(window, at, current, existing, renew)
        return kept, _TOO_LATE if late else None
    if current is None:
        movable = _movable(existing)
        if movable is not None:
            # The reminder of the session's old start moves along: one row changed.
            key = reminder_key(user_id, session_id, session.start)
            move = Retime(movable.id, due, due, window.give_up, key=key, starts_at=session.start)
            return {movable.id}, move
        item = NewItem(
            kind=OutboxKind.REMINDER,
            key=reminder_key(user_id, session_id, session.start),
            recipient=user_id,
            not_before=due,
            due_at=due,
            give_up_at=window.give_up,
            session_id=session_id,
            starts_at=session.start,
        )
        return kept, item
    revive = current.status is OutboxStatus.CANCELLED
    return kept, Retime(current.id, due, due, window.give_up, revive=revive)


def _movable(existing: list[OutboxItem]) -> OutboxItem | None:
    """A pending reminder of the pair, never tried, that can move to the session's new start.

    A row tried before (its outcome may be unknown: it is read back by its key) or done
    keeps its key; the oldest untried pending row moves.
    """
    return next(
        (
            i
            for i in sorted(existing, key=lambda i: i.id)
            if i.status is OutboxStatus.PENDING and i.attempts == 0 and not i.uncertain
        ),
        None,
    )


def _due(
    window: Window,
    at: datetime,
    current: OutboxItem | None,
    existing: list[OutboxItem],
    renew: bool,
) -> datetime | None:
    """When the reminder should be due, or None when nothing is to be written."""
    if current is not None and _left_alone(current, renew):
        return None
    if window.give_up <= at:
        return None  # too late to be of use: a pending one left here is recorded missed
    if window.due > at:
        due = window.due
    elif current is not None and current.status is OutboxStatus.PENDING:
        due = min(current.due_at, at)
    elif any(i.status in _ACTIVE for i in existing):
        due = at  # it was coming, and the session moved earlier: send it now
    else:
        return None
    if current is not None and current.status is OutboxStatus.PENDING and current.due_at == due:
        return None
    return due


def _left_alone(current: OutboxItem, renew: bool) -> bool:
    """Whether a row is settled: done, in flight, or dismissed by its person (unless renewed)."""
    if current.status in _DONE or current.status is OutboxStatus.CLAIMED:
        return True
    return current.status is OutboxStatus.CANCELLED and current.error == DISMISSED and not renew


def _wanted_but_late(
    window: Window,
    at: datetime,
    current: OutboxItem | None,
    existing: list[OutboxItem],
    renew: bool,
) -> bool:
    """True when a new wish came after the reminder moment, before it would be given up."""
    if not at < window.give_up:
        return False
    if current is not None and current.status is not OutboxStatus.CANCELLED:
        return False
    if current is not None and current.error == DISMISSED and not renew:
        return False
    return not any(i.status in _ACTIVE for i in existing)


def apply_plan(outbox: OutboxRepository, plan: ReminderPlan, at: datetime) -> int:
    """Write `plan` (plan → database) in batches; returns how many reminders it cancelled."""
    outbox.enqueue(plan.new, at)
    outbox.retime(plan.retime, at)
    return outbox.cancel(plan.cancel, at)


NEW_IDS = 2**62
"""Stand-in ids of rows not yet written start here, above every id a row can have."""


def with_windows(
    outbox: OutboxRepository,
    plan: ReminderPlan,
    existing: Sequence[OutboxItem],
    at: datetime,
    per_second: float,
) -> tuple[ReminderPlan, list[tuple[int, datetime]]]:
    """`plan` with its rows' send windows already open where they should, before writing.

    Reads the pending rows around the due instants the plan changes (one read), and
    works out every window there as it will be once the plan is written: new and
    re-timed rows are written with their window, so only other rows whose window moves
    need a second write (returned as (id, not_before)).
    """
    before = {item.id: item for item in existing}
    dues = _changed_dues(plan, before)
    ranges = [(max(low, at), high) for low, high in window_ranges(dues) if high >= at]
    if not ranges:
        return plan, []
    dropped = set(plan.cancel) | {r.id for r in plan.retime if r.key is not None}
    opens = opens_after_changes(
        outbox.window_rows_in(ranges),
        ranges,
        _window_changes(plan, before),
        dropped,
        send_interval(per_second),
    )
    return _with_opens(plan, opens)


def _changed_dues(plan: ReminderPlan, before: Mapping[int, OutboxItem]) -> list[datetime]:
    """The due instants `plan` touches: of new, re-timed (old and new) and cancelled rows."""
    dues = [n.due_at for n in plan.new] + [r.due_at for r in plan.retime]
    dues += [before[i].due_at for i in plan.cancel]
    dues += [before[r.id].due_at for r in plan.retime if r.id in before]
    return dues


def _window_changes(plan: ReminderPlan, before: Mapping[int, OutboxItem]) -> list[WindowRow]:
    """The rows `plan` writes as window rows; new rows stand in with ids from `NEW_IDS` up."""
    # New rows have no id yet: ids above every real one stand for them, in queueing order;
    # a row moving to a new start's key takes a new id after them (`OutboxRepository.retime`).
    changes = [
        WindowRow(NEW_IDS + n, item.due_at, item.starts_at, item.not_before)
        for n, item in enumerate(plan.new)
    ]
    moving = _stand_ins(plan)
    changes += [
        WindowRow(moving.get(n, r.id), r.due_at, _starts_at(r, before), r.not_before)
        for n, r in enumerate(plan.retime)
    ]
    return changes


def _stand_ins(plan: ReminderPlan) -> dict[int, int]:
    """Position in `plan.retime` → the stand-in id of a row moving to a new key."""
    moving = [n for n, r in enumerate(plan.retime) if r.key is not None]
    return {n: NEW_IDS + len(plan.new) + m for m, n in enumerate(moving)}


def _starts_at(change: Retime, before: Mapping[int, OutboxItem]) -> datetime | None:
    """The start instant of a re-timed row once written (a moved row's new one)."""
    if change.starts_at is not None:
        return change.starts_at
    return before[change.id].starts_at if change.id in before else None


def _with_opens(
    plan: ReminderPlan, opens: Mapping[int, datetime]
) -> tuple[ReminderPlan, list[tuple[int, datetime]]]:
    """`plan` with the window openings `opens` applied, and the other rows' moved windows."""
    new = tuple(
        replace(item, not_before=opens.get(NEW_IDS + n, item.not_before))
        for n, item in enumerate(plan.new)
    )
    moving = _stand_ins(plan)
    retime = tuple(
        replace(r, not_before=opens.get(moving.get(n, r.id), r.not_before))
        for n, r in enumerate(plan.retime)
    )
    retimed = {r.id for r in plan.retime}
    others = [(i, instant) for i, instant in opens.items() if i < NEW_IDS and i not in retimed]
    return replace(plan, new=new, retime=retime), others


def read_inputs(
    core: Core,
    users: Scope,
    sessions: Scope,
    sources: Iterable[WantedSource],
) -> PlanInputs:
    """What `decide_reminders` needs for `users` × `sessions`, read from the store."""
    wanted: set[Pair] = set()
    for source in sources:
        wanted.update(
            (user_id, session_id)
            for user_id, session_id in source(core, users, sessions)
            if (users is None or user_id in users) and (sessions is None or session_id in sessions)
        )
    store, index = core.store, core.index
    return PlanInputs(
        wanted=frozenset(wanted),
        sessions={s.id: s for s in index.sessions},
        preferences=store.people.preferences(user_id for user_id, _ in wanted),
        existing=store.outbox.reminders_in(users, sessions),
        default_lead=core.settings.reminder_lead_minutes,
    )


def plan_reminders(
    core: Core,
    at: datetime,
    *,
    users: Collection[str] | None = None,
    sessions: Collection[str] | None = None,
    renew: bool = False,
    sources: Iterable[WantedSource] = DEFAULT_SOURCES,
) -> PlanResult:
    """Make the reminders of `users` × `sessions` (None: all) match what is wanted at `at`.

    Reads the inputs, decides (`decide_reminders`), applies the plan, then re-opens the
    send windows so that every burst is finished by its due instant.
    """
    user_scope = None if users is None else frozenset(users)
    session_scope = None if sessions is None else frozenset(sessions)
    if user_scope == frozenset() or session_scope == frozenset():
        return PlanResult()
    inputs = read_inputs(core, user_scope, session_scope, sources)
    plan = decide_reminders(inputs, at, renew=renew)
    outbox, rate = core.store.outbox, core.settings.slack_messages_per_second
    plan, moved = with_windows(outbox, plan, inputs.existing, at, rate)
    cancelled = apply_plan(outbox, plan, at)
    outbox.set_windows(moved)
    result = PlanResult(plan.planned, cancelled, plan.too_late)
    if result.changed:
        notify_planned(core)
    return result


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
        return (
            f":bell: It starts {relative(at, session.start)}, within your {lead}-minute reminder time, "
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
