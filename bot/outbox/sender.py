"""The one sender of every outbox message: exactly once, on time, within the workspace budget.

`run_once(at)` claims the rows whose window is open (with a send slot each, granted by the
database so that every process together keeps to the workspace's rate), sends them, each
at its slot, records the outcomes and returns when it should run next. Nothing else
decides anything: the engine only calls it at the instants it returns.

Exactly once over an at-least-once channel: every message carries metadata naming its
outbox key. A send whose outcome is unknown (a timeout, a connection lost after the
request was written, a server error, a crash after the claim, the database gone when the
result was recorded) leaves its row uncertain; before sending it again the sender reads
the conversation back and, if the message is there, records it sent instead.
"""

from __future__ import annotations

import logging
import math
import random
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_all
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from bot.clock import Clock
from bot.core.message import Message
from bot.outbox.messenger import (
    Messenger,
    PermanentError,
    SlotMissed,
    TransientError,
    outbox_metadata,
)
from bot.outbox.windows import SLOT_TOLERANCE, send_interval
from bot.storage.failures import database_errors
from bot.storage.records import Claim, OutboxItem, OutboxKind, OutboxStatus

if TYPE_CHECKING:
    from bot.storage.outbox import OutboxRepository

log = logging.getLogger(__name__)
T = TypeVar("T")

Renderer = Callable[[OutboxItem, datetime], Message | None]
"""The message of a row at `at`, or None when the row no longer applies (planning decides)."""


def stored_message(item: OutboxItem, at: datetime) -> Message:
    """The message a notice or board row carries, as it was decided when it was queued."""
    found = item.message_json()
    # Blocks were stored as the JSON Slack takes, which is what a Message holds.
    blocks = tuple(dict(block) for block in found.get("blocks") or [] if isinstance(block, dict))
    return Message(text=str(found.get("text") or ""), blocks=blocks)


Outcome = Callable[[OutboxItem, str, datetime], None]
"""Told each outcome ("sent", "reconciled", "missed", "failed", "retry") at an instant."""

#: An edit of the channel board waiting for the board's first post.
_NOT_YET = object()

READ_BACK_BEFORE = timedelta(minutes=10)
"""How far before its window a message whose outcome is unknown is looked for."""


@dataclass
class SendReport:
    """What sending did (one run, or several added up)."""

    claimed: int = 0
    """Rows claimed (each then sent, reconciled, retried, missed or failed)."""
    sent: int = 0
    reconciled: int = 0
    """Found by reading back: an earlier try had arrived, so it was not sent again."""
    retry: int = 0
    failed: int = 0
    missed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: SendReport) -> None:
        """Count `other` in."""
        self.claimed += other.claimed
        self.sent += other.sent
        self.reconciled += other.reconciled
        self.retry += other.retry
        self.failed += other.failed
        self.missed += other.missed
        self.errors += other.errors


@dataclass(frozen=True)
class SenderOptions:
    """How the sender claims, paces and retries."""

    per_second: float = 20.0
    """The workspace's rate, shared by every process."""
    workers: int = 8
    """Threads that send (each waits for its message's slot)."""
    lease: timedelta = timedelta(seconds=60)
    """How long after its slot a claim is ours; longer than one call may take."""
    batch_seconds: float = 1.0
    """How many seconds of slots one claim takes."""
    per_channel: timedelta = timedelta(seconds=1)
    """One message per channel this often."""
    retry_seconds: float = 1.0
    """The first back-off after a failure, doubled with each one in a row."""
    max_retry_seconds: float = 30.0
    tolerance: float = SLOT_TOLERANCE.total_seconds()
    """A slot missed by more than this many seconds is given back for a later one.

    Checked when the thread wakes for its slot and again right before the post's request
    is written (`before_send`): what Slack counts is when requests arrive.
    """
    prepare: float = 0.01
    """How many seconds before its slot a post begins: the request is built and the
    connection opened meanwhile, and the request is written when the slot comes (a busy
    CPU then delays the work before the slot, not the arrival after it)."""
    grant_lead: float = 0.05
    """No slot is granted sooner than this many seconds from now: the time a claim or a
    grant and the work after it take, so that a slot is not missed before it is reached."""
    claim_ahead: float = 0.5
    """How many seconds before a window opens the sender claims it, then waits for its slot.

    At most `batch_seconds`; the claim's own time (waking up, the database) then never
    makes the first slot of a batch late.
    """


