"""Messages rendered for a terminal: mrkdwn made plain, buttons shown as `[Label] (n)`."""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.core.message import Message

_EMOJI = {
    ":clock3:": "🕒",
    ":round_pushpin:": "📍",
    ":bust_in_silhouette:": "👤",
    ":warning:": "⚠",
    ":bell:": "🔔",
    ":calendar:": "📅",
}
# The date token shows each Slack viewer their own time; a terminal already shows the summit's.
_DATE = re.compile(r"(?: · )?<!date\^\d+\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>")
_EMPHASIS = re.compile(r"(?<![\w*])[*_]([^*_\n]+)[*_](?![\w*])")


@dataclass(frozen=True)
class Button:
    """A button shown in the terminal, clicked by its number."""

    number: int
    label: str
    action_id: str
    value: str


def plain(mrkdwn: str) -> str:
    """Slack mrkdwn as terminal text."""
    text = _DATE.sub("", mrkdwn)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(2) else m.group(1), text)
    text = _EMPHASIS.sub(lambda m: m.group(1), text)
    text = text.replace("`", "")
    for code, symbol in _EMOJI.items():
        text = text.replace(code, symbol)
    return html.unescape(text)


def message_json(message: Message) -> str:
    """The message as Slack's JSON, indented, non-ASCII left as it is (console and `ask`)."""
    return json.dumps(message.to_dict(), indent=2, ensure_ascii=False)


def render(message: Message, first_number: int = 1) -> tuple[str, list[Button]]:
    """The message as terminal lines, and its buttons numbered from `first_number`."""
    if not message.blocks:
        return terminal_safe(html.unescape(message.text)), []
    lines: list[str] = []
    buttons: list[Button] = []

    def button(element: dict[str, Any]) -> str:
        number = first_number + len(buttons)
        label = str(element["text"]["text"])
        buttons.append(
            Button(number, label, str(element["action_id"]), str(element.get("value", "")))
        )
        return f"[{label}] ({number})"

    after_section = False
    for block in message.block_dicts():
        # A row of buttons right under a section joins that section's button line.
        joins = block["type"] == "actions" and after_section and bool(lines) and lines[-1] == ""
        after_section = block["type"] == "section"
        _add_block(lines, block, button, joins)
    return terminal_safe("\n".join(lines).strip("\n")), buttons


def _add_block(
    lines: list[str], block: dict[str, Any], button: Callable[[dict[str, Any]], str], joins: bool
) -> None:
    """Append the terminal lines of one block; `button` numbers and labels a button."""
    kind = block["type"]
    if kind == "header":
        title = str(block["text"]["text"])
        lines += ["", title, "=" * min(len(title), 72)]
    elif kind == "section":
        body = plain(str(block.get("text", {}).get("text", "")))
        accessory = block.get("accessory")
        if accessory and accessory.get("type") == "button":
            body += "\n  " + button(accessory)
        lines += [body, ""]
    elif kind == "context":
        lines.append("  " + " ".join(plain(str(e.get("text", ""))) for e in block["elements"]))
    elif kind == "actions":
        row = "  ".join(button(e) for e in block["elements"] if e.get("type") == "button")
        if joins:
            _join_row(lines, row)
        else:
            lines.append(row)
    elif kind == "divider":
        lines.append("-" * 40)


def _join_row(lines: list[str], row: str) -> None:
    """Put a row of buttons on the section above: beside its button, or on a line of its own."""
    lines.pop()
    last = lines.pop()
    ends_in_buttons = last.rsplit("\n", 1)[-1].startswith("  [")
    lines += [f"{last}  {row}" if ends_in_buttons else f"{last}\n  {row}", ""]


def terminal_safe(text: str) -> str:
    """`text` with control characters (escape sequences, carriage returns) shown, not obeyed.

    A schedule's title could otherwise move the cursor, clear the screen or rewrite the
    line above in the terminal; line breaks and tabs stay.
    """
    return "".join(
        ch
        if ch in "\n\t\u200d" or unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")
        else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )
