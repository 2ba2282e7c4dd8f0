"""The one Slack Web API client outside the handlers: the outbox's messages.

Messages go out with chat.postMessage, each carrying metadata that names its outbox row;
`find` reads a conversation back (conversations.history with all metadata) to learn
whether a message whose outcome was unknown arrived. A person's DM channel comes back
with the first message and is kept in the store's `dm_channels` (conversations.open only
when a conversation must be read before anything was posted in it). slack_sdk's own
retries are off: the outbox's sender paces every call and decides when to try again,
from the errors raised here.
"""

from __future__ import annotations

import http.client
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import SystemClock
from bot.core.message import Message
from bot.outbox.messenger import (
    BeforeSend,
    PermanentError,
    SlotMissed,
    TransientError,
    names_key,
)
from bot.secret import reveal
from bot.settings import Settings
from bot.store import Store

PERMANENT_ERRORS = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "cannot_dm_bot",
        "channel_not_found",
        "account_inactive",
        "user_disabled",
        "is_archived",
        "not_in_channel",
        "restricted_action",
        "user_is_restricted",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_arguments",
        "too_many_attachments",
    }
)
"""Errors that sending again cannot cure: recorded as failed."""

TRANSIENT_ERRORS = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
    }
)
"""Errors that may go away: sent again later."""

DEFAULT_TIMEOUT = 10
"""Seconds one Web API call may take."""

UNKNOWN_OUTCOME_ERRORS = frozenset({"internal_error", "fatal_error", "request_timeout"})
"""Transient errors after which the request may have been carried out all the same."""

HISTORY_PAGES = 10
"""How many pages of a conversation `find` reads at most."""


