"""The reminder DM: what a person reads shortly before a bookmarked session."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core import Core
from bot.core import block_kit as kit
from bot.core.message import Block, Message, encode_value, escape, links
from bot.render.blocks import note, section, session_blocks
from bot.render.words import clock_label, duration_words, moment, plural
from schedule.model import Session

REMOVE_BOOKMARK = "reminder_remove_bookmark"
"""The action of the DM's "Remove bookmark" button."""

LATE_AFTER = timedelta(minutes=1)
"""A reminder sent this long after its moment says it is late."""


def reminder_message(
    core: Core, user_id: str, session: Session, at: datetime, due_at: datetime | None = None
) -> Message:
    """The DM reminding `user_id` of `session` at `at` (planned for `due_at`).

    Title, start in the summit's zone and the person's, Slack's date token, room,
    proposers and links, with a button that removes the bookmark; the fallback text
    holds the essentials ("Starts in 10 min: Title — Tue 5 Nov 11:15 HKT, Room 204-205").
    """
    summit = core.index.schedule.zone
    viewer = core.viewer_zone(user_id)
    # To the nearest minute: a burst goes out up to its backlog early, and a DM sent at
    # 10 min 20 s before still reads "Starts in 10 min".
    minutes = max(round((session.start - at).total_seconds() / 60), 0)
    starts = duration_words(minutes)
    begun = _begun(at, session)
    when = moment(session.start, summit)
    if viewer is not None:
        local = clock_label(session.start, viewer)
        if local != clock_label(session.start, summit):
            when += f" ({local} your time)"
    room = f", {escape(session.room)}" if session.room else ""
    headline = f"Starts in {starts}" if begun is None else begun
    text = f"{headline}: {escape(session.title)} — {when}{room}"
    button = kit.button("Remove bookmark", REMOVE_BOOKMARK, encode_value(id=session.id))
    blocks: list[Block] = [section(f":bell: *{headline}*")]
    blocks += session_blocks(
        session, summit, viewer, at, bookmarked=True, query="", accessory=button
    )
    shown_links = links(session.links)
    if shown_links:
        blocks.append(note(shown_links))
    if due_at is not None and at - due_at >= LATE_AFTER and begun is None:
        in_words = plural(minutes, "minute") if minutes < 60 else starts
        blocks.append(
            note(
                f"Sorry, this comes late (I was away at the reminder time): it starts in {in_words}."
            )
        )
    cmd = core.settings.command
    blocks.append(note(f"Change when I remind you with `{cmd} remind 5`, or `{cmd} remind off`."))
    return Message(text=text, blocks=tuple(blocks))


def _begun(at: datetime, session: Session) -> str | None:
    """The headline once the session has begun (lead 0, or late): "Starting now", "Started 3 min ago"."""
    if at < session.start:
        return None
    ago = int((at - session.start).total_seconds() // 60)
    return "Starting now" if ago < 1 else f"Started {duration_words(ago)} ago"
