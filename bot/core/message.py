"""A message as the core returns it: fallback text plus Block Kit blocks (as Slack's JSON)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from bot.core.block_kit import (
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_BUTTON_VALUE,
    MAX_SECTION_TEXT,
    MAX_TEXT,
    Block,
    truncate,
)

__all__ = [
    "MAX_BLOCKS",
    "MAX_BUTTON_TEXT",
    "MAX_BUTTON_VALUE",
    "MAX_SECTION_TEXT",
    "Attachment",
    "Block",
    "Message",
    "decode_value",
    "encode_value",
    "escape",
]


@dataclass(frozen=True)
class Message:
    """What the bot says: `text` for notifications and plain clients, `blocks` for Slack."""

    text: str
    blocks: tuple[Block, ...] = ()
    in_channel: bool = False
    attachments: tuple[Attachment, ...] = field(default=())

    def __post_init__(self) -> None:
        """Refuse too many blocks for Slack; cut a fallback text longer than Slack keeps."""
        if len(self.blocks) > MAX_BLOCKS:
            raise ValueError(f"a message holds at most {MAX_BLOCKS} blocks, not {len(self.blocks)}")
        if len(self.text) > MAX_TEXT:
            object.__setattr__(self, "text", truncate(self.text, MAX_TEXT))

    def block_dicts(self) -> list[dict[str, Any]]:
        """The blocks as Slack's JSON (built as such: nothing is converted or validated here)."""
        return list(self.blocks)

    def to_dict(self) -> dict[str, Any]:
        """The message as Slack's JSON (`text` and `blocks`)."""
        return {"text": self.text, "blocks": self.block_dicts()}

    def payload(self, **extra: Any) -> dict[str, Any]:
        """The body of a reply (in an acknowledgement or at a response_url): text, blocks, `extra`."""
        body: dict[str, Any] = {"text": self.text}
        if self.blocks:
            body["blocks"] = list(self.blocks)
        body.update({key: value for key, value in extra.items() if value is not None})
        return body


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a message (an .ics export)."""

    filename: str
    content: bytes
    title: str


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` so Slack shows the text as written and pings nobody.

    The one escaping of text from outside (schedules, people) for mrkdwn: every block,
    context line and fallback `text` passes what it quotes through here.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_HOST = re.compile(r"[\w.:-]+")


def link(url: str) -> str | None:
    """A schedule's link as `<url|host>`, the label chosen here; None unless http(s).

    The URL is percent-encoded where Slack's link syntax would read it (`<`, `>`, `|`,
    spaces, control characters) and `&` escaped, so a schedule cannot end the link early,
    add a label of its own, or make a mention out of it.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme.casefold() not in ("http", "https") or not _HOST.fullmatch(host):
        return None
    safe = "".join(
        ch if ch.isprintable() and ch not in ' <>|"' else quote(ch, safe="") for ch in text
    )
    return f"<{escape(safe)}|{escape(host)}>"


def links(urls: Iterable[str], limit: int = 10) -> str:
    """The http(s) ones of `urls` as bot-labelled links, joined by " · " (others are dropped)."""
    made = [made for made in map(link, urls) if made is not None]
    return " · ".join(made[:limit])


def encode_value(**fields: str | int) -> str:
    """A button value holding `fields` as compact JSON, within Slack's value limit."""
    value = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    if len(value) > MAX_BUTTON_VALUE:
        raise ValueError("button value too long")
    return value


def decode_value(value: str) -> dict[str, Any]:
    """The fields of a button value made by `encode_value` (a bare id becomes {"id": ...})."""
    try:
        fields = json.loads(value)
    except ValueError:
        return {"id": value}
    return fields if isinstance(fields, dict) else {"id": value}
