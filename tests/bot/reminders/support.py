"""Bursts of reminders run by engine processes against the fake Slack (tests and benchmark)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import SystemClock
from bot.core.schedule_source import ScheduleSource
from bot.reminders.planner import plan_reminders
from bot.settings import Settings
from bot.storage.outbox import reminder_key
from bot.store import Store
from schedule.importers.native import dump_schedule
from schedule.model import Schedule, Session
from tests.support.fake_slack import Call, FakeSlack
from tests.support.wiring import make_core

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SESSION_ID = "burst"


class RecordingSlack(FakeSlack):
    """The fake Slack that also notes each chat.postMessage it accepted, with the wall time."""

    def __init__(self, **options: Any) -> None:
        """A fake workspace; `delivered` lists (channel, instant) of accepted messages."""
        super().__init__(**options)
        self._delivered_lock = threading.Lock()
        self.delivered: list[tuple[str, datetime]] = []
        self.refused: list[datetime] = []
        """When each chat.postMessage was answered 429."""
        self.arrived: dict[str, datetime] = {}
        """The first arrival of each outbox key (metadata) among the accepted messages."""

    def __enter__(self) -> RecordingSlack:
        """Start the server."""
        super().__enter__()
        return self

    def _plan(self, call: Call, parse_error: str | None) -> Any:
        planned = super()._plan(call, parse_error)
        if call.method == "chat.postMessage" and planned.status == 429:
            with self._delivered_lock:
                self.refused.append(SystemClock().now())
        return planned

    def _chat_post_message(self, call: Call) -> dict[str, Any]:
        answer = super()._chat_post_message(call)
        if answer.get("ok"):
            now = SystemClock().now()
            metadata = call.params.get("metadata") or {}
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            payload = metadata.get("event_payload") or {} if isinstance(metadata, dict) else {}
            with self._delivered_lock:
                self.delivered.append((str(answer["channel"]), now))
                key = payload.get("outbox_key") if isinstance(payload, dict) else None
                if key is not None:
                    self.arrived.setdefault(str(key), now)
        return answer

    def delivered_per_channel(self) -> Counter[str]:
        """How many messages each channel received."""
        with self._delivered_lock:
            return Counter(channel for channel, _ in self.delivered)


@dataclass
class Burst:
    """`count` people who bookmarked one session whose reminders are all due at `due_at`."""

    database_url: str
    schedule_path: Path
    users: list[str]
    due_at: datetime
    api_url: str
    schedule: Schedule
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def plan(self, rate: float) -> None:
        """Bookmark the session for every user and plan the reminders (windows at `rate`/s)."""
        now = SystemClock().now()
        settings = replace(
            Settings(), database_url=self.database_url, slack_messages_per_second=rate
        )
        with Store.open(self.database_url) as store:
            store.bookmarks.add([(user_id, SESSION_ID) for user_id in self.users], now)
            core = make_core(settings, store, ScheduleSource(self.schedule))
            plan_reminders(core, now)

    def wait_ready(self) -> None:
        """Wait until every engine process spawned so far says it is ready."""
        for process in self.processes:
            line = process.stdout.readline() if process.stdout else ""
            assert line.startswith("ready"), f"engine process not ready: {line!r}"

    @property
    def starts_at(self) -> datetime:
        """The start of the burst's session."""
        return self.due_at + timedelta(minutes=Settings().reminder_lead_minutes)

    def keys(self) -> set[str]:
        """The outbox key of every reminder of the burst."""
        return {reminder_key(user, SESSION_ID, self.starts_at) for user in self.users}

    def spawn(
        self,
        worker_id: str,
        *options: str,
        rate: float = 100.0,
        clock_start: datetime | None = None,
    ) -> subprocess.Popen[str]:
        """Start an engine process (see `engine_process`) over this burst.

        With `clock_start` the process replays time from that instant at real speed.
        """
        env = {
            **os.environ,
            "PYTHONPATH": str(PROJECT_ROOT),
            "DATABASE_URL": self.database_url,
            "SLACK_API_URL": self.api_url,
            "SLACK_BOT_TOKEN": "xoxb-burst",
            "SUMMIT_BOT_SCHEDULE": str(self.schedule_path),
            "SUMMIT_BOT_SLACK_MESSAGES_PER_SECOND": str(rate),
        }
        for name in (
            "SUMMIT_BOT_CLOCK_START",
            "SUMMIT_BOT_CLOCK_SPEED",
            "SUMMIT_BOT_REMINDERS",
            "SUMMIT_BOT_REMINDER_LEAD_MINUTES",
        ):
            env.pop(name, None)
        if clock_start is not None:
            env["SUMMIT_BOT_CLOCK_START"] = clock_start.isoformat()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.bot.reminders.engine_process",
                "--worker-id",
                worker_id,
                *options,
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # The fake Slack in this process is the measuring instrument: the engines run at
            # a lower priority so that a busy machine delays them, not the clock they are
            # measured by (arrivals queued behind a starved fake would look bunched).
            preexec_fn=_lower_priority,
        )
        self.processes.append(process)
        return process

    def close(self) -> None:
        """Stop any engine process still running."""
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=30)


def _lower_priority() -> None:
    """Run the calling (child) process at a lower scheduling priority."""
    os.nice(5)


def prepare_burst(
    database_url: str,
    folder: Path,
    api_url: str,
    count: int,
    due_in: float,
    *,
    plan: bool = True,
    rate: float = 100.0,
) -> Burst:
    """Write a one-session schedule for `count` reminders due `due_in` seconds from now.

    With `plan` they are bookmarked and planned (windows for `rate` messages a second) now;
    else `Burst.plan` does it later, e.g. once the engine processes are up.
    """
    lead = Settings().reminder_lead_minutes
    now = SystemClock().now()
    due_at = (now + timedelta(seconds=due_in)).replace(microsecond=0)
    start = due_at + timedelta(minutes=lead)
    schedule = Schedule(
        name="Burst",
        timezone="Asia/Hong_Kong",
        sessions=(
            Session(
                id=SESSION_ID,
                title="Burst Session",
                start=start,
                end=start + timedelta(minutes=40),
                room="Hall 1",
            ),
        ),
    )
    path = folder / "burst-schedule.json"
    path.write_text(dump_schedule(schedule), encoding="utf-8")
    users = [f"U{i:05d}" for i in range(count)]
    burst = Burst(database_url, path, users, due_at, api_url, schedule)
    if plan:
        burst.plan(rate)
    return burst
