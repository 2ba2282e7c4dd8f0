"""The `/nova` command core: text in, message out, the same for Slack and the console."""

from __future__ import annotations

import difflib
from dataclasses import replace
from datetime import datetime

from bot.commands import admin, agenda, bookmarks, export, follow, home  # noqa: F401  (each registers its subcommands)
from bot.commands import reminders as _reminders  # noqa: F401  (registers remind and reminders)
from bot.commands.registry import ACTIONS, ALIASES, COMMANDS, Click, Request, command
from bot.core import ActionResult, Core
from bot.message import MAX_BLOCKS, Block, Message, decode_value, escape
from bot.render import header, note, section
from schedule.timeparse import resolve_day


def dispatch(core: Core, text: str, user_id: str, at: datetime, page: int = 0) -> Message:
    """Answer `/nova <text>`; empty text means `now`, unknown text gets help."""
    words = _strip_command(text.strip(), core.settings.command) or "now"
    name, _, args = words.partition(" ")
    key = ALIASES.get(name.casefold(), name.casefold())
    found = COMMANDS.get(key)
    if found is not None:
        req = Request(core, user_id, at, args.strip(), words, page)
        return _with_state_note(req, found.run(req))
    index = core.index
    today = at.astimezone(index.schedule.zone).date()
    day = resolve_day(words, index.days(), today)
    if day is not None:
        req = Request(core, user_id, at, words, words, page)
        return _with_state_note(req, agenda.day_message(req, day))
    return help_message(core, unknown=words)


STATE_MISSING = "Your bookmarks are not shown: I cannot reach my database right now."
"""The line an answer carries when it was made without the asker's state."""


def _with_state_note(req: Request, message: Message) -> Message:
    """`message`, with one line saying the bookmark state is left out when it is."""
    if not req.state_missing or not message.blocks:
        return message
    blocks = (*message.blocks[: MAX_BLOCKS - 1], note(STATE_MISSING))
    return replace(message, text=f"{message.text}\n({STATE_MISSING})", blocks=blocks)


def handle_action(
    core: Core, action_id: str, value: str, user_id: str, at: datetime
) -> ActionResult:
    """Carry out the button `action_id` with its `value`."""
    run = ACTIONS.get(action_id)
    if run is None:
        return ActionResult(notice=Message(text=f"Unknown button {action_id!r}."))
    return run(Click(core, user_id, at, action_id, decode_value(value)))


def help_message(core: Core, unknown: str | None = None) -> Message:
    """Every subcommand with its usage and one line of help; for unknown input, the closest."""
    cmd = core.settings.command
    lines = [f"`{cmd} {c.usage}` — {c.summary}" for c in COMMANDS.values()]
    lines.append(
        f"`{cmd} <weekday or date>` — the agenda of that day (e.g. `thursday`, `2013-11-07`)"
    )
    blocks: list[Block] = []
    text = f"{cmd} help"
    if unknown is not None:
        word = unknown.split(" ", 1)[0].casefold()
        names = list(COMMANDS) + list(ALIASES)
        close = difflib.get_close_matches(word, names, n=1, cutoff=0.5)
        guess = f" Did you mean `{cmd} {ALIASES.get(close[0], close[0])}`?" if close else ""
        sorry = f"I don't know `{escape(unknown[:100])}`.{guess}"
        blocks.append(section(sorry))
        text = f"I don't know {unknown[:100]!r}.{guess.replace('`', '')}"
    blocks += [header(f"{cmd} — the summit schedule"), section("\n".join(lines))]
    blocks.append(note("Buttons bookmark sessions; times show in the summit's zone and yours."))
    return Message(text=text, blocks=tuple(blocks))


@command("help", "help", "this list of subcommands")
def help_(req: Request) -> Message:
    """Every subcommand with its usage and one line of help."""
    return help_message(req.core)


@command("share", "share <subcommand>", "post the answer in the channel for everyone to see")
def share(req: Request) -> Message:
    """The answer to `<subcommand>` as the sharer sees it, marked to be posted in the channel."""
    words = req.args or "now"
    cmd = req.core.settings.command
    if words.split(" ", 1)[0].casefold() == "share":
        return Message(text=f"Share what? Try `{cmd} share now`.")
    answer = dispatch(req.core, words, req.user_id, req.at, req.page)
    intro = note(f"Shared by <@{req.user_id}> · `{cmd} {escape(words[:100])}`")
    blocks = (intro, *answer.blocks[: MAX_BLOCKS - 1]) if answer.blocks else ()
    return Message(text=answer.text, blocks=blocks, in_channel=True)


def _strip_command(text: str, command: str) -> str:
    for prefix in (command, command.lstrip("/")):
        if text == prefix:
            return ""
        if text.startswith(prefix + " "):
            return text[len(prefix) + 1 :].strip()
    return text
