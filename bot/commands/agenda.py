"""The schedule subcommands: now, next, today, tomorrow, a day, search, show."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from bot.commands.registry import Registry, Request
from bot.core import block_kit as kit
from bot.core.message import MAX_SECTION_TEXT, Block, Message, encode_value, escape, links
from bot.render.blocks import (
    SHOW_MORE,
    header,
    more_button,
    note,
    plain_session,
    section,
    session_blocks,
    truncate,
)
from bot.render.words import clock_label, day_label, long_day, page_of, plural, relative, when
from schedule.model import Session
from schedule.timeparse import resolve_day

PAGE_SIZE = 10
DESCRIPTION_LIMIT = 2800


def session_list(
    req: Request, title: str, sessions: Sequence[Session], *, intro: Sequence[Block] = ()
) -> Message:
    """A page of sessions under a header, each with its bookmark button, and "More" if needed."""
    shown, remaining = page_of(sessions, req.page, PAGE_SIZE)
    blocks: list[Block] = [header(title), *intro]
    for session in shown:
        blocks += session_blocks(
            session,
            req.summit_zone,
            req.viewer_zone,
            req.at,
            bookmarked=req.bookmarked(session.id),
            query=req.query,
            page=req.page,
            cache=req.render_cache,
        )
    if remaining > 0:
        blocks.append(more_button(req.query, req.page + 1, f"More ({remaining})"))
    fallback = "\n".join(plain_session(s, req.summit_zone, req.at, req.render_cache) for s in shown)
    return Message(text=f"{escape(title)}\n{fallback}".strip(), blocks=tuple(blocks))


def notice(text: str, *extra: Block) -> Message:
    """A short message with one section of text."""
    return Message(text=text, blocks=(section(text), *extra))


def now(req: Request) -> Message:
    """What is in progress; before the summit, when it starts; after it, that it is over."""
    index, at = req.index, req.at
    if index.first is None:
        return notice("The schedule is empty.")
    on = index.now(at)
    upcoming = index.next(at)
    if on:
        intro: list[Block] = []
        message = session_list(req, f"On now · {plural(len(on), 'session')}", on)
        if upcoming is not None and req.page == 0:
            titles = ", ".join(escape(s.title) for s in upcoming.sessions[:3])
            when = f"{_clock(upcoming.start, req)} ({relative(req.at, upcoming.start)})"
            intro.append(note(f"Next at {when}: {titles}"))
            return Message(text=message.text, blocks=(*message.blocks, *intro))
        return message
    if at < index.first.start:
        return _starts_later(req)
    if upcoming is None:
        return notice(f"The summit is over — the last session ended {_when(index.ends_at, req)}.")
    return session_list(
        req,
        "Nothing is on right now",
        upcoming.sessions,
        intro=[note(f"Next, {relative(req.at, upcoming.start)}:")],
    )


def next_(req: Request) -> Message:
    """The sessions of the next start time after now."""
    index = req.index
    if index.first is None:
        return notice("The schedule is empty.")
    if req.at < index.first.start:
        return _starts_later(req)
    upcoming = index.next(req.at)
    if upcoming is None:
        still_on = index.now(req.at)
        if still_on:
            # After the last start but before the last end the summit is not over yet.
            return session_list(
                req,
                "Nothing else starts",
                still_on,
                intro=[note(f"The last session ends {_when(index.ends_at, req)}. Still on:")],
            )
        return notice(f"The summit is over — the last session ended {_when(index.ends_at, req)}.")
    title = f"Next at {_clock(upcoming.start, req)} · {relative(req.at, upcoming.start)}"
    return session_list(req, title, upcoming.sessions)


def today(req: Request) -> Message:
    """The agenda of the summit's current local day."""
    return day_message(req, req.at.astimezone(req.summit_zone).date())


def tomorrow(req: Request) -> Message:
    """The agenda of the next local day."""
    return day_message(req, req.at.astimezone(req.summit_zone).date() + timedelta(days=1))


def day(req: Request) -> Message:
    """The agenda of a named weekday or a date."""
    today_ = req.at.astimezone(req.summit_zone).date()
    found = resolve_day(req.args, req.index.days(), today_) if req.args else None
    if found is None:
        return notice(f"Which day? Try `{req.core.settings.command} day thursday` or a date.")
    return day_message(req, found)


def day_message(req: Request, which: date) -> Message:
    """The sessions of `which` in the summit's zone, or where the summit's days are."""
    sessions = req.index.day(which)
    title = long_day(which, year=True)
    if not sessions:
        days = ", ".join(day_label(d) for d in req.index.days())
        return notice(f"No sessions on {title}. The summit's days: {days or 'none'}.")
    return session_list(req, f"{title} · {len(sessions)} sessions", sessions)


