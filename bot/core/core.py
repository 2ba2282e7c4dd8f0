"""The bot's core: answers `/nova` text and button clicks with messages, for any front end."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.message import Message
from bot.core.schedule_source import ScheduleSource
from bot.metrics import Metrics
from bot.settings import Settings
from bot.storage.failures import database_errors
from bot.store import Store, Viewer
from schedule.index import ScheduleIndex
from schedule.model import Session

log = logging.getLogger(__name__)

BookmarkListener = Callable[[str, Session, bool, datetime], str | None]
"""Told (user, session, added, at) after a bookmark changes; may return a line for the person."""


@dataclass(frozen=True)
class ActionResult:
    """What a button click produces: a new version of its message and a note to the clicker."""

    update: Message | None = None
    notice: Message | None = None


class Commands(Protocol):
    """What answers text and clicks: the command registry (`bot.commands.Registry`).

    The core knows it only by this shape, so the core never imports the command layer.
    """

    def answer(self, core: Core, text: str, user_id: str, at: datetime, page: int = 0) -> Message:
        """The message answering `/nova <text>`."""
        ...

    def act(
        self, core: Core, action_id: str, value: str, user_id: str, at: datetime
    ) -> ActionResult:
        """Carry out a button click."""
        ...

    def has_action(self, action_id: str) -> bool:
        """Whether a button with `action_id` has a handler."""
        ...

    def label(self, core: Core, text: str, at: datetime) -> str:
        """The subcommand `/nova <text>` asks for, as a metrics label."""
        ...

    def usage(self, name: str) -> str | None:
        """How to call the subcommand `name`, when there is one."""
        ...


@dataclass
class Core:
    """The long-lived parts every front end shares: settings, store, schedule and commands.

    `bookmark_listeners` and `plan_listeners` are filled once while the runtime is built
    (the reminder planner and engine): the core tells them, it does not know them.
    """

    settings: Settings
    store: Store
    schedules: ScheduleSource
    commands: Commands
    bookmark_listeners: list[BookmarkListener] = field(default_factory=list)
    plan_listeners: list[Callable[[], None]] = field(default_factory=list)
    """Called after planning changed reminders (a running engine wakes up)."""
    metrics: Metrics = field(default_factory=Metrics)
    """The process's metrics (the runtime builds them); answers are counted and timed here."""

    @property
    def index(self) -> ScheduleIndex:
        """The current schedule's index."""
        return self.schedules.index

    def viewer_zone(self, user_id: str) -> tzinfo | None:
        """The person's own time zone when known."""
        return zone_named(self.store.people.preferences([user_id])[user_id].timezone)

    def read_viewer(self, user_id: str) -> Viewer | None:
        """The person's settings and bookmarks in one read; None when the database fails.

        Schedule questions are still answered without them (see `Registry.answer`).
        """
        try:
            return self.store.viewer(user_id)
        except database_errors(OSError) as exc:
            log.warning("reading the state of %s failed: %s", user_id, type(exc).__name__)
            return None

    def answer(self, text: str, user_id: str, at: datetime, page: int = 0) -> Message:
        """The message answering `/nova <text>` for `user_id` at instant `at`."""
        with self.metrics.answering(self.commands.label(self, text, at)):
            return self.commands.answer(self, text, user_id, at, page)

    def act(self, action_id: str, value: str, user_id: str, at: datetime) -> ActionResult:
        """Carry out a button click and say what changed."""
        return self.commands.act(self, action_id, value, user_id, at)

    def set_bookmark(self, user_id: str, session: Session, wanted: bool, at: datetime) -> list[str]:
        """Bookmark or unbookmark `session`; return what the listeners want the person told."""
        if wanted:
            changed = self.store.bookmarks.add([(user_id, session.id)], at) == 1
        else:
            changed = self.store.bookmarks.remove(user_id, session.id)
        notes: list[str] = []
        for listener in self.bookmark_listeners:
            line = listener(user_id, session, wanted, at)
            if line and changed:
                notes.append(line)
        return notes


def zone_named(name: str | None) -> tzinfo | None:
    """The IANA zone `name`, or None when there is no name or no such zone."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
