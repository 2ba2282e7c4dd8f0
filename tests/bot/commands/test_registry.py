from __future__ import annotations

import dataclasses

import pytest

from bot.commands import build_registry
from bot.commands.registry import Registry, Request
from bot.core import Core
from bot.core.message import Message
from bot.core.schedule_source import ScheduleSource
from bot.settings import Settings
from bot.store import Store
from schedule.importers import load_bundled
from tests.factories import local

AT = local("2013-11-05 11:20")


def _echo(req: Request) -> Message:
    return Message(text=req.args)


def test_each_registry_is_its_own() -> None:
    """Two registries built in one process share nothing: adding to one leaves the other alone."""
    first, second = build_registry(None), build_registry(None)
    first.add_command("echo", "echo <words>", "say the words back", _echo)
    assert first.find("echo") is not None
    assert second.find("echo") is None
    assert [c.name for c in second.commands] == [c.name for c in build_registry(None).commands]


def test_a_name_or_alias_registered_twice_is_refused() -> None:
    """A subcommand name, an alias or a button id can be registered only once."""
    registry = build_registry(None)
    with pytest.raises(ValueError, match="'now' registered twice"):
        registry.add_command("now", "now", "again", _echo)
    with pytest.raises(ValueError, match="'find' registered twice"):
        registry.add_command("lookup", "lookup", "x", _echo, aliases=("find",))
    with pytest.raises(ValueError, match="'bookmark' registered twice"):
        registry.add_action(lambda click: None, "bookmark")  # type: ignore[arg-type,return-value]
    assert registry.find("lookup") is None


def test_help_lists_the_commands_in_their_module_order() -> None:
    """The registry keeps the order `help` has always listed: reload first, help and share last."""
    names = [c.name for c in build_registry(None).commands]
    assert names == [
        "reload", "now", "next", "today", "tomorrow", "day", "search", "show", "mine",
        "export", "calendar", "follow", "unfollow", "remind", "reminders", "help", "share",
    ]  # fmt: skip


def test_a_core_without_a_reloader_says_so_to_an_admin(sqlite_store: Store) -> None:
    """Without a reloader `/nova reload` answers plainly and builds none behind the scenes."""
    settings = dataclasses.replace(Settings(), admin_user_ids=frozenset({"UADMIN"}))
    registry: Registry = build_registry(None)
    core = Core(settings, sqlite_store, ScheduleSource(load_bundled()), registry)
    message = core.answer("/nova reload", "UADMIN", AT)
    assert (
        message.text == "This process cannot reload the schedule; run `summit-bot reload` instead."
    )
    assert sqlite_store.snapshots.latest() is None
