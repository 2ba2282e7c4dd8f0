"""The `/nova` command core: text in, message out, the same for Slack and the console."""

from __future__ import annotations

import difflib
from datetime import date, datetime

from slack_sdk.models.blocks import Block

from bot.commands import admin, agenda, bookmarks, export, follow, home  # noqa: F401  (each registers its subcommands)
from bot.commands import reminders as _reminders  # noqa: F401  (registers remind and reminders)
from bot.commands.registry import (
    ACTIONS,
    ADMIN_GROUP,
    ALIASES,
    COMMANDS,
    GROUPS,
    Click,
    Command,
    Request,
    command,
)
from bot.core import ActionResult, Core
from bot.message import MAX_BLOCKS, Message, decode_value, escape
from bot.render import header, note, section
from schedule.timeparse import resolve_day


def dispatch(
    core: Core, text: str, user_id: str, at: datetime, page: int = 0, *, shared: bool = False
) -> Message:
    """Answer `/nova <text>`; empty text means `now`, unknown text gets a suggestion.

    `shared`: the answer is for a channel (see `Request.shared`).
    """
    words = _strip_command(text.strip(), core.settings.command) or "now"
    name, _, args = words.partition(" ")
    found = _find(name)
    if found is not None:
        return found.run(Request(core, user_id, at, args.strip(), words, page, shared))
    day = _day(core, words, at)
    if day is not None:
        return agenda.day_message(Request(core, user_id, at, words, words, page, shared), day)
    return unknown_message(core, words, user_id)


def handle_action(
    core: Core, action_id: str, value: str, user_id: str, at: datetime
) -> ActionResult:
    """Carry out the button `action_id` with its `value`."""
    run = ACTIONS.get(action_id)
    if run is None:
        return ActionResult(notice=Message(text=f"Unknown button {action_id!r}."))
    return run(Click(core, user_id, at, action_id, decode_value(value)))


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
    "share",
    "help",
)


def visible_commands(core: Core, user_id: str) -> list[Command]:
    """The subcommands `user_id` may use, in help's order (admin ones for admins only)."""
    is_admin = user_id in core.settings.admin_user_ids
    shown = [c for c in COMMANDS.values() if is_admin or c.group != ADMIN_GROUP]
    rank = {name: i for i, name in enumerate(HELP_ORDER)}
    return sorted(shown, key=lambda c: (GROUPS.index(c.group), rank.get(c.name, len(rank))))


def help_message(core: Core, user_id: str = "") -> Message:
    """The subcommands by group, attendee ones first; the admin ones only for admins."""
    cmd = core.settings.command
    commands = visible_commands(core, user_id)
    blocks: list[Block] = [header(f"{cmd} — the summit schedule")]
    text_lines = [f"{cmd} — the summit schedule"]
    for group in GROUPS:
        lines = [f"`{cmd} {c.usage}` — {c.summary}" for c in commands if c.group == group]
        if group == GROUPS[0]:
            lines.append(f"`{cmd} <weekday or date>` — the agenda of that day (e.g. `thursday`)")
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


def unknown_message(core: Core, words: str, user_id: str) -> Message:
    """A short answer to input that is no subcommand: the closest one, and where help is."""
    cmd = core.settings.command
    word = words.split(" ", 1)[0].casefold()
    names: list[str] = []
    for c in visible_commands(core, user_id):
        names += [c.name, *c.aliases]
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.5)
    shown = escape(words[:100])
    if close:
        guess = ALIASES.get(close[0], close[0])
        body = f"I don't know `{shown}`. Did you mean `{cmd} {guess}`?"
    else:
        body = f"I don't know `{shown}`. Try `{cmd} now`, `{cmd} today` or `{cmd} search <words>`."
    hint = f"`{cmd} help` lists everything."
    return Message(text=f"{body} {hint}".replace("`", ""), blocks=(section(body), note(hint)))


@command("help", "help", "this list of subcommands", group="More")
def help_(req: Request) -> Message:
    """Every subcommand the asker may use, by group."""
    return help_message(req.core, req.user_id)


@command(
    "share",
    "share <subcommand>",
    "post a schedule answer (now, next, a day, search, show, mine) in the channel",
    group="More",
)
def share(req: Request) -> Message:
    """The answer to `<subcommand>` as everyone may see it, marked to be posted in the channel.

    It holds no one's own state: no bookmark marks, no personal time zone, and buttons
    that act for whoever clicks them.
    """
    words = req.args or "now"
    cmd = req.core.settings.command
    name = words.split(" ", 1)[0]
    found = _find(name)
    if found is None and _day(req.core, words, req.at) is None:
        return unknown_message(req.core, words, req.user_id)
    if found is not None and not found.shareable:
        shareable = ", ".join(
            f"`{c.name}`" for c in visible_commands(req.core, req.user_id) if c.shareable
        )
        return _say(
            f"`{cmd} {escape(found.name)}` is about you alone, so it cannot be shared. "
            f"These can: {shareable}, or a day (`{cmd} share thursday`)."
        )
    answer = dispatch(req.core, words, req.user_id, req.at, req.page, shared=True)
    intro = note(f"Shared by <@{req.user_id}> · `{cmd} {escape(words[:100])}`")
    blocks = (intro, *answer.blocks[: MAX_BLOCKS - 1]) if answer.blocks else ()
    return Message(text=answer.text, blocks=blocks, in_channel=True)


def _find(name: str) -> Command | None:
    key = name.casefold()
    return COMMANDS.get(ALIASES.get(key, key))


def _day(core: Core, words: str, at: datetime) -> date | None:
    index = core.index
    return resolve_day(words, index.days(), at.astimezone(index.schedule.zone).date())


def _say(text: str) -> Message:
    return Message(text=text.replace("`", ""), blocks=(section(text),))


def _strip_command(text: str, command: str) -> str:
    for prefix in (command, command.lstrip("/")):
        if text == prefix:
            return ""
        if text.startswith(prefix + " "):
            return text[len(prefix) + 1 :].strip()
    return text
