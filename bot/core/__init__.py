"""The core every front end shares: the schedule in service, answers as messages, the Core.

- `core`: `Core` (settings, store, schedule source, command registry) with `answer` / `act`
- `schedule_source`: the schedule in service, swapped atomically by a reload
- `message`: `Message`, what the core answers (fallback text, Block Kit blocks, files)
- `block_kit`: Block Kit as the JSON Slack takes (builders cutting texts to Slack's limits)
"""

from bot.core.core import ActionResult, BookmarkListener, Core

__all__ = ["ActionResult", "BookmarkListener", "Core"]
