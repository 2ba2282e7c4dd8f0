"""Running the core off the event loop and posting what it says to Slack's response URLs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.core.message import Message
from bot.render.blocks import section

log = logging.getLogger(__name__)

T = TypeVar("T")

SORRY = Message(
    text="Sorry, something went wrong on my side. Please try again in a moment.",
    blocks=(section("Sorry, something went wrong on my side. Please try again in a moment."),),
)

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
        body: dict[str, Any] = {"text": message.text}
        blocks = message.block_dicts()
        if blocks:
            body["blocks"] = blocks
        if response_type is not None:
            body["response_type"] = response_type
        if replace_original is not None:
            body["replace_original"] = replace_original
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


_SENDERS: WeakKeyDictionary[AsyncApp, ResponseSender] = WeakKeyDictionary()


def sender_of(app: AsyncApp) -> ResponseSender:
    """The response sender all of `app`'s listeners share."""
    sender = _SENDERS.get(app)
    if sender is None:
        sender = _SENDERS[app] = ResponseSender()
    return sender
