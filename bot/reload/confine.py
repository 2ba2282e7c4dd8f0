"""What an admin's `/nova reload FILE|URL` may read: one folder, and public web servers.

The operator's own sources (`SUMMIT_BOT_SCHEDULE`, `SUMMIT_BOT_SCHEDULE_URL`, `summit-bot
reload FILE`) are trusted and never pass here. An admin's argument is not: a file must lie,
after resolving every symlink, inside `SUMMIT_BOT_RELOAD_DIR` (unset: no file is allowed),
and a URL must be http(s) to a host whose every address is public, at every redirect,
unless the host is listed in `SUMMIT_BOT_RELOAD_ALLOW_HOSTS`. The connection goes to the
address that was checked, so a DNS answer that changes between check and connect (DNS
rebinding) cannot lead it inside. Every refusal and every failure to read is the same
`SourceRefused` line, which says nothing about the file system or the network behind it.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import SplitResult, urljoin, urlsplit

from bot.reload.fetch import MAX_BYTES, USER_AGENT
from schedule.model import ScheduleError

if TYPE_CHECKING:
    import http.client

log = logging.getLogger(__name__)

#: The one answer to every source refused or unreadable; it maps nothing.
REFUSAL: Final = "that file or URL is not an allowed schedule source, or it could not be read"

#: How many redirects an admin's URL may take.
MAX_REDIRECTS: Final = 5

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})

Resolver = Callable[[str, int], Sequence[str]]
"""host, port -> the addresses the host has (as text)."""

Connector = Callable[[str, int, float], socket.socket]
"""address, port, timeout -> a connected socket."""


class SourceRefused(ScheduleError):
    """An admin's reload source refused or unreadable; its text is always `REFUSAL`."""

    def __init__(self, cause: str) -> None:
        """The one generic refusal; `cause` (the bot's own words) is only for the operator's log."""
        super().__init__(REFUSAL)
        self.cause = cause


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, as the system resolver answers."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def connect_to(address: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to exactly `address` (no name resolution happens here)."""
    return socket.create_connection((address, port), timeout=timeout)


