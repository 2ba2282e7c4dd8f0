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
from bot.render.words import clock_label, slack_date, status_line, time_range
from schedule.model import Session

BOOKMARK = "bookmark"
UNBOOKMARK = "unbookmark"
TOGGLE_BOOKMARK = "bookmark_toggle"
"""A shared message's button: bookmarks or unbookmarks the session for whoever clicks."""
DETAILS = "details"
"""Shows one session in full to whoever clicks."""
MORE = "more"
SHOW_MORE = "show_more"


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
        local = f" · your time {clock_label(session.start, viewer_zone)}"
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
    """A one-line fallback for notifications (mrkdwn: the schedule's text is escaped)."""
    room = f", {escape(session.room)}" if session.room else ""
    return f"{escape(session.title)} — {time_range(session, summit_zone)}{room} ({status_line(session, at)})"


def bookmark_button(
    session: Session, bookmarked: bool | None, query: str, page: int = 0
) -> ButtonElement:
    """The button that shows and toggles a session's bookmark state.

    `bookmarked` None is a message many people see (a shared answer): the button shows no
    one's state and toggles the bookmark of whoever clicks it.
    """
    if bookmarked is None:
        return ButtonElement(
            text=PlainTextObject(text="Bookmark", emoji=True),
            action_id=TOGGLE_BOOKMARK,
            value=encode_value(id=session.id),
        )
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
    bookmarked: bool | None,
    query: str,
    page: int = 0,
    overlaps: Sequence[Session] = (),
    accessory: ButtonElement | None = None,
    details: bool = True,
) -> list[Block]:
    """A session as a section with its bookmark button (or another accessory).

    With `details`, a row with the Details button follows, which shows the session in full
    to whoever clicks it. `bookmarked` None: a neutral button (see `bookmark_button`).
    """
    button = accessory or bookmark_button(session, bookmarked, query, page)
    text = session_text(session, summit_zone, viewer_zone, at, overlaps=overlaps)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text), accessory=button)]
    if details:
        blocks.append(ActionsBlock(elements=[details_button(session)]))
    return blocks


def details_button(session: Session) -> ButtonElement:
    """The button that shows `session` in full to whoever clicks it."""
    return ButtonElement(
        text=PlainTextObject(text="Details"),
        action_id=DETAILS,
        value=encode_value(id=session.id),
    )


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
