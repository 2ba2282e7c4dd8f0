"""Property tests: for any text, `/nova <text>` answers within Slack's limits, inert, never raising.

Checked through the core (the console and Socket Mode take the same path) and through
signed HTTP requests to the real Starlette + Bolt app. The only `<…>` markup an answer may
hold is the bot's own: Slack date tokens, the asker's mention and bot-labelled links.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import fixed_clock
from bot.core import Core
from bot.core.schedule_source import ScheduleSource
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.store import Store
from schedule.importers import load_bundled
from tests.bot.handlers.serving import AT, BotServer, make_settings
from tests.support.fake_slack import FakeSlack
from tests.support.wiring import make_core

ASKER = "U123"
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_VALUE = 2000
MAX_FALLBACK = 40_000

# The bot's own markup: date tokens, the asker's mention, links labelled by the bot.
_OWN_MARKUP = re.compile(
    r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^<>|]*>"
    rf"|<@{ASKER}>"
    r"|<https?://[^\s<>|]+\|[^<>|]+>"
)

WORDS = st.sampled_from(
    [
        "now",
        "next",
        "today",
        "tomorrow",
        "thursday",
        "2013-11-07",
        "search",
        "show",
        "info",
        "mine",
        "bookmarks",
        "remind",
        "reminders",
        "follow",
        "unfollow",
        "export",
        "share",
        "help",
        "5",
        "-1",
        "99999999999999999999",
        "off",
        "on",
        "nova",
        "scheduler",
        "payload",
        "payload={}",
        "conductor-tasks-next-steps",
        "/nova",
        "<!channel>",
        "<!here|here>",
        "<@U999>",
        "<#C1|general>",
        "<!date^0^{date}|x>",
        "<https://evil.example/|Official etherpad>",
        "&",
        "&amp;",
        "<",
        ">",
        "|",
        "`",
        "*",
        "_",
        "\n",
        "\r\n",
        "\x00",
        "\u202e",
        "é",
        "💥",
        "x" * 300,
    ]
)
TEXTS = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(WORDS, st.text(max_size=12)), max_size=12).map(" ".join),
)
HTTP_TEXTS = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=200),
    st.lists(WORDS, max_size=8).map(" ".join),
)


def problems(message: dict[str, Any]) -> list[str]:
    """Every way the message breaks Slack's limits or carries markup it did not make."""
    found: list[str] = []
    blocks = message.get("blocks") or []
    text = str(message.get("text", ""))
    if len(blocks) > MAX_BLOCKS:
        found.append(f"{len(blocks)} blocks")
    if len(text) > MAX_FALLBACK:
        found.append(f"fallback text of {len(text)}")
    mrkdwn = [text]

    def button(element: dict[str, Any]) -> None:
        if len(element["text"]["text"]) > MAX_BUTTON_TEXT:
            found.append("button text too long")
        if len(str(element.get("value", ""))) > MAX_VALUE:
            found.append("button value too long")

    for block in blocks:
        kind = block["type"]
        if kind == "header" and len(block["text"]["text"]) > MAX_HEADER:
            found.append("header too long")
        if kind == "section":
            body = block.get("text", {})
            if len(body.get("text", "")) > MAX_SECTION:
                found.append("section too long")
            if body.get("type") == "mrkdwn":
                mrkdwn.append(body["text"])
            accessory = block.get("accessory")
            if accessory and accessory.get("type") == "button":
                button(accessory)
        if kind == "context":
            for element in block["elements"]:
                if len(element.get("text", "")) > MAX_SECTION:
                    found.append("context too long")
                if element.get("type") == "mrkdwn":
                    mrkdwn.append(element["text"])
        if kind == "actions":
            for element in block["elements"]:
                if element.get("type") == "button":
                    button(element)
    for piece in mrkdwn:
        rest = _OWN_MARKUP.sub("", piece)
        for opener in ("<!", "<@", "<#", "<"):
            if opener in rest:
                found.append(f"unescaped {opener!r} in {piece[:200]!r}")
                break
    return found


@pytest.fixture(scope="module")
def shared_core(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Core]:
    """One core over the bundled schedule for every example (bookmarks accumulate: fine)."""
    folder = tmp_path_factory.mktemp("properties")
    store = Store.open(f"sqlite:///{folder / 'bot.db'}")
    yield make_core(Settings.from_env({}, env_file=None), store, ScheduleSource(load_bundled()))
    store.close()


@settings(max_examples=400, deadline=None)
@given(text=TEXTS)
def test_any_text_through_the_core(shared_core: Core, text: str) -> None:
    """`/nova <text>` never raises and answers within Slack's limits with no foreign markup."""
    message = shared_core.answer(f"/nova {text}", ASKER, AT)
    assert problems(message.to_dict()) == []
    if message.blocks:
        json.dumps(message.to_dict())  # slack_sdk validated every block while building it


@settings(max_examples=150, deadline=None)
@given(text=TEXTS)
def test_any_shared_text_through_the_core(shared_core: Core, text: str) -> None:
    """`/nova share <text>`, posted for the whole channel, is held to the same rules."""
    message = shared_core.answer(f"/nova share {text}", ASKER, AT)
    assert problems(message.to_dict()) == []


@pytest.fixture(scope="module")
def http_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BotServer, FakeSlack]]:
    """The real HTTP app on loopback, with its fake Slack, for every example."""
    folder = tmp_path_factory.mktemp("http-properties")
    with FakeSlack(users={ASKER: {"tz": "Europe/Paris"}}) as slack:
        bot_settings = make_settings(Path(folder), slack)
        runtime: Runtime = build_runtime(bot_settings, clock=fixed_clock(AT))
        bot = BotServer(bot_settings, runtime).start()
        try:
            yield bot, slack
        finally:
            bot.stop()
            runtime.close()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=HTTP_TEXTS)
def test_any_text_through_signed_http(http_bot: tuple[BotServer, FakeSlack], text: str) -> None:
    """A signed `/nova <text>` gets 200 and one answer within Slack's limits, inert."""
    bot, slack = http_bot
    url = slack.new_response_url()
    number = int(url.rsplit("/", 1)[1])
    reply = bot.command(text, url, ASKER)
    assert reply.status == 200, reply.body[:200]
    # The answer comes in the acknowledgement, or (when slower than the budget) at the URL.
    answers = [json.loads(reply.body)] if reply.body else slack.wait_response(number, timeout=10)
    for answer in answers:
        assert problems(answer) == []
