"""What the listeners share: running the core off the event loop, and the answer when it fails."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from bot.core.message import Message
from bot.render.blocks import section

log = logging.getLogger(__name__)

T = TypeVar("T")

SORRY = Message(
    text="Sorry, something went wrong on my side. Please try again in a moment.",
    blocks=(section("Sorry, something went wrong on my side. Please try again in a moment."),),
)


async def off_loop(function: Callable[..., T], *args: Any) -> T:
    """Run a (blocking, database-reading) core call in a worker thread."""
    return await asyncio.to_thread(function, *args)
