"""Block Kit as the plain JSON Slack takes: small builders of dicts, no validation per request.

Every answer is built straight into the dicts that go on the wire. The limits Slack
enforces (a header's 150 characters, a section's 3,000, a button's 75 and its value's
2,000) are applied here by cutting the text; tests parse every kind of answer with
slack_sdk's Block Kit models to check the shapes and limits once, not on every request.
"""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]
"""One Block Kit block as Slack's JSON."""

Element = dict[str, Any]
"""One interactive element (a button) as Slack's JSON."""

MAX_BLOCKS = 50
MAX_TEXT = 40_000
"""Slack cuts a message's top-level (fallback) `text` beyond this many characters."""
MAX_HEADER_TEXT = 150
MAX_SECTION_TEXT = 3000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain_text(text: str, *, emoji: bool | None = None) -> dict[str, Any]:
    """A `plain_text` text object."""
    made: dict[str, Any] = {"type": "plain_text", "text": text}
    if emoji is not None:
        made["emoji"] = emoji
    return made


def mrkdwn(text: str) -> dict[str, Any]:
    """A `mrkdwn` text object, cut to a section's limit."""
    return {"type": "mrkdwn", "text": truncate(text, MAX_SECTION_TEXT)}


def header(text: str) -> Block:
    """A header block, cut to Slack's 150 characters."""
    return {"type": "header", "text": plain_text(truncate(text, MAX_HEADER_TEXT), emoji=True)}


def section(text: str, accessory: Element | None = None) -> Block:
    """A section of mrkdwn, cut to Slack's limit, with an optional accessory (a button)."""
    made: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        made["accessory"] = accessory
    return made


def context(text: str) -> Block:
    """A context block: one small grey line of mrkdwn."""
    return {"type": "context", "elements": [mrkdwn(text)]}


def divider() -> Block:
    """A divider block."""
    return {"type": "divider"}


def actions(*elements: Element) -> Block:
    """An actions block holding `elements` (buttons)."""
    return {"type": "actions", "elements": list(elements)}


def button(
    text: str, action_id: str, value: str, *, style: str | None = None, emoji: bool | None = None
) -> Element:
    """A button; `style` is "primary", "danger" or None (the default grey)."""
    if len(value) > MAX_BUTTON_VALUE:
        raise ValueError("button value too long")
    made: Element = {
        "type": "button",
        "text": plain_text(truncate(text, MAX_BUTTON_TEXT), emoji=emoji),
        "action_id": action_id[:MAX_ACTION_ID],
        "value": value,
    }
    if style is not None:
        made["style"] = style
    return made


def text_of(block: Block) -> str | None:
    """The text a section or header block shows, or None for other blocks."""
    body = block.get("text")
    if isinstance(body, dict) and isinstance(body.get("text"), str):
        return str(body["text"])
    return None
