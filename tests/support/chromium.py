"""Headless Chromium (Debian's `chromium` package) driving real pages for tests.

Each call is one browser process with a throw-away profile and every background service
off, so nothing leaves the loopback. Outside CI a machine without /usr/bin/chromium skips
the browser tests (with the reason); in CI (`CI` set) `.ci/run` installs it, and a
missing browser fails.
"""

from __future__ import annotations

import os
import struct
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
TIMEOUT_SECONDS = 90

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--mute-audio",
)


def require_chromium() -> Path:
    """The browser's path; skips the test outside CI when it is not installed."""
    if CHROMIUM.is_file():
        return CHROMIUM
    reason = f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _run(profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [str(require_chromium()), *_FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(
        command, capture_output=True, timeout=TIMEOUT_SECONDS, check=True, stdin=subprocess.DEVNULL
    )


def dump_dom(url: str, profile: Path) -> str:
    """The DOM of `url` once loaded, serialised as HTML."""
    return _run(profile, "--dump-dom", url).stdout.decode("utf-8")


def screenshot(url: str, target: Path, profile: Path, size: tuple[int, int]) -> bytes:
    """A PNG screenshot of `url` in a window of `size`, written to `target` and returned."""
    width, height = size
    _run(profile, f"--window-size={width},{height}", f"--screenshot={target}", url)
    return target.read_bytes()


def png_size(data: bytes) -> tuple[int, int]:
    """The width and height a PNG's header declares (ValueError when it is no PNG)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)
