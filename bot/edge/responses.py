"""Posting answers to Slack's response URLs over one keep-alive HTTP session."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.core.message import Message

if TYPE_CHECKING:
    import aiohttp

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10


class ResponseSender:
    """Posts messages to response URLs over one keep-alive HTTP session.

    What Bolt's `respond()` does, without opening a new session and connection for
    every answer. The session belongs to the event loop that first used it.
    """

    def __init__(self) -> None:
        """Open no connection until the first answer."""
        self._client: aiohttp.ClientSession | None = None

    def _session(self) -> aiohttp.ClientSession:
        import aiohttp  # on first use: `ask` builds a runtime and never answers Slack

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
        import aiohttp
        from slack_sdk.webhook.async_client import AsyncWebhookClient

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
