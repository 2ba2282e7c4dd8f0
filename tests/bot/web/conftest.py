"""A bot runtime over a schedule file, its web pages served on a loopback port."""

from __future__ import annotations

import http.client
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.clock import ReplayClock, fixed_clock
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.web import PagesServer
from schedule.importers import dump_schedule
from schedule.model import Schedule
from tests.factories import local, schedule, session

PUBLIC_URL = "https://summit-bot.example.org"
AT = local("2013-11-04 09:00")
"""The day before the summit: every session is still to come."""


def summit() -> Schedule:
    """Five sessions over two days in three rooms, four in Nova and one in Cinder."""
    return schedule(
        session("a", "2013-11-05 11:15", title="Conductor Tasks", room="Room 201"),
        session("b", "2013-11-05 12:05", title="Instance Tasks <API>", room="Room 201"),
        session("c", "2013-11-05 11:15", title="Scheduler & Cells", room="Room 202"),
        session("d", "2013-11-06 09:00", title="Live Upgrades", room="Room 201"),
        session("e", "2013-11-06 09:00", title="Volume Types", room="Room 203", track="Cinder"),
    )


@dataclass(frozen=True)
class Reply:
    """One HTTP answer."""

    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass
class Site:
    """A runtime whose pages answer on 127.0.0.1:`port`, and the file its schedule is in."""

    runtime: Runtime
    clock: ReplayClock
    path: Path
    port: int

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Reply:
        """GET `path` from the pages server."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers=dict(headers or {}))
            response = conn.getresponse()
            body = response.read()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
        finally:
            conn.close()

    def publish(self, sched: Schedule) -> None:
        """Write `sched` to the schedule file."""
        self.path.write_text(dump_schedule(sched), encoding="utf-8")

    def reload(self, sched: Schedule) -> None:
        """Publish `sched` and reload it as `/nova reload` would."""
        self.publish(sched)
        outcome = self.runtime.reloader.reload(str(self.path))
        assert outcome.status.value == "applied", outcome.describe()


def settings_for(url: str, path: Path, **extra: str) -> Settings:
    """Settings serving the schedule file at `path` from the database at `url`."""
    env = {
        "DATABASE_URL": url,
        "SUMMIT_BOT_SCHEDULE": str(path),
        "SUMMIT_BOT_PUBLIC_URL": PUBLIC_URL,
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    return Settings.from_env(env, env_file=None)


def open_site(url: str, path: Path, at: object = AT) -> Iterator[Site]:
    """Build the runtime, serve its pages, and take both down afterwards."""
    clock = fixed_clock(at)  # type: ignore[arg-type]
    runtime = build_runtime(settings_for(url, path), clock=clock)
    pages = PagesServer(runtime, "127.0.0.1", 0)
    pages.start()
    site = Site(runtime, clock, path, pages.port)
    try:
        yield site
    finally:
        pages.stop()
        runtime.close()


@pytest.fixture
def schedule_path(tmp_path: Path) -> Path:
    """The configured schedule file, holding `summit()`."""
    path = tmp_path / "schedule.json"
    path.write_text(dump_schedule(summit()), encoding="utf-8")
    return path


@pytest.fixture
def site(store_url: str, schedule_path: Path) -> Iterator[Site]:
    """The pages of a runtime on SQLite and on PostgreSQL, clock the day before the summit."""
    yield from open_site(store_url, schedule_path)
