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
from schedule.model import Schedule, Session
from schedule.ranges import clock_time as clock_time
from schedule.ranges import day_label as day_label
from schedule.ranges import format_range
from schedule.ranges import zone_label as zone_label

BOOKMARK = "bookmark"
UNBOOKMARK = "unbookmark"
MORE = "more"
SHOW_MORE = "show_more"


def time_range(session: Session, zone: tzinfo) -> str:
    """Format like "Tue 5 Nov 11:15–11:55 HKT"; each end labelled when DST differs."""
    return format_range(session.start, session.end, zone)


def slack_date(instant: datetime, zone: tzinfo, fmt: str = "{date_short_pretty} {time}") -> str:
    """A `<!date^…>` token Slack shows in each viewer's own zone, falling back to `zone`."""
    fallback = f"{day_label(instant, zone)} {clock_time(instant, zone)} {zone_label(instant, zone)}"
    return f"<!date^{int(instant.timestamp())}^{fmt}|{fallback}>"


def duration_words(minutes: int) -> str:
    """Format like "45 min", "2 h", "1 h 5 min", "3 days"."""
    if minutes < 60:
        return f"{minutes} min"
    if minutes >= 48 * 60:
        return f"{round(minutes / 1440)} days"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h" if rest == 0 else f"{hours} h {rest} min"


def minutes_between(earlier: datetime, later: datetime) -> int:
    """Whole minutes from `earlier` to `later`, rounded up."""
    seconds = (later - earlier).total_seconds()
    return int(-(-seconds // 60))


def status_line(session: Session, at: datetime) -> str:
    """Where the session stands at `at`: on now with time left, starting in, or ended.

    A point event is never on: at its instant it is "now", after it "passed".
    """
    if session.in_progress(at):
        return f"on now · {duration_words(minutes_between(at, session.end))} left"
    if at < session.start:
        return f"starts in {duration_words(minutes_between(at, session.start))}"
    if session.is_point:
        return "now" if at == session.start else "passed"
    return "ended"


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
        local = f" · your time {clock_time(session.start, viewer_zone)} " + zone_label(
            session.start, viewer_zone
        )
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


def bookmark_button(session: Session, bookmarked: bool, query: str, page: int = 0) -> Element:
    """The button that shows and toggles a session's bookmark state."""
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
    bookmarked: bool,
    query: str,
    page: int = 0,
    overlaps: Sequence[Session] = (),
    accessory: Element | None = None,
    cache: RenderCache | None = None,
) -> list[Block]:
    """A session as one section with its bookmark button (or another accessory)."""
    button = accessory or bookmark_button(session, bookmarked, query, page)
    text = session_text(session, summit_zone, viewer_zone, at, overlaps=overlaps, cache=cache)
    return [kit.section(text, accessory=button)]


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
