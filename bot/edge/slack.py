"""The one Slack Web API client outside the handlers: direct messages to people.

A person's DM channel is opened once (conversations.open) and kept in the store's
`dm_channels`; messages go out with chat.postMessage. slack_sdk's own retries are off:
the reminder engine decides when to try again, from the errors raised here.
"""

from __future__ import annotations

import http.client
import threading
import urllib.error
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.message import Message
from bot.reminders.messenger import PermanentError, TransientError
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


class SlackMessenger:
    """Sends direct messages over a slack_sdk WebClient (no retries of its own)."""

    def __init__(self, client: WebClient, store: Store) -> None:
        """Use `client` for calls and `store` to remember each person's DM channel."""
        self.client = client
        self.store = store
        self._channels: dict[str, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, store: Store) -> SlackMessenger:
        """A messenger with the bot token, against `settings.slack_api_url` when set."""
        if not settings.slack_bot_token:
            raise ValueError("SLACK_BOT_TOKEN is needed to send direct messages")
        return cls(make_client(settings), store)

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
        channel = self.open_dm(user_id)
        blocks = message.block_dicts()
        answer = _call(
            lambda: self.client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=blocks or None,
                unfurl_links=False,
                unfurl_media=False,
            )
        )
        return str(answer.get("channel") or channel), str(answer["ts"])


def make_client(settings: Settings) -> WebClient:
    """A WebClient for the bot token and API URL of `settings`, with retries turned off."""
    options: dict[str, Any] = {"token": settings.slack_bot_token, "timeout": DEFAULT_TIMEOUT}
    if settings.slack_api_url:
        url = settings.slack_api_url
        options["base_url"] = url if url.endswith("/") else url + "/"
    return WebClient(retry_handlers=[], **options)


def _call(request: Callable[[], Any]) -> Any:
    """Make one Web API call, turning every failure into TransientError or PermanentError."""
    try:
        return request()
    except SlackApiError as exc:
        raise classify(exc) from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError) as exc:
        raise TransientError(f"network: {exc}") from exc


def classify(exc: SlackApiError) -> TransientError | PermanentError:
    """What a Slack error means for sending: wait and retry, or give up."""
    response = exc.response
    status = int(getattr(response, "status_code", 200) or 200)
    error = str(response.get("error") or "") if hasattr(response, "get") else ""
    if status == 429:
        return TransientError("ratelimited", retry_after=_retry_after(response) or 1.0)
    if status >= 500:
        return TransientError(f"HTTP {status} {error}".strip())
    if error in TRANSIENT_ERRORS:
        return TransientError(error, retry_after=_retry_after(response))
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
