"""The HTTP edge in front of Bolt: size, signature and shape of every request to /slack/events.

An ASGI middleware, so it holds whatever serves the events behind it:

- a body over `MAX_BODY` (1 MiB; Slack's own payloads are a few KiB) gets 413, from its
  Content-Length before anything is read, else as soon as the stream passes the limit;
- a missing, malformed (non-numeric timestamp, non-hex signature), stale or wrong signature
  gets 401, logged as one short line that quotes nothing of the request;
- a signed body that is not what Slack sends (not UTF-8, a JSON body that is not an
  object, a form that does not parse, a `payload=` field that is not a JSON object)
  gets 400;
- what passes is handed on with its body replayed.

Bolt parses any form containing the word "payload" as an interaction; the guard re-encodes
a slash command's form holding the word so that a word typed by a person never reads as
one (`normal_form`); any other form goes on byte for byte.
The body is signed as received, so Bolt's own check would refuse the re-encoded one: the
guard is the one verifier of HTTP requests (`build_app(..., verify=False)` behind it).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Final
from urllib.parse import parse_qsl, quote, unquote_to_bytes, urlencode

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

#: The largest request body accepted, in bytes.
MAX_BODY: Final = 1024 * 1024

#: How far a request's timestamp may be from now, in seconds (Slack's own advice).
MAX_SKEW: Final = 5 * 60

_TIMESTAMP: Final = re.compile(r"[0-9]{1,12}")
_SIGNATURE: Final = re.compile(r"v0=[0-9a-f]{64}")
# A form as `parse_qsl(strict_parsing=True)` accepts it: fields joined by "&", each with "=".
_FORM: Final = re.compile(r"[^&=]*=[^&]*(?:&[^&=]*=[^&]*)*")


class Refused(Exception):
    """A request the guard answers itself: the status and a short reason for the log."""

    def __init__(self, status: int, reason: str) -> None:
        """Refuse with `status`; `reason` is the guard's own words, never request data."""
        super().__init__(reason)
        self.status = status
        self.reason = reason


class SlackRequestGuard:
    """ASGI middleware verifying POSTs to `path` before `app` sees them."""

    def __init__(
        self,
        app: ASGIApp,
        signing_secret: str,
        *,
        path: str,
        max_body: int = MAX_BODY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Guard `path` of `app` with `signing_secret`; `clock` gives Unix time (tests fix it)."""
        self.app = app
        self.path = path
        self.max_body = max_body
        self.clock = clock
        self._secret = signing_secret.encode("utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check a POST to the guarded path; pass everything else through untouched."""
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            received = await self._read(headers, receive)
            self._verify(headers, received)
            body = checked_body(received, headers.get("content-type"))
        except Refused as refused:
            log.warning("refused a request to %s: %s", self.path, refused.reason)
            await _answer(refused, scope, receive, send)
            return
        if body != received or headers.get("content-length") != str(len(body)):
            scope = _with_length(scope, len(body))
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, headers: Headers, receive: Receive) -> bytes:
        """The whole body, refused (413) as soon as it is known to pass the limit."""
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise Refused(400, "malformed Content-Length")
            if int(length) > self.max_body:
                raise Refused(413, "body over the size limit (Content-Length)")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise Refused(400, "client went away")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise Refused(413, "body over the size limit")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _verify(self, headers: Headers, body: bytes) -> None:
        """Refuse (401) a request whose signature is missing, malformed, stale or wrong."""
        timestamp = headers.get("x-slack-request-timestamp")
        signature = headers.get("x-slack-signature")
        if timestamp is None or signature is None:
            raise Refused(401, "no signature")
        if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
            raise Refused(401, "malformed signature or timestamp")
        if abs(self.clock() - int(timestamp)) > MAX_SKEW:
            raise Refused(401, "stale timestamp")
        base = b"v0:" + timestamp.encode("ascii") + b":" + body
        expected = "v0=" + hmac.new(self._secret, base, "sha256").hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise Refused(401, "invalid signature")


def checked_body(body: bytes, content_type: str | None) -> bytes:
    """`body` if it has a shape Slack sends (a form re-encoded by `normal_form`), else 400."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "body is not UTF-8") from None
    media = (content_type or "").split(";", 1)[0].strip().casefold()
    if media == "application/json" or text.startswith("{"):
        _json_object(text, "JSON body")
        return body
    return normal_form(text).encode("utf-8")


def normal_form(text: str) -> str:
    """A form body as Bolt must read it; 400 when it is not a form Slack would send.

    An interaction is one `payload` field holding a JSON object. Any other form is written
    again with "payload" percent-encoded wherever it occurs, so that Bolt, which takes
    every body containing that word for an interaction, reads the fields as they are.
    """
    if not text:
        return text
    if "payload" not in text:
        # Bolt looks for the word in the raw body: without it, Bolt reads the fields as
        # sent, so the body goes on as it came once it is known to be a form. This is the
        # check `parse_qsl(strict_parsing=True, errors="strict")` below makes, without
        # decoding every field on every command: the separators are ASCII, so the pieces
        # decode as UTF-8 exactly when the whole text does.
        try:
            unquote_to_bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(400, "body is not a form") from None
        if not _FORM.fullmatch(text):
            raise Refused(400, "body is not a form")
        return text
    try:
        fields = parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "body is not a form") from None
    names = [name for name, _ in fields]
    if "payload" in names:
        if len(fields) != 1:
            raise Refused(400, "payload form with other fields")
        _json_object(fields[0][1], "payload")
        return text
    encoded = urlencode(fields, quote_via=quote)
    return encoded.replace("payload", "%70ayload")


def _json_object(text: str, what: str) -> None:
    """Refuse (400) `text` unless it is a JSON object."""
    try:
        value = json.loads(text)
    except ValueError:
        raise Refused(400, f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise Refused(400, f"{what} is not a JSON object")


async def _answer(refused: Refused, scope: Scope, receive: Receive, send: Send) -> None:
    """Send the refusal; a 413 closes the connection (its body is left unread)."""
    response: Response
    if refused.status == 413:
        response = PlainTextResponse(
            "request body too large", status_code=413, headers={"Connection": "close"}
        )
    else:
        response = JSONResponse({"error": "invalid request"}, status_code=refused.status)
    await response(scope, receive, send)


def _with_length(scope: Scope, length: int) -> Scope:
    """`scope` with its Content-Length set to the body handed on (re-encoding may change it)."""
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
    headers.append((b"content-length", str(length).encode("ascii")))
    return {**scope, "headers": headers}


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive callable giving `body` once, then whatever the client sends next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
