"""People's time zones: read from Slack's `users.info`, kept in the store, refreshed daily.

This is the one place the bot learns a person's zone. A Bolt middleware starts the check
for whoever sent a request and nothing ever waits for it: the answer uses the zone the
database already holds (none at first: the summit's zone, and Slack's `<!date^…>` token
shows each viewer their own time anyway). The zone read is used from the next answer on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime

log = logging.getLogger(__name__)

MAX_AGE = timedelta(days=1)
"""A zone read longer ago than this is read again."""

RETRY_SECONDS = 300.0
"""After a failed `users.info`, how long this process waits before asking for that person again."""


class ZoneRefresher:
    """Checks people's zones, at most one `users.info` call per person at a time."""

    def __init__(self, runtime: Runtime) -> None:
        """Keep zones in `runtime`'s store, judging their age by `runtime`'s clock."""
        self.runtime = runtime
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._retry_at: dict[str, float] = {}
        # When each zone this process read or checked is next due: a shortcut past the
        # database for people who ask often. The store stays the truth for the zone.
        self._fresh_until: dict[str, datetime] = {}

    def start(self, client: AsyncWebClient, user_id: str) -> asyncio.Task[None] | None:
        """Begin checking `user_id`'s zone (or join the check already running).

        None when this process knows the stored zone is less than a day old.
        """
        fresh_until = self._fresh_until.get(user_id)
        if fresh_until is not None and self.runtime.clock.now() < fresh_until:
            return None
        task = self._pending.get(user_id)
        if task is None:
            task = asyncio.ensure_future(self.refresh(client, user_id))
            self._pending[user_id] = task

            def forget(done: asyncio.Task[None]) -> None:
                if self._pending.get(user_id) is done:
                    del self._pending[user_id]

            task.add_done_callback(forget)
        return task

    async def refresh(self, client: AsyncWebClient, user_id: str) -> None:
        """Read `user_id`'s zone from Slack when the stored one is missing or a day old."""
        store = self.runtime.core.store
        loop = asyncio.get_running_loop()
        try:
            found = await asyncio.to_thread(store.people.preferences, [user_id])
            prefs = found[user_id]
            now = self.runtime.clock.now()
            checked = prefs.timezone_checked_at
            if checked is not None and timedelta(0) <= now - checked < MAX_AGE:
                self._fresh_until[user_id] = checked + MAX_AGE
                return
            if self._retry_at.get(user_id, 0.0) > loop.time():
                return
            response = await client.users_info(user=user_id)
            user = response.get("user")
            name = user.get("tz") if isinstance(user, dict) else None
            zone = name if isinstance(name, str) and _known_zone(name) else None
            await asyncio.to_thread(store.people.set_timezone, user_id, zone or prefs.timezone, now)
            self._fresh_until[user_id] = now + MAX_AGE
            self._retry_at.pop(user_id, None)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            self._retry_at[user_id] = loop.time() + RETRY_SECONDS
            log.warning(
                "users.info for %s failed (%s); using the zone already known", user_id, _reason(exc)
            )
        except Exception:
            self._retry_at[user_id] = loop.time() + RETRY_SECONDS
            log.exception("checking the time zone of %s failed", user_id)


def register(app: AsyncApp, runtime: Runtime) -> ZoneRefresher:
    """Start a zone check for the person behind every request; nothing waits for it."""
    refresher = ZoneRefresher(runtime)
    app.use(ZoneCheck(refresher))
    return refresher


class ZoneCheck(AsyncMiddleware):
    """The middleware starting the zone check (a class: Bolt builds no arguments for it)."""

    def __init__(self, refresher: ZoneRefresher) -> None:
        """Start checks with `refresher`."""
        self.refresher = refresher

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        """Start the check for the request's person (not the bot itself), then carry on."""
        context = req.context
        user_id = context.user_id
        if user_id and context.client is not None and user_id != context.bot_user_id:
            self.refresher.start(context.client, user_id)
        return await next()


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error", "error"))
    return type(exc).__name__
