"""`/nova reload [file or URL]`: the admins replace the schedule without a restart."""

from __future__ import annotations

import re

from bot.commands.registry import Registry, Request
from bot.core.message import Block, Message, escape
from bot.reload import Reloader, ReloadOutcome, Status
from bot.render.blocks import header, note, section
from bot.render.words import describe_cancel, describe_move, time_range

#: How many changed sessions the answer lists one by one.
LISTED = 15

# Slack sends a link typed in a slash command as <https://…> or <https://…|label>.
_SLACK_LINK = re.compile(r"^<([^|>]+)(?:\|[^>]*)?>$")


def is_admin(req: Request) -> bool:
    """Whether the asker is one of the configured admins."""
    return req.user_id in req.core.settings.admin_user_ids


def source_argument(args: str) -> str | None:
    """The file or URL the admin named (Slack's link markup removed), or None for none."""
    text = args.strip()
    if not text:
        return None
    match = _SLACK_LINK.match(text)
    return match.group(1).strip() if match else text


def reload_schedule(reloader: Reloader | None, req: Request) -> Message:
    """Reload the configured schedule (or the given one); refused for anyone but the admins.

    `reloader` is the runtime's (the one that swaps this process's schedule and sends
    the change DMs); a process built without one says so rather than make another.
    `reload force` applies a schedule the guard would refuse (a switch to another
    conference) and tells nobody of the changes unless `notify` follows it.
    """
    if not is_admin(req):
        text = "Only the summit's admins can reload the schedule."
        return Message(text=text, blocks=(section(text),))
    if reloader is None:
        text = "This process cannot reload the schedule; run `summit-bot reload` instead."
        return Message(text=text, blocks=(section(text),))
    force, notify, rest = _force_words(req.args)
    outcome = reloader.reload_argument(
        source_argument(rest), req.at, force=force, notify=notify if force else None
    )
    return outcome_message(outcome)


def _force_words(args: str) -> tuple[bool, bool, str]:
    """(force, notify, the rest) from `force [notify] …` at the start of the arguments."""
    words = args.split(maxsplit=1)
    if not words or words[0].casefold() != "force":
        return False, False, args
    rest = words[1] if len(words) > 1 else ""
    more = rest.split(maxsplit=1)
    if more and more[0].casefold() == "notify":
        return True, True, more[1] if len(more) > 1 else ""
    return True, False, rest


def outcome_message(outcome: ReloadOutcome) -> Message:
    """The admin's answer: the result, then the moved, cancelled and added sessions."""
    summary = outcome.describe()
    icon = {
        Status.APPLIED: ":calendar:",
        Status.SYNCED: ":calendar:",
        Status.UNCHANGED: ":calendar:",
        Status.REFUSED: ":warning:",
    }[outcome.status]
    blocks: list[Block] = [header("Schedule reload"), section(f"{icon} {escape(summary)}")]
    diff = outcome.diff
    if diff is not None and outcome.status in (Status.APPLIED, Status.SYNCED):
        zone = outcome.schedule.zone
        lines = [
            f"• *{escape(c.new.title)}*: {escape(describe_move(c, zone))}" for c in diff.changed
        ]
        lines += [
            f"• *{escape(s.title)}*: {escape(describe_cancel(s, zone))}" for s in diff.removed
        ]
        lines += [f"• *{escape(s.title)}*: added ({time_range(s, zone)})" for s in diff.added]
        if lines:
            shown = "\n".join(lines[:LISTED])
            blocks.append(section(shown))
            if len(lines) > LISTED:
                blocks.append(note(f"… and {len(lines) - LISTED} more."))
    return Message(text=escape(summary), blocks=tuple(blocks))


def register(registry: Registry, reloader: Reloader | None) -> None:
    """Add `reload`, carried out by `reloader`, to `registry`."""

    def reload(req: Request) -> Message:
        return reload_schedule(reloader, req)

    registry.add_command(
        "reload",
        "reload [force [notify]] [file or URL]",
        "load the schedule again, without a restart (`force`: past the guard)",
        reload,
        group="Admins",
    )
