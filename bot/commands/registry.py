"""The `/nova` subcommands and the button actions, registered by the modules that define them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cached_property

from bot.core import ActionResult, Core
from bot.message import Message
from schedule.index import ScheduleIndex


@dataclass(frozen=True)
class Request:
    """One `/nova` question: who asks, when, the words after the subcommand, and the page.

    `shared`: the answer goes to a channel (`share`), so it must hold only what is true
    for everyone there: no viewer zone, no bookmark state, buttons that act for the clicker.
    """

    core: Core
    user_id: str
    at: datetime
    args: str
    query: str
    page: int = 0
    shared: bool = False

    @property
    def index(self) -> ScheduleIndex:
        """The schedule being served."""
        return self.core.index

    @property
    def summit_zone(self) -> tzinfo:
        """The venue's time zone."""
        return self.core.index.schedule.zone

    @cached_property
    def viewer_zone(self) -> tzinfo | None:
        """The asker's own zone, when known (never in a shared answer)."""
        return None if self.shared else self.core.viewer_zone(self.user_id)

    def bookmarked(self, session_id: str) -> bool | None:
        """Whether the asker bookmarked the session; None in a shared answer (nobody's state)."""
        return None if self.shared else session_id in self.bookmarks

    @cached_property
    def bookmarks(self) -> frozenset[str]:
        """The ids the asker has bookmarked."""
        return self.core.store.bookmarks(self.user_id)


GROUPS = ("The schedule", "Your summit", "More", "Admins")
"""The headings of help, in order; the last one is shown to the admins only."""
ADMIN_GROUP = GROUPS[-1]


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, how to call it, one line of help, and what it does.

    `group` is its heading in help; `shareable` whether `share` may post its answer in a
    channel (answers about the schedule, not about one person's settings).
    """

    name: str
    usage: str
    summary: str
    run: Callable[[Request], Message]
    aliases: tuple[str, ...] = ()
    group: str = GROUPS[0]
    shareable: bool = False


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
    name: str,
    usage: str,
    summary: str,
    aliases: tuple[str, ...] = (),
    *,
    group: str = GROUPS[0],
    shareable: bool = False,
) -> Callable[[Callable[[Request], Message]], Callable[[Request], Message]]:
    """Register a subcommand under `name` (and `aliases`), under `group` in help."""
    if group not in GROUPS:
        raise ValueError(f"unknown help group {group!r}")

    def register(run: Callable[[Request], Message]) -> Callable[[Request], Message]:
        if name in COMMANDS or name in ALIASES:
            raise ValueError(f"subcommand {name!r} registered twice")
        COMMANDS[name] = Command(name, usage, summary, run, aliases, group, shareable)
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
