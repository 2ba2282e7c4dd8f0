"""Telling people that a session they care about moved or was cancelled.

Who is told: everyone who bookmarked the session or follows its track (as of the moment
the change was applied). Each person gets one DM per change, whatever the number of
reasons or of processes announcing the same change: the DM is sent only by whoever first
claims (person, change key) in the store. A claim whose DM fails for now is given back,
so a later announcement can send it; a person who can never be reached keeps the claim.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Protocol

from bot.core.message import Block, Message, escape
from bot.reminders.pacing import Pacer
from bot.render.blocks import note, section, slack_date, time_range
from bot.store import Store
from schedule.diff import (
    ScheduleDiff,
    SessionChange,
    cancel_key,
    change_key,
    describe_cancelled,
    describe_change,
)
from schedule.index import ScheduleIndex
from schedule.model import Session

log = logging.getLogger(__name__)


class Notifier(Protocol):
    """Sends a direct message; returns (channel, ts), raises when it cannot."""

    def send_dm(self, user_id: str, message: Message) -> tuple[str, str]:
        """Send `message` to `user_id` as a DM."""
        ...


@dataclass(frozen=True, slots=True)
class Notice:
    """One DM to one person about one change."""

    user_id: str
    key: str
    """change_key / cancel_key of the change: the unit of "told once"."""
    session_id: str
    message: Message


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


def plan_notices(
    store: Store,
    diff: ScheduleDiff,
    new: ScheduleIndex,
    at: datetime,
    *,
    before: datetime | None = None,
    command: str = "/nova",
) -> list[Notice]:
    """The DMs `diff` calls for: one per person and moved or cancelled session.

    Recipients are the bookmarkers of the session (under its old or new id) and the
    followers of its track, counting only bookmarks and follows made at or before
    `before` when given. Sessions that ended by `at` are left out. A moved session's DM
    flags the person's other bookmarks it now overlaps. Notices already claimed (by this
    or another process) are left out.
    """
    items = _items(diff, at)
    if not items:
        return []
    ids = {i.old.id for i in items} | {i.new.id for i in items if i.new is not None}
    tracks = {s.track for i in items for s in (i.old, i.new) if s is not None and s.track}
    bookmarkers = store.bookmarks.bookmarkers(ids, before=before)
    followers = store.follows.followers(tracks, before=before)
    overlapping = {
        i.key: new.overlaps(i.new) for i in items if i.new is not None and i.change is not None
    }
    neighbour_ids = {s.id for sessions in overlapping.values() for s in sessions}
    neighbour_fans = {k: set(v) for k, v in store.bookmarks.bookmarkers(neighbour_ids).items()}
    done = store.notices.claimed(i.key for i in items)
    zone = new.schedule.zone

    notices: list[Notice] = []
    for item in items:
        sessions = [s for s in (item.old, item.new) if s is not None]
        fans: set[str] = set()
        for s in sessions:
            fans.update(bookmarkers.get(s.id, ()))
        followed_by: dict[str, str] = {}
        for s in sessions:
            for user_id in followers.get(s.track, ()) if s.track else ():
                followed_by.setdefault(user_id, s.track)
        for user_id in sorted(fans | followed_by.keys()):
            if (user_id, item.key) in done:
                continue
            clashes = [
                s for s in overlapping.get(item.key, ()) if user_id in neighbour_fans.get(s.id, ())
            ]
            reason = (
                "You bookmarked this session."
                if user_id in fans
                else f"You follow the {followed_by[user_id]} track."
            )
            message = (
                moved_message(item.change, zone, clashes, reason, command)
                if item.change is not None
                else cancelled_message(item.old, zone, reason, command)
            )
            session_id = item.new.id if item.new is not None else item.old.id
            notices.append(Notice(user_id, item.key, session_id, message))
    return notices


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
    moved = escape(describe_change(change, zone))
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
    text = f"Schedule change: {session.title}: {describe_change(change, zone)}"
    if clashes:
        text += " — now overlaps " + ", ".join(s.title for s in clashes)
    return Message(text=text, blocks=tuple(blocks))


def cancelled_message(
    session: Session, zone: tzinfo, reason: str, command: str = "/nova"
) -> Message:
    """The DM saying that a session was dropped from the schedule."""
    body = (
        f":calendar: *Schedule change* · *{escape(session.title)}* is "
        f"{escape(describe_cancelled(session, zone))}."
    )
    blocks: list[Block] = [
        section(body),
        note(f"{reason} Its reminder is cancelled. `{command} mine` lists your bookmarks."),
    ]
    text = f"Schedule change: {session.title} is {describe_cancelled(session, zone)}."
    return Message(text=text, blocks=tuple(blocks))


@dataclass
class SendReport:
    """What one round of sending did."""

    sent: int = 0
    skipped: int = 0
    """Notices another process (or an earlier round) had already claimed."""
    retry: int = 0
    """Notices whose DM failed for now; their claim was given back."""
    failed: int = 0
    """Notices that can never be delivered (their claim stays)."""
    errors: list[str] = field(default_factory=list)


class NoticeSender:
    """Sends notices one by one through a Notifier, each only after claiming it.

    With a `pacer` (the reminder engine's, to share the workspace's rate) every DM waits
    for a send slot, one message per person a second, and a Retry-After pauses everyone.
    """

    def __init__(
        self,
        store: Store,
        notifier: Notifier,
        *,
        permanent: tuple[type[BaseException], ...] = (),
        pacer: Pacer | None = None,
        workers: int = 1,
        attempts: int = 3,
        retry_seconds: float = 2.0,
    ) -> None:
        """Send through `notifier` in `workers` threads, trying each DM up to `attempts` times.

        `permanent` lists the errors that are never retried.
        """
        self.store = store
        self.notifier = notifier
        self.permanent = permanent
        self.pacer = pacer
        self.workers = max(workers, 1)
        self.attempts = max(attempts, 1)
        self.retry_seconds = retry_seconds

    def send(
        self, notices: Iterable[Notice], at: datetime, stop: threading.Event | None = None
    ) -> SendReport:
        """Claim and send each notice; stops early (sending nothing more) when `stop` is set.

        `workers` threads take the notices in order, so the pacer, not the round trip of
        one DM, sets the pace.
        """
        stop = stop or threading.Event()
        pending = iter(list(notices))
        lock = threading.Lock()

        def work() -> SendReport:
            report = SendReport()
            while not stop.is_set():
                with lock:
                    notice = next(pending, None)
                if notice is None:
                    break
                if self.store.notices.claim(notice.user_id, notice.key, at):
                    self._deliver(notice, report, stop)
                else:
                    report.skipped += 1
            return report

        if self.workers == 1:
            return work()
        with ThreadPoolExecutor(self.workers, thread_name_prefix="notice-send") as pool:
            reports = [f.result() for f in [pool.submit(work) for _ in range(self.workers)]]
        total = SendReport()
        for report in reports:
            total.sent += report.sent
            total.skipped += report.skipped
            total.retry += report.retry
            total.failed += report.failed
            total.errors += report.errors
        return total

    def _slot(self, user_id: str, stop: threading.Event) -> bool:
        """Wait for the pacer's next slot and the person's channel; False when stopped."""
        if self.pacer is None:
            return not stop.is_set()
        wait = self.pacer.channel_ready_in(user_id)
        if wait > 0 and stop.wait(wait):
            return False
        if not self.pacer.acquire(stop):
            return False
        self.pacer.channel_slot(user_id)
        return True

    def _deliver(self, notice: Notice, report: SendReport, stop: threading.Event) -> None:
        """Send one claimed notice, retrying transient failures, and record the outcome."""
        for attempt in range(1, self.attempts + 1):
            if not self._slot(notice.user_id, stop):
                self.store.notices.release(notice.user_id, notice.key)
                return
            try:
                _channel, ts = self.notifier.send_dm(notice.user_id, notice.message)
            except self.permanent as exc:
                log.warning("change notice to %s cannot be sent: %s", notice.user_id, exc)
                report.failed += 1
                report.errors.append(f"{notice.user_id}: {exc}")
                return
            except Exception as exc:
                asked = getattr(exc, "retry_after", None)
                if self.pacer is not None and isinstance(asked, int | float) and asked > 0:
                    self.pacer.pause(float(asked))
                if attempt == self.attempts or stop.wait(
                    _wait(asked, self.retry_seconds * attempt)
                ):
                    log.warning("change notice to %s failed, given back: %s", notice.user_id, exc)
                    self.store.notices.release(notice.user_id, notice.key)
                    report.retry += 1
                    report.errors.append(f"{notice.user_id}: {exc}")
                    return
                continue
            self.store.notices.mark_sent(notice.user_id, notice.key, ts)
            report.sent += 1
            return


def _wait(asked: object, default: float) -> float:
    """The wait an error asks for (its `retry_after`), or `default`."""
    return float(asked) if isinstance(asked, int | float) and asked > 0 else default
