"""HTTP mode: Slack's requests arrive at `POST /slack/events`, served by uvicorn.

Every request is verified with the signing secret by Bolt (a bad or missing signature, or
a timestamp more than five minutes off, gets 401). `GET /healthz` answers 200 when the
database answers a trivial query, 503 otherwise. The pages of `bot.web` (calendar feeds,
the hallway screen, metrics) are served beside them. The process keeps no state of its own,
so any number of replicas can share one `DATABASE_URL` behind a load balancer.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.app.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack.app import build_app
from bot.web import page_routes

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
_HEALTH_PROBE_USER = "USUMMITBOTHEALTH"


def build_http_app(app: AsyncApp, runtime: Runtime) -> Starlette:
    """The Starlette application serving `app` and the health check."""
    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    async def healthz(request: Request) -> Response:
        try:
            # A primary-key read: proves the database is reachable and migrated.
            await asyncio.to_thread(runtime.core.store.people.preferences, [_HEALTH_PROBE_USER])
        except Exception as exc:
            log.warning("health check: the database did not answer (%s)", type(exc).__name__)
            return JSONResponse({"ok": False, "database": "unreachable"}, status_code=503)
        return JSONResponse(
            {
                "ok": True,
                "database": runtime.core.store.dialect_name,
                "sessions": len(runtime.core.index.sessions),
            }
        )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await runtime.responses.close()

    return Starlette(
        lifespan=lifespan,
        routes=[
            Route(EVENTS_PATH, events, methods=["POST"]),
            Route(HEALTH_PATH, healthz, methods=["GET"]),
            *page_routes(runtime),
        ],
    )


def http_server(
    settings: Settings, runtime: Runtime, app: AsyncApp, host: str, port: int
) -> uvicorn.Server:
    """A uvicorn server (one worker) for `app` on `host`:`port`, not yet started."""
    config = uvicorn.Config(
        build_http_app(app, runtime),
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        access_log=False,
        server_header=False,
        lifespan="on",
    )
    return uvicorn.Server(config)


def run_http(settings: Settings, runtime: Runtime, host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM, then shut down gracefully and return."""
    server = http_server(settings, runtime, build_app(settings, runtime), host, port)

    # While it runs, uvicorn handles the signals itself, then raises the one it got again
    # once it has shut down: by then the job is done, so the command ends normally.
    def stop(signum: int, frame: object) -> None:
        log.info("stopping on %s", signal.Signals(signum).name)
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
