"""Reminders: `/nova remind`, `/nova reminders`, and the buttons of reminders."""

from __future__ import annotations

import re

from bot.commands.bookmarks import vanished_titles
from bot.commands.registry import Click, Registry, Request
from bot.core import ActionResult, Core
from bot.core import block_kit as kit
from bot.core.message import Block, Message, encode_value, escape
from bot.reminders.message import REMOVE_BOOKMARK
from bot.reminders.planner import PlanResult, lead_minutes, notify_planned, plan_reminders
from bot.render.blocks import (
    details_button,
    header,
    more_button,
    note,
    section,
)
from bot.render.words import duration_words, moment, page_of, plural, relative
from bot.storage.records import OutboxItem, OutboxKind, OutboxStatus

CANCEL_REMINDER = "reminder_cancel"
MAX_LEAD_MINUTES = 240
PAGE_SIZE = 15
_MINUTES = re.compile(r"(\d{1,4})\s*(?:m|min|mins|minutes?)?")
_OFF = {"off", "stop", "no", "none", "disable"}
_ON = {"on", "start", "yes", "enable"}


def remind(req: Request) -> Message:
    """Show the person's reminder setting, or change it and re-plan their reminders."""
    core, user_id, at = req.core, req.user_id, req.at
    store = core.store
    cmd = core.settings.command
    word = req.args.strip().casefold()
    if not word:
        return _status(core, user_id)
    if word in _OFF:
        store.people.set_reminders_enabled(user_id, False)
        result = plan_reminders(core, at, users={user_id})
        cancelled = f" {plural(result.cancelled, 'coming reminder')} cancelled." * bool(
            result.cancelled
        )
        return _say(f"Reminders are off.{cancelled} `{cmd} remind on` turns them back on.")
    if word in _ON:
        store.people.set_reminders_enabled(user_id, True)
        result = plan_reminders(core, at, users={user_id})
        return _say(f"Reminders are on: {_lead_sentence(core, user_id)}.{_planned(result)}")
    match = _MINUTES.fullmatch(word)
    if match is None or int(match.group(1)) > MAX_LEAD_MINUTES:
        return _say(
            f"Say how many minutes before a session to remind you (0–{MAX_LEAD_MINUTES}), "
            f"e.g. `{cmd} remind 5` or `{cmd} remind 15`, or `{cmd} remind off`."
        )
    minutes = int(match.group(1))
    store.people.set_lead_minutes(user_id, minutes)
    store.people.set_reminders_enabled(user_id, True)
    result = plan_reminders(core, at, users={user_id})
    moved = f" {plural(len(result.planned), 'coming reminder')} re-timed." * bool(result.planned)
    return _say(f"Got it: {_lead_sentence(core, user_id)}.{moved}")


def reminders(req: Request) -> Message:
    """The person's reminders still to come, soonest first, each cancellable."""
    core, at = req.core, req.at
    cmd = core.settings.command
    coming = core.store.outbox.items(
        OutboxKind.REMINDER, [OutboxStatus.PENDING, OutboxStatus.CLAIMED], req.user_id
    )
    if not coming:
        prefs = core.store.people.preferences([req.user_id])[req.user_id]
        hint = (
            f"Reminders are off; `{cmd} remind on` turns them on."
            if not prefs.reminders_enabled
            else f"Bookmark sessions: {_lead_sentence(core, req.user_id)}."
        )
        return _say(f"No reminders coming. {hint}")
    zone = core.index.schedule.zone
    shown, remaining = page_of(coming, req.page, PAGE_SIZE)
    blocks: list[Block] = [header(f"Your reminders · {len(coming)}")]
    lines: list[str] = []
    for delivery in shown:
        session_id = delivery.session_id or ""
        session = core.index.get(session_id)
        title = session.title if session is not None else _gone_title(core, session_id)
        room = f", {session.room}" if session is not None and session.room else ""
        due = max(delivery.due_at, at)
        when = (
            "being sent now"
            if delivery.status is OutboxStatus.CLAIMED
            else f"{moment(due, zone)} ({relative(at, due)})"
        )
        starts = moment(delivery.starts_at or delivery.due_at, zone)
        text = f"*{escape(title)}*\n:bell: reminder {when} · starts {starts}{escape(room)}"
        lines.append(f"{escape(title)} — reminder {when}, starts {starts}{escape(room)}")
        blocks.append(_reminder_block(text, delivery, req))
        if session is not None:
            blocks.append(kit.actions(details_button(session)))
    if remaining > 0:
        blocks.append(more_button(req.query, req.page + 1, f"More ({remaining})"))
    blocks.append(note(f"Cancelling keeps the bookmark. `{cmd} remind` changes the lead time."))
    return Message(text="Your reminders\n" + "\n".join(lines), blocks=tuple(blocks))


