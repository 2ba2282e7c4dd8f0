"""Fetching a schedule published at a URL, asking only for what changed since the last fetch.

Each `UrlFetcher` remembers the ETag and Last-Modified the server sent, and sends them back
as If-None-Match and If-Modified-Since; a 304 answer, or a body identical to the last one,
means "nothing new" and costs no parsing.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Final

from schedule.model import ScheduleError

#: The largest schedule the fetcher reads, in bytes (a conference schedule is far smaller).
MAX_BYTES: Final = 20 * 1024 * 1024

USER_AGENT: Final = "summit-bot schedule fetcher"


def is_url(source: str) -> bool:
    """True when `source` is an http(s) URL rather than a file path."""
    return source.strip().casefold().startswith(("http://", "https://"))


@dataclass(frozen=True, slots=True)
class Fetched:
    """A schedule body and the validators the server sent with it."""

    data: bytes
    etag: str | None
    last_modified: str | None


class UrlFetcher:
    """Fetches one URL over and over, conditionally; safe to share between threads."""

    def __init__(self, url: str, *, timeout: float = 20.0, max_bytes: int = MAX_BYTES) -> None:
        """Fetch `url` (http or https only), giving up after `timeout` seconds."""
        if not is_url(url):
            raise ScheduleError(f"{url}: only http:// and https:// URLs can be fetched")
        self.url = url.strip()
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._etag: str | None = None
        self._last_modified: str | None = None
        self._body_digest: str | None = None

    def fetch(self) -> Fetched | None:
        """The body when it changed since the last fetch, None when it did not.

        The first call always returns the body. Raises ScheduleError naming the URL and
        the fault (HTTP status, network error, too large).
        """
        # Loaded on the first fetch: a process that never fetches (`ask`, a schedule read
        # from a file) does not pay the ~20 ms urllib.request, http.client and ssl take.
        import urllib.error
        import urllib.request
        from http.client import HTTPException

        request = urllib.request.Request(self.url, headers={"User-Agent": USER_AGENT})
        with self._lock:
            if self._etag:
                request.add_header("If-None-Match", self._etag)
            if self._last_modified:
                request.add_header("If-Modified-Since", self._last_modified)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data = response.read(self.max_bytes + 1)
                etag = response.headers.get("ETag")
                last_modified = response.headers.get("Last-Modified")
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return None
            raise ScheduleError(f"{self.url}: cannot fetch: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise ScheduleError(f"{self.url}: cannot fetch: {reason}") from None
        if len(data) > self.max_bytes:
            raise ScheduleError(f"{self.url}: larger than {self.max_bytes} bytes")
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            same = digest == self._body_digest
            self._etag = etag
            self._last_modified = last_modified
            self._body_digest = digest
        if same:
            return None
        return Fetched(data=data, etag=etag, last_modified=last_modified)

    def forget(self) -> None:
        """Drop the remembered validators, so the next fetch returns the body again."""
        with self._lock:
            self._etag = None
            self._last_modified = None
            self._body_digest = None
