"""A fake Slack served on a random loopback port: Web API, response_url and Socket Mode.

``FakeSlack`` runs an aiohttp server in a thread of its own with its own event loop, so
synchronous tests and benchmarks drive it directly and any client (slack_sdk's
``WebClient``, ``AsyncWebClient``, the Socket Mode clients, the bot itself) talks to it
over real HTTP and WebSocket connections::

    with FakeSlack(users={"U1": {"tz": "Europe/Paris"}}) as slack:
        client = WebClient(token="xoxb-test", base_url=slack.api_url)
        client.chat_postMessage(channel="U1", text="hi")
        [call] = slack.wait_for("chat.postMessage")

Every Web API call is recorded as a ``Call``. Faults are injected per method: one-shot
(``fail_next``), permanent (``fail_always``, optionally only for one channel or user),
rate limits over a sliding window (``rate_limit``) and latency (``delay``, alias ``slow``:
the request is carried out at once, only the answer comes late, so a client that gives
up still posted its message). ``drop_after`` carries a request out, then closes the
connection without an answer; ``refuse`` stops listening (connections are refused) until
``accept``.

Messages posted with chat.postMessage are kept per channel and read back by
``conversations.history`` (newest first, ``oldest``/``latest``/``inclusive``/``limit``/
``cursor``; message ``metadata`` only with ``include_all_metadata``). Their ``ts`` follow
the real clock, as Slack's do. ``posted_keys`` counts the posted messages per outbox key
of their metadata and ``peak_per_second`` the most accepted in any one second, so tests
count duplicates, losses and rates where Slack would.

Socket Mode: ``apps.connections.open`` (with an ``xapp-`` token) returns the URL of the
fake's WebSocket endpoint, which greets each client with ``hello`` as Slack does.
``send_envelope`` delivers to the most recently connected client that is still
connected (Slack delivers each envelope to one of the app's connections), and
``wait_ack`` returns what the client acknowledged.

All public methods are thread-safe. The blocking ``wait_*`` methods must not be called
from an event loop that also runs the client being waited for; use the ``*_async``
variants there.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import itertools
import json
import math
import mimetypes
import threading
import time
import uuid
import zoneinfo
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import WSMsgType, web
from multidict import CIMultiDict, CIMultiDictProxy

from tests.support.slack_requests import (
    API_APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    dm_channel_id,
)

__all__ = ["Call", "FakeSlack", "Upload"]

T = TypeVar("T")

_HOST = "127.0.0.1"
_TS_BASE = 1_700_000_000
_RESPONSE_URL_USES = 5
_ENVELOPE_TYPES = ("slash_commands", "interactive", "events_api")
_JSON_CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class Call:
    """One Web API request as the fake received it.

    ``params`` merges the query string and the body: a JSON body keeps its JSON types,
    a form body gives strings (and bytes for uploaded multipart files). ``token`` is the
    bearer token of the ``Authorization`` header, or the ``token`` parameter.
    """

    method: str
    params: dict[str, Any]
    headers: Mapping[str, str]
    at: float
    token: str | None = None

    def param(self, name: str) -> Any:
        """The parameter ``name``, with JSON sent as a form string (``blocks`` ...) decoded."""
        value = self.params.get(name)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value


@dataclass(frozen=True)
class Upload:
    """A file uploaded through files.getUploadURLExternal and its upload URL."""

    file_id: str
    filename: str
    length: int
    data: bytes | None = None
    title: str | None = None
    completed: bool = False
    channel_id: str | None = None
    initial_comment: str | None = None
    thread_ts: str | None = None


@dataclass
class _Fault:
    status: int
    retry_after: int | None
    error: str
    remaining: int


@dataclass(frozen=True)
class _Permanent:
    method: str
    error: str
    target: str | None


@dataclass
class _RateLimit:
    per_second: float
    window: float
    allowed: int
    accepted: deque[float] = field(default_factory=deque)


@dataclass
class _Planned:
    """The response decided for a request when it arrived, sent after any delay."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    """A fake Slack workspace on ``127.0.0.1`` with a random port (see the module docs)."""

    def __init__(
        self,
        users: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        app_id: str = API_APP_ID,
        ws_close_timeout: float = 2.0,
    ) -> None:
        """Seed ``users`` (user id → users.info fields) for the workspace."""
        self.users: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (users or {}).items()}
        self.app_id = app_id
        self._ws_close_timeout = ws_close_timeout
        self._cond = threading.Condition()
        self._calls: list[Call] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._permanent: list[_Permanent] = []
        self._rates: dict[str, _RateLimit] = {}
        self._delays: dict[str, float] = {}
        self._drops: dict[str, int] = {}
        self._history: dict[str, list[dict[str, Any]]] = {}
        self._accepted: list[tuple[float, str]] = []
        self._last_ts = 0.0
        self._site: web.TCPSite | None = None
        self._ids = itertools.count(1)
        self._dm_owner: dict[str, str] = {}
        self._opened_dms: set[str] = set()
        self._home_views: dict[str, dict[str, Any]] = {}
        self._uploads: dict[str, Upload] = {}
        self._response_urls: dict[int, int] = {}
        self._response_seq = itertools.count(1)
        self._responses: list[tuple[int, dict[str, Any]]] = []
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._sockets_opened = 0
        self._acks: dict[str, dict[str, Any]] = {}
        self._socket_messages: list[dict[str, Any]] = []
        self.server_errors: list[BaseException] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._handlers: dict[str, Callable[[Call], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "users.info": self._users_info,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "apps.connections.open": self._apps_connections_open,
        }

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> FakeSlack:
        """Start the server."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server."""
        self.stop()

    def start(self) -> FakeSlack:
        """Start serving in a background thread; returns once the port is bound."""
        if self._thread is not None:
            raise RuntimeError("FakeSlack is already started")
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=self._run_loop, name="fake-slack", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), loop).result(timeout=10)
        return self

    def stop(self) -> None:
        """Close client sockets, stop the server and its thread (idempotent)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=15)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=15)
            self._loop = None
            self._thread = None
            self._port = None

    def _run_loop(self) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self) -> None:
        app = web.Application(middlewares=[self._errors_middleware], client_max_size=64 << 20)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{n}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/link/", self._socket)
        runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, _HOST, self._port or 0, reuse_address=True)
        await site.start()
        self._runner = runner
        self._site = site
        self._port = int(runner.addresses[0][1])

    async def _shutdown(self) -> None:
        with self._cond:
            sockets = list(self._sockets)
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @web.middleware
    async def _errors_middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception as exc:
            with self._cond:
                self.server_errors.append(exc)
            return web.json_response({"ok": False, "error": "fatal_error"}, status=500)

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        """The bound port."""
        if self._port is None:
            raise RuntimeError("FakeSlack is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{_HOST}:{self.port}"

    @property
    def api_url(self) -> str:
        """The Web API base URL, for ``WebClient(base_url=...)`` and ``SLACK_API_URL``."""
        return f"{self.base_url}/api/"

    # ------------------------------------------------------------------ recording

    def calls(self, method: str | None = None) -> list[Call]:
        """The recorded Web API calls, oldest first, optionally only those of ``method``."""
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until ``method`` was called ``count`` times; returns all its calls."""

        def ready() -> list[Call] | None:
            found = [c for c in self._calls if c.method == method]
            return found if len(found) >= count else None

        def describe() -> str:
            seen = [c.method for c in self._calls]
            return f"{method} called {seen.count(method)}/{count} times; calls: {seen}"

        return self._wait(ready, timeout, describe)

    async def wait_for_async(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """``wait_for`` without blocking the running event loop."""
        return await asyncio.to_thread(self.wait_for, method, count, timeout)

    def reset(self) -> None:
        """Forget recorded calls, responses, uploads, acks and all injected faults.

        Seeded users, DM channel ids, issued response URLs and open sockets are kept.
        """
        with self._cond:
            self._calls.clear()
            self._responses.clear()
            self._uploads.clear()
            self._home_views.clear()
            self._acks.clear()
            self._socket_messages.clear()
            self._faults.clear()
            self._permanent.clear()
            self._rates.clear()
            self._delays.clear()
            self._drops.clear()
            self._accepted.clear()
            self.server_errors.clear()

    def uploads(self) -> list[Upload]:
        """Files announced with files.getUploadURLExternal, in order, with their bytes."""
        with self._cond:
            return list(self._uploads.values())

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The view last published to ``user_id``'s App Home, if any."""
        with self._cond:
            view = self._home_views.get(user_id)
            return json.loads(json.dumps(view)) if view is not None else None

    def add_user(self, user_id: str, **fields: Any) -> None:
        """Seed (or extend) one user's users.info fields."""
        with self._cond:
            self.users.setdefault(user_id, {}).update(fields)

    # ------------------------------------------------------------------ faults

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = None,
        error: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail.

        With ``status`` 200 the answer is ``{"ok": false, "error": error}``; any other
        status answers with that HTTP status. A 429 carries ``Retry-After`` (``retry_after``
        seconds, 1 when not given) and the error ``ratelimited``. Queued faults are used
        in the order they were added.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        if status == 200 and error is None:
            raise ValueError("a 200 failure needs an error code")
        if retry_after is None and status == 429:
            retry_after = 1
        if error is None:
            error = "ratelimited" if status == 429 else "fatal_error"
        with self._cond:
            self._faults.setdefault(method, deque()).append(
                _Fault(status=status, retry_after=retry_after, error=error, remaining=times)
            )

    def fail_always(self, method: str, error: str, *, target: str | None = None) -> None:
        """Answer ``{"ok": false, "error": error}`` to every call of ``method``.

        With ``target`` only calls aimed at that channel or user fail: it is matched
        against the ``channel``, ``channel_id``, ``user``, ``user_id`` and ``users``
        parameters, and a user also matches the DM channel the fake gave them.
        """
        with self._cond:
            self._permanent.append(_Permanent(method=method, error=error, target=target))

    def rate_limit(self, method: str, per_second: float | None) -> None:
        """Allow ``method`` ``per_second`` calls per second over a sliding window (None: off).

        The window is one second, or ``1/per_second`` seconds for rates below one. Calls
        beyond the limit get a 429 whose ``Retry-After`` is the whole number of seconds
        (at least 1) until a slot frees; only answered calls take a slot.
        """
        with self._cond:
            if per_second is None:
                self._rates.pop(method, None)
                return
            if per_second <= 0:
                raise ValueError("per_second must be positive")
            window = max(1.0, 1.0 / per_second)
            allowed = max(1, math.floor(per_second * window + 1e-9))
            self._rates[method] = _RateLimit(per_second, window, allowed)

    def delay(self, method: str, seconds: float) -> None:
        """Answer ``method`` (``"*"``: every method without its own delay) after ``seconds``."""
        with self._cond:
            if seconds <= 0:
                self._delays.pop(method, None)
            else:
                self._delays[method] = seconds

    def clear_faults(self, method: str | None = None) -> None:
        """Remove injected failures, rate limits and delays (of ``method``, or all)."""
        with self._cond:
            if method is None:
                self._faults.clear()
                self._permanent.clear()
                self._rates.clear()
                self._delays.clear()
                self._drops.clear()
                return
            self._drops.pop(method, None)
            self._faults.pop(method, None)
            self._permanent = [p for p in self._permanent if p.method != method]
            self._rates.pop(method, None)
            self._delays.pop(method, None)

    def slow(self, method: str, seconds: float) -> None:
        """Carry ``method`` out at once but answer only after ``seconds`` (see ``delay``)."""
        self.delay(method, seconds)

    def drop_after(self, method: str, times: int = 1) -> None:
        """Carry out the next ``times`` calls of ``method``, then close without an answer."""
        with self._cond:
            self._drops[method] = self._drops.get(method, 0) + times

    def refuse(self) -> None:
        """Stop listening: every new connection is refused until ``accept``."""

        async def close() -> None:
            if self._site is not None:
                await self._site.stop()
                self._site = None

        self._run_in_loop(close())

    def accept(self) -> None:
        """Listen again on the same port after ``refuse``."""

        async def reopen() -> None:
            if self._site is None and self._runner is not None:
                site = web.TCPSite(self._runner, _HOST, self.port, reuse_address=True)
                await site.start()
                self._site = site

        self._run_in_loop(reopen())

    def posted_keys(self) -> Counter[str]:
        """How many posted messages carry each outbox key in their metadata."""
        with self._cond:
            keys: Counter[str] = Counter()
            for messages in self._history.values():
                for message in messages:
                    payload = (message.get("metadata") or {}).get("event_payload") or {}
                    if isinstance(payload, dict) and "outbox_key" in payload:
                        keys[str(payload["outbox_key"])] += 1
            return keys

    def accepted(self, method: str = "chat.postMessage") -> list[float]:
        """Monotonic arrival times of the calls of ``method`` that were carried out."""
        with self._cond:
            return [at for at, name in self._accepted if name == method]

    def peak_per_second(self, method: str | None = None) -> int:
        """The most calls carried out (of ``method``, or of all) within any one second."""
        with self._cond:
            times = sorted(at for at, name in self._accepted if method is None or name == method)
        best, first = 0, 0
        for last, at in enumerate(times):
            while times[first] <= at - 1.0:
                first += 1
            best = max(best, last - first + 1)
        return best

    # ------------------------------------------------------------------ response_url

    def new_response_url(self) -> str:
        """Issue a response_url (``http://127.0.0.1:PORT/response/<n>``) usable 5 times."""
        with self._cond:
            n = next(self._response_seq)
            self._response_urls[n] = 0
        return f"{self.base_url}/response/{n}"

    def responses(self, n: int | None = None) -> list[dict[str, Any]]:
        """JSON bodies posted to response URL ``n`` (or to any), oldest first."""
        with self._cond:
            return [body for k, body in self._responses if n is None or k == n]

    def wait_response(
        self, n: int | None = None, count: int = 1, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Block until ``count`` bodies were posted to response URL ``n`` (or to any)."""

        def ready() -> list[dict[str, Any]] | None:
            found = [body for k, body in self._responses if n is None or k == n]
            return found if len(found) >= count else None

        return self._wait(ready, timeout, lambda: f"no {count} response(s) to {n}")

    # ------------------------------------------------------------------ Socket Mode

    @property
    def connections(self) -> int:
        """How many Socket Mode clients are connected now."""
        with self._cond:
            return len(self._sockets)

    @property
    def connections_opened(self) -> int:
        """How many Socket Mode connections were accepted since start."""
        with self._cond:
            return self._sockets_opened

    def wait_connected(self, timeout: float = 5.0, *, opened: int = 1) -> int:
        """Block until a client is connected and ``opened`` connections were ever accepted.

        Returns the number of clients connected. ``opened=2`` waits for a reconnection.
        """

        def ready() -> int | None:
            if self._sockets and self._sockets_opened >= opened:
                return len(self._sockets)
            return None

        return self._wait(
            ready,
            timeout,
            lambda: f"{len(self._sockets)} connected, {self._sockets_opened}/{opened} opened",
        )

    async def wait_connected_async(self, timeout: float = 5.0, *, opened: int = 1) -> int:
        """``wait_connected`` without blocking the running event loop."""
        return await asyncio.to_thread(self.wait_connected, timeout, opened=opened)

    def send_envelope(
        self,
        type: str,
        payload: Mapping[str, Any],
        *,
        accepts_response_payload: bool | None = None,
    ) -> str:
        """Send a Socket Mode envelope to the newest connected client; returns its id.

        ``type`` is ``slash_commands``, ``interactive`` or ``events_api``.
        ``accepts_response_payload`` defaults to what Slack sets: true for slash commands,
        view submissions and block suggestions, false otherwise.
        """
        if type not in _ENVELOPE_TYPES:
            raise ValueError(f"unknown envelope type {type!r}; expected one of {_ENVELOPE_TYPES}")
        if accepts_response_payload is None:
            accepts_response_payload = type == "slash_commands" or (
                type == "interactive"
                and payload.get("type") in ("view_submission", "block_suggestion")
            )
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": dict(payload),
            "type": type,
            "accepts_response_payload": accepts_response_payload,
        }
        if type == "events_api":
            envelope["retry_attempt"] = 0
            envelope["retry_reason"] = ""
        with self._cond:
            if not self._sockets:
                raise RuntimeError("no Socket Mode client is connected")
            ws = self._sockets[-1]
        self._run_in_loop(ws.send_str(json.dumps(envelope)))
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Block until the client acks ``envelope_id``; returns the ack (with any payload)."""
        return self._wait(
            lambda: self._acks.get(envelope_id), timeout, lambda: f"no ack for {envelope_id}"
        )

    async def wait_ack_async(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """``wait_ack`` without blocking the running event loop."""
        return await asyncio.to_thread(self.wait_ack, envelope_id, timeout)

    def socket_messages(self) -> list[dict[str, Any]]:
        """Every JSON message Socket Mode clients sent, oldest first."""
        with self._cond:
            return list(self._socket_messages)

    def disconnect(self, reason: str = "refresh_requested", *, close: bool = True) -> None:
        """Send Slack's ``disconnect`` message to every client, then close their sockets."""
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
        self._close_sockets(json.dumps(message), close=close)

    def drop_connections(self) -> None:
        """Close every client socket without a ``disconnect`` message first."""
        self._close_sockets(None, close=True)

    def _close_sockets(self, message: str | None, *, close: bool) -> None:
        with self._cond:
            sockets = list(self._sockets)

        async def run() -> None:
            if message is not None:
                sends = (ws.send_str(message) for ws in sockets)
                await asyncio.gather(*sends, return_exceptions=True)
            if close:
                with self._cond:
                    self._sockets = [ws for ws in self._sockets if ws not in sockets]
                    self._cond.notify_all()
                await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)

        self._run_in_loop(run(), timeout=self._ws_close_timeout + 5)

    # ------------------------------------------------------------------ internals

    def _wait(
        self, ready: Callable[[], T | None], timeout: float, describe: Callable[[], str]
    ) -> T:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = ready()
                if result is not None:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"FakeSlack: {describe()} after {timeout}s")
                self._cond.wait(remaining)

    def _run_in_loop(self, coro: Awaitable[T], timeout: float = 5.0) -> T:
        loop = self._loop
        if loop is None:
            raise RuntimeError("FakeSlack is not started")
        if threading.current_thread() is self._thread:
            raise RuntimeError("cannot block on FakeSlack from its own event loop")

        async def wrapper() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(wrapper(), loop).result(timeout=timeout)

    def _next_ts(self) -> str:
        """A ts on the real clock, as Slack's, unique and increasing (lock held)."""
        self._last_ts = max(time.time(), self._last_ts + 1e-6)
        return f"{self._last_ts:.6f}"

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}0FAKE{next(self._ids):05d}"

    def _resolve_channel(self, channel: str) -> str:
        """Slack posts to a user id (U…/W…) in that user's DM channel."""
        if channel[:1] in ("U", "W"):
            dm = dm_channel_id(channel)
            self._dm_owner[dm] = channel
            return dm
        return channel

    def _targets(self, params: Mapping[str, Any]) -> set[str]:
        found: set[str] = set()
        for key in ("channel", "channel_id", "user", "user_id"):
            value = params.get(key)
            if isinstance(value, str) and value:
                found.add(value)
        found.update(_user_list(params.get("users")))
        for value in list(found):
            owner = self._dm_owner.get(value)
            if owner is not None:
                found.add(owner)
        return found

    # ------------------------------------------------------------------ HTTP handlers

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params, parse_error = await _read_params(request)
        token = _bearer(request.headers.get("Authorization"))
        if token is None and isinstance(params.get("token"), str):
            token = params["token"]
        headers: Mapping[str, str] = CIMultiDictProxy(CIMultiDict(request.headers))
        call = Call(method, params, headers, time.monotonic(), token)
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()
            delay = self._delays.get(method, self._delays.get("*", 0.0))
            planned = self._plan(call, parse_error)
            if planned.status < 400 and planned.body.get("ok"):
                self._accepted.append((call.at, method))
            drop = self._drops.get(method, 0) > 0
            if drop:
                self._drops[method] -= 1
        if drop and request.transport is not None:
            request.transport.abort()  # carried out, but the answer never comes
            raise ConnectionResetError("fake Slack dropped the connection")
        if delay > 0:
            await asyncio.sleep(delay)
        return web.json_response(planned.body, status=planned.status, headers=planned.headers)

    def _plan(self, call: Call, parse_error: str | None) -> _Planned:
        """Decide the answer to ``call`` (lock held): faults, limits, then the method."""
        method = call.method
        queue = self._faults.get(method)
        if queue:
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.popleft()
            headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
            return _Planned({"ok": False, "error": fault.error}, fault.status, headers)
        limit = self._rates.get(method)
        if limit is not None:
            now = time.monotonic()
            while limit.accepted and limit.accepted[0] <= now - limit.window:
                limit.accepted.popleft()
            if len(limit.accepted) >= limit.allowed:
                wait = limit.accepted[0] + limit.window - now
                retry_after = max(1, math.ceil(wait))
                return _Planned(
                    {"ok": False, "error": "ratelimited"},
                    429,
                    {"Retry-After": str(retry_after)},
                )
            limit.accepted.append(now)
        if parse_error is not None:
            return _Planned({"ok": False, "error": parse_error})
        if not call.token:
            return _Planned({"ok": False, "error": "not_authed"})
        targets: set[str] | None = None
        for permanent in self._permanent:
            if permanent.method != method:
                continue
            if permanent.target is None:
                return _Planned({"ok": False, "error": permanent.error})
            if targets is None:
                targets = self._targets(call.params)
            target = permanent.target
            if target in targets or dm_channel_id(target) in targets:
                return _Planned({"ok": False, "error": permanent.error})
        handler = self._handlers.get(method)
        body = handler(call) if handler is not None else {"ok": True}
        return _Planned(body)

    async def _response_url(self, request: web.Request) -> web.StreamResponse:
        try:
            n = int(request.match_info["n"])
        except ValueError:
            return web.Response(status=404, text="invalid_url")
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid_payload")
        has_content = any(body.get(k) for k in ("text", "blocks", "attachments"))
        if not has_content and not body.get("delete_original"):
            return web.Response(status=500, text="no_text")
        with self._cond:
            uses = self._response_urls.get(n)
            if uses is None:
                return web.Response(status=404, text="expired_url")
            if uses >= _RESPONSE_URL_USES:
                return web.Response(status=404, text="used_url")
            self._response_urls[n] = uses + 1
            self._responses.append((n, body))
            self._cond.notify_all()
        return web.json_response({"ok": True})

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["file_id"]
        if request.content_type == "multipart/form-data":
            form = await request.post()
            files = [v for v in form.values() if isinstance(v, web.FileField)]
            data = files[0].file.read() if files else b""
        else:
            data = await request.read()
        with self._cond:
            upload = self._uploads.get(file_id)
            if upload is None:
                return web.Response(status=404, text="file_not_found")
            self._uploads[file_id] = dataclasses.replace(upload, data=data)
            self._cond.notify_all()
        return web.Response(text=f"OK - {len(data)}")

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        with self._cond:
            known = request.query.get("ticket") in self._tickets
        if not known:
            return web.Response(status=401, text="invalid_ticket")
        ws = web.WebSocketResponse(timeout=self._ws_close_timeout)
        await ws.prepare(request)
        with self._cond:
            count = len(self._sockets) + 1
        hello = {
            "type": "hello",
            "num_connections": count,
            "debug_info": {
                "host": "applink-fake",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }
        await ws.send_str(json.dumps(hello))
        with self._cond:
            self._sockets.append(ws)
            self._sockets_opened += 1
            self._cond.notify_all()
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    continue
                if not isinstance(data, dict):
                    continue
                with self._cond:
                    self._socket_messages.append(data)
                    envelope_id = data.get("envelope_id")
                    if isinstance(envelope_id, str):
                        self._acks[envelope_id] = data
                    self._cond.notify_all()
        finally:
            with self._cond:
                if ws in self._sockets:
                    self._sockets.remove(ws)
                self._cond.notify_all()
        return ws

    # ------------------------------------------------------------------ Web API methods

    def _auth_test(self, call: Call) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "Summit Fake",
            "user": "summit-bot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _message(self, call: Call, ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "user": BOT_USER_ID,
            "type": "message",
            "ts": ts,
            "bot_id": BOT_ID,
            "app_id": self.app_id,
            "text": call.params.get("text") or "",
            "team": TEAM_ID,
        }
        for key in ("blocks", "attachments", "metadata"):
            value = call.param(key)
            if value:
                message[key] = value
        thread_ts = call.params.get("thread_ts")
        if thread_ts:
            message["thread_ts"] = thread_ts
        return message

    def _chat_post_message(self, call: Call) -> dict[str, Any]:
        channel = call.params.get("channel")
        if not isinstance(channel, str) or not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not any(call.params.get(k) for k in ("text", "blocks", "attachments")):
            return {"ok": False, "error": "no_text"}
        ts = self._next_ts()
        resolved = self._resolve_channel(channel)
        message = self._message(call, ts)
        self._history.setdefault(resolved, []).append(message)
        return {"ok": True, "channel": resolved, "ts": ts, "message": message}

    def _conversations_history(self, call: Call) -> dict[str, Any]:
        channel = call.params.get("channel")
        if not isinstance(channel, str) or not channel:
            return {"ok": False, "error": "channel_not_found"}
        oldest = float(call.params.get("oldest") or 0)
        latest = float(call.params.get("latest") or math.inf)
        inclusive = str(call.params.get("inclusive", "")).lower() in ("1", "true")
        metadata = str(call.params.get("include_all_metadata", "")).lower() in ("1", "true")
        limit = max(1, min(int(call.params.get("limit") or 100), 999))
        start = int(call.params.get("cursor") or 0)

        def within(ts: float) -> bool:
            if inclusive:
                return oldest <= ts <= latest
            return oldest < ts < latest

        found = [
            m
            for m in reversed(self._history.get(self._resolve_channel(channel), []))
            if within(float(m["ts"]))
        ]
        page = found[start : start + limit]
        if not metadata:
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(found)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _chat_post_ephemeral(self, call: Call) -> dict[str, Any]:
        channel, user = call.params.get("channel"), call.params.get("user")
        if not isinstance(channel, str) or not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not isinstance(user, str) or not user:
            return {"ok": False, "error": "user_not_in_channel"}
        if not any(call.params.get(k) for k in ("text", "blocks", "attachments")):
            return {"ok": False, "error": "no_text"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_update(self, call: Call) -> dict[str, Any]:
        channel, ts = call.params.get("channel"), call.params.get("ts")
        if not isinstance(channel, str) or not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not isinstance(ts, str) or not ts:
            return {"ok": False, "error": "message_not_found"}
        message = self._message(call, ts)
        return {
            "ok": True,
            "channel": self._resolve_channel(channel),
            "ts": ts,
            "text": message["text"],
            "message": message,
        }

    def _chat_delete(self, call: Call) -> dict[str, Any]:
        channel, ts = call.params.get("channel"), call.params.get("ts")
        if not isinstance(channel, str) or not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not isinstance(ts, str) or not ts:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": self._resolve_channel(channel), "ts": ts}

    def _conversations_open(self, call: Call) -> dict[str, Any]:
        channel = call.params.get("channel")
        if isinstance(channel, str) and channel:
            return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": channel}}
        users = _user_list(call.param("users"))
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        if len(users) == 1:
            channel_id = dm_channel_id(users[0])
            self._dm_owner[channel_id] = users[0]
        else:
            digest = hashlib.sha1(",".join(sorted(users)).encode("utf-8")).hexdigest()
            channel_id = "G" + digest[:10].upper()
        already = channel_id in self._opened_dms
        self._opened_dms.add(channel_id)
        return {
            "ok": True,
            "no_op": already,
            "already_open": already,
            "channel": {"id": channel_id},
        }

    def _users_info(self, call: Call) -> dict[str, Any]:
        user_id = call.params.get("user")
        if not isinstance(user_id, str):
            return {"ok": False, "error": "user_not_found"}
        seeded = self.users.get(user_id)
        if seeded is None:
            if user_id != BOT_USER_ID:
                return {"ok": False, "error": "user_not_found"}
            seeded = {"name": "summit-bot", "is_bot": True, "tz": "America/Los_Angeles"}
        return {"ok": True, "user": _user_object(user_id, seeded)}

    def _views_publish(self, call: Call) -> dict[str, Any]:
        user_id, view = call.params.get("user_id"), call.param("view")
        if not isinstance(user_id, str) or not user_id or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        self._home_views[user_id] = view
        digest = hashlib.sha1(user_id.encode("utf-8")).hexdigest()[:10].upper()
        published = {
            "id": "V" + digest,
            "team_id": TEAM_ID,
            "type": view.get("type", "home"),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{self._next_ts()}.fakehash",
            "app_id": self.app_id,
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }
        return {"ok": True, "view": published}

    def _files_get_upload_url(self, call: Call) -> dict[str, Any]:
        filename, length = call.params.get("filename"), call.params.get("length")
        try:
            size = int(length) if length is not None else -1
        except (TypeError, ValueError):
            size = -1
        if not isinstance(filename, str) or not filename or size < 0:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = self._new_id("F")
        self._uploads[file_id] = Upload(file_id=file_id, filename=filename, length=size)
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, call: Call) -> dict[str, Any]:
        files = call.param("files")
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        channel_id = call.params.get("channel_id")
        channels = [channel_id] if isinstance(channel_id, str) and channel_id else []
        channels += _user_list(call.params.get("channels"))
        initial_comment = call.params.get("initial_comment")
        thread_ts = call.params.get("thread_ts")
        completed: list[Upload] = []
        for item in files:
            file_id = item.get("id") if isinstance(item, dict) else None
            upload = self._uploads.get(file_id) if isinstance(file_id, str) else None
            if upload is None or upload.data is None:
                return {"ok": False, "error": "file_not_found"}
            completed.append(
                dataclasses.replace(
                    upload,
                    title=item.get("title") or upload.filename,
                    completed=True,
                    channel_id=channels[0] if channels else None,
                    initial_comment=initial_comment if isinstance(initial_comment, str) else None,
                    thread_ts=thread_ts if isinstance(thread_ts, str) else None,
                )
            )
        for upload in completed:
            self._uploads[upload.file_id] = upload
        return {"ok": True, "files": [_file_object(u, channels) for u in completed]}

    def _apps_connections_open(self, call: Call) -> dict[str, Any]:
        if not (call.token or "").startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        ticket = uuid.uuid4().hex
        self._tickets.add(ticket)
        url = f"ws://{_HOST}:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"
        return {"ok": True, "url": url}


