"""The hallway screen: `GET /screen` and `GET /screen?room=<room name>`.

A page for a display by the door, rendered on the server (the right sessions are there
before any script runs, and there is no script): what is on now and next, with titles,
rooms and start–end in the summit's zone, in type readable at 1920×1080 from a few metres.
It reloads itself every `REFRESH_SECONDS`. Every text from the schedule is HTML-escaped.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from html import escape
from typing import Final
from urllib.parse import quote

from bot.render.blocks import clock_time, day_label, zone_label
from schedule.board import Board, board_at, find_room, rooms
from schedule.index import ScheduleIndex
from schedule.model import Session

#: How often the page reloads itself, in seconds.
REFRESH_SECONDS: Final = 30
#: The longest room name echoed back on the "no such room" page.
_ECHO_LIMIT: Final = 120

_STYLE: Final = """
html { background: #101820; color: #f4f4f4; }
body { margin: 0; padding: 40px 72px; font: 48px/1.3 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
header { display: flex; justify-content: space-between; align-items: baseline; gap: 48px; border-bottom: 4px solid #f2a900; padding-bottom: 16px; }
h1 { font-size: 52px; margin: 0; }
#clock { font-size: 64px; font-weight: bold; color: #f2a900; white-space: nowrap; flex-shrink: 0; }
h2 { font-size: 52px; margin: 36px 0 8px; color: #9fc9eb; text-transform: uppercase; letter-spacing: 2px; }
ul { list-style: none; margin: 0; padding: 0; }
li.session { margin: 0 0 24px; }
.title { display: block; font-size: 84px; font-weight: bold; line-height: 1.1; }
.when, .room { font-size: 52px; color: #d8d8d8; margin-right: 40px; }
.when { color: #f2a900; }
.empty { font-size: 56px; color: #b8b8b8; margin: 8px 0; }
a { color: #9fc9eb; }
"""


def _clock(at: datetime, zone: tzinfo) -> str:
    return f"{day_label(at, zone)} · {clock_time(at, zone)} {zone_label(at, zone)}"


def _span(session: Session, zone: tzinfo) -> str:
    start, end = session.start, session.end
    if start.astimezone(zone).date() == end.astimezone(zone).date():
        return f"{clock_time(start, zone)}–{clock_time(end, zone)}"
    return f"{day_label(start, zone)} {clock_time(start, zone)}–{day_label(end, zone)} {clock_time(end, zone)}"


def _session_item(session: Session, zone: tzinfo) -> str:
    room = f'<span class="room">{escape(session.room)}</span>' if session.room.strip() else ""
    return (
        f'<li class="session" data-id="{escape(session.id)}">'
        f'<span class="title">{escape(session.title)}</span>'
        f'<span class="when">{escape(_span(session, zone))}</span>{room}</li>'
    )


def _list(sessions: tuple[Session, ...], zone: tzinfo, empty: str) -> str:
    if not sessions:
        return f'<p class="empty">{escape(empty)}</p>'
    return "<ul>" + "".join(_session_item(s, zone) for s in sessions) + "</ul>"


def _page(title: str, clock: str, at: datetime, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body data-at="{escape(at.isoformat())}"><header><h1 id="heading">{escape(title)}</h1>'
        f'<div id="clock">{escape(clock)}</div></header><main>{body}</main></body></html>'
    )


def render_board(board: Board, index: ScheduleIndex) -> str:
    """The screen's HTML for `board`."""
    zone = index.schedule.zone
    title = index.schedule.name + (f" — {board.room}" if board.room else "")
    if board.over:
        now_empty = "The summit is over. Thank you for coming!"
    elif not board.started:
        now_empty = "Not started yet."
    else:
        now_empty = "Nothing on right now." if not board.room else "This room is free right now."
    if board.next:
        start = board.next[0].start
        same_day = start.astimezone(zone).date() == board.at.astimezone(zone).date()
        when = clock_time(start, zone)
        if not same_day:
            when = f"{day_label(start, zone)} {when}"
        next_heading = f"Next · {when}"
    else:
        next_heading = "Next"
    body = (
        f'<section id="now"><h2>Now</h2>{_list(board.now, zone, now_empty)}</section>'
        f'<section id="next"><h2>{escape(next_heading)}</h2>'
        f"{_list(board.next, zone, 'Nothing more is scheduled.')}</section>"
    )
    return _page(title, _clock(board.at, zone), board.at, body)


def render_screen(index: ScheduleIndex, at: datetime, room: str | None) -> tuple[int, str]:
    """The status and HTML of `/screen` (`room` None: the whole schedule) at `at`."""
    if room is None:
        return 200, render_board(board_at(index, at), index)
    found = find_room(index, room)
    if found is None:
        return 404, render_unknown_room(index, at, room)
    return 200, render_board(board_at(index, at, found), index)


def render_unknown_room(index: ScheduleIndex, at: datetime, room: str) -> str:
    """The 404 page for a room the schedule does not have: it says so and lists the rooms."""
    shown = room if len(room) <= _ECHO_LIMIT else room[:_ECHO_LIMIT] + "…"
    known = rooms(index)
    listing = (
        "<ul>"
        + "".join(
            f'<li class="room-name"><a href="/screen?room={escape(quote(r))}">{escape(r)}</a></li>'
            for r in known
        )
        + "</ul>"
        if known
        else '<p class="empty">This schedule names no rooms.</p>'
    )
    body = (
        f'<section id="unknown-room"><h2>No such room</h2><p class="empty">'
        f"There is no room called “{escape(shown)}” in this schedule.</p>"
        f"<h2>Rooms</h2>{listing}</section>"
    )
    return _page(index.schedule.name, _clock(at, index.schedule.zone), at, body)
