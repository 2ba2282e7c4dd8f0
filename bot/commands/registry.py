"""The `/nova` subcommands and the button actions, registered by the modules that define them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cached_property

from bot.core import ActionResult, Core, zone_named
from bot.message import Message
from bot.render import RenderCache
from bot.store import Viewer
from schedule.index import ScheduleIndex


@dataclass(frozen=True)
class Request:
    """One `/nova` question: who asks, when, the words after the subcommand, and the page."""

    core: Core
    user_id: str
    at: datetime
    args: str
    query: str
    page: int = 0

    @property
    def index(self) -> ScheduleIndex:
        """The schedule being served."""
        return self.core.index

    @property
    def summit_zone(self) -> tzinfo:
        """The venue's time zone."""
        return self.core.index.schedule.zone

    @property
    def render_cache(self) -> RenderCache:
        """The rendered parts of the schedule being served."""
        return self.core.schedules.render_cache

    @cached_property
    def viewer(self) -> Viewer | None:
        """The asker's settings and bookmarks, read once; None when the database is down."""
        return self.core.read_viewer(self.user_id)

    @property
    def state_missing(self) -> bool:
        """Whether this answer was made without the asker's state (the database was down)."""
        return "viewer" in self.__dict__ and self.viewer is None

    @property
    def viewer_zone(self) -> tzinfo | None:
        """The asker's own zone, when known."""
        viewer = self.viewer
        return zone_named(viewer.preferences.timezone) if viewer is not None else None

    @property
    def bookmarks(self) -> frozenset[str]:
        """The ids the asker has bookmarked (none known while the database is down)."""
        viewer = self.viewer
        return viewer.bookmarks if viewer is not None else frozenset()


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, how to call it, one line of help, and what it does."""

    name: str
    usage: str
    summary: str
    run: Callable[[Request], Message]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Click:
    """A button click: who clicked what, when, with the button's decoded value."""

    core: Core
    user_id: str
    at: datetime
    action_id: str
    value: dict[str, object]


COMMANDS: dict[str, Command] = {}
ALIASES: dict[str, str] = {}
ACTIONS: dict[str, Callable[[Click], ActionResult]] = {}


def command(
    name: str, usage: str, summary: str, aliases: tuple[str, ...] = ()
) -> Callable[[Callable[[Request], Message]], Callable[[Request], Message]]:
    """Register a subcommand under `name` (and `aliases`)."""

    def register(run: Callable[[Request], Message]) -> Callable[[Request], Message]:
        if name in COMMANDS or name in ALIASES:
            raise ValueError(f"subcommand {name!r} registered twice")
        COMMANDS[name] = Command(name, usage, summary, run, aliases)
        for alias in aliases:
            ALIASES[alias] = name
        return run

    return register


def action(
    *action_ids: str,
) -> Callable[[Callable[[Click], ActionResult]], Callable[[Click], ActionResult]]:
    """Register a button handler for `action_ids`."""

    def register(run: Callable[[Click], ActionResult]) -> Callable[[Click], ActionResult]:
        for action_id in action_ids:
            if action_id in ACTIONS:
                raise ValueError(f"action {action_id!r} registered twice")
            ACTIONS[action_id] = run
        return run

    return register
