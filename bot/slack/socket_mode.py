"""Socket Mode: the bot opens a WebSocket to Slack (`apps.connections.open`) and no port.

The connection is made with the app-level token (`xapp-…`); `apps.connections.open` goes
to `SLACK_API_URL` when that is set. Slack hands each envelope to one of the app's open
connections, so several processes may run side by side on one `DATABASE_URL`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.edge.answering import BUSY, Answering
from bot.runtime import Runtime, freeze_startup_heap
from bot.settings import Settings, SettingsError
from bot.slack.app import build_app

log = logging.getLogger(__name__)


class BoundedSocketModeHandler(AsyncSocketModeHandler):
    """Bolt's Socket Mode handler, refusing envelopes while all places in flight are taken.

    A slash command then gets the short "busy" answer in its ack; any other envelope is
    left unacknowledged, which Slack shows the person as a failure to retry.
    """

    answering: Answering
    """The runtime's accepted work (set by `socket_mode_handler`)."""

    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        """Dispatch `req` to Bolt when there is room, else refuse it at once."""
        answering = self.answering
        if not answering.admit():
            if req.type == "slash_commands":
                payload = BUSY.payload(response_type="ephemeral")
                response = SocketModeResponse(envelope_id=req.envelope_id, payload=payload)
                await client.send_socket_mode_response(response)
            return
        try:
            await super().handle(client, req)
        finally:
            answering.release()


def socket_mode_handler(
    settings: Settings, app: AsyncApp, answering: Answering
) -> AsyncSocketModeHandler:
    """The aiohttp Socket Mode handler of `app`; make it inside the running event loop."""
    if not settings.slack_app_token:
        raise SettingsError("SLACK_APP_TOKEN is not set (the app-level token, xapp-…)")
    handler = BoundedSocketModeHandler(
        app,
        app_token=settings.slack_app_token.reveal(),
        web_client=app.client,
        logger=logging.getLogger("summit_bot.socket_mode"),
    )
    handler.answering = answering
    return handler


async def run_socket_mode(
    settings: Settings, runtime: Runtime, stop: asyncio.Event | None = None
) -> None:
    """Connect and serve until `stop` is set (or SIGINT/SIGTERM in the main thread)."""
    app = build_app(settings, runtime)
    handler = socket_mode_handler(settings, app, runtime.answering)
    freeze_startup_heap()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    watched: list[signal.Signals] = []
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
                watched.append(sig)
    try:
        # Check both tokens before connecting, so that a refused one ends the start with
        # SlackApiError instead of slack_sdk's endless reconnection attempts.
        await app.client.auth_test()
        handler.client.wss_uri = await handler.client.issue_new_wss_url()
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("connected to Slack over Socket Mode; answering %s", settings.command)
        await stop.wait()
    finally:
        for sig in watched:
            loop.remove_signal_handler(sig)
        await handler.close_async()  # type: ignore[no-untyped-call]
        await runtime.answering.close()
        log.info("disconnected from Slack")
