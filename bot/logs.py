"""Logging that request data cannot forge: every record is one line, its CR and LF escaped.

A message or argument carrying a newline (a request body, a header, a schedule line) would
otherwise start what looks like a new log line, e.g. "2026-12-01 00:00:00,000 ERROR …".
`OneLine` escapes CR, LF and the other control characters in the formatted message; a
traceback, the one multi-line part a record may carry, is indented so that no line of it
can pass for a record of its own.
"""

from __future__ import annotations

import logging
from typing import Final, TextIO

FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Control characters (and the Unicode line separators) as the escapes a log line shows.
_ESCAPES: Final = {
    **{code: f"\\x{code:02x}" for code in range(0x20) if code != 0x09},
    0x0A: "\\n",
    0x0D: "\\r",
    0x7F: "\\x7f",
    0x85: "\\x85",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def one_line(text: str) -> str:
    """`text` with CR, LF and other control characters written as escapes."""
    return text.translate(_ESCAPES)


class OneLine(logging.Filter):
    """Rewrites each record's message (with its arguments) onto one escaped line."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Escape the formatted message in place; never drops a record."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format/argument pair: show both rather than lose the record
            message = f"{record.msg!r} % {record.args!r}"
        record.msg = one_line(message)
        record.args = None
        return True


class OneLineFormatter(logging.Formatter):
    """A formatter whose tracebacks are indented under their record."""

    def formatException(self, ei: object) -> str:
        """The traceback, each line indented, lines from the exception's text escaped."""
        text = super().formatException(ei)  # type: ignore[arg-type]
        return "\n".join("    | " + line for line in text.splitlines())

    def formatStack(self, stack_info: str) -> str:
        """The stack, each line indented."""
        return "\n".join("    | " + line for line in stack_info.splitlines())


def one_line_handler(stream: TextIO | None = None) -> logging.Handler:
    """A stream handler (stderr by default) writing one escaped line per record."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(OneLine())
    handler.setFormatter(OneLineFormatter(FORMAT))
    return handler


def configure_logging(level: int, stream: TextIO | None = None) -> None:
    """Log at `level` to a one-line handler; every handler of the root logger gets one line.

    When the root logger has handlers already (a test runner's), they are kept and get the
    escaping filter too.
    """
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(one_line_handler(stream))
    root.setLevel(level)
    for handler in root.handlers:
        if not any(isinstance(f, OneLine) for f in handler.filters):
            handler.addFilter(OneLine())
