"""HTTP mode: Slack's requests arrive at `POST /slack/events`, served by uvicorn.

Every request passes the HTTP edge (`bot.slack.http_guard`) before Bolt sees it: a body over
1 MiB gets 413, a bad, malformed or missing signature, or a timestamp more than five
minutes off, gets 401, and a signed body Slack would never send gets 400. Work in flight is
bounded (`SUMMIT_BOT_MAX_IN_FLIGHT`): beyond it a signed slash command is answered at once
with a short "busy, try again in a moment" (ephemeral), any other signed request gets 503
with `Retry-After`, before Bolt spends anything on it. `GET /healthz` says which part is
down: 200 when the database answers a trivial query and a schedule is loaded, else 503
naming the part. The pages of `bot.web` (calendar feeds, the hallway screen, metrics) are
served beside them. The process keeps no state of its own, so any number of replicas can
share one `DATABASE_URL` behind a load balancer.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qs

import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.edge.answering import BUSY, Answering
from bot.runtime import Runtime, freeze_startup_heap
from bot.secret import reveal
from bot.settings import Settings, SettingsError
from bot.slack.app import SlackIdentity, build_app
from bot.slack.http_guard import SlackRequestGuard
from bot.web import page_routes

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
_HEALTH_PROBE_USER = "USUMMITBOTHEALTH"
HEALTH_TIMEOUT_SECONDS = 2.0
"""How long the health check waits for the database before calling it unreachable."""


def build_http_app(app: AsyncApp, runtime: Runtime) -> Starlette:
    """The Starlette application serving `app` behind the HTTP edge, and the health check."""
    signing_secret = reveal(runtime.settings.slack_signing_secret)
    if not signing_secret:
        raise SettingsError("SLACK_SIGNING_SECRET is not set (the app's signing secret)")
    handler = AsyncSlackRequestHandler(app)
    answering = runtime.answering
    verifier = SignatureVerifier(signing_secret)

    async def events(request: Request) -> Response:
        if not answering.admit():
            return await _refuse(request, verifier)
        try:
            return await handler.handle(request)
        finally:
            answering.release()

    async def healthz(request: Request) -> Response:
        return await _health(runtime, answering)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await answering.close()

    return Starlette(
        lifespan=lifespan,
        middleware=[Middleware(SlackRequestGuard, signing_secret=signing_secret, path=EVENTS_PATH)],
        routes=[
            Route(EVENTS_PATH, events, methods=["POST"]),
            Route(HEALTH_PATH, healthz, methods=["GET"]),
            *page_routes(runtime),
        ],
    )


async def _refuse(request: Request, verifier: SignatureVerifier) -> Response:
    """The fast answer to a request that came while all the places in flight were taken."""
    body = await request.body()
    if not verifier.is_valid_request(body, request.headers):
        return Response(status_code=401)
    form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    if form and "command" in parse_qs(body.decode("utf-8", "replace")):
        return JSONResponse(BUSY.payload(response_type="ephemeral"))
    return Response(status_code=503, headers={"Retry-After": "1"})


async def _health(runtime: Runtime, answering: Answering) -> Response:
    """What is up and what is down: the database, the schedule, and the work in flight."""
    store = runtime.core.store
    down: list[str] = []
    try:
        # One indexed read: proves the database is reachable and migrated.
        await asyncio.wait_for(
            asyncio.to_thread(store.viewer, _HEALTH_PROBE_USER), timeout=HEALTH_TIMEOUT_SECONDS
        )
        database = store.dialect_name
    except Exception as exc:
        log.warning("health check: the database did not answer (%s)", type(exc).__name__)
        database = "unreachable"
        down.append("database")
    sessions = len(runtime.core.index.sessions)
    if sessions == 0:
        down.append("schedule")
    body = {
        "ok": not down,
        "database": database,
        "sessions": sessions,
        "in_flight": answering.in_flight,
        "max_in_flight": answering.max_in_flight,
    }
    if down:
        body["down"] = down
    return JSONResponse(body, status_code=503 if down else 200)


def http_server(
    settings: Settings, runtime: Runtime, app: AsyncApp, host: str, port: int
) -> uvicorn.Server:
    """A uvicorn server (one worker) for `app` on `host`:`port`, not yet started."""
    config = uvicorn.Config(
        build_http_app(app, runtime),
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        # uvicorn's records go to the root logger, whose handler writes each on one line.
        log_config=None,
        access_log=False,
        server_header=False,
        lifespan="on",
    )
    return uvicorn.Server(config)


def run_http(
    settings: Settings,
    runtime: Runtime,
    host: str,
    port: int,
    identity: SlackIdentity | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM, then shut down gracefully and return.

    `identity` is the bot's Slack identity as checked at start (see `bot.slack.app.check_slack`).
    """
    app = build_app(settings, runtime, identity)
    server = http_server(settings, runtime, app, host, port)

    # While it runs, uvicorn handles the signals itself, then raises the one it got again
    # once it has shut down: by then the job is done, so the command ends normally.
    def stop(signum: int, frame: object) -> None:
        log.info("stopping on %s", signal.Signals(signum).name)
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    freeze_startup_heap()
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
