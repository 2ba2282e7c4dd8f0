"""The hallway screen, `GET /screen` and `GET /screen?room=`, loaded in headless Chromium."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.clock import ReplayClock, fixed_clock
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.web import PagesServer
from bot.web.screen import REFRESH_SECONDS, render_screen
from schedule.index import ScheduleIndex
from tests.factories import local, schedule, session
from tests.support.chromium import dump_dom, png_size, screenshot

SCREEN_SIZE = (1920, 1080)
ROOM = "AWE Level 2, Room 201B"


@dataclass
class Item:
    """One session as the page shows it."""

    section: str
    session_id: str
    title: str = ""
    when: str = ""
    room: str = ""


@dataclass
class Page:
    """What a test reads off the DOM: sessions by section, texts by id, scripts, refresh."""

    items: list[Item] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    empties: dict[str, str] = field(default_factory=dict)
    scripts: int = 0
    refresh: str | None = None

    def section(self, name: str) -> list[Item]:
        """The sessions of section `name` ("now" or "next")."""
        return [i for i in self.items if i.section == name]


class _Reader(HTMLParser):
    """Collects the screen's sessions and headings from serialised HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.page = Page()
        self._section = ""
        self._stack: list[str] = []
        self._target: tuple[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        if tag == "script":
            self.page.scripts += 1
        if tag == "meta" and (found.get("http-equiv") or "").lower() == "refresh":
            self.page.refresh = found.get("content")
        if tag == "section":
            self._section = found.get("id") or ""
        if tag == "li" and "session" in classes:
            self.page.items.append(Item(self._section, found.get("data-id") or ""))
        for name in ("title", "when", "room"):
            if tag == "span" and name in classes:
                self._target = ("item", name)
        if tag == "p" and "empty" in classes:
            self._target = ("empty", self._section)
        if found.get("id") in {"heading", "clock"}:
            self._target = ("text", str(found["id"]))
        if tag == "h2":
            self._target = ("text", f"h2-{self._section}")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"span", "p", "h1", "div", "h2"}:
            self._target = None

    def handle_data(self, data: str) -> None:
        if self._target is None:
            return
        kind, name = self._target
        if kind == "item":
            item = self.page.items[-1]
            setattr(item, name, getattr(item, name) + data)
        elif kind == "empty":
            self.page.empties[name] = self.page.empties.get(name, "") + data
        else:
            self.page.texts[name] = self.page.texts.get(name, "") + data


def read_page(html: str) -> Page:
    """The screen's content from its HTML."""
    reader = _Reader()
    reader.feed(html)
    return reader.page


@dataclass
class Screen:
    """The bundled Icehouse Nova summit replayed, its pages served on loopback."""

    runtime: Runtime
    clock: ReplayClock
    port: int
    folder: Path

    def url(self, room: str | None = None) -> str:
        """The screen's URL (for `room` when given)."""
        query = f"?room={quote(room)}" if room is not None else ""
        return f"http://127.0.0.1:{self.port}/screen{query}"

    def browse(self, at: datetime, room: str | None = None) -> tuple[Page, bytes]:
        """The DOM Chromium renders at instant `at`, and a 1920×1080 screenshot of it."""
        self.clock.set(at)
        profile = self.folder / "profile"
        page = read_page(dump_dom(self.url(room), profile))
        shot = self.folder / f"screen-{at:%Y%m%dT%H%M}-{'all' if room is None else 'room'}.png"
        return page, screenshot(self.url(room), shot, profile, SCREEN_SIZE)

    def get(self, path: str) -> tuple[int, str]:
        """The status and text of GET `path`, without a browser."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8")
        finally:
            conn.close()


@pytest.fixture
def screen(tmp_path: Path) -> Iterator[Screen]:
    """The bundled schedule served by a runtime whose clock the test sets."""
    clock = fixed_clock(local("2013-11-05 11:20"))
    settings = Settings.from_env(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "LOG_LEVEL": "WARNING"},
        env_file=None,
    )
    runtime = build_runtime(settings, clock=clock)
    pages = PagesServer(runtime, "127.0.0.1", 0)
    pages.start()
    try:
        yield Screen(runtime, clock, pages.port, tmp_path)
    finally:
        pages.stop()
        runtime.close()


def test_screen_in_chromium_during_the_first_session(screen: Screen) -> None:
    """Tuesday 11:20: the first Nova session is on, the next one at 12:05, in Hong Kong time."""
    page, png = screen.browse(local("2013-11-05 11:20"))
    assert [(i.session_id, i.title, i.when, i.room) for i in page.section("now")] == [
        (
            "conductor-tasks-next-steps",
            "Conductor Tasks Next Steps",
            "11:15–11:55",
            "AWE Level 2, Room 204-205",
        )
    ]
    assert [(i.title, i.when) for i in page.section("next")] == [
        ("Instance tasks in API", "12:05–12:45")
    ]
    assert page.texts["h2-next"] == "Next · 12:05"
    assert page.texts["clock"] == "Tue 5 Nov · 11:20 HKT"
    assert page.texts["heading"] == "OpenStack Icehouse Design Summit — Nova"
    assert page.refresh == str(REFRESH_SECONDS)
    assert int(REFRESH_SECONDS) <= 60
    assert page.scripts == 0  # rendered on the server: nothing waits for a script
    assert len(png) > 10_000
    assert png_size(png) == SCREEN_SIZE


def test_screen_in_chromium_over_lunch_on_thursday(screen: Screen) -> None:
    """Thursday 13:00: nothing on, the afternoon's first session next at 13:50."""
    page, png = screen.browse(local("2013-11-07 13:00"))
    assert page.section("now") == []
    assert page.empties["now"] == "Nothing on right now."
    assert [(i.session_id, i.when) for i in page.section("next")] == [
        ("nova-un-conference-thursday", "13:50–14:30")
    ]
    assert page.texts["clock"] == "Thu 7 Nov · 13:00 HKT"
    assert png_size(png) == SCREEN_SIZE