class SlackMessenger:
    """Sends direct messages over a slack_sdk WebClient (no retries of its own)."""

    def __init__(self, client: WebClient, store: Store) -> None:
        """Use `client` for calls and `store` to remember each person's DM channel."""
        self.client = client
        self.store = store
        self._channels: dict[str, str] = {}
        self._lock = threading.Lock()
        self._wall = SystemClock()

    @classmethod
    def from_settings(
        cls, settings: Settings, store: Store, *, timeout: float = DEFAULT_TIMEOUT
    ) -> SlackMessenger:
        """A messenger with the bot token, against `settings.slack_api_url` when set."""
        if not settings.slack_bot_token:
            raise ValueError("SLACK_BOT_TOKEN is needed to send direct messages")
        return cls(make_client(settings, timeout=timeout), store)

    def open_dm(self, user_id: str) -> str:
        """The person's DM channel, opened and saved on first use."""
        with self._lock:
            known = self._channels.get(user_id)
        if known is None:
            known = self.store.people.dm_channel(user_id)
        if known is None:
            answer = _call(lambda: self.client.conversations_open(users=user_id))
            known = str(answer["channel"]["id"])
            self.store.people.save_dm_channel(user_id, known)
        with self._lock:
            self._channels[user_id] = known
        return known

    def send_dm(self, user_id: str, message: Message) -> tuple[str, str]:
        """Post `message` in the person's DM; returns (channel, ts)."""
        return self.post(self.open_dm(user_id), message)

    def post(
        self,
        channel: str,
        message: Message,
        metadata: Mapping[str, Any] | None = None,
        *,
        before_send: BeforeSend | None = None,
    ) -> tuple[str, str]:
        """Post `message` in `channel` (a person's id posts in their DM); returns (channel, ts).

        `before_send` runs once the connection is open, right before the request's first
        byte is written (with a client from `make_client`; else right before the call).
        """
        blocks = message.block_dicts()

        def request() -> Any:
            return self.client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=blocks or None,
                metadata=dict(metadata) if metadata else None,
                unfurl_links=False,
                unfurl_media=False,
            )

        if before_send is None:
            answer = _call(request)
        elif isinstance(self.client, GatedWebClient):
            with self.client.gated(before_send):
                answer = _call(request)
        else:
            before_send()
            answer = _call(request)
        posted = str(answer.get("channel") or channel)
        if channel[:1] in ("U", "W") and posted != channel:
            self.store.people.save_dm_channel(channel, posted)
            with self._lock:
                self._channels[channel] = posted
        return posted, str(answer["ts"])

    def known_dm(self, user_id: str) -> str | None:
        """The person's DM channel if it was ever opened or posted in, without a call."""
        with self._lock:
            known = self._channels.get(user_id)
        return known if known is not None else self.store.people.dm_channel(user_id)

    def update(self, channel: str, ts: str, message: Message) -> tuple[str, str]:
        """Replace the bot's message `ts` in `channel` by `message` (chat.update)."""
        blocks = message.block_dicts()
        answer = _call(
            lambda: self.client.chat_update(
                channel=channel, ts=ts, text=message.text, blocks=blocks or []
            )
        )
        return str(answer.get("channel") or channel), str(answer.get("ts") or ts)

    def find(self, channel: str, key: str, within: timedelta) -> str | None:
        """The ts of the message in `channel` carrying outbox `key`, read back with metadata.

        Only the messages of the last `within` (Slack's clock is the real one) are read.
        """
        now = self._wall.now()
        oldest, latest = now - within, now + timedelta(minutes=1)
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            answer = _call(
                partial(
                    self.client.conversations_history,
                    channel=channel,
                    oldest=f"{oldest.timestamp():.6f}",
                    latest=f"{latest.timestamp():.6f}",
                    inclusive=True,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            )
            for found in answer.get("messages") or ():
                if isinstance(found, Mapping) and names_key(found, key):
                    return str(found["ts"])
            cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
            if not answer.get("has_more") or cursor is None:
                return None
        return None


def make_client(settings: Settings, *, timeout: float = DEFAULT_TIMEOUT) -> WebClient:
    """A WebClient for the bot token and API URL of `settings`, with retries turned off."""
    options: dict[str, Any] = {"token": reveal(settings.slack_bot_token), "timeout": timeout}
    if settings.slack_api_url:
        url = settings.slack_api_url
        options["base_url"] = url if url.endswith("/") else url + "/"
    return GatedWebClient(retry_handlers=[], **options)


class GatedWebClient(WebClient):
    """A WebClient whose calls can be gated: a check runs right before the request is written.

    The outbox paces posts by send slots; what Slack counts is when each request arrives.
    The check (`gated`) runs after the connection is open, just before the first byte goes
    out, so a thread held up anywhere on the way (the client's own work, a busy CPU) is
    caught there and can call the post off instead of arriving late, bunched with others.
    """

    def __init__(self, **options: Any) -> None:
        """A client as WebClient(**options)."""
        # slack_sdk logs every failed request as an error; a post called off by its
        # check is no failure, so this client's logger (a child of slack_sdk's) drops it.
        quiet = logging.Logger("slack_sdk.web.base_client")
        quiet.parent = logging.getLogger("slack_sdk.web.base_client")
        quiet.addFilter(self._not_called_off)
        self._gates = threading.local()
        super().__init__(logger=quiet, **options)
        self._opener = urllib.request.build_opener(
            _GatedHTTPHandler(self._gate), _GatedHTTPSHandler(self._gate, context=self.ssl)
        )

    @contextmanager
    def gated(self, check: BeforeSend) -> Iterator[None]:
        """Run `check` before the request of each call this thread makes inside the block."""

        def checked() -> None:
            try:
                check()
            except SlotMissed:
                self._gates.called_off = True
                raise

        self._gates.check, self._gates.called_off = checked, False
        try:
            yield
        finally:
            self._gates.check, self._gates.called_off = None, False

    def _not_called_off(self, record: logging.LogRecord) -> bool:
        return not getattr(self._gates, "called_off", False)

    def _gate(self) -> BeforeSend | None:
        return getattr(self._gates, "check", None)

    def _perform_urllib_http_request_internal(
        self, url: str, req: urllib.request.Request
    ) -> dict[str, Any]:
        """slack_sdk's request, through the gated opener when this thread set a check."""
        if self._gate() is None or self.proxy is not None or not url.lower().startswith("http"):
            return super()._perform_urllib_http_request_internal(url, req)
        response = self._opener.open(req, timeout=self.timeout)
        charset = response.headers.get_content_charset() or "utf-8"
        body = response.read().decode(charset)
        return {"status": response.code, "headers": response.headers, "body": body}


class _GatedHTTPConnection(http.client.HTTPConnection):
    """A connection whose check (if any) runs once, connected, right before the first write."""

    check: BeforeSend | None = None

    def _send_output(self, message_body: Any = None, encode_chunked: bool = False) -> None:
        """Write the headers and a bytes body in one write: the request arrives whole.

        (http.client writes them apart, and a thread held up between the two writes
        would make the request arrive late after all.)
        """
        if not isinstance(message_body, bytes) or encode_chunked:
            super()._send_output(message_body, encode_chunked)  # type: ignore[misc]
            return
        head = b"\r\n".join([*self._buffer, b"", b""])  # type: ignore[attr-defined]
        del self._buffer[:]  # type: ignore[attr-defined]
        self.send(head + message_body)

    def send(self, data: Any) -> None:
        """Connect, run the check (which may call the request off), then write `data`."""
        check, self.check = self.check, None
        if check is not None:
            if self.sock is None:
                self.connect()
            check()
        super().send(data)


class _GatedHTTPSConnection(http.client.HTTPSConnection, _GatedHTTPConnection):
    """The same over TLS (its handshake done before the check)."""


def _gated(kind: type[_GatedHTTPConnection], check: BeforeSend | None) -> Any:
    """A connection factory for urllib's `do_open`: connections of `kind` carrying `check`."""

    def connection(*args: Any, **kwargs: Any) -> _GatedHTTPConnection:
        made = kind(*args, **kwargs)
        made.check = check
        return made

    return connection


class _GatedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, gate: Callable[[], BeforeSend | None]) -> None:
        super().__init__()
        self._gate = gate

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_gated(_GatedHTTPConnection, self._gate()), req)


