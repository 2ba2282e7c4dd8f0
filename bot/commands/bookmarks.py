"""Bookmarks: `/nova mine`, the bookmark buttons, and the paging buttons."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from itertools import groupby

from bot.commands.registry import Click, Registry, Request
from bot.core import ActionResult
from bot.core import block_kit as kit
from bot.core.message import MAX_SECTION_TEXT, Block, Message, encode_value, escape
from bot.render.blocks import (
    BOOKMARK,
    DETAILS,
    MORE,
    SHOW_MORE,
    TOGGLE_BOOKMARK,
    UNBOOKMARK,
    header,
    more_button,
    note,
    plain_session,
    section,
    session_blocks,
)
from bot.render.words import long_day, page_of, time_range
from bot.store import Store
from schedule.model import Session

MINE_PAGE_SIZE = 12


def mine(req: Request) -> Message:
    """The asker's bookmarked sessions, grouped by day, overlaps flagged, each removable.

    Shared, it lists the sessions with neutral buttons: no overlaps, no Remove, no gone ones.
    """
    if req.viewer is None:
        return Message(
            text="I cannot reach my database right now, so I cannot show your bookmarks.",
            blocks=(
                section(
                    "I cannot reach my database right now, so I cannot show your bookmarks. "
                    "Please try again in a moment."
                ),
            ),
        )
    ids = req.bookmarks
    sessions = [s for s in req.index.sessions if s.id in ids]
    gone = sorted(ids - {s.id for s in sessions})
    cmd = req.core.settings.command
    if req.shared:
        return shared_mine(req, sessions)
    if not sessions and not gone:
        return Message(
            text="You have no bookmarks yet.",
            blocks=(
                section(f"You have no bookmarks yet. Try `{cmd} today` and press *Bookmark*."),
            ),
        )
    shown, remaining = page_of(sessions, req.page, MINE_PAGE_SIZE)
    blocks: list[Block] = [header(f"Your bookmarks · {len(sessions)}")]
    blocks += _days(req, shown, sessions)
    if remaining > 0:
        blocks.append(more_button(req.query, req.page + 1, f"More ({remaining})"))
    if gone and req.page == 0:
        titles = vanished_titles(req.core.store, gone)
        listed = ", ".join(f"*{escape(titles[g])}*" for g in gone[:20])
        blocks.append(note(f"No longer in the schedule: {listed}"))
    fallback = "\n".join(plain_session(s, req.summit_zone, req.at, req.render_cache) for s in shown)
    return Message(text=f"Your bookmarks ({len(sessions)})\n{fallback}", blocks=tuple(blocks))


def _days(req: Request, shown: Sequence[Session], bookmarked: Sequence[Session]) -> list[Block]:
    """The `shown` bookmarks under a line per day, each with its clashes among `bookmarked`."""
    zone = req.summit_zone
    blocks: list[Block] = []
    for day, group in groupby(shown, key=lambda s: s.start.astimezone(zone).date()):
        blocks.append(note(f"*{long_day(day)}*"))
        for session in group:
            clashes = [
                other for other in bookmarked if other.id != session.id and other.overlaps(session)
            ]
            blocks += session_blocks(
                session,
                zone,
                req.viewer_zone,
                req.at,
                bookmarked=True,
                query=req.query,
                page=req.page,
                overlaps=clashes,
                accessory=remove_button(session, req.query, req.page),
                cache=req.render_cache,
            )
    return blocks


def shared_mine(req: Request, sessions: list[Session]) -> Message:
    """The sharer's bookmarks as the channel sees them: the sessions, each to bookmark for oneself."""
    shown = sessions[:MINE_PAGE_SIZE]
    if not shown:
        return Message(
            text="No bookmarks to share yet.", blocks=(section("No bookmarks to share yet."),)
        )
    zone = req.summit_zone
    blocks: list[Block] = [header(f"Bookmarked sessions · {len(sessions)}")]
    for day, group in groupby(shown, key=lambda s: s.start.astimezone(zone).date()):
        blocks.append(note(f"*{long_day(day)}*"))
        for session in group:
            blocks += session_blocks(
                session,
                zone,
                None,
                req.at,
                bookmarked=None,
                query=req.query,
                cache=req.render_cache,
            )
    if len(sessions) > len(shown):
        blocks.append(note(f"… and {len(sessions) - len(shown)} more."))
    fallback = "\n".join(plain_session(s, zone, req.at, req.render_cache) for s in shown)
    return Message(text=f"Bookmarked sessions ({len(sessions)})\n{fallback}", blocks=tuple(blocks))


def vanished_titles(store: Store, ids: Iterable[str]) -> dict[str, str]:
    """The titles of sessions no longer in the schedule, from the schedules kept before.

    A session found in none of them is named "a session no longer in the schedule".
    """
    wanted = set(ids)
    titles: dict[str, str] = {}
    for snapshot in store.snapshots.recent():
        try:
            document = json.loads(snapshot.content)
        except ValueError:
            continue
        for entry in document.get("sessions", ()) if isinstance(document, dict) else ():
            if isinstance(entry, dict) and entry.get("id") in wanted:
                titles.setdefault(str(entry["id"]), str(entry.get("title") or entry["id"]))
    return {i: titles.get(i, "a session no longer in the schedule") for i in wanted}


