"""Putting the bot together: one function builds every long-lived part, one context runs it.

`build_runtime` opens the store, decides the schedule, and builds the clock, the command
registry, the core, the reminder planner and engine, the reloader, the one scheduler of
the process and the Slack response sender, each given what it needs. `running` is the
one start/stop path of `run`, `serve`, `console` and `ask`. A one-shot process (`ask`: one
answer, then exit) gets no scheduler, no reminder engine and no metrics, and so never loads
APScheduler or prometheus_client.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.board import install_board
from bot.calendar_feed import install_calendar_tracking
from bot.clock import Clock, make_clock
from bot.commands import Registry, build_registry
from bot.core import Core
from bot.core.schedule_source import ScheduleSource
from bot.edge.answering import Answering
from bot.edge.responses import ResponseSender
from bot.metrics import Metrics
from bot.outbox.messenger import Messenger
from bot.reload import Reloader, Startup, schedule_before_start_up
from bot.reminders.planner import ReminderPlanner
from bot.settings import Settings, prepare_database_folder
from bot.store import Store
from schedule.index import ScheduleIndex

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

    from bot.reminders.engine import ReminderEngine

ClockChoice = Callable[[ScheduleIndex, Clock], Clock]
"""Picks the process's clock once the schedule is known (`--at` is read in its zone)."""

MessengerFactory = Callable[[Settings, Store], Messenger]
"""Makes how this process sends DMs (Slack's client edge, the console's screen)."""


@dataclass
class Runtime:
    """Every long-lived part of one bot process; `start` runs the background ones."""

    settings: Settings
    clock: Clock
    store: Store
    schedules: ScheduleSource
    registry: Registry
    core: Core
    planner: ReminderPlanner
    reloader: Reloader
    scheduler: BaseScheduler | None
    """The process's one scheduler; None in a process that runs no timed jobs (`ask`)."""
    responses: ResponseSender
    answering: Answering
    """The Slack front end's accepted work: answer budget, work after the ack, bound in flight."""
    metrics: Metrics
    startup: Startup | None = None
    engine: ReminderEngine | None = None
    """The reminder engine; None in a process that sends no DMs (`ask`)."""
    _started: bool = field(default=False, repr=False)

    def start(self) -> None:
        """Start the scheduler, then the reminder engine and the reloader's jobs."""
        if self.scheduler is None:
            raise RuntimeError("a one-shot runtime runs no timed jobs")
        from bot.reminders.engine import quiet_scheduler_logs

        quiet_scheduler_logs()
        self.scheduler.start()
        self._started = True
        if self.engine is not None:
            self.engine.start()
        self.reloader.start(self.startup)

    def close(self) -> None:
        """Stop what `start` started (the engine, the reloader, the scheduler), then the store."""
        try:
            if self._started:
                if self.engine is not None:
                    self.engine.stop()
                self.reloader.stop()
                if self.scheduler is not None:
                    self.scheduler.shutdown(wait=True)
                self._started = False
        finally:
            self.store.close()


def build_runtime(
    settings: Settings,
    choose_clock: ClockChoice | None = None,
    *,
    clock: Clock | None = None,
    messenger: MessengerFactory | None = None,
    one_shot: bool = False,
) -> Runtime:
    """Open the store, decide the schedule (the last good one if the file is refused), wire.

    The clock is `clock`, else the settings' one, then `choose_clock` may replace it.
    With a `messenger` the process sends DMs: the reminder engine is built and its outbox
    sender sends the reminders and the change notices the reloader queues; without one
    (`ask`) queued notices wait for a process that can send them. A `one_shot` process
    (`ask`) has no scheduler, so no engine either (`Runtime.start` refuses), and keeps no
    metrics (nobody scrapes it). Nothing runs until `Runtime.start`.
    """
    if messenger is not None and one_shot:
        raise ValueError("a process that sends DMs runs timed jobs (the reminder engine)")
    prepare_database_folder(settings.database_url.reveal())
    store = Store.open(settings.database_url.reveal(), one_shot=one_shot)
    try:
        clock = clock or make_clock(settings.clock_start, settings.clock_speed)
        started_at = clock.now()
        serving, loaded = schedule_before_start_up(settings, store)
        schedules = ScheduleSource(serving)
        if choose_clock is not None:
            clock = choose_clock(schedules.index, clock)
        sends = None if messenger is None else messenger(settings, store)
        scheduler = None if one_shot else _new_scheduler()
        reloader = Reloader(settings, store, schedules, clock=clock, scheduler=scheduler)
        # The configured schedule goes in as a reload would: the same path, the same guard.
        startup = reloader.start_up(started_at, loaded=loaded)
    except BaseException:
        store.close()
        raise
    registry = build_registry(reloader)
    metrics = Metrics(settings.metrics_multiprocess_dir, kept=not one_shot)
    core = Core(
        settings=settings, store=store, schedules=schedules, commands=registry, metrics=metrics
    )
    planner = ReminderPlanner(core, clock)
    planner.install()
    # A one-shot process serves no feed: it records a schedule only when it applied one.
    install_calendar_tracking(core, startup, clock, record_now=not one_shot or startup.applied)
    install_board(core, clock)
    engine = None
    if sends is not None and scheduler is not None:
        from bot.reminders.engine import ReminderEngine, default_worker_id

        engine = ReminderEngine(
            core, clock, sends, settings, default_worker_id(), scheduler=scheduler
        )
        # Change notices go into the outbox; the engine's one sender sends them.
        reloader.wake = engine.wake
    responses = ResponseSender()
    return Runtime(
        settings=settings,
        clock=clock,
        store=store,
        schedules=schedules,
        registry=registry,
        core=core,
        planner=planner,
        reloader=reloader,
        scheduler=scheduler,
        responses=responses,
        answering=Answering(
            responses,
            budget_seconds=settings.answer_budget_seconds,
            max_in_flight=settings.max_in_flight,
        ),
        metrics=metrics,
        startup=startup,
        engine=engine,
    )


def _new_scheduler() -> BaseScheduler:
    """The process's one scheduler (the engine's module, with APScheduler, loaded only then)."""
    from bot.reminders.engine import new_scheduler

    return new_scheduler()


@contextmanager
def running(
    settings: Settings,
    choose_clock: ClockChoice | None = None,
    *,
    clock: Clock | None = None,
    messenger: MessengerFactory | None = None,
    background: bool = True,
) -> Iterator[Runtime]:
    """The runtime, started (unless `background` is False) for the `with` block, then closed.

    Without `background` (`ask`) the runtime is built one-shot: no timed jobs at all.
    """
    runtime = build_runtime(
        settings, choose_clock, clock=clock, messenger=messenger, one_shot=not background
    )
    try:
        if background:
            runtime.start()
        yield runtime
    finally:
        runtime.close()


def freeze_startup_heap() -> None:
    """Leave what start-up built (schedule, index, SQLAlchemy's tables, Bolt) out of every GC pass.

    A serving process keeps those objects for its whole life; without this, each full
    collection walks them all, and the pause shows as the slowest answers (p99).
    """
    gc.collect()
    gc.freeze()
