"""Replacing the schedule while the bot runs, on every replica, and telling people.

A reload loads a schedule (a file of any supported format or a URL), compares it with the
last good schedule saved in the database, refuses it when the guard says it looks broken,
and otherwise saves it as the new last good schedule, carries bookmarks and reminders of
renamed ids over, swaps the schedule this process serves and sends change notices.

The database decides which schedule is current: a reload only saves its schedule while
the latest snapshot is still the one it compared against, so replicas applying the same
reload at the same moment agree, and every replica picks up a schedule another one saved
(`sync`, a job of the process's scheduler every few seconds). Notices are queued in the
outbox keyed on person and change, so a person is told once however many replicas
announce the change; the outbox's one sender delivers them. Start-up is a reload too
(`start_up`): the same path, the same guard.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from bot.clock import Clock, SystemClock
from bot.core.message import Message, escape
from bot.core.schedule_source import ScheduleSource
from bot.reload.confine import SourcePolicy, brief
from bot.reload.fetch import UrlFetcher
from bot.reload.heap import older_objects_frozen
from bot.reload.notices import Notice, plan_notices, queue_notices, withhold_notices
from bot.reload.sources import (
    Startup,
    carry_renames,
    configured_source,
    load_source,
    schedule_before_start_up,
    schedule_digest,
    snapshot_schedule,
)
from bot.render.blocks import note, section
from bot.render.words import plural
from bot.settings import Settings
from bot.storage.failures import database_errors
from bot.store import Snapshot, Store
from schedule.diff import ReloadGuard, ScheduleDiff, diff_schedules
from schedule.importers import dump_schedule
from schedule.index import ScheduleIndex
from schedule.model import Schedule, ScheduleError

# APScheduler is loaded only by `start` and `stop` (the timed jobs): `summit-bot ask`
# reloads at start-up like every process but runs no timed job, so it never loads it.
if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

    from bot.outbox.sender import OutboxSender, SendReport

log = logging.getLogger(__name__)

#: How often a replica looks for a schedule another replica saved, in seconds.
SYNC_SECONDS: Final = 2.0

# How many times a reload starts over when another replica saved a schedule meanwhile.
_ATTEMPTS: Final = 5


class Status(StrEnum):
    """How a reload ended."""

    APPLIED = "applied"
    """The new schedule is in service (and saved)."""
    UNCHANGED = "unchanged"
    """The source holds the schedule already in service."""
    REFUSED = "refused"
    """The source failed to load or the guard refused it; the old schedule stays."""
    SYNCED = "synced"
    """This replica took up a schedule another process saved."""


@dataclass(frozen=True)
class ReloadOutcome:
    """What a reload did, and what to tell the admin who asked for it."""

    status: Status
    source: str
    schedule: Schedule
    """The schedule in service afterwards."""
    reason: str | None = None
    diff: ScheduleDiff | None = None
    notices: tuple[Notice, ...] = ()
    """The DMs the change calls for (queued in the outbox)."""
    deferred: bool = False
    """True when this process cannot send DMs: a bot that can sends them when it syncs."""
    forced_past: str | None = None
    """The guard's reason to refuse, when a forced reload applied the schedule anyway."""
    silenced: int = 0
    """Change notices a forced reload without notify recorded as not to be sent."""

    @property
    def people(self) -> int:
        """How many distinct people are being told about a change."""
        return len({n.user_id for n in self.notices})

    def describe(self) -> str:
        """One paragraph for the admin: what changed, who is told, or why it was refused."""
        serving = f"{self.schedule.name} ({len(self.schedule.sessions)} sessions)"
        source = brief(self.source, 200)
        if self.status is Status.REFUSED:
            return f"Reload of {source} refused: {self.reason}. Still serving {serving}."
        if self.status is Status.UNCHANGED:
            return f"No changes: {source} holds the schedule already in service, {serving}."
        assert self.diff is not None
        changes = len({n.key for n in self.notices})
        who = plural(self.people, "person", "people")
        forced = f"Forced past the guard ({self.forced_past}). " if self.forced_past else ""
        if self.silenced:
            told = f" Nobody is told ({self.silenced} change notice(s) withheld: no --notify)."
        elif not self.notices:
            told = " Nobody needs to be told."
        elif self.deferred:
            told = f" {who} will be told about {changes} change(s) once the bot can send DMs."
        else:
            verb = "is" if self.people == 1 else "are"
            told = f" {who} {verb} being told about {changes} change(s)."
        return f"{forced}Reloaded {source}: {self.diff.summary()}. Now serving {serving}.{told}"


