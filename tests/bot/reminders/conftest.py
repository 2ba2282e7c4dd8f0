from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.clock import ReplayClock, fixed_clock
from bot.core import Core
from bot.core.schedule_source import ScheduleSource
from bot.edge.slack import SlackMessenger, make_client
from bot.reminders.engine import ReminderEngine
from bot.reminders.planner import ReminderPlanner, install_planning
from bot.settings import Settings
from bot.storage.outbox import OutboxItem
from bot.store import Store
from schedule.model import Schedule
from tests.factories import local, schedule, session
from tests.support.fake_slack import Call, FakeSlack
from tests.support.wiring import make_core

T0 = local("2013-11-05 10:30")
ETHERPAD = "https://etherpad.openstack.org/p/icehouse-nova-keynote"


def summit() -> Schedule:
    """Four sessions on Tuesday morning in Hong Kong, each with its reminder moment later."""
    return schedule(
        session("early", "2013-11-05 11:10", title="Early Bird"),
        replace(
            session(
                "keynote",
                "2013-11-05 11:15",
                title="Nova Keynote",
                proposers=("Russell Bryant",),
                description=f"Notes: {ETHERPAD}",
            ),
            links=(ETHERPAD,),
        ),
        session("parallel", "2013-11-05 11:15", title="Parallel Track", room="Room 201"),
        session("design", "2013-11-05 12:00", title="Design Summit"),
    )


@pytest.fixture
def reminder_settings(slack: FakeSlack) -> Settings:
    """Settings pointing the bot at the fake Slack, 50 messages a second."""
    return replace(
        Settings.from_env({}, env_file=None),
        slack_bot_token="xoxb-test",
        slack_api_url=slack.api_url,
        slack_messages_per_second=50.0,
    )


@dataclass
class World:
    """A core on a real database, a fixed clock, the fake Slack and the engines started."""

    core: Core
    clock: ReplayClock
    slack: FakeSlack
    settings: Settings
    planner: ReminderPlanner
    engines: list[ReminderEngine] = field(default_factory=list)

    @property
    def store(self) -> Store:
        """The store under the core."""
        return self.core.store

    def engine(self, name: str = "w1", *, start: bool = True, **options: Any) -> ReminderEngine:
        """An engine sending to the fake Slack (started unless `start` is False); stopped at the end.

        `timeout` (seconds) is the Slack client's; other options go to the engine.
        """
        timeout = float(options.pop("timeout", 5.0))
        messenger = SlackMessenger(make_client(self.settings, timeout=timeout), self.store)
        engine = ReminderEngine(self.core, self.clock, messenger, self.settings, name, **options)
        self.engines.append(engine)
        if start:
            engine.start()
        return engine

    def step(self, engine: ReminderEngine, text: str) -> datetime | None:
        """Set the stopped clock to a Hong Kong time and run the engine once, synchronously."""
        self.at(text)
        return engine.run_once(self.clock.now())

    def step_to(self, engine: ReminderEngine, instant: datetime) -> datetime | None:
        """Set the stopped clock to `instant` and run the engine once, synchronously."""
        self.clock.set(instant, speed=0.0)
        return engine.run_once(instant)

    def die_after_posting(self, user_id: str, text: str) -> None:
        """A worker claims the first due message at `text` (Hong Kong), posts it, and dies unrecorded."""
        dead = self.engine("dead", start=False)
        self.at(text)
        [claim] = self.store.outbox.claim(
            self.clock.now(),
            worker_id="dead",
            limit=1,
            lease=timedelta(seconds=60),
            interval=dead.sender.interval,
            per_channel=timedelta(seconds=1),
        )
        message = dead.sender.renderers[claim.item.kind](claim.item, self.clock.now())
        assert message is not None
        dead.messenger.post(
            user_id,
            message,
            {"event_type": "summit_bot_outbox", "event_payload": {"outbox_key": claim.item.key}},
        )

    def bookmark(self, user_id: str, session_id: str) -> list[str]:
        """Bookmark a session at the clock's time; returns the confirmation's extra lines."""
        found = self.core.index.get(session_id)
        assert found is not None
        return self.core.set_bookmark(user_id, found, True, self.clock.now())

    def unbookmark(self, user_id: str, session_id: str) -> None:
        """Remove a bookmark at the clock's time."""
        found = self.core.index.get(session_id)
        assert found is not None
        self.core.set_bookmark(user_id, found, False, self.clock.now())

    def at(self, text: str) -> None:
        """Set the stopped clock to a Hong Kong time."""
        self.clock.set(local(text), speed=0.0)

    def posts(self) -> list[Call]:
        """The chat.postMessage calls the fake received."""
        return self.slack.calls("chat.postMessage")

    def deliveries(self, user_id: str) -> list[OutboxItem]:
        """A person's reminders, in due order."""
        return self.store.outbox.items(recipient=user_id)

    def stop(self) -> None:
        """Stop every engine started, and the senders of those only stepped."""
        for engine in self.engines:
            engine.stop()
            engine.sender.close()


@pytest.fixture
def world(store: Store, reminder_settings: Settings, slack: FakeSlack) -> Iterator[World]:
    """The summit on SQLite and PostgreSQL, planning installed, clock stopped at 10:30."""
    core = make_core(reminder_settings, store, ScheduleSource(summit()))
    clock = fixed_clock(T0)
    planner = install_planning(core, clock)
    made = World(core=core, clock=clock, slack=slack, settings=reminder_settings, planner=planner)
    yield made
    made.stop()
