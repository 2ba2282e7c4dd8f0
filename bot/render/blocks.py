"""Block Kit rendering of sessions, in the summit's zone and the viewer's own.

`truncate` is re-exported from `bot.core.block_kit`, where Slack's limits live.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.core import block_kit as kit
from bot.core.block_kit import Block, Element
from bot.core.block_kit import truncate as truncate
from bot.core.message import MAX_SECTION_TEXT, encode_value, escape
from bot.render.words import clock_label, slack_date, status_line, time_range
from schedule.model import Schedule, Session

BOOKMARK = "bookmark"
UNBOOKMARK = "unbookmark"
TOGGLE_BOOKMARK = "bookmark_toggle"
"""A shared message's button: bookmarks or unbookmarks the session for whoever clicks."""
DETAILS = "details"
"""Shows one session in full to whoever clicks."""
MORE = "more"
SHOW_MORE = "show_more"


@dataclass(frozen=True, slots=True)
class SessionParts:
    """The parts of a session's text that depend on the session and the summit's zone only."""

    session: Session
    title: str
    when: str
    date: str
    place: tuple[str, ...]
    plain: str


def session_parts(session: Session, summit_zone: tzinfo) -> SessionParts:
    """Title, time range, date token, room and proposers lines, and the plain fallback."""
    when = time_range(session, summit_zone)
    place = [f":round_pushpin: {escape(session.room) if session.room else 'room not announced'}"]
    if session.proposers:
        place.append(f":bust_in_silhouette: {escape(', '.join(session.proposers))}")
    room = f", {escape(session.room)}" if session.room else ""
    return SessionParts(
        session=session,
        title=f"*{escape(session.title)}*",
        when=when,
        date=slack_date(session.start, summit_zone),
        place=tuple(place),
        plain=f"{escape(session.title)} — {when}{room}",
    )


class RenderCache:
    """The `SessionParts` of one schedule version, made once per session and kept.

    The schedule source keeps one per schedule version (`ScheduleSource.derived`), so
    nothing here is ever stale; an entry is used only for the very session object it was
    made from.
    """

    def __init__(self, schedule: Schedule) -> None:
        """An empty cache for the sessions of `schedule`, shown in its zone."""
        self.summit_zone = schedule.zone
        self._parts: dict[str, SessionParts] = {}

    def parts(self, session: Session, summit_zone: tzinfo) -> SessionParts:
        """The parts of `session`, from the cache when it holds this very session."""
        if summit_zone is not self.summit_zone:
            return session_parts(session, summit_zone)
        found = self._parts.get(session.id)
        if found is not None and found.session is session:
            return found
        made = session_parts(session, summit_zone)
        self._parts[session.id] = made
        return made


def _parts_of(session: Session, summit_zone: tzinfo, cache: RenderCache | None) -> SessionParts:
    if cache is None:
        return session_parts(session, summit_zone)
    return cache.parts(session, summit_zone)


def session_text(
    session: Session,
    summit_zone: tzinfo,
    viewer_zone: tzinfo | None,
    at: datetime,
    *,
    overlaps: Sequence[Session] = (),
    cache: RenderCache | None = None,
) -> str:
    """The mrkdwn body of a session: title, times, room, proposers, status and overlaps."""
    parts = _parts_of(session, summit_zone, cache)
    local = ""
    if viewer_zone is not None and _differs(session.start, summit_zone, viewer_zone):
        local = f" · your time {clock_label(session.start, viewer_zone)}"
    lines = [parts.title, f":clock3: {parts.when}{local} · {parts.date}", *parts.place]
    lines.append(f"_{status_line(session, at)}_")
    for other in overlaps:
        lines.append(
            f":warning: overlaps your bookmark *{escape(other.title)}* ({time_range(other, summit_zone)})"
        )
    return truncate(_join(lines), MAX_SECTION_TEXT)


def plain_session(
    session: Session, summit_zone: tzinfo, at: datetime, cache: RenderCache | None = None
) -> str:
    """A one-line fallback for notifications (mrkdwn: the schedule's text is escaped)."""
    return f"{_parts_of(session, summit_zone, cache).plain} ({status_line(session, at)})"


def bookmark_button(
    session: Session, bookmarked: bool | None, query: str, page: int = 0
) -> Element:
    """The button that shows and toggles a session's bookmark state.

    `bookmarked` None is a message many people see (a shared answer): the button shows no
    one's state and toggles the bookmark of whoever clicks it.
    """
    if bookmarked is None:
        return kit.button("Bookmark", TOGGLE_BOOKMARK, encode_value(id=session.id), emoji=True)
    return kit.button(
        "Bookmarked ✓" if bookmarked else "Bookmark",
        UNBOOKMARK if bookmarked else BOOKMARK,
        encode_value(id=session.id, q=query[:500], p=page),
        style="primary" if not bookmarked else None,
        emoji=True,
    )


def session_blocks(
    session: Session,
    summit_zone: tzinfo,
    viewer_zone: tzinfo | None,
    at: datetime,
    *,
    bookmarked: bool | None,
    query: str,
    page: int = 0,
    overlaps: Sequence[Session] = (),
    accessory: Element | None = None,
    details: bool = True,
    cache: RenderCache | None = None,
) -> list[Block]:
    """A session as a section with its bookmark button (or another accessory).

    With `details`, a row with the Details button follows, which shows the session in full
    to whoever clicks it. `bookmarked` None: a neutral button (see `bookmark_button`).
    """
    button = accessory or bookmark_button(session, bookmarked, query, page)
    text = session_text(session, summit_zone, viewer_zone, at, overlaps=overlaps, cache=cache)
    blocks: list[Block] = [kit.section(text, accessory=button)]
    if details:
        blocks.append(kit.actions(details_button(session)))
    return blocks


def details_button(session: Session) -> Element:
    """The button that shows `session` in full to whoever clicks it."""
    return kit.button("Details", DETAILS, encode_value(id=session.id))


def header(text: str) -> Block:
    """A header block, cut to Slack's 150 characters."""
    return kit.header(text)


def note(text: str) -> Block:
    """A small grey line of mrkdwn."""
    return kit.context(text)


def section(text: str) -> Block:
    """A plain section of mrkdwn, cut to Slack's limit."""
    return kit.section(text)


def more_button(query: str, page: int, label: str = "More") -> Block:
    """A button that shows the next page of an answer."""
    return kit.actions(kit.button(label, MORE, encode_value(q=query[:500], p=page)))


def _differs(instant: datetime, a: tzinfo, b: tzinfo) -> bool:
    return instant.astimezone(a).utcoffset() != instant.astimezone(b).utcoffset()


def _join(lines: Iterable[str]) -> str:
    return "\n".join(lines)
