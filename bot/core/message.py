"""A message as the core returns it: fallback text plus Block Kit blocks (as Slack's JSON)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

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
    """Escape `&`, `<` and `>` so Slack shows the text as written and pings nobody."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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
