"""The bot's web pages, served by `serve --http` and by `run --http-port N` alike.

- `GET /calendar/<token>.ics`: a person's live calendar feed (`bot.web.calendar`)
- `GET /screen`, `GET /screen?room=<name>`: the hallway screen (`bot.web.screen`)
- `GET /metrics`: Prometheus metrics (`bot.metrics`)
"""

from __future__ import annotations

import logging
import socket
import threading

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from bot.runtime import Runtime
from bot.web.calendar import calendar_endpoint
from bot.web.screen import render_screen

log = logging.getLogger(__name__)

SCREEN_PATH = "/screen"
METRICS_PATH = "/metrics"
CALENDAR_PATH = "/calendar/{name}"


def page_routes(runtime: Runtime) -> list[BaseRoute]:
    """The routes of the pages, reading `runtime`'s store, schedule, clock and metrics."""

    def screen(request: Request) -> Response:
        room = request.query_params.get("room")
        status, html = render_screen(runtime.core.index, runtime.clock.now(), room)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def metrics(request: Request) -> Response:
        from bot.metrics import CONTENT_TYPE

        try:
            pending: int | None = runtime.core.store.outbox.counts().get("pending", 0)
        except Exception as exc:
            log.warning("metrics: the database did not answer (%s)", type(exc).__name__)
            pending = None
        return Response(runtime.metrics.exposition(pending), media_type=CONTENT_TYPE)

    return [
        Route(CALENDAR_PATH, calendar_endpoint(runtime), methods=["GET", "HEAD"]),
        Route(SCREEN_PATH, screen, methods=["GET", "HEAD"]),
        Route(METRICS_PATH, metrics, methods=["GET"]),
    ]


def pages_app(runtime: Runtime) -> Starlette:
    """A Starlette application serving only the pages (for Socket Mode's `--http-port`)."""
    return Starlette(routes=page_routes(runtime))


class PagesServer:
    """The pages served by uvicorn in a thread of their own, beside Socket Mode."""

    def __init__(self, runtime: Runtime, host: str, port: int) -> None:
        """Bind `host`:`port` now (an unusable port fails here); serve from `start`."""
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        self._socket = socket.socket(family, kind, proto)
        try:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._socket.bind(address)
            self._socket.listen(128)
        except OSError:
            self._socket.close()
            raise
        self.port: int = self._socket.getsockname()[1]
        self.server = uvicorn.Server(
            uvicorn.Config(
                pages_app(runtime),
                log_level=runtime.settings.log_level.lower(),
                access_log=False,
                server_header=False,
                lifespan="off",
            )
        )
        self._thread = threading.Thread(
            target=self.server.run,
            kwargs={"sockets": [self._socket]},
            name="summit-bot-pages",
            daemon=True,
        )

    def start(self) -> None:
        """Start answering on the bound port."""
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving, wait for the thread and close the port."""
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._socket.close()
