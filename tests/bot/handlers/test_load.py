"""Bounded load over real signed HTTP: every acknowledged request is answered, none is lost."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.edge.answering import BUSY
from bot.runtime import Runtime
from tests.bot.handlers.serving import FIRST, BotServer, serving, slow_down, texts, url_number
from tests.support.fake_slack import FakeSlack


def fire(
    bot: BotServer, slack: FakeSlack, count: int, concurrency: int
) -> list[tuple[str, int, bytes]]:
    """`count` signed `/nova now` with `concurrency` in flight: (response_url, status, body) each."""

    def one(i: int) -> tuple[str, int, bytes]:
        url = slack.new_response_url()
        reply = bot.command("now" if i % 2 else "next", url, user_id=f"U{i % 7}")
        return url, reply.status, reply.body

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, range(count)))


def answers_of(slack: FakeSlack, replies: list[tuple[str, int, bytes]]) -> dict[str, int]:
    """How the requests ended: answered in the ack, at the response_url, refused busy, or lost."""
    outcome = {"in_ack": 0, "at_url": 0, "busy": 0, "lost": 0, "other": 0}
    for url, status, body in replies:
        posted = slack.responses(url_number(url))
        if status != 200:
            outcome["other"] += 1
        elif body and json.loads(body)["text"] == BUSY.text:
            outcome["busy"] += 1
            assert posted == [], "a refused request gets nothing afterwards"
        elif body:
            assert "Conductor Tasks" in body.decode() or "Instance tasks" in body.decode()
            outcome["in_ack"] += 1
            assert posted == [], "an answer in the ack is not posted again"
        elif len(posted) == 1:
            outcome["at_url"] += 1
        else:
            outcome["lost"] += 1
    return outcome


def test_every_request_of_a_load_is_answered(
    bot: BotServer, slack: FakeSlack, runtime: Runtime
) -> None:
    """300 commands with 16 in flight: all 300 answered in their ack, none lost, nothing left in flight."""
    runtime.core.store.bookmarks.add([("U1", FIRST)], runtime.clock.now())
    replies = fire(bot, slack, 300, 16)
    bot.settle()
    outcome = answers_of(slack, replies)
    assert outcome == {"in_ack": 300, "at_url": 0, "busy": 0, "lost": 0, "other": 0}
    assert runtime.answering.in_flight == 0


def test_overload_is_refused_visibly_and_nothing_accepted_is_lost(
    tmp_path: Path, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond SUMMIT_BOT_MAX_IN_FLIGHT a command gets "busy" at once; every accepted one is answered."""
    bound = {"SUMMIT_BOT_MAX_IN_FLIGHT": "4", "SUMMIT_BOT_ANSWER_BUDGET_SECONDS": "0.2"}
    with serving(tmp_path, slack, **bound) as (server, built):
        slow_down(built, monkeypatch, 0.3)
        replies = fire(server, slack, 48, 16)
        server.settle(timeout=20)
        time.sleep(0.2)
        outcome = answers_of(slack, replies)
        answering = built.answering
    assert outcome["lost"] == 0
    assert outcome["other"] == 0
    assert outcome["busy"] > 0, outcome
    assert outcome["at_url"] > 0, outcome
    assert outcome["busy"] + outcome["at_url"] + outcome["in_ack"] == 48
    assert answering.refused == outcome["busy"]
    assert answering.in_flight == 0


def test_refusal_is_fast_and_needs_a_signature(
    tmp_path: Path, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every place taken: a signed command gets "busy" fast, a click 503, a forgery 401."""
    from tests.support.slack_requests import block_actions_payload, interaction_body

    bound = {"SUMMIT_BOT_MAX_IN_FLIGHT": "1", "SUMMIT_BOT_ANSWER_BUDGET_SECONDS": "0.1"}
    with serving(tmp_path, slack, **bound) as (server, built):
        slow_down(built, monkeypatch, 1.0)
        first_url = slack.new_response_url()
        first = server.command("now", first_url)
        assert first.body == b"", "over the budget: acknowledged, answered later"
        busy = server.command("now", slack.new_response_url())
        assert busy.status == 200
        assert busy.seconds < 0.5
        assert json.loads(busy.body) == BUSY.payload(response_type="ephemeral")
        click = server.click(block_actions_payload("bookmark", "{}", "U123"))
        assert click.status == 503
        assert server.post(b"command=%2Fnova&text=now", secret="wrong").status == 401
        assert server.post(interaction_body({"type": "x"}), signed=False).status == 401
        server.settle(timeout=10)
        [answer] = slack.wait_response(url_number(first_url))
        assert "Conductor Tasks Next Steps" in texts(answer)
