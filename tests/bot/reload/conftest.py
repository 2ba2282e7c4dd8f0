"""Fixtures for reload tests: a schedule file, a store, a recording notifier, a reloader."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.clock import ReplayClock, fixed_clock
from bot.message import Message
from bot.reload import Reloader, Startup, start_schedule
from bot.reminders.messenger import PermanentError
from bot.reminders.pacing import Pacer
from bot.schedule_source import ScheduleSource
from bot.settings import Settings
from bot.store import Store
from schedule.importers import dump_schedule
from schedule.model import Schedule
from tests.factories import local, schedule, session

AT = local("2013-11-04 09:00")
"""The day before the summit: every session is still to come."""


def base_schedule() -> Schedule:
    """Six sessions over two days, five in the Nova track and one in Cinder."""
    return schedule(
        session("a", "2013-11-05 11:00", room="Room 201"),
        session("b", "2013-11-05 11:50", room="Room 201"),
        session("c", "2013-11-05 11:00", room="Room 202"),
        session("d", "2013-11-05 14:00", room="Room 201"),
        session("e", "2013-11-06 09:00", room="Room 201"),
        session("f", "2013-11-06 09:00", room="Room 203", track="Cinder"),
    )


def write(path: Path, sched: Schedule) -> Path:
    """Write `sched` as summit-bot JSON at `path`."""
    path.write_text(dump_schedule(sched), encoding="utf-8")
    return path


class RecordingNotifier:
    """Records every DM; can be told to fail for a person a few times first."""

    def __init__(self) -> None:
        """Start with nothing sent and no failures planned."""
        self.sent: list[tuple[str, Message]] = []
        self.failures: dict[str, list[BaseException]] = {}
        self._lock = threading.Lock()

    def send_dm(self, user_id: str, message: Message) -> tuple[str, str]:
        """Record the DM, or raise the next failure planned for the person."""
        with self._lock:
            planned = self.failures.get(user_id)
            if planned:
                raise planned.pop(0)
            self.sent.append((user_id, message))
            return f"D{user_id}", f"{len(self.sent)}.000100"

    def to(self, user_id: str) -> list[str]:
        """The fallback texts sent to `user_id`, in order."""
        with self._lock:
            return [m.text for u, m in self.sent if u == user_id]

    def counts(self) -> Counter[tuple[str, str]]:
        """How many DMs each (person, text) pair got."""
        with self._lock:
            return Counter((u, m.text) for u, m in self.sent)


@dataclass
class World:
    """One replica: settings naming the schedule file, its store, source and reloader."""

    settings: Settings
    store: Store
    schedules: ScheduleSource
    reloader: Reloader
    notifier: RecordingNotifier
    clock: ReplayClock
    path: Path
    startup: Startup

    def publish(self, sched: Schedule) -> Path:
        """Replace the configured schedule file with `sched`."""
        return write(self.path, sched)


def make_world(
    url: str,
    path: Path,
    *,
    notifier: RecordingNotifier | None = None,
    admins: frozenset[str] = frozenset({"UADMIN"}),
    background: bool = False,
    **overrides: object,
) -> World:
    """A replica over the database at `url` serving the schedule file at `path`."""
    settings = replace(Settings(), schedule_path=str(path), admin_user_ids=admins, **overrides)
    store = Store.open(url)
    clock = fixed_clock(AT)
    startup = start_schedule(settings, store, clock.now())
    schedules = ScheduleSource(startup.schedule)
    notifier = notifier or RecordingNotifier()
    reloader = Reloader(
        settings,
        store,
        schedules,
        clock=clock,
        notifier=notifier,
        permanent=(PermanentError,),
        background=background,
        sync_seconds=0.05,
        retry_seconds=0.01,
        pacer=Pacer(10_000.0, capacity=100, per_channel_seconds=0.0),
    )
    return World(settings, store, schedules, reloader, notifier, clock, path, startup)


@pytest.fixture
def schedule_file(tmp_path: Path) -> Path:
    """The configured schedule file, holding the base schedule."""
    return write(tmp_path / "schedule.json", base_schedule())


@pytest.fixture
def world(sqlite_url: str, schedule_file: Path) -> Iterator[World]:
    """One replica on a SQLite file, started from the base schedule."""
    made = make_world(sqlite_url, schedule_file)
    yield made
    made.reloader.stop()
    made.store.close()


@dataclass
class Published:
    """What the loopback server answers, and the conditional headers it received."""

    body: bytes = b""
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    seen: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Server:
    """An http.server on 127.0.0.1 serving one document at /schedule.ics."""

    def __init__(self) -> None:
        """Bind a free loopback port."""
        self.published = Published()
        published = self.published

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with published.lock:
                    published.seen.append(
                        {k: v for k, v in self.headers.items() if k.lower().startswith("if-")}
                    )
                    body, status = published.body, published.status
                    etag, modified = published.etag, published.last_modified
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                if modified and self.headers.get("If-Modified-Since") == modified:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(status)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Content-Length", str(len(body)))
                if etag:
                    self.send_header("ETag", etag)
                if modified:
                    self.send_header("Last-Modified", modified)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The document's URL."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/schedule.ics"

    def publish(self, body: bytes, *, status: int = 200, etag: str | None = None) -> None:
        """Serve `body` with `status` (and `etag`) from now on."""
        with self.published.lock:
            self.published.body, self.published.status = body, status
            self.published.etag = etag


@pytest.fixture
def server() -> Iterator[Server]:
    """A loopback HTTP server, shut down after the test."""
    made = Server()
    made.thread.start()
    yield made
    made.httpd.shutdown()
    made.httpd.server_close()
