"""The subcommands about the others: `help`, `share`, and the answer to unknown words."""

from __future__ import annotations

import difflib
import re

from bot.commands import agenda
from bot.commands.registry import Registry, Request
from bot.core.message import MAX_BLOCKS, Block, Message, escape
from bot.render.blocks import header, note, section
from schedule.timeparse import resolve_day


def fallback(registry: Registry, req: Request) -> Message:
    """Words that name no subcommand: a day's agenda when they name a day, else help."""
    index = req.index
    today = req.at.astimezone(index.schedule.zone).date()
    day = resolve_day(req.query, index.days(), today)
    if day is not None:
        return agenda.day_message(req, day)
    return help_message(registry, req, unknown=req.query)


def help_message(registry: Registry, req: Request, unknown: str | None = None) -> Message:
    """Every subcommand with its usage and one line of help; for unknown input, the closest."""
    cmd = escape(req.core.settings.command)
    lines = [f"`{cmd} {escape(c.usage)}` — {escape(c.summary)}" for c in registry.commands]
    lines.append(
        f"`{cmd} {escape('<weekday or date>')}` — the agenda of that day "
        "(e.g. `thursday`, `2013-11-07`)"
    )
    blocks: list[Block] = []
    text = f"{cmd} help"
    if unknown is not None:
        word = unknown.split(" ", 1)[0].casefold()
        close = difflib.get_close_matches(word, registry.words, n=1, cutoff=0.5)
        guess = f" Did you mean `{cmd} {registry.canonical(close[0])}`?" if close else ""
        sorry = f"I don't know `{escape(unknown[:100])}`.{guess}"
        blocks.append(section(sorry))
        text = f"I don't know {escape(repr(unknown[:100]))}.{guess.replace('`', '')}"
    blocks += [header(f"{cmd} — the summit schedule"), section("\n".join(lines))]
    blocks.append(note("Buttons bookmark sessions; times show in the summit's zone and yours."))
    return Message(text=text, blocks=tuple(blocks))


def share(req: Request) -> Message:
    """The answer to `<subcommand>` as the sharer sees it, marked to be posted in the channel."""
    words = req.args or "now"
    cmd = req.core.settings.command
    first = words.split(" ", 1)[0].casefold()
    if first == "share":
        return Message(text=f"Share what? Try `{cmd} share now`.")
    if first == "calendar":  # the address opens the person's picks to whoever has it
        return Message(text="Your calendar address is private: it cannot be shared.")
    # Straight to the commands: the metrics count this answer once, as `share`.
    answer = req.core.commands.answer(req.core, words, req.user_id, req.at, req.page)
    sharer = f"<@{req.user_id}>" if _USER_ID.fullmatch(req.user_id) else escape(req.user_id[:40])
    intro = note(f"Shared by {sharer} · `{escape(cmd)} {escape(words[:100])}`")
    blocks = (intro, *answer.blocks[: MAX_BLOCKS - 1]) if answer.blocks else ()
    return Message(text=answer.text, blocks=blocks, in_channel=True)


# A Slack user id, the only thing the share line writes as a mention.
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")


def register(registry: Registry) -> None:
    """Add `help` and `share` to `registry`."""

    def help_(req: Request) -> Message:
        """Every subcommand with its usage and one line of help."""
        return help_message(registry, req)

    registry.add_command("help", "help", "this list of subcommands", help_)
    registry.add_command(
        "share", "share <subcommand>", "post the answer in the channel for everyone to see", share
    )