class _GatedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, gate: Callable[[], BeforeSend | None], context: Any = None) -> None:
        super().__init__(context=context)
        self._gate = gate
        self._https_context = context

    def https_open(self, req: urllib.request.Request) -> Any:
        connection = _gated(_GatedHTTPSConnection, self._gate())
        return self.do_open(connection, req, context=self._https_context)


def _call(request: Callable[[], Any]) -> Any:
    """Make one Web API call, turning every failure into TransientError or PermanentError."""
    try:
        return request()
    except SlackApiError as exc:
        raise classify(exc) from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError) as exc:
        raise network_error(exc) from exc


def network_error(exc: BaseException) -> TransientError:
    """A failure below HTTP: only a refused connection proves the request never arrived."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    refused = isinstance(reason, ConnectionRefusedError)
    return TransientError(f"network: {exc}", unknown=not refused)


def classify(exc: SlackApiError) -> TransientError | PermanentError:
    """What a Slack error means for sending: wait and retry, or give up."""
    response = exc.response
    status = int(getattr(response, "status_code", 200) or 200)
    error = str(response.get("error") or "") if hasattr(response, "get") else ""
    if status == 429:
        return TransientError("ratelimited", retry_after=_retry_after(response) or 1.0)
    if status >= 500:
        return TransientError(f"HTTP {status} {error}".strip(), unknown=True)
    if error in TRANSIENT_ERRORS:
        return TransientError(
            error, retry_after=_retry_after(response), unknown=error in UNKNOWN_OUTCOME_ERRORS
        )
    return PermanentError(error or f"HTTP {status}")


def _retry_after(response: Any) -> float | None:
    headers = getattr(response, "headers", None) or {}
    for name, value in dict(headers).items():
        if str(name).lower() == "retry-after":
            try:
                return max(float(value), 0.0)
            except (TypeError, ValueError):
                return 1.0
    return None