def cancel_reminder(click: Click) -> ActionResult:
    """Cancel one coming reminder; the session stays bookmarked."""
    core = click.core
    delivery_id = _int(click.value.get("id"))
    delivery = core.store.outbox.get(delivery_id) if delivery_id is not None else None
    if (
        delivery is None
        or delivery.kind is not OutboxKind.REMINDER
        or delivery.recipient != click.user_id
    ):
        return ActionResult(notice=_say("That reminder no longer exists."))
    session_id = delivery.session_id or ""
    session = core.index.get(session_id)
    title = session.title if session is not None else _gone_title(core, session_id)
    if core.store.outbox.dismiss(delivery.id, click.user_id, click.at):
        notify_planned(core)
        notice = _say(f"Cancelled the reminder for *{escape(title)}*; it stays in your bookmarks.")
    else:
        notice = _say(f"The reminder for *{escape(title)}* was already sent or cancelled.")
    query = str(click.value.get("q", "")) or "reminders"
    page = _int(click.value.get("p")) or 0
    return ActionResult(update=core.answer(query, click.user_id, click.at, page), notice=notice)


def remove_bookmark(click: Click) -> ActionResult:
    """The reminder's button: drop the bookmark and any reminder still coming for it."""
    core = click.core
    session_id = str(click.value.get("id", ""))
    session = core.index.get(session_id)
    title = session.title if session is not None else _gone_title(core, session_id)
    had = session_id in core.store.bookmarks.sessions_of(click.user_id)
    if session is not None:
        core.set_bookmark(click.user_id, session, False, click.at)
    else:
        core.store.bookmarks.remove(click.user_id, session_id)
    plan_reminders(core, click.at, users={click.user_id}, sessions={session_id})
    if not had:
        return ActionResult(notice=_say(f"*{escape(title)}* is not in your bookmarks."))
    return ActionResult(notice=_say(f"Removed *{escape(title)}* from your bookmarks."))


def _gone_title(core: Core, session_id: str) -> str:
    """The title a session had before it left the schedule."""
    return vanished_titles(core.store, [session_id])[session_id]


def _status(core: Core, user_id: str) -> Message:
    cmd = core.settings.command
    prefs = core.store.people.preferences([user_id])[user_id]
    coming = len(
        core.store.outbox.items(
            OutboxKind.REMINDER, [OutboxStatus.PENDING, OutboxStatus.CLAIMED], user_id
        )
    )
    if not prefs.reminders_enabled:
        text = f"Reminders are off. `{cmd} remind on` turns them back on."
    else:
        default = " (the default)" * (prefs.lead_minutes is None)
        listed = f" {plural(coming, 'reminder')} coming: `{cmd} reminders` lists them."
        text = (
            f"Reminders are on: {_lead_sentence(core, user_id)}{default}.{listed} "
            f"Change with `{cmd} remind 5`, `{cmd} remind 15` or `{cmd} remind off`."
        )
    if not core.settings.reminders_enabled:
        text += " (Reminders are switched off for the whole workspace just now.)"
    return _say(text)


def _lead_sentence(core: Core, user_id: str) -> str:
    """The lead time in words: 'I DM you 10 min before each bookmarked session starts'."""
    lead = lead_minutes(core.settings, core.store.people.preferences([user_id])[user_id])
    before = "as" if lead == 0 else f"{duration_words(lead)} before"
    return f"I DM you {before} each bookmarked session starts"


def _planned(result: PlanResult) -> str:
    if not result.planned:
        return ""
    return f" {plural(len(result.planned), 'reminder')} planned."


def _reminder_block(text: str, delivery: OutboxItem, req: Request) -> Block:
    """A reminder's line, with a Cancel button while it is still only planned."""
    if delivery.status is not OutboxStatus.PENDING:
        return section(text)
    button = kit.button(
        "Cancel", CANCEL_REMINDER, encode_value(id=delivery.id, q=req.query[:500], p=req.page)
    )
    return kit.section(text, accessory=button)


def _say(text: str) -> Message:
    return Message(text=text.replace("*", "").replace("`", ""), blocks=(section(text),))


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def register(registry: Registry) -> None:
    """Add this module's subcommands and buttons to `registry`."""
    registry.add_command(
        "remind",
        "remind [5|15|off|on]",
        "how many minutes before your bookmarked sessions I DM you, or turn reminders off/on",
        remind,
        group="Your summit",
    )
    registry.add_command(
        "reminders",
        "reminders",
        "your coming reminders, each with a Cancel button",
        reminders,
        group="Your summit",
    )
    registry.add_action(cancel_reminder, CANCEL_REMINDER)
    registry.add_action(remove_bookmark, REMOVE_BOOKMARK)
