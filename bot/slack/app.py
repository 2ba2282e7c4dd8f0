"""The Slack app: a Bolt `AsyncApp` wired to the core, for Socket Mode and HTTP alike.

Building the app reads nothing from the environment and opens no connection: the token,
the signing secret and the Web API address all come from `Settings`. Bolt checks the
bot token with `auth.test` on the first request it authorizes (sent to `SLACK_API_URL`
when that is set); Socket Mode also checks it when it connects (`bot.slack.socket_mode`).
"""

from __future__ import annotations

import logging

from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.handlers import actions, home, slash, zones
from bot.runtime import Runtime
from bot.secret import reveal
from bot.settings import Settings, SettingsError

log = logging.getLogger("summit_bot.slack")

SLACK_API_URL = "https://slack.com/api/"


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


def build_app(settings: Settings, runtime: Runtime) -> AsyncApp:
    """The Bolt app answering the slash command, button clicks and the App Home."""
    if not settings.slack_bot_token:
        raise SettingsError("SLACK_BOT_TOKEN is not set (the bot token, xoxb-…)")
    # Bolt looks at SLACK_BOT_TOKEN in the environment when given a client, and warns
    # that it is unused; the client made from the settings is the one that counts.
    quiet = _DropMessage("As you gave `client` as well")
    log.addFilter(quiet)
    try:
        app = AsyncApp(
            name="summit-bot",
            logger=log,
            client=web_client(settings),
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


class _DropMessage(logging.Filter):
    """Drops the log records whose message starts with `prefix`."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.prefix)