def test_screen_in_chromium_for_one_room(screen: Screen) -> None:
    """Room 201B on Friday 16:00 is free, Hyper-V next; at 16:20 Hyper-V is on, nothing after."""
    page, png = screen.browse(local("2013-11-08 16:00"), ROOM)
    assert page.texts["heading"] == f"OpenStack Icehouse Design Summit — Nova — {ROOM}"
    assert page.section("now") == []
    assert page.empties["now"] == "This room is free right now."
    assert [(i.title, i.when, i.room) for i in page.section("next")] == [
        ("Hyper-V: Icehouse features", "16:10–16:50", ROOM)
    ]
    assert png_size(png) == SCREEN_SIZE
    screen.clock.set(local("2013-11-08 16:20"))
    during = read_page(dump_dom(screen.url(ROOM.lower()), screen.folder / "profile"))
    assert [i.title for i in during.section("now")] == ["Hyper-V: Icehouse features"]
    assert during.section("next") == []
    assert during.empties["next"] == "Nothing more is scheduled."


def test_unknown_room_is_a_404_page_that_says_so(screen: Screen) -> None:
    """An unknown room gets 404 and a page naming it (escaped) and listing the real rooms."""
    status, html = screen.get("/screen?room=" + quote("Room <b>42</b>"))
    assert status == 404
    assert "There is no room called “Room &lt;b&gt;42&lt;/b&gt;”" in html
    assert "<b>" not in html
    assert "AWE Level 2, Room 201B" in html


def test_screen_escapes_schedule_text() -> None:
    """Titles and rooms with markup show as text: no element comes from the schedule."""
    hostile = schedule(
        session(
            "x",
            "2013-11-05 11:00",
            title='<script>alert("t")</script> & <img src=x onerror=alert(1)>',
            room='"><svg onload=alert(2)>',
        )
    )
    status, html = render_screen(ScheduleIndex(hostile), local("2013-11-05 11:10"), None)
    assert status == 200
    page = read_page(html)
    assert page.scripts == 0
    assert "<img" not in html
    assert "<svg" not in html
    assert (
        page.section("now")[0].title == '<script>alert("t")</script> & <img src=x onerror=alert(1)>'
    )
    assert page.section("now")[0].room == '"><svg onload=alert(2)>'


def test_screen_before_and_after_the_summit(screen: Screen) -> None:
    """Before the summit the first session is next; after it the screen says it is over."""
    screen.clock.set(local("2013-11-01 09:00"))
    status, html = screen.get("/screen")
    page = read_page(html)
    assert status == 200
    assert page.empties["now"] == "Not started yet."
    assert page.texts["h2-next"] == "Next · Tue 5 Nov 11:15"
    screen.clock.set(local("2013-11-09 09:00"))
    page = read_page(screen.get("/screen")[1])
    assert page.empties["now"] == "The summit is over. Thank you for coming!"
    assert page.section("next") == []
