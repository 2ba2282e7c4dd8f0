"""The App Home tab: publish the person's "my summit" page when they open it."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.message import Message
from bot.handlers.replies import off_loop
from bot.runtime import Runtime
from bot.views.home import home_view

log = logging.getLogger(__name__)


async def publish_home(
    client: AsyncWebClient, runtime: Runtime, user_id: str, notice: Message | None = None
) -> bool:
    """Build `user_id`'s page in the core and publish it with `views.publish`."""
    page = await off_loop(home_view, runtime.core, user_id, runtime.clock.now(), notice)
    view = {"type": "home", "blocks": page.block_dicts()}
    try:
        await client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        log.warning("views.publish for %s failed: %s", user_id, exc.response.get("error"))
        return False
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("views.publish for %s failed: %s", user_id, type(exc).__name__)
        return False
    return True


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Publish the page on `app_home_opened` for the Home tab, after the event's ack."""
    answering = runtime.answering

    @app.event("app_home_opened")
    async def on_home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        user_id = event.get("user")
        if event.get("tab") != "home" or not isinstance(user_id, str):
            return
        answering.later(
            publish_home(client, runtime, user_id), f"publishing the Home tab of {user_id}"
        )
