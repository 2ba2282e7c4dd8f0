"""Builders for the requests Slack sends to an app, in Slack's own shapes.

Slash commands arrive as a form, interactions as a form whose single ``payload`` field
holds JSON, and Events API deliveries as a JSON ``event_callback`` body. Over Socket Mode
the same data travels as the envelope's ``payload`` (the form fields as a JSON object for
slash commands). Every HTTP request is signed with the app's signing secret (``sign``).

The identifiers below are shared with ``FakeSlack`` so that what ``auth.test`` answers
matches the workspace these requests come from.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import quote, quote_plus, urlencode

TEAM_ID = "T0SUMMIT01"
TEAM_DOMAIN = "summit-fake"
API_APP_ID = "A0SUMMIT01"
BOT_USER_ID = "U0SUMMITBOT"
BOT_ID = "B0SUMMIT01"
VERIFICATION_TOKEN = "fake-verification-token"

DEFAULT_RESPONSE_URL = "https://hooks.slack.com/commands/T0SUMMIT01/1000000001/fakeresponseurl"
DEFAULT_TRIGGER_ID = "1000000001.2000000002.fake0trigger0id"

_sequence = itertools.count(1)


def _next() -> int:
    return next(_sequence)


def dm_channel_id(user_id: str) -> str:
    """The direct-message channel id the fake workspace gives ``user_id`` (stable)."""
    return "D" + hashlib.sha1(user_id.encode("utf-8")).hexdigest()[:10].upper()


def slash_command_form(
    command: str = "/nova",
    text: str = "now",
    user_id: str = "U123",
    user_name: str = "alice",
    team_id: str = TEAM_ID,
    channel_id: str = "C0GENERAL1",
    response_url: str = DEFAULT_RESPONSE_URL,
    trigger_id: str = DEFAULT_TRIGGER_ID,
    *,
    channel_name: str = "general",
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = API_APP_ID,
    token: str = VERIFICATION_TOKEN,
) -> dict[str, str]:
    """The fields of a slash command invocation, in the order Slack sends them."""
    return {
        "token": token,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def encode_form(fields: Mapping[str, str], percent_encode: bool = True) -> bytes:
    """URL-encode form fields: ``%20`` for spaces, or ``+`` when ``percent_encode`` is false."""
    quote_via = quote if percent_encode else quote_plus
    return urlencode(dict(fields), quote_via=quote_via).encode("ascii")


def block_actions_payload(
    action_id: str,
    value: str,
    user_id: str = "U123",
    *,
    container: Literal["message", "view"] = "message",
    message: Mapping[str, Any] | None = None,
    view: Mapping[str, Any] | None = None,
    response_url: str | None = None,
    block_id: str = "actions",
    channel_id: str = "C0GENERAL1",
    action_type: str = "button",
    team_id: str = TEAM_ID,
    user_name: str = "alice",
    trigger_id: str = DEFAULT_TRIGGER_ID,
) -> dict[str, Any]:
    """A ``block_actions`` payload for one button click in a message or in a view.

    For a message container the payload carries ``channel``, ``message`` and a
    ``response_url`` (a default hooks URL when none is given); for a view container
    (App Home, modals) it carries ``view`` instead and no ``response_url``, as Slack does.
    """
    n = _next()
    action_ts = f"1700000{n:03d}.{n:06d}"
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": action_type,
        "value": value,
        "action_ts": action_ts,
    }
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": value, "emoji": True}
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": {}},
        "actions": [action],
    }
    if container == "message":
        msg: dict[str, Any] = dict(message) if message is not None else {}
        msg.setdefault("type", "message")
        msg.setdefault("user", BOT_USER_ID)
        msg.setdefault("bot_id", BOT_ID)
        msg.setdefault("ts", f"1700000000.{n:06d}")
        msg.setdefault("text", "")
        msg.setdefault("blocks", [])
        payload["container"] = {
            "type": "message",
            "message_ts": msg["ts"],
            "channel_id": channel_id,
            "is_ephemeral": False,
        }
        payload["channel"] = {"id": channel_id, "name": "directmessage"}
        payload["message"] = msg
        payload["response_url"] = (
            response_url
            if response_url is not None
            else f"https://hooks.slack.com/actions/{team_id}/{n}/fakeactionurl"
        )
    elif container == "view":
        v: dict[str, Any] = dict(view) if view is not None else {"type": "home", "blocks": []}
        v.setdefault("id", f"V0HOME{n:05d}")
        v.setdefault("team_id", team_id)
        v.setdefault("app_id", API_APP_ID)
        v.setdefault("bot_id", BOT_ID)
        v.setdefault("app_installed_team_id", team_id)
        v.setdefault("state", {"values": {}})
        v.setdefault("hash", f"{n}.fakehash")
        payload["container"] = {"type": "view", "view_id": v["id"]}
        payload["view"] = v
        if response_url is not None:
            payload["response_url"] = response_url
    else:
        raise ValueError(f"unknown container type: {container!r}")
    return payload


def interaction_body(payload: Mapping[str, Any]) -> bytes:
    """The HTTP body of an interaction: a form whose ``payload`` field holds the JSON."""
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode("ascii")


def event_callback(
    event: Mapping[str, Any], *, team_id: str = TEAM_ID, event_time: int = 1700000000
) -> dict[str, Any]:
    """An Events API ``event_callback`` body wrapping one event."""
    n = _next()
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": API_APP_ID,
        "event": dict(event),
        "type": "event_callback",
        "event_id": f"Ev0FAKE{n:06d}",
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-fakeeventcontext{n}",
    }


def app_home_opened_event(
    user_id: str,
    *,
    channel: str | None = None,
    tab: str = "home",
    view: Mapping[str, Any] | None = None,
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """An Events API body for ``app_home_opened``; ``view`` is absent on a first visit."""
    n = _next()
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel if channel is not None else dm_channel_id(user_id),
        "tab": tab,
        "event_ts": f"1700000000.{n:06d}",
    }
    if view is not None:
        event["view"] = dict(view)
    return event_callback(event, team_id=team_id)


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The ``X-Slack-Signature`` and ``X-Slack-Request-Timestamp`` headers for ``body``.

    The signature is ``v0=`` followed by the hex HMAC-SHA256, keyed with the signing
    secret, of ``v0:<timestamp>:<body>``. ``timestamp`` defaults to the current time.
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode("ascii") + b":" + body
    digest = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Signature": f"v0={digest}", "X-Slack-Request-Timestamp": ts}
