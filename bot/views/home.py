"""The "my summit" page shown in Slack's App Home: now and next, my bookmarks, my reminders.

The page is built here, in the core, so that every front end can show it; the Slack
handler only publishes it. Its buttons carry the query `home`, which tells the bookmark
action not to re-render a message: the front end shows the page again instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import groupby

from bot.core import Core
from bot.core import block_kit as kit
from bot.core.core import zone_named
from bot.core.message import MAX_BLOCKS, Block, Message, escape
from bot.render.blocks import RenderCache, header, note, plain_session, section, session_blocks
from bot.render.words import (
    clock_label,
    duration_words,
    long_day,
    relative,
    when,
    zone_label,
)
from bot.store import Preferences
from schedule.index import ScheduleIndex
from schedule.model import Session

HOME_QUERY = "home"
"""The query the page's buttons carry: a click re-shows the page rather than a message."""

NOW_LIMIT = 6
NEXT_LIMIT = 6
BOOKMARK_LIMIT = 15
REMINDER_COMMANDS = ("remind", "reminders")


def home_view(core: Core, user_id: str, at: datetime, notice: Message | None = None) -> Message:
    """The page of `user_id` at `at`, at most 50 blocks; `notice` (a click's note) on top."""
    index = core.index
    zone = index.schedule.zone
    # One read for the person's zone, settings and bookmarks.
    seen = core.store.viewer(user_id)
    viewer = zone_named(seen.preferences.timezone)
    ids = seen.bookmarks
    cache = core.schedules.derived(RenderCache)
    blocks: list[Block] = [header(f"My summit · {index.schedule.name}")]
    if notice is not None:
        blocks.append(section(_notice_text(notice)))

    def sessions(group: Sequence[Session], limit: int, *, overlaps: bool = False) -> list[Block]:
        shown: list[Block] = []
        for session in group[:limit]:
            clashes = [
                other
                for other in index.overlaps(session)
                if overlaps and other.id in ids and other.id != session.id
            ]
            shown += session_blocks(
                session,
                zone,
                viewer,
                at,
                bookmarked=session.id in ids,
                query=HOME_QUERY,
                overlaps=clashes,
                # The page holds up to 27 sessions: a Details row each would pass 50 blocks.
                details=False,
                cache=cache,
            )
        if len(group) > limit:
            shown.append(note(f"… and {len(group) - limit} more."))
        return shown

    blocks += [kit.divider(), section("*Now*")]
    on = index.now(at)
    upcoming = index.next(at)
    if on:
        blocks += sessions(on, NOW_LIMIT)
    else:
        blocks.append(note(_nothing_on(index, at)))

    if upcoming is not None:
        starts = clock_label(upcoming.start, zone)
        blocks += [section(f"*Next* · {starts}, {relative(at, upcoming.start)}")]
        blocks += sessions(upcoming.sessions, NEXT_LIMIT)

    mine = [s for s in index.sessions if s.id in ids]
    ahead = [s for s in mine if s.end > at]
    blocks += [
        kit.divider(),
        section(f"*My bookmarks* · {len(ahead)} to come, {len(mine)} in all"),
    ]
    if not mine:
        blocks.append(
            note(
                f"No bookmarks yet. Press *Bookmark* on a session, or try `{core.settings.command} today`."
            )
        )
    elif not ahead:
        blocks.append(note("All your bookmarked sessions are over."))
    for day, group in groupby(
        ahead[:BOOKMARK_LIMIT], key=lambda s: s.start.astimezone(zone).date()
    ):
        blocks.append(note(f"*{long_day(day)}*"))
        blocks += sessions(list(group), BOOKMARK_LIMIT, overlaps=True)
    if len(ahead) > BOOKMARK_LIMIT:
        blocks.append(
            note(f"… and {len(ahead) - BOOKMARK_LIMIT} more: `{core.settings.command} mine`.")
        )

    blocks += [kit.divider(), section(_reminder_text(core, seen.preferences))]
    blocks.append(
        note(
            f"Times are in the summit's zone ({zone_label(at, zone)}); `{core.settings.command} help` lists everything."
        )
    )
    fallback = "\n".join(
        plain_session(s, zone, at, cache) for s in (*on, *(upcoming.sessions if upcoming else ()))
    )
    return Message(text=f"My summit\n{fallback}".strip(), blocks=tuple(_fit(blocks)))


def _reminder_text(core: Core, prefs: Preferences) -> str:
    if not prefs.reminders_enabled:
        text = ":bell: *Reminders* · off: you get no messages before your bookmarked sessions."
    else:
        lead = prefs.lead_minutes
        minutes = core.settings.reminder_lead_minutes if lead is None else lead
        default = " (the default)" if lead is None else ""
        ahead = (
            "when they start" if minutes == 0 else f"{duration_words(minutes)} before they start"
        )
        text = f":bell: *Reminders* · on: a message {ahead}{default}, for each bookmarked session."
    usage = next(filter(None, map(core.commands.usage, REMINDER_COMMANDS)), None)
    if usage is not None:
        text += f"\nChange it with `{core.settings.command} {usage}`."
    return text


def _notice_text(notice: Message) -> str:
    for block in notice.blocks:
        body = kit.text_of(block)
        if body is not None:
            return body
    return escape(notice.text)


def _nothing_on(index: ScheduleIndex, at: datetime) -> str:
    """Why nothing is on at `at`: an empty schedule, not started yet, over, or a gap."""
    if index.first is None:
        return "The schedule is empty."
    if at < index.first.start:
        return f"The summit has not started yet; it starts {when(index.first.start, index.schedule.zone)}."
    if index.next(at) is None:
        return "The summit is over. Thank you for coming!"
    return "Nothing is on right now."


def _fit(blocks: list[Block]) -> list[Block]:
    """Keep the page within a message's block limit, ending on the last blocks (reminders)."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    tail = blocks[-3:]
    return [*blocks[: MAX_BLOCKS - len(tail) - 1], note("… more in `mine`."), *tail]
