"""Button clicks (`block_actions`): one listener for every action in the core's registry.

A click is acknowledged at once; the core carries it out (`Core.act`) after the ack, as
work the front end has accepted (`Answering.later`). What happens next depends on where
the button was:

* in a message only the clicker sees (an ephemeral answer, or the bot's DM with them):
  the message is replaced with the core's update and the notice comes as a new
  ephemeral message;
* in a message shared in a channel: the shared message is left alone and the clicker
  gets an ephemeral reply (the notice, or the update when there is no notice);
* in the App Home view: the page is published again, with the notice on top.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import ActionResult
from bot.edge.responses import ResponseSender
from bot.handlers.home import publish_home
from bot.handlers.replies import SORRY, off_loop
from bot.runtime import Runtime

log = logging.getLogger(__name__)

EVERY_ACTION: dict[str, str | re.Pattern[str]] = {
    "type": "block_actions",
    "action_id": re.compile(r".*"),
}


def action_value(action: dict[str, Any]) -> str:
    """The value a clicked element carries: a button's value or a menu's chosen option."""
    value = action.get("value")
    if isinstance(value, str):
        return value
    option = action.get("selected_option")
    if isinstance(option, dict) and isinstance(option.get("value"), str):
        return str(option["value"])
    return ""


def private_message(body: dict[str, Any]) -> bool:
    """Whether the clicked message is seen by the clicker alone (ephemeral or in a DM)."""
    container = body.get("container") or {}
    if container.get("is_ephemeral"):
        return True
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    return str(channel).startswith("D")


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Dispatch every registered button's clicks to the core."""
    answering = runtime.answering
    sender = runtime.responses

    @app.action(EVERY_ACTION)
    async def on_action(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user_id = str((body.get("user") or {}).get("id", ""))
        answering.later(carry_out(body, user_id, client), f"the click of {user_id}")

    async def carry_out(body: dict[str, Any], user_id: str, client: AsyncWebClient) -> None:
        for action in body.get("actions") or []:
            action_id = str(action.get("action_id", ""))
            if not runtime.core.commands.has_action(action_id):
                log.debug("ignoring the unregistered action %r", action_id)
                continue
            try:
                result: ActionResult = await off_loop(
                    runtime.core.act, action_id, action_value(action), user_id, runtime.clock.now()
                )
            except Exception:
                log.exception("the action %r of %s failed", action_id, user_id)
                result = ActionResult(notice=SORRY)
            await _deliver(body, result, user_id, runtime, client, sender)


async def _deliver(
    body: dict[str, Any],
    result: ActionResult,
    user_id: str,
    runtime: Runtime,
    client: AsyncWebClient,
    sender: ResponseSender,
) -> None:
    container = body.get("container") or {}
    url = body.get("response_url")
    if container.get("type") == "view":
        view_type = (body.get("view") or {}).get("type")
        if view_type == "home":
            await publish_home(client, runtime, user_id, result.notice)
        elif result.notice is not None and url:
            await sender.send(url, result.notice, response_type="ephemeral")
        return
    if private_message(body):
        if result.update is not None:
            await sender.send(url, result.update, replace_original=True)
        if result.notice is not None:
            await sender.send(url, result.notice, response_type="ephemeral", replace_original=False)
        return
    reply = result.notice or result.update
    if reply is not None:
        await sender.send(url, reply, response_type="ephemeral", replace_original=False)
