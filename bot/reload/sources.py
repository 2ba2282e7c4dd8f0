"""Where schedules come from (a file, a URL, the database's last good copy) and their digest."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from datetime import datetime

from bot.reload.confine import SourcePolicy
from bot.reload.fetch import MAX_BYTES, UrlFetcher, is_url
from bot.settings import Settings
from bot.store import Snapshot, Store
from schedule.diff import ScheduleDiff
from schedule.importers import BUNDLED_SCHEDULE, dump_schedule, load_schedule_bytes
from schedule.importers.native import parse_native
from schedule.model import Schedule, ScheduleError

log = logging.getLogger(__name__)


def schedule_digest(schedule: Schedule) -> str:
    """A digest of everything in `schedule`: equal digests mean identical schedules."""
    return hashlib.sha256(dump_schedule(schedule).encode("utf-8")).hexdigest()


def snapshot_schedule(snapshot: Snapshot) -> Schedule:
    """The schedule kept in `snapshot`; ScheduleError when its text does not parse."""
    return parse_native(snapshot.content, source=f"schedule snapshot #{snapshot.id}")


def configured_source(settings: Settings) -> str:
    """The source the settings name: the URL, else the file, else the bundled schedule."""
    return settings.schedule_url or settings.schedule_path or str(BUNDLED_SCHEDULE)


def load_source(
    source: str,
    settings: Settings,
    *,
    fetcher: UrlFetcher | None = None,
    policy: SourcePolicy | None = None,
) -> Schedule | None:
    """The schedule at `source` (a path or an http(s) URL), read with the settings' zone/track.

    For a URL, `fetcher` (when given) fetches conditionally and None means "not changed
    since its last fetch"; without one the URL is fetched afresh. With a `policy`, `source`
    is an admin's argument, read only where the policy allows (else `SourceRefused`).
    Raises ScheduleError.
    """
    if policy is not None:
        data = policy.fetch(source) if is_url(source) else policy.read_file(source)
        return load_schedule_bytes(
            data, source=source, timezone=settings.schedule_timezone, track=settings.schedule_track
        )
    if is_url(source):
        fetched = (fetcher or UrlFetcher(source)).fetch()
        if fetched is None:
            return None
        return load_schedule_bytes(
            fetched.data,
            source=source,
            timezone=settings.schedule_timezone,
            track=settings.schedule_track,
        )
    return load_schedule_bytes(
        read_local(source),
        source=source,
        timezone=settings.schedule_timezone,
        track=settings.schedule_track,
    )


def read_local(path: str, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a trusted local schedule file, its size checked before it is read."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                raise ScheduleError(f"{path}: larger than {max_bytes} bytes")
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ScheduleError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise ScheduleError(f"{path}: larger than {max_bytes} bytes")
    return data


def carry_renames(store: Store, diff: ScheduleDiff, at: datetime) -> int:
    """Move bookmarks and reminders of every renamed id to its new id; returns bookmarks moved."""
    return sum(store.rename_session(old, new, at=at) for old, new in diff.id_changes.items())


def saved_schedule(store: Store) -> Schedule | None:
    """The last good schedule saved in the database; None when there is none (or unreadable)."""
    latest = store.snapshots.latest()
    if latest is None:
        return None
    try:
        return snapshot_schedule(latest)
    except ScheduleError as exc:
        log.error("the saved schedule is unreadable, using the configured one: %s", exc)
        return None


def configured_schedule(settings: Settings) -> Schedule:
    """The configured schedule, loaded afresh; raises ScheduleError."""
    loaded = load_source(configured_source(settings), settings)
    assert loaded is not None  # a fresh fetch always returns the body
    return loaded


def schedule_before_start_up(settings: Settings, store: Store) -> tuple[Schedule, Schedule | None]:
    """The schedule to serve until the start-up reload, and the configured one if it was loaded.

    The last good schedule saved, when there is one (the start-up reload loads the
    configured one over it); else the configured one, loaded now (ScheduleError if it
    cannot be: there is nothing to fall back to) and returned twice.
    """
    saved = saved_schedule(store)
    if saved is not None:
        return saved, None
    loaded = configured_schedule(settings)
    return loaded, loaded


def serving_schedule(settings: Settings, store: Store) -> Schedule:
    """The schedule in service, read-only: the last good one saved, else the configured one.

    Nothing is written; for tools (such as `summit-bot export`) that must not apply a reload.
    """
    return saved_schedule(store) or configured_schedule(settings)


@dataclass(frozen=True)
class Startup:
    """What startup decided: the schedule to serve and why."""

    schedule: Schedule
    source: str
    applied: bool
    """True when the configured schedule replaced (or became) the saved one."""
    refused: str | None = None
    """Why the configured schedule was not used, when it was not."""
    diff: ScheduleDiff | None = None
    """What the configured schedule changed, when it was applied over a saved one."""
