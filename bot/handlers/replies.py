"""Answering Slack: the core off the event loop, answers in the ack or at the response_url.

`Answering` is the one place a Slack front end keeps work it has accepted: the budget an
answer has to make it into the acknowledgement, the background tasks that finish the
rest (answers that missed the budget, button clicks, the App Home, file uploads), the
bound on work in flight beyond which requests are refused, and the keep-alive session
that posts to response URLs. Each app has one (`answering_of`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.message import Message
from bot.render import section

log = logging.getLogger(__name__)

T = TypeVar("T")

SORRY = Message(
    text="Sorry, something went wrong on my side. Please try again in a moment.",
    blocks=(section("Sorry, something went wrong on my side. Please try again in a moment."),),
)

BUSY = Message(
    text="I am busy right now: please try again in a moment.",
    blocks=(section("I am busy right now: please try again in a moment."),),
)
"""The answer to a slash command that comes while too much work is in flight."""

TIMEOUT_SECONDS = 10


async def off_loop(function: Callable[..., T], *args: Any) -> T:
    """Run a (blocking, database-reading) core call in a worker thread."""
    return await asyncio.to_thread(function, *args)


class ResponseSender:
    """Posts messages to response URLs over one keep-alive HTTP session.

    What Bolt's `respond()` does, without opening a new session and connection for
    every answer. The session belongs to the event loop that first used it.
    """

    def __init__(self) -> None:
        """Open no connection until the first answer."""
        self._client: aiohttp.ClientSession | None = None

    def _session(self) -> aiohttp.ClientSession:
        if self._client is None or self._client.closed:
            self._client = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
            )
        return self._client

    async def send(
        self,
        response_url: str | None,
        message: Message,
        *,
        response_type: str | None = None,
        replace_original: bool | None = None,
    ) -> bool:
        """Post `message`; False (and a log line) when there is no URL or the post fails."""
        if not response_url:
            log.warning("no response_url to answer at")
            return False
        body = message.payload(response_type=response_type, replace_original=replace_original)
        client = AsyncWebhookClient(
            url=response_url, session=self._session(), timeout=TIMEOUT_SECONDS, logger=log
        )
        try:
            response = await client.send_dict(body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("posting to the response_url failed: %s", type(exc).__name__)
            return False
        if response.status_code != 200:
            log.warning(
                "the response_url answered %s: %s", response.status_code, response.body[:200]
            )
            return False
        return True

    async def close(self) -> None:
        """Close the session (a later answer opens a new one)."""
        if self._client is not None and not self._client.closed:
            await self._client.close()
        self._client = None


class Answering:
    """Work a front end has accepted: how much is in flight, and what runs after the ack.

    `admit()` is asked when a request arrives (at the HTTP edge, or for a Socket Mode
    envelope); a request admitted holds its place until it is acknowledged (`release()`).
    Work carried on after the acknowledgement (`later()`) holds a place of its own until it
    is done, so new requests are refused while accepted work is still pending; accepted
    work itself is never refused nor dropped.
    """

    def __init__(self, budget_seconds: float = 1.5, max_in_flight: int = 100) -> None:
        """Answers in the ack within `budget_seconds`; refuse beyond `max_in_flight`."""
        self.budget_seconds = budget_seconds
        self.max_in_flight = max_in_flight
        self.sender = ResponseSender()
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
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def close(self) -> None:
        """Finish the pending work, then close the response session."""
        await self.drain()
        await self.sender.close()


_ANSWERING: WeakKeyDictionary[AsyncApp, Answering] = WeakKeyDictionary()


def attach_answering(app: AsyncApp, answering: Answering) -> Answering:
    """Make `answering` the one `app`'s listeners and front end share."""
    _ANSWERING[app] = answering
    return answering


def answering_of(app: AsyncApp) -> Answering:
    """The `Answering` of `app` (one with the default settings when none was attached)."""
    found = _ANSWERING.get(app)
    if found is None:
        found = attach_answering(app, Answering())
    return found
