"""Several replicas on one database: one schedule in service, each person told once."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.core.schedule_source import ScheduleSource
from bot.reload import Reloader, Status
from tests.bot.reload.conftest import (
    AT,
    RecordingNotifier,
    World,
    base_schedule,
    make_world,
    notice_sender,
    write,
)
from tests.factories import local, schedule


def publish_changes(path: Path) -> None:
    """Move a and d, cancel b: three changes people hear about."""
    sessions = {s.id: s for s in base_schedule().sessions}
    for session_id, start in (("a", "2013-11-05 16:00"), ("d", "2013-11-06 11:00")):
        old = sessions[session_id]
        begin = local(start)
        sessions[session_id] = dataclasses.replace(
            old, start=begin, end=begin + (old.end - old.start)
        )
    del sessions["b"]
    write(path, schedule(*sessions.values()))


@pytest.mark.parametrize("replicas", [2, 3])
def test_concurrent_reloads_tell_each_person_once(
    store_url: str, schedule_file: Path, replicas: int
) -> None:
    """Replicas reloading the same file at the same moment send each (person, change) one DM."""
    notifier = RecordingNotifier()
    worlds = [make_world(store_url, schedule_file, notifier=notifier) for _ in range(replicas)]
    try:
        people = [f"U{n}" for n in range(12)]
        for user in people:
            for session_id in ("a", "b", "d"):
                worlds[0].store.bookmarks.add([(user, session_id)], AT)
        publish_changes(schedule_file)
        barrier = threading.Barrier(replicas)
        outcomes: list[Status] = []
        errors: list[BaseException] = []

        def run(world: World) -> None:
            try:
                barrier.wait(timeout=10)
                outcomes.append(world.reloader.reload().status)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(w,)) for w in worlds]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert Counter(outcomes)[Status.APPLIED] == 1
        assert set(outcomes) <= {Status.APPLIED, Status.UNCHANGED}
        for world in worlds:
            served = world.schedules.index.get("a")
            assert served is not None
            assert served.start == local("2013-11-05 16:00")
        counts = notifier.counts()
        assert len(counts) == len(people) * 3
        assert set(counts.values()) == {1}
        assert len(worlds[0].store.snapshots.recent()) == 2
    finally:
        for world in worlds:
            world.store.close()


def test_sync_takes_up_another_replicas_reload(store_url: str, schedule_file: Path) -> None:
    """A replica serves the schedule another one applied as soon as it syncs, with no extra DM."""
    notifier = RecordingNotifier()
    first = make_world(store_url, schedule_file, notifier=notifier)
    second = make_world(store_url, schedule_file, notifier=notifier)
    try:
        first.store.bookmarks.add([("U1", "a")], AT)
        publish_changes(schedule_file)
        assert first.reloader.reload().status is Status.APPLIED
        assert second.schedules.index.get("b") is not None  # not synced yet
        synced = second.reloader.sync()
        assert synced is not None
        assert synced.status is Status.SYNCED
        assert second.schedules.index.get("b") is None
        assert second.reloader.sync() is None
        assert len(notifier.to("U1")) == 1
    finally:
        first.store.close()
        second.store.close()


def test_sync_timer_swaps_within_seconds(sqlite_url: str, schedule_file: Path) -> None:
    """A started replica's timer picks up a schedule saved elsewhere within a few seconds."""
    first = make_world(sqlite_url, schedule_file)
    second = make_world(sqlite_url, schedule_file)
    swapped = threading.Event()
    second.schedules.subscribe(lambda old, new: swapped.set())
    second.start()
    try:
        publish_changes(schedule_file)
        began = time.monotonic()
        first.reloader.reload()
        assert swapped.wait(timeout=5)
        assert time.monotonic() - began < 5
        assert second.schedules.index.get("b") is None
    finally:
        second.stop()
        first.store.close()
        second.store.close()


def test_sync_from_an_unsaved_schedule_tells_nobody(sqlite_url: str, schedule_file: Path) -> None:
    """A process that loaded a schedule of its own takes up the saved one without any DM."""
    saved = make_world(sqlite_url, schedule_file)
    try:
        saved.store.bookmarks.add([("U1", "a")], AT)
        first = base_schedule().sessions[0]
        early = local("2013-11-05 08:00")
        stray = dataclasses.replace(first, start=early, end=early + (first.end - first.start))
        notifier = RecordingNotifier()
        source = ScheduleSource(schedule(stray, *base_schedule().sessions[1:]))
        reloader = Reloader(
            saved.settings,
            saved.store,
            source,
            sender=notice_sender(saved.store, notifier),
            background=False,
        )
        synced = reloader.sync(AT)
        assert synced is not None
        assert synced.notices == ()
        served = source.index.get("a")
        assert served is not None
        assert served.start == local("2013-11-05 11:00")
        assert notifier.sent == []
    finally:
        saved.store.close()
