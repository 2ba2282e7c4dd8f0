"""A message as the core returns it: fallback text plus Block Kit blocks."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from slack_sdk.models.blocks import Block

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000


@dataclass(frozen=True)
class Message:
    """What the bot says: `text` for notifications and plain clients, `blocks` for Slack."""

    text: str
    blocks: tuple[Block, ...] = ()
    in_channel: bool = False
    attachments: tuple[Attachment, ...] = field(default=())

    def __post_init__(self) -> None:
        """Refuse a message Slack would reject for having too many blocks."""
        if len(self.blocks) > MAX_BLOCKS:
            raise ValueError(f"a message holds at most {MAX_BLOCKS} blocks, not {len(self.blocks)}")

    def block_dicts(self) -> list[dict[str, Any]]:
        """The blocks as Slack's JSON, validated against Slack's limits by slack_sdk."""
        return [block.to_dict() for block in self.blocks]

    def to_dict(self) -> dict[str, Any]:
        """The message as Slack's JSON (`text` and `blocks`)."""
        return {"text": self.text, "blocks": self.block_dicts()}


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
