"""Telling people that a session they care about moved or was cancelled.

Who is told: everyone who bookmarked the session or follows its track (as of the moment
the change was applied). Each person gets one DM per change, whatever the number of
reasons or of processes announcing the same change: each notice is an outbox row due now,
keyed on (person, change), so queueing it twice keeps one row, and the outbox's one sender
delivers it exactly once with the reminders' guarantees (retries, read-back, budget).

Deciding is pure (`decide_notices`: inputs → notices); `queue_notices` applies them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from bot.core.message import Block, Message, escape
from bot.render.blocks import note, section
from bot.render.words import describe_cancel, describe_move, slack_date, time_range
from bot.storage.records import NewItem, OutboxKind
from bot.store import Store
from schedule.diff import (
    ScheduleDiff,
    SessionChange,
    cancel_key,
    change_key,
)
from schedule.index import ScheduleIndex
from schedule.model import Session

if TYPE_CHECKING:
    from bot.storage.outbox import OutboxRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Notice:
    """One DM to one person about one change."""

    user_id: str
    key: str
    """change_key / cancel_key of the change: the unit of "told once"."""
    session_id: str
    message: Message
    give_up_at: datetime | None = None
    """When telling is no longer useful (None: a day after it was queued)."""

    @property
    def outbox_key(self) -> str:
        """The notice's unique key in the outbox."""
        return notice_key(self.user_id, self.key)


def notice_key(user_id: str, change: str) -> str:
    """The outbox key of telling `user_id` about `change`."""
    return f"notice:{user_id}:{change}"


@dataclass(frozen=True, slots=True)
class _Item:
    """A change people are told about: a move (with its change) or a cancellation."""

    key: str
    old: Session
    new: Session | None
    change: SessionChange | None


def _items(diff: ScheduleDiff, at: datetime) -> list[_Item]:
    """The moves and cancellations of `diff` whose session has not ended by `at`."""
    items = [
        _Item(change_key(c), c.old, c.new, c)
        for c in diff.changed
        if c.moved and (c.new.end > at or c.old.end > at)
    ]
    items += [_Item(cancel_key(s), s, None, None) for s in diff.removed if s.end > at]
    return items


@dataclass(frozen=True)
class NoticeInputs:
    """Everything deciding notices needs, read beforehand."""

    bookmarkers: Mapping[str, Sequence[str]]
    """Session id → who bookmarked it (before the change)."""
    followers: Mapping[str, Sequence[str]]
    """Track → who follows it (before the change)."""
    neighbour_fans: Mapping[str, set[str]]
    """Session id → who bookmarked it, for the sessions a moved one now overlaps."""
    queued: frozenset[str]
    """Outbox keys of the notices already queued (told once)."""


def read_notice_inputs(
    store: Store, diff: ScheduleDiff, new: ScheduleIndex, at: datetime, before: datetime | None
) -> NoticeInputs:
    """What `decide_notices` needs for `diff`, read from the store."""
    items = _items(diff, at)
    if not items:
        return NoticeInputs({}, {}, {}, frozenset())
    sessions = [s for i in items for s in _sessions(i)]
    tracks = {s.track for s in sessions if s.track}
    bookmarkers = store.bookmarks.bookmarkers({s.id for s in sessions}, before=before)
    followers = store.follows.followers(tracks, before=before)
    fans = _neighbour_fans(store, items, new, followers)
    keys = []
    for item in items:
        bookmarked, followed_by = _audience(_sessions(item), bookmarkers, followers)
        keys += [notice_key(u, item.key) for u in bookmarked | followed_by.keys()]
    return NoticeInputs(bookmarkers, followers, fans, store.outbox.queued_keys(keys))


