"""Block Kit rendering of sessions, in the summit's zone and the viewer's own."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.core.message import MAX_SECTION_TEXT, encode_value, escape
from schedule.model import Session
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


def session_text(
    session: Session,
    summit_zone: tzinfo,
    viewer_zone: tzinfo | None,
    at: datetime,
    *,
    overlaps: Sequence[Session] = (),
) -> str:
    """The mrkdwn body of a session: title, times, room, proposers, status and overlaps."""
    lines = [f"*{escape(session.title)}*"]
    when = time_range(session, summit_zone)
    local = ""
    if viewer_zone is not None and _differs(session.start, summit_zone, viewer_zone):
        local = f" · your time {clock_time(session.start, viewer_zone)} " + zone_label(
            session.start, viewer_zone
        )
    lines.append(f":clock3: {when}{local} · {slack_date(session.start, summit_zone)}")
    lines.append(
        f":round_pushpin: {escape(session.room) if session.room else 'room not announced'}"
    )
    if session.proposers:
        lines.append(f":bust_in_silhouette: {escape(', '.join(session.proposers))}")
    lines.append(f"_{status_line(session, at)}_")
    for other in overlaps:
        lines.append(
            f":warning: overlaps your bookmark *{escape(other.title)}* ({time_range(other, summit_zone)})"
        )
    return truncate(_join(lines), MAX_SECTION_TEXT)


def plain_session(session: Session, summit_zone: tzinfo, at: datetime) -> str:
    """A one-line fallback for notifications."""
    room = f", {session.room}" if session.room else ""
    return (
        f"{session.title} — {time_range(session, summit_zone)}{room} ({status_line(session, at)})"
    )


def bookmark_button(session: Session, bookmarked: bool, query: str, page: int = 0) -> ButtonElement:
    """The button that shows and toggles a session's bookmark state."""
    return ButtonElement(
        text=PlainTextObject(text="Bookmarked ✓" if bookmarked else "Bookmark", emoji=True),
        action_id=UNBOOKMARK if bookmarked else BOOKMARK,
        value=encode_value(id=session.id, q=query[:500], p=page),
        style="primary" if not bookmarked else None,
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
    accessory: ButtonElement | None = None,
) -> list[Block]:
    """A session as one section with its bookmark button (or another accessory)."""
    button = accessory or bookmark_button(session, bookmarked, query, page)
    text = session_text(session, summit_zone, viewer_zone, at, overlaps=overlaps)
    return [SectionBlock(text=MarkdownTextObject(text=text), accessory=button)]


def header(text: str) -> HeaderBlock:
    """A header block, cut to Slack's 150 characters."""
    return HeaderBlock(text=PlainTextObject(text=truncate(text, 150), emoji=True))


def note(text: str) -> ContextBlock:
    """A small grey line of mrkdwn."""
    return ContextBlock(elements=[MarkdownTextObject(text=truncate(text, MAX_SECTION_TEXT))])


def section(text: str) -> SectionBlock:
    """A plain section of mrkdwn, cut to Slack's limit."""
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, MAX_SECTION_TEXT)))


def more_button(query: str, page: int, label: str = "More") -> ActionsBlock:
    """A button that shows the next page of an answer."""
    return ActionsBlock(
        elements=[
            ButtonElement(
                text=PlainTextObject(text=label),
                action_id=MORE,
                value=encode_value(q=query[:500], p=page),
            )
        ]
    )


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _differs(instant: datetime, a: tzinfo, b: tzinfo) -> bool:
    return instant.astimezone(a).utcoffset() != instant.astimezone(b).utcoffset()


def _join(lines: Iterable[str]) -> str:
    return "\n".join(lines)
