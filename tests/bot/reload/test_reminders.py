"""Reminders follow a reload: a moved session is reminded at its new time, not the old one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.clock import fixed_clock
from bot.core.schedule_source import ScheduleSource
from bot.edge.slack import SlackMessenger, make_client
from bot.reload import Reloader, Status
from bot.reminders.engine import ReminderEngine
from bot.reminders.planner import install_planning
from bot.settings import Settings
from bot.storage.outbox import OutboxKind, OutboxStatus, reminder_key
from bot.store import Store
from schedule.importers import dump_schedule
from schedule.model import Schedule
from tests.factories import local, schedule, session
from tests.support.fake_slack import FakeSlack
from tests.support.wiring import make_core


def summit() -> Schedule:
    """A keynote at 11:15 and a workshop at 12:30 on Tuesday."""
    return schedule(
        session("keynote", "2013-11-05 11:15", title="Nova Keynote"),
        session("workshop", "2013-11-05 12:30", title="Workshop", room="Room 201"),
        session("lunch", "2013-11-05 13:30", title="Lunch talk", room="Room 202"),
    )


def test_moved_session_is_reminded_at_its_new_time(
    store: Store, slack: FakeSlack, tmp_path: Path
) -> None:
    """After a reload moves the keynote to 14:00, nothing comes at 11:05 and one reminder at 13:50.

    (The reminder planner re-plans on the schedule source's replacement.)
    """
    settings = dataclasses.replace(
        Settings(),
        slack_bot_token="xoxb-test",
        slack_api_url=slack.api_url,
        slack_messages_per_second=100.0,
    )
    clock = fixed_clock(local("2013-11-05 10:30"))
    core = make_core(settings, store, ScheduleSource(summit()))
    install_planning(core, clock)
    messenger = SlackMessenger(make_client(settings), store)
    engine = ReminderEngine(core, clock, messenger, settings, "w1")
    reloader = Reloader(
        settings, store, core.schedules, clock=clock, sender=engine.sender, background=False
    )
    keynote = core.index.get("keynote")
    assert keynote is not None
    core.set_bookmark("U1", keynote, True, clock.now())
    [planned] = store.outbox.items(statuses=[OutboxStatus.PENDING], recipient="U1")
    assert planned.due_at == local("2013-11-05 11:05")

    later = local("2013-11-05 14:00")
    moved = dataclasses.replace(keynote, start=later, end=later + (keynote.end - keynote.start))
    path = tmp_path / "moved.json"
    path.write_text(
        dump_schedule(schedule(moved, *(s for s in summit().sessions if s.id != "keynote"))),
        encoding="utf-8",
    )
    assert reloader.reload(str(path)).status is Status.APPLIED
    [notice] = slack.calls("chat.postMessage")
    text = notice.params["text"]
    assert "Tue 5 Nov 11:15–11:55 HKT, Room 204-205 → Tue 5 Nov 14:00–14:40 HKT" in text
    [pending] = store.outbox.items(statuses=[OutboxStatus.PENDING], recipient="U1")
    assert pending.due_at == local("2013-11-05 13:50")

    try:
        clock.set(local("2013-11-05 11:05"), speed=0)
        assert engine.run_once(clock.now()) is not None
        assert len(slack.calls("chat.postMessage")) == 1  # only the change notice
        clock.set(local("2013-11-05 13:50"), speed=0)
        assert engine.run_once(clock.now()) is None
        [_, reminder] = slack.calls("chat.postMessage")
        assert reminder.params["text"].startswith(
            "Starts in 10 min: Nova Keynote — Tue 5 Nov 14:00 HKT"
        )
        # The pending reminder moved with its session (one row, the new start's key).
        [sent] = store.outbox.items(OutboxKind.REMINDER, recipient="U1")
        assert (sent.status, sent.starts_at) == (OutboxStatus.SENT, later)
        assert sent.key == reminder_key("U1", "keynote", later)
        [told] = store.outbox.items(OutboxKind.NOTICE, recipient="U1")
        assert told.status is OutboxStatus.SENT
        clock.set(local("2013-11-05 14:30"), speed=0)
        assert engine.run_once(clock.now()) is None
        assert len(slack.calls("chat.postMessage")) == 2
    finally:
        engine.sender.close()