def _neighbour_fans(
    store: Store,
    items: Sequence[_Item],
    new: ScheduleIndex,
    followers: Mapping[str, Sequence[str]],
) -> dict[str, set[str]]:
    """Session id → who of a moved session's audience bookmarked it, for its overlaps.

    The bookmarkers of each moved session (old or new id) who bookmarked a session it
    now overlaps, found in the database, and the followers of the tracks concerned who
    bookmarked any of those sessions: every clash `_clashes` can find, without reading
    every bookmark of every overlapping session.
    """
    pairs = {
        (s.id, other.id)
        for i in items
        if i.new is not None
        for other in new.overlaps(i.new)
        for s in _sessions(i)
    }
    fans = store.bookmarks.co_bookmarkers(pairs)
    following = {u for users in followers.values() for u in users}
    if following and pairs:
        neighbours = {b for _, b in pairs}
        found = store.bookmarks.bookmarkers(neighbours, users=following)
        for session_id, users in found.items():
            fans.setdefault(session_id, set()).update(users)
    return fans


def _sessions(item: _Item) -> list[Session]:
    """The session a change is about, before and (when it moved) after."""
    return [s for s in (item.old, item.new) if s is not None]


def decide_notices(
    diff: ScheduleDiff,
    new: ScheduleIndex,
    at: datetime,
    inputs: NoticeInputs,
    *,
    command: str = "/nova",
) -> list[Notice]:
    """The DMs `diff` calls for: one per person and moved or cancelled session (pure).

    Recipients are the bookmarkers of the session (under its old or new id) and the
    followers of its track. Sessions that ended by `at` are left out. A moved session's
    DM flags the person's other bookmarks it now overlaps. Notices already queued are
    left out.
    """
    notices: list[Notice] = []
    # People with the same reason and clashes get the same message: rendered once.
    rendered: dict[tuple[str, str, tuple[str, ...]], Message] = {}
    for item in _items(diff, at):
        sessions = _sessions(item)
        fans, followed_by = _audience(sessions, inputs.bookmarkers, inputs.followers)
        give_up = max(s.end for s in sessions)
        overlapping = (
            new.overlaps(item.new) if item.new is not None and item.change is not None else []
        )
        session_id = sessions[-1].id
        audience = fans | followed_by.keys()
        clashes_of = _clashes(overlapping, audience, inputs.neighbour_fans)
        for user_id in sorted(audience):
            if notice_key(user_id, item.key) in inputs.queued:
                continue
            clashes = clashes_of.get(user_id, [])
            reason = (
                "You bookmarked this session."
                if user_id in fans
                else f"You follow the {escape(followed_by[user_id])} track."
            )
            memo = (item.key, reason, tuple(s.id for s in clashes))
            if memo not in rendered:
                rendered[memo] = _message(item, new.schedule.zone, clashes, reason, command)
            notices.append(Notice(user_id, item.key, session_id, rendered[memo], give_up))
    return notices


def _clashes(
    overlapping: Sequence[Session], audience: set[str], fans: Mapping[str, set[str]]
) -> dict[str, list[Session]]:
    """Person of `audience` → the sessions of `overlapping` they bookmarked, in that order."""
    found: dict[str, list[Session]] = {}
    for other in overlapping:
        for user_id in audience & fans.get(other.id, set()):
            found.setdefault(user_id, []).append(other)
    return found


def _message(
    item: _Item, zone: tzinfo, clashes: Sequence[Session], reason: str, command: str
) -> Message:
    """The DM about one change: a move (naming new clashes) or a cancellation."""
    if item.change is not None:
        return moved_message(item.change, zone, clashes, reason, command)
    return cancelled_message(item.old, zone, reason, command)


def _audience(
    sessions: list[Session],
    bookmarkers: Mapping[str, Sequence[str]],
    followers: Mapping[str, Sequence[str]],
) -> tuple[set[str], dict[str, str]]:
    """Who bookmarked one of `sessions`, and who follows their track (person → track)."""
    fans: set[str] = set()
    for s in sessions:
        fans.update(bookmarkers.get(s.id, ()))
    followed_by: dict[str, str] = {}
    for s in sessions:
        for user_id in followers.get(s.track, ()) if s.track else ():
            followed_by.setdefault(user_id, s.track)
    return fans, followed_by


def plan_notices(
    store: Store,
    diff: ScheduleDiff,
    new: ScheduleIndex,
    at: datetime,
    *,
    before: datetime | None = None,
    command: str = "/nova",
) -> list[Notice]:
    """The notices `diff` calls for, counting bookmarks and follows made by `before`."""
    if not _items(diff, at):
        return []
    inputs = read_notice_inputs(store, diff, new, at, before)
    return decide_notices(diff, new, at, inputs, command=command)