def is_public(address: str) -> bool:
    """False for loopback, private, link-local, multicast, unspecified and reserved addresses."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 and 2002:7f00:1:: (6to4) reach IPv4 addresses: judge those.
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is not None:
            return is_public(str(inner))
    return ip.is_global and not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_unspecified
        or ip.is_reserved
    )


@dataclass(frozen=True)
class SourcePolicy:
    """Reads an admin's reload source when the settings allow it, else `SourceRefused`."""

    reload_dir: str | None
    allow_hosts: frozenset[str] = frozenset()
    max_bytes: int = MAX_BYTES
    timeout: float = 20.0
    resolve: Resolver = field(default=resolve_host, repr=False)
    connect: Connector = field(default=connect_to, repr=False)

    # -- files -------------------------------------------------------------------------

    def read_file(self, argument: str) -> bytes:
        """The bytes of the file `argument` names, if it lies inside `reload_dir`."""
        try:
            return self._read_file(argument)
        except SourceRefused as refused:
            log.info("reload file %s refused: %s", brief(argument), refused.cause)
            raise SourceRefused(refused.cause) from None
        except (OSError, ValueError) as exc:
            cause = getattr(exc, "strerror", None) or type(exc).__name__
            log.info("reload file %s refused: cannot open: %s", brief(argument), cause)
            raise SourceRefused("cannot open") from None

    def _read_file(self, argument: str) -> bytes:
        if not self.reload_dir:
            raise SourceRefused("SUMMIT_BOT_RELOAD_DIR is not set")
        if not argument or "\x00" in argument:
            raise SourceRefused("empty name or NUL byte")
        folder = Path(self.reload_dir).resolve(strict=True)
        path = (folder / argument).resolve(strict=True)  # an absolute argument stays itself
        if not path.is_relative_to(folder):
            raise SourceRefused("outside SUMMIT_BOT_RELOAD_DIR")
        # O_NOFOLLOW: a last component swapped for a symlink since resolving is refused;
        # O_NONBLOCK: a FIFO cannot make the bot wait. Then the opened file itself is checked.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise SourceRefused("not a regular file")
            if info.st_size > self.max_bytes:
                raise SourceRefused(f"larger than {self.max_bytes} bytes")
            opened = _opened_path(handle.fileno())
            if opened is not None and not opened.is_relative_to(folder):
                raise SourceRefused("a folder on the way became a symlink leading out")
            data = handle.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise SourceRefused(f"larger than {self.max_bytes} bytes")
        return data

    # -- URLs --------------------------------------------------------------------------

    def fetch(self, url: str) -> bytes:
        """The body at `url`, every hop checked and connected to the checked address."""
        # Loaded here, not with the module: every process builds a policy, few fetch.
        import http.client
        import ssl

        try:
            return self._fetch(url.strip())
        except SourceRefused as refused:
            log.info("reload URL %s refused: %s", brief(url), refused.cause)
            raise SourceRefused(refused.cause) from None
        except (OSError, ValueError, http.client.HTTPException, ssl.SSLError) as exc:
            log.info("reload URL %s refused: cannot fetch: %s", brief(url), type(exc).__name__)
            raise SourceRefused("cannot fetch") from None

    def _fetch(self, url: str) -> bytes:
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            scheme, host, port = _target(parts)
            address = self._checked_address(host, port)
            connection = self._connection(scheme, host, port, address)
            try:
                connection.request("GET", _request_path(parts), headers={"User-Agent": USER_AGENT})
                response = connection.getresponse()
                if response.status in _REDIRECTS:
                    url = urljoin(url, _location(response))
                    continue
                data = self._body(response)
            finally:
                connection.close()
            if len(data) > self.max_bytes:
                raise SourceRefused(f"larger than {self.max_bytes} bytes")
            return data
        raise SourceRefused(f"more than {MAX_REDIRECTS} redirects")

    def _body(self, response: http.client.HTTPResponse) -> bytes:
        """The body of a final (non-redirect) answer, at most one byte over the limit."""
        if response.status != 200:
            raise SourceRefused(f"HTTP status {response.status}")
        length = response.getheader("Content-Length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            raise SourceRefused(f"larger than {self.max_bytes} bytes")
        return response.read(self.max_bytes + 1)

    def _checked_address(self, host: str, port: int) -> str:
        """The address to connect to: resolved once, every address of the host public."""
        addresses = list(self.resolve(host, port))
        if not addresses:
            raise SourceRefused("the host has no address")
        if host not in self.allow_hosts and not all(is_public(a) for a in addresses):
            raise SourceRefused("the host has a non-public address")
        return addresses[0]

    def _connection(
        self, scheme: str, host: str, port: int, address: str
    ) -> http.client.HTTPConnection:
        """An HTTP(S) connection for `host` whose socket goes to `address`."""
        import http.client
        import ssl

        connect, timeout = self.connect, self.timeout
        if scheme == "https":
            context = ssl.create_default_context()

            class Pinned(http.client.HTTPSConnection):
                def connect(self) -> None:
                    # TLS is checked against the host name, the socket goes to `address`.
                    raw = connect(address, port, timeout)
                    self.sock = context.wrap_socket(raw, server_hostname=host)

            return Pinned(host, port, timeout=timeout, context=context)

        class PinnedPlain(http.client.HTTPConnection):
            def connect(self) -> None:
                self.sock = connect(address, port, timeout)

        return PinnedPlain(host, port, timeout=timeout)


def _target(parts: SplitResult) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL to a host without credentials; else refused."""
    scheme = parts.scheme.casefold()
    host = (parts.hostname or "").casefold().rstrip(".")
    if scheme not in ("http", "https") or not host or parts.username is not None:
        raise SourceRefused("not an http(s) URL to a host, without credentials")
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, host, port


def _request_path(parts: SplitResult) -> str:
    """The path and query to ask the host for."""
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return path


def _location(response: http.client.HTTPResponse) -> str:
    """Where a redirect points (refused when it does not say)."""
    location = response.getheader("Location")
    if not location:
        raise SourceRefused("redirect without a Location")
    return location.strip()


def _opened_path(fd: int) -> Path | None:
    """Where the open file `fd` really is (Linux's /proc), None where that cannot be told."""
    try:
        return Path(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        return None


#: The longest reason or source a reload answer or log line quotes.
MAX_QUOTED: Final = 300


def brief(text: str, limit: int = MAX_QUOTED) -> str:
    """`text` on one line (control characters escaped) and at most `limit` characters."""
    flat = "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
