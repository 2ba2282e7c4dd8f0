"""Checking messages against Slack's Block Kit models and limits, with slack_sdk's models.

The bot builds blocks straight as JSON (`bot.core.block_kit`) and never validates them while it
answers; these checks do it in tests instead: every block must parse as slack_sdk's
model of its type, pass that model's limits (`validate_json`), and come back from the
model unchanged, so the JSON is exactly what the model would have produced.
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block

from bot.core.message import Message

MAX_BLOCKS = 50
MAX_TEXT = 40_000
"""Slack cuts a message's top-level `text` beyond this many characters."""


def assert_block_kit(blocks: list[dict[str, Any]], *, context: str = "") -> None:
    """Every block parses as its Block Kit model, within its limits, and round-trips unchanged."""
    assert len(blocks) <= MAX_BLOCKS, f"{context}: {len(blocks)} blocks"
    for block in blocks:
        model = Block.parse(block)
        assert model is not None, f"{context}: unknown block {json.dumps(block)[:200]}"
        model.validate_json()
        assert model.to_dict() == block, (
            f"{context}: the model changes {json.dumps(block, ensure_ascii=False)[:300]}"
        )


def assert_valid_message(message: Message, *, context: str = "") -> None:
    """The message's blocks pass `assert_block_kit` and its text is there and within limits."""
    assert message.text.strip(), f"{context}: no fallback text"
    assert len(message.text) <= MAX_TEXT, f"{context}: text of {len(message.text)} characters"
    assert_block_kit(message.block_dicts(), context=context)