#: How long a notice (or an admin alert) without a session end stays worth sending.
NOTICE_LIFETIME = timedelta(days=1)
#: The least time a notice is tried for, even about a session that is about to end.
NOTICE_MIN_LIFETIME = timedelta(minutes=15)


def queue_notices(outbox: OutboxRepository, notices: Iterable[Notice], at: datetime) -> int:
    """Put `notices` in the outbox, due now (plan → database); returns how many are new."""
    payloads: dict[int, str] = {}  # a message shared by many notices is serialised once

    def payload(message: Message) -> str:
        found = payloads.get(id(message))
        if found is None:
            found = payloads[id(message)] = json.dumps(
                message.to_dict(), separators=(",", ":"), ensure_ascii=False
            )
        return found

    items = [
        NewItem(
            kind=OutboxKind.NOTICE,
            key=n.outbox_key,
            recipient=n.user_id,
            not_before=at,
            due_at=at,
            give_up_at=max(n.give_up_at or at + NOTICE_LIFETIME, at + NOTICE_MIN_LIFETIME),
            session_id=n.session_id or None,
            payload=payload(n.message),
        )
        for n in notices
    ]
    return outbox.enqueue(items, at)


#: Why a withheld notice's outbox row was cancelled (a forced reload without notify).
WITHHELD = "withheld: forced reload without notify"


def withhold_notices(outbox: OutboxRepository, notices: Iterable[Notice], at: datetime) -> int:
    """Record `notices` as told, never sending them; returns how many were newly withheld.

    Each gets its outbox row (so no process announcing the change queues it again), held
    back past its lifetime so no sender can take it, then cancelled at once.
    """
    held = at + NOTICE_LIFETIME
    wanted = list(notices)
    outbox.enqueue(
        [
            NewItem(
                kind=OutboxKind.NOTICE,
                key=n.outbox_key,
                recipient=n.user_id,
                not_before=held,
                due_at=held,
                give_up_at=held,
                session_id=n.session_id or None,
            )
            for n in wanted
        ],
        at,
    )
    rows = [outbox.by_key(n.outbox_key) for n in wanted]
    return outbox.cancel([row.id for row in rows if row is not None], at, error=WITHHELD)


def moved_message(
    change: SessionChange,
    zone: tzinfo,
    clashes: Sequence[Session],
    reason: str,
    command: str = "/nova",
) -> Message:
    """The DM saying that a session moved: old → new time and room, and any new overlaps."""
    session = change.new
    what = " and ".join(
        word for word, hit in (("time", change.moved_time), ("room", change.moved_room)) if hit
    )
    moved = escape(describe_move(change, zone))
    if change.moved_time:
        moved += f" · {slack_date(session.start, zone)}"
    lines = [f":calendar: *Schedule change* · *{escape(session.title)}* has a new {what}:", moved]
    for other in clashes:
        lines.append(
            f":warning: It now overlaps your bookmark *{escape(other.title)}* "
            f"({time_range(other, zone)})."
        )
    follow = " Reminders follow the new time." if change.moved_time else ""
    blocks: list[Block] = [
        section("\n".join(lines)),
        note(f"{reason}{follow} `{command} mine` lists your bookmarks."),
    ]
    text = f"Schedule change: {escape(session.title)}: {escape(describe_move(change, zone))}"
    if clashes:
        text += " — now overlaps " + ", ".join(escape(s.title) for s in clashes)
    return Message(text=text, blocks=tuple(blocks))


def cancelled_message(
    session: Session, zone: tzinfo, reason: str, command: str = "/nova"
) -> Message:
    """The DM saying that a session was dropped from the schedule."""
    body = (
        f":calendar: *Schedule change* · *{escape(session.title)}* is "
        f"{escape(describe_cancel(session, zone))}."
    )
    blocks: list[Block] = [
        section(body),
        note(f"{reason} Its reminder is cancelled. `{command} mine` lists your bookmarks."),
    ]
    text = f"Schedule change: {escape(session.title)} is {escape(describe_cancel(session, zone))}."
    return Message(text=text, blocks=tuple(blocks))
