"""The reminder engine: sends each planned reminder once, on time, within Slack's limits.

It runs inside every bot process. The database decides what is due and what was sent:
the engine claims due deliveries with a lease (`Deliveries.claim_due`), sends them, and marks
them sent with Slack's timestamp. A process that dies between sending and marking leaves
a claim whose lease runs out; whoever claims it next sends it again, so a crash costs at
most the messages in flight, and several replicas never send the same reminder twice.

APScheduler only triggers the work: a one-shot job is set for the next due instant
(`Deliveries.next_due_at`, turned into real seconds by the clock, which may be replaying
time at another speed), moved whenever the plan or the clock changes, and a slow
periodic re-check picks up what other replicas planned.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import random
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import Clock, SystemClock
from bot.core import Core
from bot.reminders.message import reminder_message
from bot.reminders.messenger import Messenger, PermanentError, TransientError
from bot.reminders.pacing import Pacer
from bot.reminders.planner import on_planned, plan_reminders
from bot.settings import Settings
from bot.store import Delivery, DeliveryStatus

log = logging.getLogger(__name__)

_DUE_JOB = "reminders-due"
_RECHECK_JOB = "reminders-recheck"
_SCAN = 64
"""How far down its queue the dispatcher looks for a person who may take a message."""


def default_worker_id() -> str:
    """A name for this process's engine, unique across hosts, processes and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class ReminderEngine:
    """Claims due reminders from the store and sends them through a messenger.

    `workers` threads send; `lease_seconds` (real time) is how long a claim is ours
    before another process may take it over; `recheck_seconds` is the slow safety
    re-check; `retry_seconds` is the first back-off after a server error, doubled on
    each attempt up to `max_retry_seconds`.
    """

    def __init__(
        self,
        core: Core,
        clock: Clock,
        messenger: Messenger,
        settings: Settings,
        worker_id: str,
        *,
        workers: int = 8,
        lease_seconds: float = 60.0,
        recheck_seconds: float = 30.0,
        retry_seconds: float = 1.0,
        max_retry_seconds: float = 30.0,
        per_channel_seconds: float = 1.0,
        scheduler: BaseScheduler | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        """Prepare the engine; nothing runs until `start`.

        Its jobs run on `scheduler`, the process's one (started and shut down by its
        owner, the runtime); without one the engine runs a scheduler of its own. Sends
        are paced by `pacer` (the runtime shares one with the change notices), by
        default one of `slack_messages_per_second` and `per_channel_seconds`.
        """
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        self.core = core
        self.clock = clock
        self.messenger = messenger
        self.settings = settings
        self.worker_id = worker_id
        self.workers = workers
        self.lease_seconds = lease_seconds
        self.recheck_seconds = recheck_seconds
        self.retry_seconds = retry_seconds
        self.max_retry_seconds = max_retry_seconds
        self.pacer = pacer or Pacer(
            settings.slack_messages_per_second, per_channel_seconds=per_channel_seconds
        )
        # Claim about two seconds of sending at a time: enough to keep the senders busy,
        # little enough that nothing waits long under a claim.
        self.high_water = max(2 * workers, math.ceil(settings.slack_messages_per_second * 2))
        self.low_water = self.high_water // 2
        self._cond = threading.Condition()
        self._queue: deque[Delivery] = deque()
        self._hold: dict[int, float] = {}
        self._in_flight = 0
        self._more = False
        self._running = False
        self._stopping = False
        self._stop = threading.Event()
        self._state = threading.Lock()
        self._ticking = False
        self._rerun = False
        self._shared = scheduler
        self._scheduler: BaseScheduler | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._dispatcher: threading.Thread | None = None
        self._forget_planning: Callable[[], None] = _nothing

    # -- life cycle ---------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the engine was started and not stopped."""
        return self._running

    def start(self) -> None:
        """Plan everything once, then start sending; does nothing when already running."""
        if self._running or self._stopping:
            return
        if not self.settings.reminders_enabled:
            log.info("reminders are turned off (SUMMIT_BOT_REMINDERS); none will be sent")
            return
        plan_reminders(self.core, self.clock.now())
        quiet_scheduler_logs()
        self._running = True
        self._forget_planning = on_planned(self.core, self.wake)
        self.clock.subscribe(self.wake)
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="reminder-send")
        self._dispatcher = threading.Thread(
            target=self._dispatch_loop, name="reminder-dispatch", daemon=True
        )
        self._dispatcher.start()
        scheduler = self._shared or new_scheduler()
        if scheduler is not self._shared:
            scheduler.start()
        self._scheduler = scheduler
        scheduler.add_job(
            self._tick,
            IntervalTrigger(seconds=self.recheck_seconds, timezone=UTC),
            id=_RECHECK_JOB,
            replace_existing=True,
        )
        self.wake()
        log.info("reminder engine %s started", self.worker_id)

    def stop(self) -> None:
        """Stop claiming, finish the sends under way, and hand back what was not sent."""
        if not self._running or self._stopping:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._stop.set()
        self._forget_planning()
        if self._scheduler is self._shared and self._scheduler is not None:
            for job_id in (_DUE_JOB, _RECHECK_JOB):
                with contextlib.suppress(JobLookupError):
                    self._scheduler.remove_job(job_id)
        elif self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
        if self._dispatcher is not None:
            self._dispatcher.join()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        with self._cond:
            left = list(self._queue)
            self._queue.clear()
        now = self.clock.now()
        for delivery in left:
            self._release(delivery, now, None)
        self._running = False
        log.info("reminder engine %s stopped (%d handed back)", self.worker_id, len(left))

    def __enter__(self) -> ReminderEngine:
        """Start the engine for a `with` block."""
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the engine."""
        self.stop()

    def wake(self) -> None:
        """Look for due reminders now (the plan or the clock changed)."""
        with self._state:
            if self._ticking:
                # The pass under way goes round once more, after whatever it has read.
                self._rerun = True
                return
        self._schedule_in(0.0)

    # -- claiming -----------------------------------------------------------------------

    def _schedule_in(self, seconds: float | None) -> None:
        """Run the claim job after `seconds` of real time (None: drop it)."""
        scheduler = self._scheduler
        if scheduler is None or self._stopping:
            return
        try:
            if seconds is None:
                if scheduler.get_job(_DUE_JOB) is not None:
                    scheduler.remove_job(_DUE_JOB)
                return
            run_date = SystemClock().now() + timedelta(seconds=seconds)
            scheduler.add_job(
                self._tick, DateTrigger(run_date=run_date), id=_DUE_JOB, replace_existing=True
            )
        except Exception:  # the scheduler is shutting down
            log.debug("reminder job not scheduled", exc_info=True)

    def _tick(self) -> None:
        """Claim what is due (one pass at a time) and set the job for the next due instant."""
        with self._state:
            if self._ticking:
                self._rerun = True
                return
            self._ticking = True
        try:
            while True:
                try:
                    self._claim()
                    self._schedule_next()
                except Exception:
                    log.exception("reminder engine: claiming failed; trying again in 5 s")
                    self._schedule_in(5.0)
                with self._state:
                    if not self._rerun or self._stopping:
                        self._ticking = False
                        return
                    self._rerun = False
        except BaseException:
            with self._state:
                self._ticking = False
            raise

    def _claim(self) -> None:
        if self._stopping:
            return
        with self._cond:
            room = self.high_water - len(self._queue) - self._in_flight
        if room <= 0:
            self._more = True
            return
        claimed = self.core.store.deliveries.claim_due(
            self.clock.now(),
            worker_id=self.worker_id,
            limit=room,
            lease_seconds=self._clock_seconds(self.lease_seconds) or self.lease_seconds,
        )
        self._more = len(claimed) >= room
        if claimed:
            with self._cond:
                self._queue.extend(claimed)
                self._cond.notify_all()

    def _schedule_next(self) -> None:
        if self._more:
            return  # the dispatcher asks for more as its queue empties
        upcoming = self.core.store.deliveries.next_due_at()
        if upcoming is None:
            self._schedule_in(None)
            return
        seconds = self.clock.wall_seconds_until(upcoming)
        if seconds is None:
            self._schedule_in(None)  # a stopped clock: setting it wakes the engine
            return
        # Due rows that were not ours to claim (another replica holds them): look again soon.
        self._schedule_in(max(seconds, 0.1))

    # -- sending ------------------------------------------------------------------------

    def _dispatch_loop(self) -> None:
        """Hand queued reminders to the senders: one at a time per person, a free sender each."""
        while True:
            with self._cond:
                picked = self._pick()
                if picked is None:
                    return
                delivery, want_more = picked
            if want_more:
                self.wake()
            assert self._pool is not None
            self._pool.submit(self._deliver, delivery)

    def _pick(self) -> tuple[Delivery, bool] | None:
        """The next reminder that may go now (waits for one); None when stopping."""
        while not self._stopping:
            if not self._queue or self._in_flight >= self.workers:
                self._cond.wait()
                continue
            now = time.monotonic()
            soonest = math.inf
            for position, delivery in enumerate(self._queue):
                if position >= _SCAN:
                    break
                ready = max(
                    self.pacer.channel_ready_in(delivery.user_id),
                    self._hold.get(delivery.id, now) - now,
                )
                if ready <= 0:
                    del self._queue[position]
                    self._hold.pop(delivery.id, None)
                    self.pacer.channel_slot(delivery.user_id)
                    self._in_flight += 1
                    want_more = self._more and len(self._queue) <= self.low_water
                    return delivery, want_more
                soonest = min(soonest, ready)
            self._cond.wait(soonest if soonest < math.inf else None)
        return None

    def _deliver(self, delivery: Delivery) -> None:
        try:
            self._send(delivery)
        except Exception:
            log.exception("reminder %d: unexpected failure", delivery.id)
            self._retry_later(delivery, None, "unexpected failure")
        finally:
            with self._cond:
                self._in_flight -= 1
                want_more = self._more and len(self._queue) <= self.low_water
                self._cond.notify_all()
            if want_more:
                self.wake()

    def _send(self, delivery: Delivery) -> None:
        deliveries = self.core.store.deliveries
        now = self.clock.now()
        if now >= delivery.start_at:
            deliveries.give_up(
                delivery.id,
                self.worker_id,
                now,
                "the session had started",
                status=DeliveryStatus.MISSED,
            )
            return
        if not self._lease_holds(delivery, now):
            self._release(delivery, now, None)
            return
        session = self.core.index.get(delivery.session_id)
        if session is None or session.start != delivery.start_at:
            # The schedule changed under the claim: give it back and let planning decide.
            self._release(delivery, now, "the session moved or was removed")
            plan_reminders(self.core, now, users={delivery.user_id}, sessions={delivery.session_id})
            return
        try:
            self.messenger.open_dm(delivery.user_id)
            if not self.pacer.acquire(self._stop):
                self._release(delivery, self.clock.now(), None)
                return
            now = self.clock.now()
            if now >= delivery.start_at:
                deliveries.give_up(
                    delivery.id,
                    self.worker_id,
                    now,
                    "the session had started",
                    status=DeliveryStatus.MISSED,
                )
                return
            if not self._lease_holds(delivery, now):
                self._release(delivery, now, None)  # a long pause: another may take it
                return
            message = reminder_message(self.core, delivery.user_id, session, now, delivery.due_at)
            channel, ts = self.messenger.send_dm(delivery.user_id, message)
        except TransientError as exc:
            if exc.retry_after is not None:
                self.pacer.pause(exc.retry_after)
            self._retry_later(delivery, exc.retry_after, str(exc))
            return
        except PermanentError as exc:
            log.warning("reminder %d to %s failed: %s", delivery.id, delivery.user_id, exc.reason)
            deliveries.give_up(
                delivery.id,
                self.worker_id,
                self.clock.now(),
                exc.reason,
                status=DeliveryStatus.FAILED,
            )
            return
        if not deliveries.mark_sent(delivery.id, self.worker_id, channel, ts, self.clock.now()):
            log.warning("reminder %d was sent after its claim ran out", delivery.id)

    def _retry_later(self, delivery: Delivery, retry_after: float | None, error: str) -> None:
        """Give the reminder back to be tried again after Retry-After or a back-off."""
        if retry_after is None:
            exponent = max(delivery.attempts - 1, 0)
            delay = min(self.retry_seconds * 2**exponent, self.max_retry_seconds)
            delay *= random.uniform(0.8, 1.2)
        else:
            delay = retry_after
        now = self.clock.now()
        retry_at = now + timedelta(seconds=self._clock_seconds(delay))
        with self._cond:
            if len(self._hold) > 10_000:
                self._hold.clear()  # only ids claimed elsewhere since linger here
            self._hold[delivery.id] = time.monotonic() + delay
        self._release(delivery, now, error, retry_at)
        self.wake()

    def _release(
        self,
        delivery: Delivery,
        now: datetime,
        error: str | None,
        retry_at: datetime | None = None,
    ) -> None:
        try:
            self.core.store.deliveries.release(
                delivery.id, self.worker_id, retry_at or now, error, at=now
            )
        except Exception:
            log.exception(
                "reminder %d could not be handed back; its lease will run out", delivery.id
            )

    def _lease_holds(self, delivery: Delivery, now: datetime) -> bool:
        """Whether the claim is still ours for long enough to send."""
        if delivery.lease_until is None:
            return False
        margin = timedelta(seconds=self._clock_seconds(min(5.0, self.lease_seconds / 4)))
        return now + margin < delivery.lease_until

    def _clock_seconds(self, real_seconds: float) -> float:
        """How many clock seconds pass in `real_seconds` (0 on a stopped clock)."""
        now = self.clock.now()
        wall = self.clock.wall_seconds_until(now + timedelta(hours=1))
        if wall is None:
            return 0.0
        if wall <= 0:
            return real_seconds
        return real_seconds * 3600.0 / wall


def new_scheduler() -> BackgroundScheduler:
    """A scheduler as a process needs one: UTC, runs coalesced, late runs never dropped."""
    return BackgroundScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 4, "misfire_grace_time": None},
    )


def quiet_scheduler_logs() -> None:
    """Keep APScheduler's line per job run out of the logs, unless configured otherwise."""
    scheduler_log = logging.getLogger("apscheduler")
    if scheduler_log.level == logging.NOTSET:
        scheduler_log.setLevel(logging.WARNING)


def _nothing() -> None:
    """Nothing to undo."""