def search(req: Request) -> Message:
    """Sessions matching all the words; title matches first."""
    if not req.args:
        return notice(f"Search for what? Try `{req.core.settings.command} search scheduler`.")
    found = req.index.search(req.args)
    words = escape(req.args[:200])
    if not found:
        return notice(f"Nothing matches “{words}”.")
    count = plural(len(found), "session")
    return session_list(req, f"{count} match “{req.args[:100]}”", found)


def show(req: Request) -> Message:
    """One session in full: times, room, proposers, description, merged proposals, links."""
    cmd = req.core.settings.command
    if not req.args:
        example = req.index.sessions[0].id if req.index.sessions else "instance-tasks-in-api"
        return notice(
            f"Show which session? `{cmd} show {escape('<id>')}`, e.g. "
            f"`{cmd} show {escape(example)}`. Every list has a *Details* button, and "
            f"`{cmd} search {escape('<words>')}` finds sessions."
        )
    session = req.index.get(req.args)
    if session is None:
        hint = ""
        if req.args:
            matches = req.index.search(req.args.replace("-", " "))[:3]
            if matches:
                hint = " Did you mean " + ", ".join(f"`{escape(s.id)}`" for s in matches) + "?"
        return notice(f"No session with id `{escape(req.args[:100])}`.{hint}")
    return session_detail(req, session)


def session_detail(req: Request, session: Session) -> Message:
    """The full page of a session (without anyone's bookmark state when shared)."""
    bookmarked = req.bookmarked(session.id)
    overlapping = [s for s in req.index.overlaps(session) if s.id in req.bookmarks]
    blocks: list[Block] = [header(session.title)]
    blocks += session_blocks(
        session,
        req.summit_zone,
        req.viewer_zone,
        req.at,
        bookmarked=bookmarked,
        query=req.query,
        overlaps=overlapping if bookmarked else (),
        details=False,
        cache=req.render_cache,
    )
    # A merged session's description is the text of its proposals, shown one by one below.
    if session.description.strip() and not session.proposals:
        text = escape(session.description.strip())
        if len(text) > DESCRIPTION_LIMIT:
            blocks.append(section(truncate(text, DESCRIPTION_LIMIT)))
            blocks.append(_show_more_button(session))
        else:
            blocks.append(section(text))
    for proposal in session.proposals[:10]:
        by = (
            f" _(proposed by {escape(', '.join(proposal.proposers))})_"
            if proposal.proposers
            else ""
        )
        body = escape(proposal.description.strip())
        blocks.append(
            section(truncate(f"*{escape(proposal.title)}*{by}\n{body}", MAX_SECTION_TEXT))
        )
    shown_links = links(session.links)
    if shown_links:
        blocks.append(note(shown_links))
    blocks.append(
        note(
            f"id `{escape(session.id)}`"
            + (f" · track {escape(session.track)}" if session.track else "")
        )
    )
    return Message(text=plain_session(session, req.summit_zone, req.at), blocks=tuple(blocks[:50]))


def _show_more_button(session: Session) -> Block:
    return kit.actions(kit.button("Show more", SHOW_MORE, encode_value(id=session.id)))


def _starts_later(req: Request) -> Message:
    first = req.index.first
    assert first is not None
    upcoming = req.index.next(req.at)
    sessions = upcoming.sessions if upcoming else (first,)
    wait = relative(req.at, first.start)
    title = (
        f"The summit starts {day_label(first.start, req.summit_zone)} at {_clock(first.start, req)}"
    )
    return session_list(req, title, sessions, intro=[note(f"{wait.capitalize()}, with:")])


def _clock(instant: datetime, req: Request) -> str:
    return clock_label(instant, req.summit_zone)


def _when(instant: datetime | None, req: Request) -> str:
    return "long ago" if instant is None else when(instant, req.summit_zone)


def register(registry: Registry) -> None:
    """Add this module's subcommands and buttons to `registry`."""
    add = functools.partial(registry.add_command, shareable=True)
    add("now", "now", "what is on right now, where, and until when", now)
    add("next", "next", "the sessions that start next, and in how long", next_)
    add("today", "today", "the agenda of today", today)
    add("tomorrow", "tomorrow", "the agenda of tomorrow", tomorrow)
    add("day", "day <weekday or date>", "the agenda of a day (e.g. `day thursday`)", day)
    add(
        "search",
        "search <words>",
        "find sessions by title, description or proposer",
        search,
        ("find",),
    )
    add("show", "show <id>", "everything about one session", show, ("info",))
