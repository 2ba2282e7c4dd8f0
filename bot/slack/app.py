"""The Slack app: a Bolt `AsyncApp` wired to the core, for Socket Mode and HTTP alike.

Building the app reads nothing from the environment and opens no connection: the token,
the signing secret and the Web API address all come from `Settings`. Who the bot is
(`auth.test`, sent to `SLACK_API_URL` when that is set) is asked by `SlackIdentity`:
`serve` checks it at start, and a Slack that does not answer then is asked again later
while the bot keeps answering (a refused token stops the start, as in Socket Mode).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.handlers import actions, home, slash, zones
from bot.runtime import Runtime
from bot.secret import reveal
from bot.settings import Settings, SettingsError

log = logging.getLogger("summit_bot.slack")

SLACK_API_URL = "https://slack.com/api/"
START_CHECK_SECONDS = 10
"""How long `serve` waits for Slack's `auth.test` at start before serving without it."""


def api_base_url(settings: Settings) -> str:
    """The Web API base URL, ending with "/" as slack_sdk expects."""
    url = settings.slack_api_url or SLACK_API_URL
    return url if url.endswith("/") else url + "/"


def web_client(settings: Settings, token: str | None = None) -> AsyncWebClient:
    """An asyncio Web API client for the bot token (or `token`) at the configured address."""
    return AsyncWebClient(
        token=token or reveal(settings.slack_bot_token),
        base_url=api_base_url(settings),
        logger=logging.getLogger("summit_bot.slack.web"),
    )


class SlackIdentity:
    """Who the bot is in the workspace (`auth.test`), asked once and remembered.

    While Slack has not answered, requests are still authorized with the bot token (the
    schedule is answered; calls to Slack fail on their own), and Slack is asked again at
    most every `retry_seconds`. A token Slack refuses raises `SlackApiError`.
    """

    def __init__(
        self,
        token: str,
        retry_seconds: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Authorize with `token`; `monotonic` measures the wait between two tries."""
        self.token = token
        self.retry_seconds = retry_seconds
        self._monotonic = monotonic
        self._known: dict[str, Any] | None = None
        self._next_try = 0.0

    @property
    def confirmed(self) -> bool:
        """Whether Slack has confirmed the token."""
        return self._known is not None

    async def check(self, client: AsyncWebClient) -> bool:
        """Ask Slack now: True when it confirmed the token, False when it did not answer."""
        self._next_try = self._monotonic() + self.retry_seconds
        try:
            response = await client.auth_test(token=self.token)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning(
                "Slack did not answer auth.test (%s); answering schedule questions meanwhile",
                type(exc).__name__,
            )
            return False
        self._known = {
            key: response.get(key) for key in ("team_id", "enterprise_id", "bot_id", "user_id")
        }
        return True

    async def authorize(
        self,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
    ) -> AuthorizeResult:
        """Bolt's `authorize`: the bot token, with the identity Slack confirmed when known."""
        if self._known is None and self._monotonic() >= self._next_try:
            await self.check(context.client)
        known = self._known or {}
        return AuthorizeResult(
            enterprise_id=known.get("enterprise_id") or enterprise_id,
            team_id=known.get("team_id") or team_id,
            bot_id=known.get("bot_id"),
            bot_user_id=known.get("user_id"),
            bot_token=self.token,
            user_id=user_id,
        )


async def check_slack(settings: Settings) -> SlackIdentity:
    """Ask Slack who the bot is before serving: a refused token raises SettingsError.

    An unreachable Slack is logged and the identity asked again later.
    """
    if not settings.slack_bot_token:
        raise SettingsError("SLACK_BOT_TOKEN is not set (the bot token, xoxb-…)")
    identity = SlackIdentity(reveal(settings.slack_bot_token) or "")
    client = web_client(settings)
    client.timeout = START_CHECK_SECONDS
    try:
        await identity.check(client)
    except SlackApiError as exc:
        reason = exc.response.get("error", "error") if exc.response is not None else "error"
        raise SettingsError(f"could not connect to Slack: {reason}") from None
    return identity


def build_app(
    settings: Settings, runtime: Runtime, identity: SlackIdentity | None = None
) -> AsyncApp:
    """The Bolt app answering the slash command, button clicks and the App Home.

    `identity` is the bot's, already checked by `check_slack` (else asked on first use).
    """
    if not settings.slack_bot_token:
        raise SettingsError("SLACK_BOT_TOKEN is not set (the bot token, xoxb-…)")
    identity = identity or SlackIdentity(reveal(settings.slack_bot_token) or "")
    # Bolt warns that the client's token is set aside for `authorize`; that is intended.
    quiet = _DropMessage("As you gave `client` as well", "As `installation_store` or `authorize`")
    log.addFilter(quiet)
    try:
        app = AsyncApp(
            name="summit-bot",
            logger=log,
            client=web_client(settings),
            authorize=_authorize_with(identity),
            signing_secret=reveal(settings.slack_signing_secret) or "",
            # A listener's own acknowledgement is the HTTP response (the answer goes in
            # it); work after the ack is the listeners' own (`runtime.answering`). This also
            # spares every request Bolt's 10 ms polling for an ack from another task.
            process_before_response=True,
            # HTTP requests are verified at the edge in front of Bolt (bot.http_guard),
            # which may re-encode a form; Socket Mode requests need no signature.
            request_verification_enabled=False,
        )
    finally:
        log.removeFilter(quiet)
    zones.register(app, runtime)
    slash.register(app, runtime)
    actions.register(app, runtime)
    home.register(app, runtime)
    return app


def _authorize_with(identity: SlackIdentity) -> Callable[..., Any]:
    """`identity.authorize` as a plain function (Bolt reads its parameter names)."""

    async def authorize(
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
    ) -> AuthorizeResult:
        return await identity.authorize(context, enterprise_id, team_id, user_id)

    return authorize


class _DropMessage(logging.Filter):
    """Drops the log records whose message starts with `prefix`."""

    def __init__(self, *prefixes: str) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.prefixes)
