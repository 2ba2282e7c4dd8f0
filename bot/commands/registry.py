"""The command registry: the `/nova` subcommands and the buttons, and how a request finds them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from functools import cached_property

from bot.core import ActionResult, Core
from bot.core.block_kit import MAX_BLOCKS, context
from bot.core.core import zone_named
from bot.core.message import Message, decode_value, escape
from bot.render.blocks import RenderCache
from bot.store import Viewer
from schedule.index import ScheduleIndex
from schedule.timeparse import resolve_day


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

    @property
    def render_cache(self) -> RenderCache:
        """The rendered parts of the schedule being served."""
        return self.core.schedules.derived(RenderCache)

    def bookmarked(self, session_id: str) -> bool | None:
        """Whether the asker bookmarked the session; None in a shared answer (nobody's state)."""
        return None if self.shared else session_id in self.bookmarks

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
        """The asker's own zone, when known (never in a shared answer)."""
        if self.shared:
            return None
        viewer = self.viewer
        return zone_named(viewer.preferences.timezone) if viewer is not None else None

    @property
    def bookmarks(self) -> frozenset[str]:
        """The ids the asker has bookmarked (none known while the database is down)."""
        viewer = self.viewer
        return viewer.bookmarks if viewer is not None else frozenset()


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


Fallback = Callable[["Registry", Request], Message]
"""Answers words that name no subcommand (a day's agenda, else help); gets the whole text."""


class Registry:
    """The subcommands (with their aliases) and the button handlers of one process.

    Built once by the runtime (`bot.commands.build_registry`) and handed to the `Core`,
    which asks it to `answer` text and `act` on clicks.
    """

    def __init__(self, fallback: Fallback) -> None:
        """Start empty; `fallback` answers text that names no subcommand."""
        self._commands: dict[str, Command] = {}
        self._aliases: dict[str, str] = {}
        self._actions: dict[str, Callable[[Click], ActionResult]] = {}
        self._fallback = fallback

    def add_command(
        self,
        name: str,
        usage: str,
        summary: str,
        run: Callable[[Request], Message],
        aliases: tuple[str, ...] = (),
        *,
        group: str = GROUPS[0],
        shareable: bool = False,
    ) -> None:
        """Add the subcommand `name` (and its `aliases`), under `group` in help."""
        if group not in GROUPS:
            raise ValueError(f"unknown help group {group!r}")
        for word in (name, *aliases):
            if word in self._commands or word in self._aliases:
                raise ValueError(f"subcommand {word!r} registered twice")
        self._commands[name] = Command(name, usage, summary, run, aliases, group, shareable)
        for alias in aliases:
            self._aliases[alias] = name

    def add_action(self, run: Callable[[Click], ActionResult], *action_ids: str) -> None:
        """Add `run` as the handler of the buttons `action_ids`."""
        for action_id in action_ids:
            if action_id in self._actions:
                raise ValueError(f"action {action_id!r} registered twice")
            self._actions[action_id] = run

    @property
    def commands(self) -> tuple[Command, ...]:
        """Every subcommand, in the order they were added."""
        return tuple(self._commands.values())

    @property
    def words(self) -> tuple[str, ...]:
        """Every subcommand name and alias."""
        return (*self._commands, *self._aliases)

    def find(self, word: str) -> Command | None:
        """The subcommand `word` names (case-insensitive, aliases included), if any."""
        key = word.casefold()
        return self._commands.get(self._aliases.get(key, key))

    def canonical(self, word: str) -> str:
        """The subcommand name `word` stands for (an alias's command; else `word`)."""
        return self._aliases.get(word, word)

    def usage(self, name: str) -> str | None:
        """How to call the subcommand `name`, when there is one."""
        found = self._commands.get(name)
        return None if found is None else found.usage

    def has_action(self, action_id: str) -> bool:
        """Whether a button with `action_id` has a handler."""
        return action_id in self._actions

    def answer(
        self,
        core: Core,
        text: str,
        user_id: str,
        at: datetime,
        page: int = 0,
        *,
        shared: bool = False,
    ) -> Message:
        """Answer `/nova <text>`; empty text means `now`, unknown text goes to the fallback.

        `shared`: the answer is for a channel (see `Request.shared`).
        """
        words = strip_command(text.strip(), core.settings.command) or "now"
        name, _, args = words.partition(" ")
        found = self.find(name)
        if found is not None:
            req = Request(core, user_id, at, args.strip(), words, page, shared)
            return with_state_note(req, found.run(req))
        req = Request(core, user_id, at, words, words, page, shared)
        return with_state_note(req, self._fallback(self, req))

    def label(self, core: Core, text: str, at: datetime) -> str:
        """The subcommand `text` asks for, as a metrics label: a name, "day" or "unknown"."""
        words = strip_command(text.strip(), core.settings.command) or "now"
        found = self.find(words.partition(" ")[0])
        if found is not None:
            return found.name
        index = core.index
        today = at.astimezone(index.schedule.zone).date()
        return "day" if resolve_day(words, index.days(), today) is not None else "unknown"

    def act(
        self, core: Core, action_id: str, value: str, user_id: str, at: datetime
    ) -> ActionResult:
        """Carry out the button `action_id` with its `value`."""
        run = self._actions.get(action_id)
        if run is None:
            text = f"Unknown button {escape(repr(action_id[:100]))}."
            return ActionResult(notice=Message(text=text))
        return run(Click(core, user_id, at, action_id, decode_value(value)))


STATE_MISSING = "Your bookmarks are not shown: I cannot reach my database right now."
"""The line an answer carries when it was made without the asker's state."""


def with_state_note(req: Request, message: Message) -> Message:
    """`message`, with one line saying the bookmark state is left out when it is."""
    if req.shared or not req.state_missing or not message.blocks:
        return message
    blocks = (*message.blocks[: MAX_BLOCKS - 1], context(STATE_MISSING))
    return replace(message, text=f"{message.text}\n({STATE_MISSING})", blocks=blocks)


def strip_command(text: str, command: str) -> str:
    """`text` without a leading slash command (`/nova now` and `nova now` give `now`)."""
    for prefix in (command, command.lstrip("/")):
        if text == prefix:
            return ""
        if text.startswith(prefix + " "):
            return text[len(prefix) + 1 :].strip()
    return text
