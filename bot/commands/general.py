"""The subcommands about the others: `help`, `share`, and the answer to unknown words."""

from __future__ import annotations

import difflib
import re

from bot.commands import agenda
from bot.commands.registry import ADMIN_GROUP, GROUPS, Command, Registry, Request
from bot.core.message import MAX_BLOCKS, Block, Message, escape
from bot.render.blocks import header, note, section
from schedule.timeparse import resolve_day

#: The order of the subcommands within each group of help (others follow, as registered).
HELP_ORDER = (
    "now",
    "next",
    "today",
    "tomorrow",
    "day",
    "search",
    "show",
    "mine",
    "remind",
    "reminders",
    "follow",
    "unfollow",
    "export",
    "calendar",
    "share",
    "help",
)


def fallback(registry: Registry, req: Request) -> Message:
    """Words that name no subcommand: a day's agenda when they name a day, else a suggestion."""
    index = req.index
    today = req.at.astimezone(index.schedule.zone).date()
    day = resolve_day(req.query, index.days(), today)
    if day is not None:
        return agenda.day_message(req, day)
    return unknown_message(registry, req)


def visible_commands(registry: Registry, req: Request) -> list[Command]:
    """The subcommands the asker may use, in help's order (admin ones for admins only)."""
    is_admin = req.user_id in req.core.settings.admin_user_ids
    shown = [c for c in registry.commands if is_admin or c.group != ADMIN_GROUP]
    rank = {name: i for i, name in enumerate(HELP_ORDER)}
    return sorted(shown, key=lambda c: (GROUPS.index(c.group), rank.get(c.name, len(rank))))


def help_message(registry: Registry, req: Request) -> Message:
    """The subcommands by group, attendee ones first; the admin ones only for admins."""
    cmd = escape(req.core.settings.command)
    commands = visible_commands(registry, req)
    blocks: list[Block] = [header(f"{cmd} — the summit schedule")]
    text_lines = [f"{cmd} — the summit schedule"]
    for group in GROUPS:
        lines = [
            f"`{cmd} {escape(c.usage)}` — {escape(c.summary)}" for c in commands if c.group == group
        ]
        if group == GROUPS[0]:
            lines.append(
                f"`{cmd} {escape('<weekday or date>')}` — the agenda of that day (e.g. `thursday`)"
            )
        if not lines:
            continue
        blocks.append(section(f"*{group}*\n" + "\n".join(lines)))
        text_lines += ["", group, *(line.replace("`", "") for line in lines)]
    blocks.append(
        note(
            "Each session has a *Bookmark* and a *Details* button; times show in the summit's "
            f"zone and yours. `{cmd}` alone means `{cmd} now`."
        )
    )
    return Message(text="\n".join(text_lines), blocks=tuple(blocks))


def unknown_message(registry: Registry, req: Request) -> Message:
    """A short answer to words that are no subcommand: the closest one, and where help is."""
    cmd = req.core.settings.command
    words = req.query
    word = words.split(" ", 1)[0].casefold()
    names: list[str] = []
    for c in visible_commands(registry, req):
        names += [c.name, *c.aliases]
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.5)
    shown = escape(words[:100])
    if close:
        body = f"I don't know `{shown}`. Did you mean `{cmd} {registry.canonical(close[0])}`?"
    else:
        body = (
            f"I don't know `{shown}`. Try `{cmd} now`, `{cmd} today` or "
            f"`{cmd} search {escape('<words>')}`."
        )
    hint = f"`{cmd} help` lists everything."
    return Message(text=f"{body} {hint}".replace("`", ""), blocks=(section(body), note(hint)))


def share(registry: Registry, req: Request) -> Message:
    """The answer to `<subcommand>` as everyone may see it, marked to be posted in the channel.

    It holds no one's own state: no bookmark marks, no personal time zone, and buttons
    that act for whoever clicks them.
    """
    words = req.args or "now"
    cmd = req.core.settings.command
    found = registry.find(words.split(" ", 1)[0])
    if found is None:
        today = req.at.astimezone(req.index.schedule.zone).date()
        if resolve_day(words, req.index.days(), today) is None:
            return unknown_message(registry, Request(req.core, req.user_id, req.at, words, words))
    elif not found.shareable:
        # `calendar` too: its address opens the person's picks to whoever has it.
        shareable = ", ".join(f"`{c.name}`" for c in visible_commands(registry, req) if c.shareable)
        text = (
            f"`{cmd} {escape(found.name)}` is about you alone, so it cannot be shared. "
            f"These can: {shareable}, or a day (`{cmd} share thursday`)."
        )
        return Message(text=text.replace("`", ""), blocks=(section(text),))
    # Straight to the registry: the metrics count this answer once, as `share`.
    answer = registry.answer(req.core, words, req.user_id, req.at, req.page, shared=True)
    sharer = f"<@{req.user_id}>" if _USER_ID.fullmatch(req.user_id) else escape(req.user_id[:40])
    intro = note(f"Shared by {sharer} · `{escape(cmd)} {escape(words[:100])}`")
    blocks = (intro, *answer.blocks[: MAX_BLOCKS - 1]) if answer.blocks else ()
    return Message(text=answer.text, blocks=blocks, in_channel=True)


# A Slack user id, the only thing the share line writes as a mention.
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")


def register(registry: Registry) -> None:
    """Add `help` and `share` to `registry`."""

    def help_(req: Request) -> Message:
        """Every subcommand the asker may use, by group."""
        return help_message(registry, req)

    def share_(req: Request) -> Message:
        """The answer of a schedule subcommand, for the channel."""
        return share(registry, req)

    registry.add_command("help", "help", "this list of subcommands", help_, group="More")
    registry.add_command(
        "share",
        "share <subcommand>",
        "post a schedule answer (now, next, a day, search, show, mine) in the channel",
        share_,
        group="More",
    )


# A Slack user id, safe inside a <@…> mention.
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
