"""The slash command (`/nova` by default): acknowledge, ask the core, answer at the response_url.

Every answer is ephemeral (only the person who asked sees it) except the ones the core
marks `in_channel`, which `/nova share <subcommand>` produces. Files the answer carries
(the calendar export) are uploaded to the person's DM with the bot.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands.export import upload_attachments
from bot.core.message import Message
from bot.handlers.replies import SORRY, off_loop
from bot.handlers.zones import zone_ready
from bot.runtime import Runtime

log = logging.getLogger(__name__)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Answer the configured slash command."""
    sender = runtime.responses

    @app.command(runtime.settings.command)
    async def on_command(
        ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        await ack()
        user_id = str(command.get("user_id", ""))
        text = str(command.get("text", ""))
        await zone_ready(context)
        try:
            message: Message = await off_loop(
                runtime.core.answer, text, user_id, runtime.clock.now()
            )
        except Exception:
            log.exception("answering %r for %s failed", text[:100], user_id)
            message = SORRY
        kind = "in_channel" if message.in_channel else "ephemeral"
        response_url = command.get("response_url")
        await sender.send(response_url, message, response_type=kind)
        if message.attachments and not await _upload(client, user_id, message):
            sorry = Message(text="Sorry, I could not send you the file. Please try again later.")
            await sender.send(response_url, sorry, response_type="ephemeral")


async def _upload(client: AsyncWebClient, user_id: str, message: Message) -> bool:
    """Upload the message's files to the DM with `user_id`; False when Slack refused."""
    try:
        await upload_attachments(client, user_id, message)
    except SlackApiError as exc:
        log.warning("uploading files for %s failed: %s", user_id, exc.response.get("error"))
        return False
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("uploading files for %s failed: %s", user_id, type(exc).__name__)
        return False
    return True