class Reloader:
    """Reloads, syncs and announces the schedule of one process (one `ScheduleSource`)."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        schedules: ScheduleSource,
        *,
        clock: Clock | None = None,
        sender: OutboxSender | None = None,
        wake: Callable[[], None] | None = None,
        guard: ReloadGuard | None = None,
        sync_seconds: float = SYNC_SECONDS,
        background: bool = True,
        policy: SourcePolicy | None = None,
        scheduler: BaseScheduler | None = None,
    ) -> None:
        """Reload into `schedules`, saving in `store`, queueing notices in its outbox.

        `wake` tells this process's running engine that notices were queued; without
        it, `sender` (the outbox's sender) sends them, in the background or, with
        `background` False, before a reload returns (for tests). With neither, notices
        wait in the outbox for a process that sends. `start` puts the replica sync and
        the URL poll on `scheduler`, the process's one. `policy` decides what an
        admin's `/nova reload FILE|URL` may read (by default the settings'
        `SUMMIT_BOT_RELOAD_DIR` and `SUMMIT_BOT_RELOAD_ALLOW_HOSTS`).
        """
        self.settings = settings
        self.store = store
        self.schedules = schedules
        self.clock: Clock = clock or SystemClock()
        self.guard = guard or ReloadGuard()
        self.sync_seconds = sync_seconds
        self.background = background
        self.sender = sender
        self.wake = wake
        self.fetcher = UrlFetcher(settings.schedule_url) if settings.schedule_url else None
        self.policy = policy or SourcePolicy(settings.reload_dir, settings.reload_allow_hosts)
        self._lock = threading.RLock()
        self._served: Schedule | None = None
        self._digest: str | None = None
        self._stop = threading.Event()
        self._executor: ThreadPoolExecutor | None = None
        self._futures: list[Future[SendReport]] = []
        self.scheduler = scheduler
        self._jobs: list[str] = []
        self.reports: list[SendReport] = []
        """What each round of sending did, oldest first."""

    # -- the schedule in service ---------------------------------------------------------

    def digest(self) -> str:
        """The digest of the schedule this process serves."""
        with self._lock:
            current = self.schedules.schedule
            if current is not self._served or self._digest is None:
                self._served, self._digest = current, schedule_digest(current)
            return self._digest

    def _serve(self, schedule: Schedule, digest: str) -> None:
        """Swap the schedule in service (the source tells its listeners, e.g. the planner)."""
        self.schedules.replace(schedule)
        self._served, self._digest = self.schedules.schedule, digest

    # -- reloading -----------------------------------------------------------------------

    def reload_argument(
        self,
        argument: str | None,
        at: datetime | None = None,
        *,
        force: bool = False,
        notify: bool | None = None,
    ) -> ReloadOutcome:
        """An admin's `/nova reload [force [notify]] [FILE|URL]`, read only where allowed.

        The argument is read only where `policy` allows; no argument reloads the configured
        (trusted) source.
        """
        return self.reload(argument, at, confined=argument is not None, force=force, notify=notify)

    def reload(
        self,
        source: str | None = None,
        at: datetime | None = None,
        *,
        timed: bool = False,
        confined: bool = False,
        starting: bool = False,
        force: bool = False,
        notify: bool | None = None,
    ) -> ReloadOutcome:
        """Reload from `source` (a path or an http(s) URL; None: the configured source).

        A timed reload (the URL poll) fetches conditionally and tells the admins by DM,
        once per distinct failure, when it is refused; otherwise the caller tells them
        (the outcome's `describe`). A `starting` reload is the start-up one (`start_up`);
        a `confined` source (an admin's argument) is read through `policy`. A `force`d
        reload applies what the guard would refuse (a deliberate switch to another
        conference); it tells people of the changes only with `notify` (default: True for a
        normal reload, False for a forced one).
        """
        at = at or self.clock.now()
        chosen = source or configured_source(self.settings)
        fetcher = self.fetcher if timed and chosen == self.settings.schedule_url else None
        policy = self.policy if confined and source else None
        try:
            new = load_source(chosen, self.settings, fetcher=fetcher, policy=policy)
        except ScheduleError as exc:
            outcome = self._refused(chosen, str(exc))
        else:
            if new is None:
                return ReloadOutcome(Status.UNCHANGED, chosen, self.schedules.schedule)
            try:
                outcome = self.apply(
                    new,
                    chosen,
                    at,
                    starting=starting,
                    force=force,
                    notify=not force if notify is None else notify,
                )
            except Exception:
                if fetcher is not None:
                    fetcher.forget()  # the body was not dealt with: take it again next time
                raise
        if timed and outcome.status is Status.REFUSED:
            self.alert_admins(outcome, at)
        return outcome

    def apply(
        self,
        new: Schedule,
        source: str,
        at: datetime,
        *,
        starting: bool = False,
        force: bool = False,
        notify: bool = True,
    ) -> ReloadOutcome:
        """Put `new` in service unless it matches the current schedule or the guard refuses it.

        At start-up (`starting`) the change is announced later, by `start`, and a schedule
        identical to the one served is still saved when the database has no copy of it.
        With `force` the guard's refusal is overridden (and reported in the outcome);
        without `notify` the change notices are recorded as withheld before the schedule
        is saved, so neither this process nor a replica taking it up sends them.
        """
        digest = schedule_digest(new)
        with self._lock:
            for _ in range(_ATTEMPTS):
                latest, _ = self._catch_up(at)
                base = self.schedules.schedule
                base_digest = self.digest()
                if digest == base_digest and not (starting and latest != digest):
                    return ReloadOutcome(Status.UNCHANGED, source, base)
                reason = self.guard.check(base, new)
                if reason is not None and not force:
                    return self._refused(source, reason)
                silenced = 0 if notify else self._withhold(diff_schedules(base, new), new, at)
                snap = self.store.snapshots.save(
                    source, digest, dump_schedule(new), at, previous_digest=latest
                )
                if snap is None:
                    continue  # another replica saved a schedule meanwhile: compare with it
                diff = diff_schedules(base, new)
                notices = self._take_up(diff, new, digest, snap, at, announce=not starting)
                if reason is not None:
                    log.warning("schedule reload from %s forced past: %s", source, reason)
                log.info("schedule reloaded from %s: %s", source, diff.summary())
                return ReloadOutcome(
                    Status.APPLIED,
                    source,
                    self.schedules.schedule,
                    diff=diff,
                    notices=notices,
                    deferred=self.deferred,
                    forced_past=reason,
                    silenced=silenced,
                )
        raise RuntimeError(f"the schedule kept changing under a reload of {source}")

    def _withhold(self, diff: ScheduleDiff, new: Schedule, at: datetime) -> int:
        """Record every notice `diff` calls for as dealt with, unsent; returns how many."""
        planned = plan_notices(
            self.store, diff, ScheduleIndex(new), at, before=at, command=self.settings.command
        )
        return withhold_notices(self.store.outbox, planned, at)

    def _refused(self, source: str, reason: str) -> ReloadOutcome:
        """A refusal, logged; the reason quotes at most a short excerpt, on one line."""
        reason = brief(reason)
        log.warning("schedule reload from %s refused: %s", brief(source), reason)
        return ReloadOutcome(Status.REFUSED, source, self.schedules.schedule, reason=reason)

    def _take_up(
        self,
        diff: ScheduleDiff,
        new: Schedule,
        digest: str,
        snap: Snapshot,
        at: datetime,
        *,
        announce: bool = True,
    ) -> tuple[Notice, ...]:
        """Carry renamed ids over, serve `new`, and announce what `diff` changed."""
        with older_objects_frozen():  # the re-planning and notices make much garbage
            carry_renames(self.store, diff, at)
            self._refresh_statistics(diff)
            self._serve(new, digest)
            return self._announce(diff, snap.loaded_at, at) if announce else ()

    def start_up(self, at: datetime | None = None, *, loaded: Schedule | None = None) -> Startup:
        """Apply the configured schedule as a reload over the one served (the last good one).

        The same path and guard as `/nova reload`: a schedule that fails to load or that
        the guard refuses leaves the saved one in service (`refused` says why, and `start`
        tells the admins). The change is announced when the reloader starts. `loaded` is
        the configured schedule when the caller loaded it already (nothing was saved).
        """
        at = at or self.clock.now()
        source = configured_source(self.settings)
        if loaded is not None:
            outcome = self.apply(loaded, source, at, starting=True)
        else:
            outcome = self.reload(source, at, starting=True)
        return Startup(
            schedule=outcome.schedule,
            source=source,
            applied=outcome.status is Status.APPLIED,
            refused=outcome.reason if outcome.status is Status.REFUSED else None,
            diff=outcome.diff,
        )

    def _refresh_statistics(self, diff: ScheduleDiff) -> None:
        """Refresh the database's statistics before many reminders are re-planned."""
        if not (diff.changed or diff.removed or diff.added):
            return
        try:
            self.store.analyze()
        except database_errors() as exc:
            log.warning("could not refresh the database statistics: %s", exc)

    # -- replicas ------------------------------------------------------------------------

    def sync(self, at: datetime | None = None) -> ReloadOutcome | None:
        """Serve the schedule saved last when it is not the one in service; None if it is."""
        at = at or self.clock.now()
        with self._lock:
            _, taken = self._catch_up(at)
            if taken is None:
                return None
            source, diff, notices = taken
            return ReloadOutcome(
                Status.SYNCED,
                source,
                self.schedules.schedule,
                diff=diff,
                notices=notices,
                deferred=self.deferred,
            )

    @property
    def deferred(self) -> bool:
        """Whether notices queued here wait for another process to send them."""
        return self.sender is None and self.wake is None

    def _catch_up(
        self, at: datetime
    ) -> tuple[str | None, tuple[str, ScheduleDiff, tuple[Notice, ...]] | None]:
        """Serve the latest saved schedule when it differs from ours.

        Returns the latest digest (None: nothing saved yet) and, when a schedule was
        taken up, its source, what it changed and the notices it called for.
        """
        digest = self.store.snapshots.latest_digest()
        if digest is None or digest == self.digest():
            return digest, None
        latest = self.store.snapshots.latest()
        if latest is None:
            return None, None
        try:
            saved = snapshot_schedule(latest)
        except ScheduleError as exc:
            log.error("cannot take up the saved schedule: %s", exc)
            return latest.digest, None
        # Only a change from a schedule that was saved (so announced as it came) is
        # announced here: one this process loaded on its own never reached anybody.
        was_saved = self.digest() in {s.digest for s in self.store.snapshots.recent()}
        diff = diff_schedules(self.schedules.schedule, saved)
        carry_renames(self.store, diff, at)
        self._refresh_statistics(diff)
        self._serve(saved, latest.digest)
        notices = self._announce(diff, latest.loaded_at, at) if was_saved else ()
        log.info("took up the schedule saved from %s: %s", latest.source, diff.summary())
        return latest.digest, (latest.source, diff, notices)

    # -- telling people ------------------------------------------------------------------

    def announce_latest(self, at: datetime | None = None) -> tuple[Notice, ...]:
        """Announce the change between the two schedules saved last (again: told once).

        For a process starting up: it completes an announcement a stopped process left
        unfinished, or one applied where no DMs could be sent.
        """
        at = at or self.clock.now()
        kept = self.store.snapshots.recent(2)
        if len(kept) < 2 or kept[0].digest == kept[1].digest:
            return ()
        try:
            newer, older = snapshot_schedule(kept[0]), snapshot_schedule(kept[1])
        except ScheduleError as exc:
            log.error("cannot announce the last change: %s", exc)
            return ()
        return self._announce(diff_schedules(older, newer), kept[0].loaded_at, at, newer)

    def _announce(
        self,
        diff: ScheduleDiff,
        applied_at: datetime,
        at: datetime,
        schedule: Schedule | None = None,
    ) -> tuple[Notice, ...]:
        """Plan the notices of `diff` (people who cared when it was applied) and send them."""
        index = self.schedules.index if schedule is None else ScheduleIndex(schedule)
        notices = tuple(
            plan_notices(
                self.store, diff, index, at, before=applied_at, command=self.settings.command
            )
        )
        if notices:
            self._dispatch(list(notices), at)
        return notices

    def alert_admins(self, outcome: ReloadOutcome, at: datetime) -> int:
        """DM the admins why a reload was refused, once per distinct failure; returns DMs queued."""
        if outcome.reason is None or not self.settings.admin_user_ids:
            return 0
        latest = self.store.snapshots.latest_digest() or ""
        key = (
            "reload-refused:"
            + hashlib.sha256(
                "\x1f".join((latest, outcome.source, outcome.reason)).encode("utf-8")
            ).hexdigest()[:32]
        )
        text = (
            f":warning: The schedule reload from {escape(outcome.source)} was refused: "
            f"{escape(outcome.reason)}."
        )
        serving = outcome.schedule
        message = Message(
            text=f"Schedule reload refused: {escape(outcome.reason)}",
            blocks=(
                section(text),
                note(
                    f"Still serving {escape(serving.name)} ({len(serving.sessions)} sessions). "
                    f"Fix the source, then `{self.settings.command} reload`."
                ),
            ),
        )
        notices = [
            Notice(admin, key, "", message) for admin in sorted(self.settings.admin_user_ids)
        ]
        self._dispatch(notices, at)
        return len(notices)

    def _dispatch(self, notices: list[Notice], at: datetime) -> None:
        """Queue `notices` in the outbox, then have them sent (see `__init__`)."""
        queue_notices(self.store.outbox, notices, at)
        sender = self.sender
        if self.wake is not None:
            self.wake()
            return
        if sender is None:
            log.info("%d change notice(s) wait for a process that can send DMs", len(notices))
            return
        if not self.background:
            self.reports.append(sender.drain(at))
            return
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="change-notices")
            future = self._executor.submit(sender.drain, at)
            future.add_done_callback(self._record)
            self._futures = [f for f in self._futures if not f.done()] + [future]

    def _record(self, future: Future[SendReport]) -> None:
        """Keep the report of a finished round of sending."""
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            log.error("sending change notices failed: %s", error)
            return
        self.reports.append(future.result())

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every queued notice was dealt with; False on timeout."""
        with self._lock:
            pending = list(self._futures)
        _done, not_done = wait_futures(pending, timeout=timeout)
        return not not_done

    # -- running -------------------------------------------------------------------------

    def start(self, startup: Startup | None = None) -> None:
        """Take up the saved schedule, finish the last announcement and add the timed jobs.

        Every `sync_seconds` the replica looks for a schedule saved elsewhere; with a
        schedule URL configured it is fetched every `schedule_refresh_seconds`. Both are
        jobs of `scheduler`, which must be given. A configured schedule refused at
        startup (`startup.refused`) is told to the admins.
        """
        if self.scheduler is None:
            raise RuntimeError("a reloader needs the process's scheduler to start")
        at = self.clock.now()
        self.sync(at)
        self.announce_latest(at)
        if startup is not None and startup.refused is not None:
            self.alert_admins(
                ReloadOutcome(
                    Status.REFUSED, startup.source, self.schedules.schedule, startup.refused
                ),
                at,
            )
        self._every("schedule-sync", self.sync_seconds, self._timed_sync)
        if self.settings.schedule_url:
            self._every(
                "schedule-fetch", float(self.settings.schedule_refresh_seconds), self._timed_fetch
            )

    def _timed_sync(self) -> None:
        if not self._stop.is_set():
            self.sync()

    def _timed_fetch(self) -> None:
        if not self._stop.is_set():
            self.reload(self.settings.schedule_url, timed=True)

    def _every(self, name: str, seconds: float, action: Callable[[], None]) -> None:
        """Run `action` now and every `seconds` on the scheduler; errors are logged."""

        def run() -> None:
            try:
                action()
            except Exception:
                log.exception("%s failed", name)

        assert self.scheduler is not None
        from apscheduler.triggers.interval import IntervalTrigger

        self.scheduler.add_job(
            run,
            IntervalTrigger(seconds=seconds, timezone=UTC),
            id=name,
            name=name,
            replace_existing=True,
            # APScheduler keeps wall time whatever instant the bot's clock replays: "now" is
            # the wall clock's, read through the clock module like every other reading.
            next_run_time=SystemClock().now(),
            max_instances=1,
        )
        self._jobs.append(name)

    def stop(self, timeout: float = 10.0) -> None:
        """Remove the timed jobs and stop the sender (a notice being sent finishes first)."""
        self._stop.set()
        if self.scheduler is not None:
            from apscheduler.jobstores.base import JobLookupError

            for job_id in self._jobs:
                with contextlib.suppress(JobLookupError):
                    self.scheduler.remove_job(job_id)
        self._jobs.clear()
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


def start_schedule(settings: Settings, store: Store, at: datetime) -> Startup:
    """What a process starting at `at` serves: `Reloader.start_up` over the saved schedule.

    For tools and tests that need the start-up decision without a whole runtime.
    """
    serving, loaded = schedule_before_start_up(settings, store)
    reloader = Reloader(settings, store, ScheduleSource(serving), background=False)
    return reloader.start_up(at, loaded=loaded)
