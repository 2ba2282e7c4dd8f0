"""`GET /calendar/<token>.ics`: a person's live calendar feed, with ETag and 304.

The token is the only credential: a malformed, unknown or replaced one gets the same
plain 404, so the answer tells nothing about which tokens exist. The feed's ETag is a
digest of its bytes; a request whose `If-None-Match` names it gets 304 and no body.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Final

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.calendar_feed import person_feed
from bot.runtime import Runtime

#: An `If-None-Match` longer than this is ignored (answered in full), never parsed.
MAX_IF_NONE_MATCH: Final = 4096
_SUFFIX: Final = ".ics"


def etag_of(body: bytes) -> str:
    """The strong ETag of a feed body."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(header: str | None, etag: str) -> bool:
    """True when an `If-None-Match` header names `etag` (weakly) or is `*`."""
    if not header or len(header) > MAX_IF_NONE_MATCH:
        return False
    for candidate in header.split(","):
        tag = candidate.strip()
        if tag == "*":
            return True
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == etag:
            return True
    return False


def not_found() -> Response:
    """The one answer for every token that opens nothing."""
    return PlainTextResponse("No such calendar.", status_code=404)


def calendar_endpoint(runtime: Runtime) -> Callable[[Request], Response]:
    """The Starlette endpoint serving feeds from `runtime` (sync: runs in the thread pool)."""

    def calendar_feed(request: Request) -> Response:
        name = str(request.path_params.get("name", ""))
        if not name.endswith(_SUFFIX):
            return not_found()
        user_id = runtime.core.store.calendar.person_for(name[: -len(_SUFFIX)])
        if user_id is None:
            return not_found()
        body = person_feed(runtime.core, user_id, runtime.clock.now())
        etag = etag_of(body)
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        headers["Content-Disposition"] = 'inline; filename="summit.ics"'
        return Response(body, media_type="text/calendar", headers=headers)

    return calendar_feed
