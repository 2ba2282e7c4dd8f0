"""A loopback HTTP server publishing one schedule document, for URL reload tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Published:
    """What the loopback server answers, and the conditional headers it received."""

    body: bytes = b""
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    seen: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Server:
    """An http.server on 127.0.0.1 serving one document at /schedule.ics."""

    def __init__(self) -> None:
        """Bind a free loopback port."""
        self.published = Published()
        published = self.published

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with published.lock:
                    published.seen.append(
                        {k: v for k, v in self.headers.items() if k.lower().startswith("if-")}
                    )
                    body, status = published.body, published.status
                    etag, modified = published.etag, published.last_modified
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                if modified and self.headers.get("If-Modified-Since") == modified:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(status)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Content-Length", str(len(body)))
                if etag:
                    self.send_header("ETag", etag)
                if modified:
                    self.send_header("Last-Modified", modified)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The document's URL."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/schedule.ics"

    def publish(self, body: bytes, *, status: int = 200, etag: str | None = None) -> None:
        """Serve `body` with `status` (and `etag`) from now on."""
        with self.published.lock:
            self.published.body, self.published.status = body, status
            self.published.etag = etag
