"""The reminder engine: runs the outbox's one sender in this process, woken when needed.

It runs inside every bot process. The database decides what is due and what was sent:
`run_once(at)` claims the outbox rows whose send window is open, sends them through the
one `OutboxSender` (reminders and change notices alike) and returns the instant it should
run next. APScheduler only triggers that step: a one-shot job is set for the instant
returned (turned into real seconds by the clock, which may be replaying time at another
speed), moved whenever the plan or the clock changes, and a slow periodic re-check picks
up what other replicas planned.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.clock import Clock, SystemClock
from bot.core import Core
from bot.core.message import Message
from bot.metrics import REMINDER_OUTCOMES, Metrics
from bot.outbox.messenger import Messenger
from bot.outbox.sender import OutboxSender, Outcome, Renderer, SenderOptions, stored_message
from bot.reminders.message import reminder_message
from bot.reminders.planner import on_planned, plan_reminders
from bot.settings import Settings
from bot.storage.records import OutboxItem, OutboxKind

# APScheduler is loaded by the functions that make or use a scheduler, not at import: a
# process that runs no timed jobs (`summit-bot ask`) imports this module's package (the
# DM's text) and never needs it (`tests/bot/test_imports.py` pins what `ask` loads).
if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.base import BaseScheduler

log = logging.getLogger(__name__)

_DUE_JOB = "reminders-due"
_RECHECK_JOB = "reminders-recheck"


def default_worker_id() -> str:
    """A name for this process's engine, unique across hosts, processes and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def outbox_renderers(core: Core) -> dict[OutboxKind, Renderer]:
    """How each kind of outbox row becomes a message at the instant it is sent."""

    def reminder(item: OutboxItem, at: datetime) -> Message | None:
        session = core.index.get(item.session_id or "")
        if session is None or session.start != item.starts_at:
            return None  # the schedule changed under the claim: planning decides
        return reminder_message(core, item.recipient, session, at, item.due_at)

    return {
        OutboxKind.REMINDER: reminder,
        OutboxKind.NOTICE: stored_message,
        OutboxKind.BOARD: stored_message,
    }


