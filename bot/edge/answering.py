"""Work a Slack front end has accepted: the answer budget, work after the ack, the bound.

`Answering` is the one place a Slack front end keeps work it has accepted: the budget an
answer has to make it into the acknowledgement, the background tasks that finish the
rest (answers that missed the budget, button clicks, the App Home, file uploads), the
bound on work in flight beyond which requests are refused, and the sender that posts to
response URLs. The runtime builds one per process.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from bot.core.block_kit import section
from bot.core.message import Message
from bot.edge.responses import TIMEOUT_SECONDS, ResponseSender

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger(__name__)

BUSY_TEXT = "I am busy right now: please try again in a moment."
BUSY = Message(text=BUSY_TEXT, blocks=(section(BUSY_TEXT),))
"""The answer to a slash command that comes while too much work is in flight."""


class Answering:
    """Work a front end has accepted: how much is in flight, and what runs after the ack.

    `admit()` is asked when a request arrives (at the HTTP edge, or for a Socket Mode
    envelope); a request admitted holds its place until it is acknowledged (`release()`).
    Work carried on after the acknowledgement (`later()`) holds a place of its own until it
    is done, so new requests are refused while accepted work is still pending; accepted
    work itself is never refused nor dropped.
    """

    def __init__(
        self, sender: ResponseSender, budget_seconds: float = 1.5, max_in_flight: int = 100
    ) -> None:
        """Answer in the ack within `budget_seconds`; refuse beyond `max_in_flight`."""
        self.sender = sender
        self.budget_seconds = budget_seconds
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        self.refused = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def admit(self) -> bool:
        """Take a place for a new request; False (counted as refused) when all are taken."""
        if self.in_flight >= self.max_in_flight:
            self.refused += 1
            return False
        self.in_flight += 1
        return True

    def release(self) -> None:
        """Give back the place an admitted request held."""
        self.in_flight -= 1

    def later(self, work: Awaitable[object], what: str) -> None:
        """Carry on with `work` after the acknowledgement, holding a place until it is done."""
        self.in_flight += 1

        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("%s failed", what)
            finally:
                self.in_flight -= 1

        import asyncio  # loaded by the front ends that use it; `ask` never does

        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def pending(self) -> int:
        """How many pieces of work carried on after their ack are not done yet."""
        return len(self._tasks)

    async def drain(self, timeout: float = TIMEOUT_SECONDS) -> None:
        """Wait (at most `timeout` seconds) for the work carried on after acks to finish."""
        if self._tasks:
            import asyncio

            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def close(self) -> None:
        """Finish the pending work, then close the response session."""
        await self.drain()
        await self.sender.close()