# ---------------------------------------------------------------------- helpers


async def _read_params(request: web.Request) -> tuple[dict[str, Any], str | None]:
    """Merge the query string and the JSON, form or multipart body of ``request``."""
    params: dict[str, Any] = dict(request.query)
    content_type = request.content_type
    if content_type == _JSON_CONTENT_TYPE:
        raw = await request.read()
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                return params, "invalid_json"
            if not isinstance(body, dict):
                return params, "invalid_json"
            params.update(body)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            params[key] = value.file.read() if isinstance(value, web.FileField) else value
    return params, None


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return None


def _user_list(value: Any) -> list[str]:
    """A comma-separated string or JSON list of ids as a list."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        return [v for v in value if isinstance(v, str) and v]
    return []


def _user_object(user_id: str, seeded: Mapping[str, Any]) -> dict[str, Any]:
    """A users.info ``user`` object: Slack's fields, overridden by the seeded ones.

    A user seeded without ``tz`` is in Slack's default zone (America/Los_Angeles); a
    zone without ``tz_offset``/``tz_label`` gets its current offset and abbreviation.
    """
    name = str(seeded.get("name", user_id.lower()))
    user: dict[str, Any] = {
        "id": user_id,
        "team_id": TEAM_ID,
        "name": name,
        "deleted": False,
        "real_name": name,
        "is_bot": False,
        "is_app_user": False,
        "updated": _TS_BASE,
        "profile": {"real_name": name, "display_name": name},
    }
    user.update(seeded)
    tz = str(user.setdefault("tz", "America/Los_Angeles"))
    if "tz_offset" not in user or "tz_label" not in user:
        try:
            now = time.time()
            local = zoneinfo.ZoneInfo(tz)
            moment = datetime.fromtimestamp(now, local)
            offset = moment.utcoffset()
            user.setdefault("tz_offset", int(offset.total_seconds()) if offset else 0)
            user.setdefault("tz_label", moment.tzname() or tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            user.setdefault("tz_offset", 0)
            user.setdefault("tz_label", tz)
    return user


def _file_object(upload: Upload, channels: list[str]) -> dict[str, Any]:
    """A files.completeUploadExternal ``files`` entry."""
    mimetype = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
    extension = upload.filename.rsplit(".", 1)[-1] if "." in upload.filename else "binary"
    return {
        "id": upload.file_id,
        "created": _TS_BASE,
        "timestamp": _TS_BASE,
        "name": upload.filename,
        "title": upload.title,
        "mimetype": mimetype,
        "filetype": extension,
        "user": BOT_USER_ID,
        "size": len(upload.data or b""),
        "channels": [c for c in channels if c[:1] == "C"],
        "ims": [c for c in channels if c[:1] == "D"],
        "groups": [c for c in channels if c[:1] == "G"],
        "url_private": f"https://files.slack.com/files-pri/{TEAM_ID}-{upload.file_id}/{upload.filename}",
        "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{BOT_USER_ID}/{upload.file_id}",
    }
