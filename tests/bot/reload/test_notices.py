"""Planning and pacing change notices, without a reloader around them."""

from __future__ import annotations

import threading
import time

from bot.core.message import Message
from bot.reload import Notice, NoticeSender, plan_notices
from bot.reminders.messenger import TransientError
from bot.reminders.pacing import Pacer
from bot.store import Store
from schedule.diff import diff_schedules
from schedule.index import ScheduleIndex
from tests.bot.reload.conftest import AT, RecordingNotifier, base_schedule
from tests.factories import schedule, session


def notices(count: int, user: str | None = None) -> list[Notice]:
    """`count` notices about different changes, to different people unless `user` is given."""
    return [
        Notice(user or f"U{n}", f"change:{n}", "a", Message(text=f"notice {n}"))
        for n in range(count)
    ]


def test_sending_keeps_to_the_pacers_rate(sqlite_store: Store) -> None:
    """Twenty DMs at 50 a second take at least the 19 intervals between them."""
    sender = NoticeSender(sqlite_store, RecordingNotifier(), pacer=Pacer(50.0))
    began = time.monotonic()
    report = sender.send(notices(20), AT)
    assert report.sent == 20
    assert time.monotonic() - began >= 19 / 50 - 0.02


def test_one_persons_messages_are_spaced(sqlite_store: Store) -> None:
    """Two DMs to one person are at least the per-channel spacing apart."""
    notifier = RecordingNotifier()
    stamps: list[float] = []
    send = notifier.send_dm

    def timed(user_id: str, message: Message) -> tuple[str, str]:
        stamps.append(time.monotonic())
        return send(user_id, message)

    notifier.send_dm = timed  # type: ignore[method-assign]
    pacer = Pacer(1000.0, capacity=10, per_channel_seconds=0.3)
    NoticeSender(sqlite_store, notifier, pacer=pacer).send(notices(2, user="U1"), AT)
    assert len(stamps) == 2
    assert stamps[1] - stamps[0] >= 0.28


def test_retry_after_pauses_and_then_sends(sqlite_store: Store) -> None:
    """A rate-limit answer pauses sending for its Retry-After, then the DM goes out once."""
    notifier = RecordingNotifier()
    notifier.failures["U0"] = [TransientError("ratelimited", retry_after=0.3)]
    sender = NoticeSender(sqlite_store, notifier, pacer=Pacer(1000.0, per_channel_seconds=0.0))
    began = time.monotonic()
    report = sender.send(notices(1), AT)
    assert (report.sent, report.retry) == (1, 0)
    assert time.monotonic() - began >= 0.29
    assert notifier.to("U0") == ["notice 0"]


def test_stopping_gives_the_claim_back(sqlite_store: Store) -> None:
    """A sender stopped while waiting for a slot sends nothing and leaves nothing claimed."""
    stop = threading.Event()
    pacer = Pacer(1000.0, per_channel_seconds=0.0)
    pacer.pause(5.0)
    threading.Timer(0.1, stop.set).start()
    report = NoticeSender(sqlite_store, RecordingNotifier(), pacer=pacer).send(notices(3), AT, stop)
    assert report.sent == 0
    assert sqlite_store.notices.claimed(["change:0", "change:1"]) == frozenset()


def test_plan_skips_notices_already_claimed(sqlite_store: Store) -> None:
    """Planning again after a person was told leaves that person out."""
    old = base_schedule()
    later = session("a", "2013-11-05 16:00", room="Room 201")
    new = schedule(*(later if s.id == "a" else s for s in old.sessions))
    sqlite_store.bookmarks.add([("U1", "a"), ("U2", "a")], AT)
    diff = diff_schedules(old, new)
    first = plan_notices(sqlite_store, diff, ScheduleIndex(new), AT)
    assert [n.user_id for n in first] == ["U1", "U2"]
    assert sqlite_store.notices.claim("U1", first[0].key, AT)
    again = plan_notices(sqlite_store, diff, ScheduleIndex(new), AT)
    assert [n.user_id for n in again] == ["U2"]