class OutboxSender:
    """Sends claimed outbox rows through a messenger; safe to call from several threads."""

    def __init__(
        self,
        outbox: OutboxRepository,
        messenger: Messenger,
        clock: Clock,
        worker_id: str,
        renderers: Mapping[OutboxKind, Renderer],
        *,
        options: SenderOptions | None = None,
        stale: Callable[[OutboxItem, datetime], None] | None = None,
        dm_channel: Callable[[str], str | None] | None = None,
        on_outcome: Outcome | None = None,
    ) -> None:
        """Send through `messenger`, rendering each kind with its renderer.

        `stale` is called for a row its renderer refused (after it is handed back);
        `dm_channel` knows a person's DM channel without a call, if any.
        """
        self.outbox = outbox
        self.messenger = messenger
        self.clock = clock
        self.worker_id = worker_id
        self.renderers = dict(renderers)
        self.options = options or SenderOptions()
        self.interval = send_interval(self.options.per_second)
        self.batch = max(1, math.ceil(self.options.per_second * self.options.batch_seconds))
        # How many rows the next claim takes: halved after a batch that missed slots (a
        # process short of CPU takes less, the others the rest), doubled back after one
        # that did not.
        self._limit = self.batch
        self._slots_missed = 0
        self._claim_took = timedelta(0)
        self._stale = stale
        self._dm_channel = dm_channel
        self._on_outcome = on_outcome
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._failing = False
        self._paused_until: datetime | None = None
        self._unrecorded: list[tuple[OutboxItem, str, str]] = []
        self._pool = ThreadPoolExecutor(self.options.workers, thread_name_prefix="outbox-send")

    # -- running --------------------------------------------------------------------------

    def run_once(self, at: datetime) -> tuple[SendReport, datetime | None]:
        """Claim what is open at `at`, send it, and say when to run next (None: nothing queued).

        Returns the report and the next wake-up, which may be `at` itself when more is
        waiting than one claim takes.
        """
        report = SendReport()
        self._record_unrecorded()
        # Rows whose window opens within the next batch are taken now, each to wait for
        # its slot; a stopped clock has no future to wait for.
        runs = self.clock.wall_seconds_until(at + timedelta(seconds=1)) is not None
        claiming = self.clock.now()
        claims = self.outbox.claim(
            at,
            worker_id=self.worker_id,
            limit=self._limit,
            lease=self.options.lease,
            interval=self.interval,
            per_channel=self.options.per_channel,
            horizon=timedelta(seconds=self.options.batch_seconds if runs else 0.0),
            earliest=at + self._grant_lead() if runs else at,
        )
        if runs:
            self._claim_took = max(self.clock.now() - claiming, timedelta(0))
        report.claimed = len(claims)
        if claims:
            done = [self._pool.submit(self._deliver, claim, report) for claim in claims]
            wait_all(done)
            for future in done:
                error = future.exception()
                if error is not None:
                    log.error("outbox: sending failed unexpectedly: %s", error)
            self._record_unrecorded()
        limit, self._limit = self._limit, self._next_limit()
        if len(claims) >= limit:
            return report, at
        with self._lock:
            waiting = bool(self._unrecorded)
        ahead = timedelta(seconds=min(self.options.claim_ahead, self.options.batch_seconds))
        upcoming = self.outbox.next_wake(ahead if runs else timedelta(0))
        if waiting:
            retry = at + timedelta(seconds=self.options.retry_seconds)
            upcoming = retry if upcoming is None else min(upcoming, retry)
        return report, upcoming

    def _grant_lead(self) -> timedelta:
        """How far ahead of now the next claim's first slot must be.

        `grant_lead`, or twice what the last claim took if more (a busy database, a lock
        held by a reload), up to a second: slots granted sooner would be past before the
        claim returned, handed back and claimed again, round after round.
        """
        lead = self._clock_span(self.options.grant_lead)
        return max(lead, min(2 * self._claim_took, self._clock_span(1.0)))

    def _next_limit(self) -> int:
        """The size of the next claim, after the slots this run missed (if any)."""
        with self._lock:
            missed, self._slots_missed = self._slots_missed, 0
        if missed:
            return max(1, self._limit // 2)
        return min(self.batch, self._limit * 2)

    def drain(self, at: datetime | None = None, rounds: int = 1000) -> SendReport:
        """Run until nothing more is open now (at most `rounds` runs); for tests and tools."""
        total = SendReport()
        for _ in range(rounds):
            report, upcoming = self.run_once(at or self.clock.now())
            total.add(report)
            now = at or self.clock.now()
            if upcoming is None or upcoming > now or self._stop.is_set() or not report.claimed:
                break
        return total

    def close(self) -> None:
        """Stop waiting for slots and let the threads go; what was claimed is handed back."""
        self._stop.set()
        self._pool.shutdown(wait=True)

    # -- one message ----------------------------------------------------------------------

    def _deliver(self, claim: Claim, report: SendReport) -> None:
        item, now = claim.item, self.clock.now()
        ready = self._ready(item, now, report)
        if ready is None:
            return
        message, edit = ready
        channel = item.channel_id or self._known_channel(item)
        uncertain = item.uncertain
        try:
            if uncertain:
                channel, found = self._look_for(item, channel)
                if found is not None:
                    self._record(item, channel, found, report, "reconciled")
                    return
                uncertain = False  # not there: it never arrived
            sent = self._send_on_slot(claim, channel, message, edit, uncertain)
            if sent is None:
                return
            posted, ts = sent
        except TransientError as exc:
            self._transient(item, exc, uncertain or exc.unknown, report)
            return
        except PermanentError as exc:
            log.warning("outbox %s to %s failed: %s", item.kind, item.recipient, exc.reason)
            self._end(item, OutboxStatus.FAILED, exc.reason, report)
            return
        self._record(item, posted, ts, report, "sent")

    def _ready(
        self, item: OutboxItem, now: datetime, report: SendReport
    ) -> tuple[Message, tuple[str, str] | object | None] | None:
        """The message of `item` and its edit target, or None once `item` was ended or released.

        A row past its give-up instant is missed; one whose renderer has nothing to say is
        released as no longer applying; an edit of a board post not yet out is retried later.
        """
        if now >= item.give_up_at:
            self._end(item, OutboxStatus.MISSED, "it could not go out in time", report)
            return None
        renderer = self.renderers.get(item.kind)
        message = renderer(item, now) if renderer is not None else None
        if message is None:
            self._release(item, now, "it no longer applies", item.uncertain)
            if self._stale is not None:
                self._stale(item, now)
            return None
        edit = self._edit_target(item)
        if edit is _NOT_YET:
            retry_at = now + timedelta(seconds=self.options.retry_seconds)
            self._release(item, now, "the board's post is not out yet", item.uncertain, retry_at)
            return None
        return message, edit

    def _send_on_slot(
        self,
        claim: Claim,
        channel: str | None,
        message: Message,
        edit: tuple[str, str] | object | None,
        uncertain: bool,
    ) -> tuple[str, str] | None:
        """Wait for the claim's slot, then post (or edit the board): (channel, ts).

        None when the row was handed back instead: sending is paused past the slot, the
        sender is stopping, or the lease on the row was lost.
        """
        item = claim.item
        paused = self._paused_after(claim.slot)
        if paused is not None:
            self._release(item, self.clock.now(), None, uncertain, paused)
            return None
        # A slot missed (waking, or right before the request is written) is handed back
        # with its row, which the next claim takes first: the thread never waits for a
        # slot far behind every one granted, and nothing arrives bunched after its slot.
        try:
            if isinstance(edit, tuple):  # a new version of the board: edit it in place
                if not self._reach(claim.slot) or not self._lease_holds(claim):
                    raise SlotMissed("slot not reached")
                posted, ts = self.messenger.update(edit[0], edit[1], message)
            else:
                early = timedelta(seconds=self.options.prepare)
                if not self._reach(claim.slot, early) or not self._lease_holds(claim):
                    raise SlotMissed("slot not reached")
                posted, ts = self.messenger.post(
                    channel or item.recipient,
                    message,
                    outbox_metadata(item.key),
                    before_send=partial(self._on_time, claim.slot),
                )
        except SlotMissed:
            with self._lock:
                self._slots_missed += 1
            self._release(item, self.clock.now(), None, uncertain)
            return None
        self._succeeded()
        return posted, ts

    def _look_for(self, item: OutboxItem, channel: str | None) -> tuple[str, str | None]:
        """Read the conversation back (opening the DM first when unknown): (channel, ts)."""
        if channel is None:
            channel = self._paced(lambda: self.messenger.open_dm(item.recipient))
        return channel, self._read_back(item, channel)

    def _known_channel(self, item: OutboxItem) -> str | None:
        if item.kind is OutboxKind.BOARD:
            return item.recipient
        return self._dm_channel(item.recipient) if self._dm_channel is not None else None

    def _edit_target(self, item: OutboxItem) -> tuple[str, str] | object | None:
        """Where an edit of the channel board goes: its post's (channel, ts).

        `_NOT_YET` while the post is not out; None for any row that is not such an edit.
        """
        if item.kind is not OutboxKind.BOARD:
            return None
        edit_of = item.message_json().get("edit_of")
        if not edit_of:
            return None
        post = self.outbox.by_key(str(edit_of))
        if post is None or post.status is not OutboxStatus.SENT:
            return _NOT_YET
        if not post.channel_id or not post.message_ts:
            return _NOT_YET
        return post.channel_id, post.message_ts

    def _read_back(self, item: OutboxItem, channel: str) -> str | None:
        """The ts of the message of `item` if an earlier try arrived (one paced call)."""
        since = min(item.not_before, item.due_at) - READ_BACK_BEFORE
        within = max(self.clock.now() - since, READ_BACK_BEFORE)
        return self._paced(lambda: self.messenger.find(channel, item.key, within))

    def _paced(self, request: Callable[[], T]) -> T:
        """A Slack call other than the post itself, on a slot of its own."""
        if self._wait_for(self._regrant()) is None:
            raise TransientError("stopping")
        result = request()
        self._succeeded()
        return result

    def _wait_for(self, slot: datetime) -> datetime | None:
        """Wait for `slot`; a slot missed by more than the tolerance is swapped for a new one.

        Returns the slot reached (`slot` or its replacement); None when the sender is stopping.
        """
        while not self._stop.is_set():
            if self._reach(slot):
                return slot
            if self._stop.is_set():
                break
            slot = self._regrant()
        return None

    def _reach(self, slot: datetime, early: timedelta = timedelta(0)) -> bool:
        """Wait until `early` before `slot`: True unless it is missed by more than the tolerance.

        False also when the sender is stopping; a stopped clock never waits.
        """
        seconds = self.clock.wall_seconds_until(slot - early)
        if seconds is None:
            return True  # a stopped clock: time does not pass, nor do slots
        if seconds > 0 and self._stop.wait(seconds):
            return False
        return not self._stop.is_set() and self._late(slot) <= self.options.tolerance

    def _late(self, slot: datetime) -> float:
        """How many real seconds the clock is past `slot` (negative before it).

        A clock replaying time faster than real time counts its seconds as the real ones
        they take (a stopped clock: its own).
        """
        now = self.clock.now()
        late = (now - slot).total_seconds()
        real = self.clock.wall_seconds_until(now + timedelta(seconds=1))
        return late if real is None else late * real

    def _regrant(self) -> datetime:
        """A new slot from the budget: the next free one, after every slot granted so far."""
        [slot] = self.outbox.grant(
            self.clock.now() + self._clock_span(self.options.grant_lead), 1, self.interval
        )
        return slot

    def _clock_span(self, real_seconds: float) -> timedelta:
        """How much the clock moves in `real_seconds` (a stopped clock: nothing)."""
        now = self.clock.now()
        real = self.clock.wall_seconds_until(now + timedelta(seconds=1))
        if real is None:
            return timedelta(0)
        return timedelta(seconds=real_seconds / real) if real > 0 else timedelta(0)

    def _on_time(self, slot: datetime) -> None:
        """Wait for `slot`, then raise SlotMissed unless it is still within the tolerance.

        Called right before a request is written: it arrives at its slot, or not at all.
        """
        seconds = self.clock.wall_seconds_until(slot)
        if seconds is not None and seconds > 0:
            self._stop.wait(seconds)
        if self._stop.is_set() or self._late(slot) > self.options.tolerance:
            raise SlotMissed(f"slot {slot.isoformat()} missed")

    def _paused_after(self, slot: datetime) -> datetime | None:
        """The end of a hold that began after `slot` was granted (a 429, an outage), if any."""
        with self._lock:
            paused = self._paused_until
        return paused if paused is not None and paused > slot else None

    def _lease_holds(self, claim: Claim) -> bool:
        lease_until = claim.item.lease_until
        margin = min(self.options.lease / 4, timedelta(seconds=5))
        return lease_until is not None and self.clock.now() + margin < lease_until

    # -- outcomes -------------------------------------------------------------------------

    def _record(
        self, item: OutboxItem, channel: str, ts: str, report: SendReport, outcome: str
    ) -> None:
        """Note a message that exists; recorded with the others of the run, after sending.

        Recording in one statement after the batch keeps the sending threads off the
        database (a wait for its lock would make them miss their slots); the lease covers
        the gap, and a crash before recording is found by the next claimer's read-back.
        """
        with self._lock:
            self._unrecorded.append((item, channel, ts))
            if outcome == "sent":
                report.sent += 1
            else:
                report.reconciled += 1
        self._tell(item, outcome)

    def _record_unrecorded(self) -> None:
        """Record what was sent; kept in memory and tried again when the database fails."""
        with self._lock:
            waiting, self._unrecorded = self._unrecorded, []
        if not waiting:
            return
        try:
            self.outbox.mark_sent_many(
                [(item.id, channel, ts) for item, channel, ts in waiting], self.clock.now()
            )
        except database_errors() as exc:
            log.warning("outbox: %d sent, not recorded yet: %s", len(waiting), exc)
            with self._lock:
                self._unrecorded[:0] = waiting

    def _transient(
        self, item: OutboxItem, exc: TransientError, uncertain: bool, report: SendReport
    ) -> None:
        """Hold everybody back (Retry-After, or an outage's growing back-off) and retry later."""
        now = self.clock.now()
        try:
            until = self.outbox.report_failure(
                now,
                retry_after=exc.retry_after,
                base=self.options.retry_seconds,
                cap=self.options.max_retry_seconds,
            )
        except database_errors():
            until = now
        with self._lock:
            self._failing = True
            self._paused_until = max(self._paused_until or until, until)
            report.retry += 1
            report.errors.append(f"{item.recipient}: {exc}")
        backoff = min(
            self.options.retry_seconds * 2 ** max(item.attempts - 1, 0),
            self.options.max_retry_seconds,
        ) * random.uniform(0.8, 1.2)
        retry_at = max(until, now + timedelta(seconds=backoff))
        self._release(item, now, str(exc), uncertain, retry_at)
        self._tell(item, "retry")

    def _succeeded(self) -> None:
        with self._lock:
            failing, self._failing = self._failing, False
        if failing:
            try:
                self.outbox.report_success()
            except database_errors():
                log.debug("outbox: back-off not reset", exc_info=True)

    def _end(self, item: OutboxItem, status: OutboxStatus, reason: str, report: SendReport) -> None:
        self.outbox.give_up(item.id, self.worker_id, status, reason, self.clock.now())
        with self._lock:
            if status is OutboxStatus.MISSED:
                report.missed += 1
            else:
                report.failed += 1
                report.errors.append(f"{item.recipient}: {reason}")
        self._tell(item, status.value)

    def _release(
        self,
        item: OutboxItem,
        now: datetime,
        error: str | None,
        uncertain: bool,
        retry_at: datetime | None = None,
    ) -> None:
        try:
            self.outbox.release(
                item.id,
                self.worker_id,
                retry_at=retry_at or now,
                error=error,
                uncertain=uncertain,
                at=now,
            )
        except database_errors():
            log.warning("outbox %s not handed back; its lease will run out", item.key)

    def _tell(self, item: OutboxItem, outcome: str) -> None:
        if self._on_outcome is not None:
            try:
                self._on_outcome(item, outcome, self.clock.now())
            except Exception:
                log.exception("outbox: outcome hook failed")