def remove_button(session: Session, query: str, page: int) -> kit.Element:
    """A button that removes the session from the person's bookmarks."""
    return kit.button(
        "Remove", UNBOOKMARK, encode_value(id=session.id, q=query[:500], p=page), style="danger"
    )


def toggle_bookmark(click: Click) -> ActionResult:
    """Store the new bookmark state, re-render the message, and confirm with any overlaps."""
    core = click.core
    session = core.index.get(str(click.value.get("id", "")))
    if session is None:
        if click.action_id == UNBOOKMARK:
            core.store.bookmarks.remove(click.user_id, str(click.value.get("id", "")))
        return ActionResult(notice=Message(text="That session is no longer in the schedule."))
    wanted = click.action_id == BOOKMARK
    query = str(click.value.get("q", "")) or f"show {session.id}"
    page = _int(click.value.get("p"))
    notice = _set_and_tell(click, session, wanted)
    update = core.answer(query, click.user_id, click.at, page) if query != "home" else None
    return ActionResult(update=update, notice=notice)


def toggle_for_clicker(click: Click) -> ActionResult:
    """A shared message's button: flip the clicker's own bookmark and tell only them.

    The shared message is left as it is: it shows no one's state.
    """
    session = click.core.index.get(str(click.value.get("id", "")))
    if session is None:
        return ActionResult(notice=Message(text="That session is no longer in the schedule."))
    wanted = session.id not in click.core.store.bookmarks.sessions_of(click.user_id)
    return ActionResult(notice=_set_and_tell(click, session, wanted))


def _set_and_tell(click: Click, session: Session, wanted: bool) -> Message:
    """Bookmark or unbookmark `session` for the clicker; the note saying what happened."""
    core = click.core
    had = session.id in core.store.bookmarks.sessions_of(click.user_id)
    lines = core.set_bookmark(click.user_id, session, wanted, click.at)
    zone = core.index.schedule.zone
    title = escape(session.title)
    if wanted and had:
        text = f"*{title}* is already in your bookmarks."
    elif wanted:
        text = f"Bookmarked *{title}* ({time_range(session, zone)})."
        for other in _bookmarked_overlaps(click, session):
            lines.insert(
                0,
                f":warning: It overlaps your bookmark *{escape(other.title)}* "
                f"({time_range(other, zone)}).",
            )
    elif had:
        text = f"Removed *{title}* from your bookmarks."
    else:
        text = f"*{title}* was not in your bookmarks."
    body = "\n".join([text, *lines])
    return Message(text=_plain(body), blocks=(section(body),))


def details(click: Click) -> ActionResult:
    """Show one session in full to whoever clicked, as they would see `show <id>`."""
    session_id = str(click.value.get("id", ""))
    if click.core.index.get(session_id) is None:
        return ActionResult(notice=Message(text="That session is no longer in the schedule."))
    return ActionResult(notice=click.core.answer(f"show {session_id}", click.user_id, click.at))


def more(click: Click) -> ActionResult:
    """Show the next page of the answer the button sits under."""
    query = str(click.value.get("q", "now"))
    page = _int(click.value.get("p"))
    return ActionResult(update=click.core.answer(query, click.user_id, click.at, page))


def show_more(click: Click) -> ActionResult:
    """Send the whole description of a session, in as many sections as it needs."""
    session = click.core.index.get(str(click.value.get("id", "")))
    if session is None:
        return ActionResult(notice=Message(text="That session is no longer in the schedule."))
    text = escape(session.description.strip())
    size = MAX_SECTION_TEXT - 10
    chunks = [text[i : i + size] for i in range(0, len(text), size)][:48]
    blocks: list[Block] = [header(session.title), *(section(chunk) for chunk in chunks)]
    return ActionResult(
        notice=Message(
            text=escape(f"{session.title}: {session.description[:300]}"), blocks=tuple(blocks)
        )
    )


def _bookmarked_overlaps(click: Click, session: Session) -> list[Session]:
    ids = click.core.store.bookmarks.sessions_of(click.user_id)
    return [s for s in click.core.index.overlaps(session) if s.id in ids]


def _int(value: object) -> int:
    try:
        return max(int(str(value)), 0)
    except ValueError:
        return 0


def _plain(mrkdwn: str) -> str:
    return mrkdwn.replace("*", "").replace(":warning: ", "⚠ ")


def register(registry: Registry) -> None:
    """Add this module's subcommands and buttons to `registry`."""
    registry.add_command(
        "mine",
        "mine",
        "your bookmarks by day, with overlaps marked",
        mine,
        ("bookmarks",),
        group="Your summit",
        shareable=True,
    )
    registry.add_action(toggle_bookmark, BOOKMARK, UNBOOKMARK)
    registry.add_action(toggle_for_clicker, TOGGLE_BOOKMARK)
    registry.add_action(details, DETAILS)
    registry.add_action(more, MORE)
    registry.add_action(show_more, SHOW_MORE)
