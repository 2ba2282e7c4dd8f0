"""The slash command (`/nova` by default): the answer in the acknowledgement when it is quick.

The core is asked at once; when its answer is ready within the budget
(`SUMMIT_BOT_ANSWER_BUDGET_SECONDS`, 1.5 s by default, well inside Slack's 3 s) it goes
back in the acknowledgement itself: one round trip, nothing posted afterwards. Otherwise
the command is acknowledged empty right then and the answer follows at the response_url.

Every answer is ephemeral (only the person who asked sees it) except the ones the core
marks `in_channel`, which `/nova share <subcommand>` produces. Files the answer carries
(the calendar export) are uploaded to the person's DM with the bot after the ack.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands.export import upload_attachments
from bot.core.message import Message
from bot.edge.answering import Answering
from bot.handlers.replies import SORRY
from bot.runtime import Runtime

log = logging.getLogger(__name__)

UPLOAD_FAILED = Message(text="Sorry, I could not send you the file. Please try again later.")


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Answer the configured slash command."""
    answering = runtime.answering

    @app.command(runtime.settings.command)
    async def on_command(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        user_id = str(command.get("user_id", ""))
        text = str(command.get("text", ""))
        response_url = command.get("response_url")
        # A bare executor future (no task around it): the cheapest way to wait with a budget.
        job = asyncio.get_running_loop().run_in_executor(
            None, runtime.core.answer, text, user_id, runtime.clock.now()
        )
        done, _ = await asyncio.wait({job}, timeout=answering.budget_seconds)
        if job in done:
            message = _result(job, text, user_id)
            await ack(message.payload(response_type=_kind(message)))
            if message.attachments:
                answering.later(
                    _send_files(answering, client, user_id, message, response_url),
                    f"sending the files of {user_id}",
                )
            return
        await ack()
        log.info("answering %r for %s took over the budget; answering later", text[:100], user_id)
        answering.later(
            _answer_later(answering, client, job, text, user_id, response_url),
            f"answering {text[:100]!r} for {user_id}",
        )


def _result(job: asyncio.Future[Message], text: str, user_id: str) -> Message:
    """The core's answer, or the apology when it failed."""
    error = job.exception()
    if error is None:
        return job.result()
    log.error("answering %r for %s failed", text[:100], user_id, exc_info=error)
    return SORRY


def _kind(message: Message) -> str:
    return "in_channel" if message.in_channel else "ephemeral"


async def _answer_later(
    answering: Answering,
    client: AsyncWebClient,
    job: asyncio.Future[Message],
    text: str,
    user_id: str,
    response_url: str | None,
) -> None:
    """Post the answer that missed the budget at the response_url, with any files."""
    await asyncio.wait({job})
    message = _result(job, text, user_id)
    await answering.sender.send(response_url, message, response_type=_kind(message))
    if message.attachments:
        await _send_files(answering, client, user_id, message, response_url)


async def _send_files(
    answering: Answering,
    client: AsyncWebClient,
    user_id: str,
    message: Message,
    response_url: str | None,
) -> None:
    """Upload the answer's files to the person's DM; say so at the response_url if Slack refused."""
    if not await _upload(client, user_id, message):
        await answering.sender.send(response_url, UPLOAD_FAILED, response_type="ephemeral")


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