class ReminderEngine:
    """Runs the outbox sender of one process: `run_once` steps it, `start` keeps it running.

    `workers` threads send; `lease_seconds` (real time) is how long after its send slot a
    claim is ours before another process may take it over (longer than a Slack call may
    take); `recheck_seconds` is the slow safety re-check; `retry_seconds` is the first
    back-off after a failure, doubled with each one in a row up to `max_retry_seconds`.
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
        on_outcome: Outcome | None = None,
        scheduler: BaseScheduler | None = None,
    ) -> None:
        """Prepare the engine; nothing runs until `start` (or `run_once`).

        Its jobs run on `scheduler`, the process's one (started and shut down by its
        owner, the runtime); without one the engine runs a scheduler of its own.
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
        self.recheck_seconds = recheck_seconds
        self.lease_seconds = lease_seconds
        known_dm: Callable[[str], str | None] | None = getattr(messenger, "known_dm", None)
        self.sender = OutboxSender(
            core.store.outbox,
            messenger,
            clock,
            worker_id,
            outbox_renderers(core),
            options=SenderOptions(
                per_second=settings.slack_messages_per_second,
                workers=workers,
                lease=timedelta(seconds=self._clock_seconds(lease_seconds) or lease_seconds),
                per_channel=timedelta(seconds=per_channel_seconds),
                retry_seconds=retry_seconds,
                max_retry_seconds=max_retry_seconds,
            ),
            stale=self._stale,
            dm_channel=known_dm,
            on_outcome=_counting(core.metrics, on_outcome),
        )
        self._running = False
        self._stopping = False
        self._state = threading.Lock()
        # Held around every call into the scheduler and around `stop` deciding to stop: a
        # scheduler shutting down with wait=True holds its job-store lock while it waits for
        # running jobs, so a job still calling into it then would wait forever.
        self._scheduling = threading.Lock()
        self._ticking = False
        self._rerun = False
        self._shared = scheduler
        self._scheduler: BaseScheduler | None = None
        self._forget_planning: Callable[[], None] = _nothing

    # -- one step -------------------------------------------------------------------------

    def run_once(self, at: datetime) -> datetime | None:
        """Send what is open at `at`; returns the next instant to run at (None: nothing queued)."""
        # Reminders past giving up are recorded missed here (the claim would do it too),
        # so that the metrics count them.
        missed = self.core.store.outbox.expire(at, OutboxKind.REMINDER)
        self.core.metrics.reminder("missed", count=missed)
        _report, upcoming = self.sender.run_once(at)
        return upcoming

    def _stale(self, item: OutboxItem, at: datetime) -> None:
        """A reminder whose session moved or went under its claim: planning decides."""
        if item.kind is OutboxKind.REMINDER and item.session_id is not None:
            plan_reminders(self.core, at, users={item.recipient}, sessions={item.session_id})

    # -- life cycle -----------------------------------------------------------------------

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
        scheduler = self._shared or new_scheduler()
        if scheduler is not self._shared:
            scheduler.start()
        self._scheduler = scheduler
        from apscheduler.triggers.interval import IntervalTrigger

        scheduler.add_job(
            self.wake,
            IntervalTrigger(seconds=self.recheck_seconds, timezone=UTC),
            id=_RECHECK_JOB,
            replace_existing=True,
        )
        self.wake()
        log.info("reminder engine %s started", self.worker_id)

    def stop(self) -> None:
        """Stop claiming; the sends under way finish, slots not yet reached are handed back."""
        with self._scheduling:
            if not self._running or self._stopping:
                return
            self._stopping = True
            if self._scheduler is self._shared and self._scheduler is not None:
                from apscheduler.jobstores.base import JobLookupError

                for job_id in (_DUE_JOB, _RECHECK_JOB):
                    with contextlib.suppress(JobLookupError):
                        self._scheduler.remove_job(job_id)
        self._forget_planning()
        self.sender.close()
        if self._scheduler is not self._shared and self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
        self._running = False
        log.info("reminder engine %s stopped", self.worker_id)

    def __enter__(self) -> ReminderEngine:
        """Start the engine for a `with` block."""
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the engine."""
        self.stop()

    def wake(self) -> None:
        """Look for open messages now (the plan or the clock changed)."""
        with self._state:
            if self._ticking:
                # The pass under way goes round once more, after whatever it has read.
                self._rerun = True
                return
        self._schedule_in(0.0)

    # -- the job --------------------------------------------------------------------------

    def _schedule_in(self, seconds: float | None) -> None:
        """Run the step after `seconds` of real time (None: drop it)."""
        with self._scheduling:
            scheduler = self._scheduler
            if scheduler is None or self._stopping:
                return
            try:
                if seconds is None:
                    if scheduler.get_job(_DUE_JOB) is not None:
                        scheduler.remove_job(_DUE_JOB)
                    return
                from apscheduler.triggers.date import DateTrigger

                run_date = SystemClock().now() + timedelta(seconds=seconds)
                scheduler.add_job(
                    self._tick, DateTrigger(run_date=run_date), id=_DUE_JOB, replace_existing=True
                )
            except Exception:  # the scheduler is shutting down
                log.debug("reminder job not scheduled", exc_info=True)

    def _tick(self) -> None:
        """Step the sender (one pass at a time) and set the job for the instant it returns."""
        with self._state:
            if self._ticking:
                self._rerun = True
                return
            self._ticking = True
        try:
            while not self._stopping:
                try:
                    at = self.clock.now()
                    self._schedule_next(at, self.run_once(at))
                except Exception:
                    log.exception("reminder engine: sending failed; trying again in 5 s")
                    self._schedule_in(5.0)
                with self._state:
                    if not self._rerun:
                        break
                    self._rerun = False
        finally:
            with self._state:
                self._ticking = False

    def _schedule_next(self, at: datetime, upcoming: datetime | None) -> None:
        if upcoming is None:
            self._schedule_in(None)
            return
        seconds = self.clock.wall_seconds_until(upcoming)
        if seconds is None:
            self._schedule_in(None)  # a stopped clock: setting it wakes the engine
            return
        if upcoming <= at:
            # More than one claim takes, or rows another replica holds: look again soon.
            self._schedule_in(0.0 if upcoming == at else 0.1)
            return
        self._schedule_in(max(seconds, 0.0))

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
    from apscheduler.schedulers.background import BackgroundScheduler

    return BackgroundScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 4, "misfire_grace_time": None},
    )


def quiet_scheduler_logs() -> None:
    """Keep APScheduler's line per job run out of the logs, unless configured otherwise."""
    scheduler_log = logging.getLogger("apscheduler")
    if scheduler_log.level == logging.NOTSET:
        scheduler_log.setLevel(logging.WARNING)


def _counting(metrics: Metrics, then: Outcome | None) -> Outcome:
    """An outcome hook that counts reminders' outcomes (and lateness), then calls `then`."""

    def told(item: OutboxItem, outcome: str, at: datetime) -> None:
        if item.kind is OutboxKind.REMINDER and outcome in REMINDER_OUTCOMES:
            metrics.reminder(outcome, item.due_at, at)
        if then is not None:
            then(item, outcome, at)

    return told


def _nothing() -> None:
    """Nothing to undo."""
