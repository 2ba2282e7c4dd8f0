"""`/nova export`: a person's bookmarks as an .ics calendar file, attached to the answer.

The core only attaches the file (`Message.attachments`); each front end delivers it: Slack
uploads it to the person's DM (`upload_attachments`), the console saves it in the current
folder (`save_attachments`), and `summit-bot export` writes the same file (`bookmarks_ics`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.commands.registry import Registry, Request
from bot.core.message import Attachment, Message, escape
from bot.render.blocks import note, section
from bot.render.words import plural
from bot.store import Store
from schedule.model import Schedule, Session, slugify


def bookmarked_sessions(store: Store, schedule: Schedule, user_id: str) -> list[Session]:
    """The sessions of `schedule` that `user_id` bookmarked, in schedule order."""
    ids = store.bookmarks.sessions_of(user_id)
    return [s for s in schedule.sessions if s.id in ids]


def calendar_filename(schedule: Schedule) -> str:
    """The export's file name, such as "icehouse-nova-bookmarks.ics"."""
    return f"{slugify(schedule.name)}-bookmarks.ics"


def bookmarks_ics(schedule: Schedule, sessions: Sequence[Session], at: datetime) -> bytes:
    """The iCalendar file of `sessions` (each event's UID stays the same across exports)."""
    from schedule.ics_export import export_ics  # icalendar loads only when someone exports

    return export_ics(
        sessions,
        calendar_name=f"{schedule.name} · my bookmarks",
        timezone=schedule.timezone,
        at=at,
    )


def export(req: Request) -> Message:
    """The asker's bookmarks as an attached .ics file, or a hint when there are none."""
    schedule = req.index.schedule
    sessions = bookmarked_sessions(req.core.store, schedule, req.user_id)
    cmd = req.core.settings.command
    if not sessions:
        text = f"You have no bookmarks to export yet. Try `{cmd} today` and press *Bookmark*."
        return Message(text=text.replace("*", ""), blocks=(section(text),))
    name = calendar_filename(schedule)
    count = plural(len(sessions), "session")
    body = (
        f":calendar: Your bookmarks as a calendar: *{escape(name)}* ({count}). "
        "Open it with your calendar app to add them."
    )
    blocks = (
        section(body),
        note(
            "Exporting again later updates the same events in your calendar "
            "(times are in UTC, so every calendar shows its own zone)."
        ),
    )
    attachment = Attachment(
        filename=name,
        content=bookmarks_ics(schedule, sessions, req.at),
        title=f"{schedule.name} · my bookmarks",
    )
    return Message(
        text=f"Your bookmarks as a calendar: {name} ({count}).",
        blocks=blocks,
        attachments=(attachment,),
    )


def save_attachments(message: Message, folder: str | os.PathLike[str] = ".") -> list[Path]:
    """Write each attachment of `message` into `folder` (for the console); returns the paths.

    A file of the same name is replaced; the name is reduced to its last part, so an
    attachment can never be written outside `folder`.
    """
    written: list[Path] = []
    for attachment in message.attachments:
        target = Path(folder) / (Path(attachment.filename).name or "attachment")
        target.write_bytes(attachment.content)
        written.append(target.resolve())
    return written


async def upload_attachments(client: Any, user_id: str, message: Message) -> list[str]:
    """Upload each attachment of `message` to the DM with `user_id`; returns the file ids.

    `client` is a slack_sdk `AsyncWebClient`: the DM is opened with conversations.open,
    and each file goes up with files_upload_v2 (files.getUploadURLExternal, the upload,
    files.completeUploadExternal). Slack errors propagate as `SlackApiError`.
    """
    if not message.attachments:
        return []
    opened = await client.conversations_open(users=user_id)
    channel = str(opened["channel"]["id"])
    ids: list[str] = []
    for attachment in message.attachments:
        response = await client.files_upload_v2(
            channel=channel,
            content=attachment.content,
            filename=attachment.filename,
            title=attachment.title,
        )
        ids.extend(str(f["id"]) for f in response.get("files") or ())
    return ids


def register(registry: Registry) -> None:
    """Add this module's subcommands and buttons to `registry`."""
    registry.add_command(
        "export", "export", "your bookmarks as a calendar file (.ics)", export, ("ics",)
    )
