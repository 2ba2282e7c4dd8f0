"""The `/nova` command layer: text in, message out, the same for Slack and the console.

Each module adds its subcommands and buttons with `register(registry)`; `build_registry`
loads them explicitly, in the order `help` lists them.
"""

from __future__ import annotations

from bot.commands import admin, agenda, bookmarks, calendar, export, follow, general, reminders
from bot.commands.registry import Registry
from bot.reload import Reloader


def build_registry(reloader: Reloader | None) -> Registry:
    """Every subcommand and button; `/nova reload` uses `reloader` (None: reloads refused)."""
    registry = Registry(fallback=general.fallback)
    admin.register(registry, reloader)
    for module in (agenda, bookmarks, export, calendar, follow, reminders, general):
        module.register(registry)
    return registry


__all__ = ["Registry", "build_registry"]
