"""Degraded, not down: with the database unreachable the schedule is still answered."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from bot.clock import fixed_clock
from bot.commands.registry import STATE_MISSING
from bot.core import Core
from bot.runtime import Runtime, build_runtime
from tests.bot.handlers.serving import AT, FIRST, BotServer, ask_in_ack, make_settings, texts
from tests.factories import local
from tests.support.fake_slack import FakeSlack


class Switch:
    """Stops and restarts a PostgreSQL database for its clients: connections denied and cut."""

    def __init__(self, url: str) -> None:
        """Control the database `url` names, through the server's `postgres` database."""
        parsed = make_url(url)
        self.name = parsed.database
        self.admin = create_engine(
            parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
        )

    def stop(self) -> None:
        """Refuse new connections to the database and end the ones open now."""
        with self.admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false'))
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": self.name},
            )

    def start(self) -> None:
        """Accept connections again."""
        with self.admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true'))


@pytest.fixture
def pg_runtime(postgres_url: str, tmp_path: Path, slack: FakeSlack) -> Iterator[Runtime]:
    """The bot's runtime on a fresh PostgreSQL database, U123 having bookmarked the first session."""
    settings = make_settings(tmp_path, slack, DATABASE_URL=postgres_url)
    runtime = build_runtime(settings, clock=fixed_clock(AT))
    runtime.core.store.bookmarks.add([("U123", FIRST)], AT)
    runtime.core.store.people.set_timezone("U123", "Europe/Paris", AT)
    yield runtime
    runtime.close()


def test_now_is_answered_with_the_database_stopped(
    pg_runtime: Runtime, postgres_url: str, slack: FakeSlack
) -> None:
    """PostgreSQL refusing connections: `/nova now` still answers the schedule, in the ack, saying bookmarks are left out."""
    server = BotServer(pg_runtime.settings, pg_runtime).start()
    switch = Switch(postgres_url)
    try:
        before = texts(ask_in_ack(server, slack, "now"))
        assert "Bookmarked ✓" in before
        assert STATE_MISSING not in before
        server.settle()

        switch.stop()
        with pytest.raises(OperationalError):
            pg_runtime.core.store.bookmarks.sessions_of("U123")
        reply = server.command("now", slack.new_response_url())
        assert reply.status == 200
        answer = json.loads(reply.body)
        body = texts(answer)
        assert "Conductor Tasks Next Steps" in body
        assert "Next at 12:05 HKT" in body
        assert "Bookmarked ✓" not in body
        assert body.count(STATE_MISSING) == 2, "one line in the blocks, one in the fallback text"
        health = server.request("GET", "/healthz")
        assert health.status == 503
        assert json.loads(health.body)["down"] == ["database"]
        mine = texts(ask_in_ack(server, slack, "mine"))
        assert "cannot reach my database" in mine
        assert "no bookmarks" not in mine

        switch.start()
        after = texts(ask_in_ack(server, slack, "now"))
        assert "Bookmarked ✓" in after
        assert STATE_MISSING not in after
        assert server.request("GET", "/healthz").status == 200
    finally:
        switch.start()
        switch.admin.dispose()
        server.stop()


def test_core_answers_schedule_questions_without_state(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store raising on read: day, search and show still answer, each with the one line."""

    def down(user_id: str) -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(core.store, "viewer", down)
    at = local("2013-11-05 11:20")
    for question in ["now", "next", "today", "search scheduler", "show instance-tasks-in-api"]:
        message = core.answer(question, "U1", at)
        assert message.block_dicts()[-1]["elements"][0]["text"] == STATE_MISSING, question
        assert STATE_MISSING in message.text
    assert STATE_MISSING not in core.answer("help", "U1", at).text


def test_a_database_that_hangs_then_fails_still_gets_the_schedule_answered(
    bot: BotServer, slack: FakeSlack, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read that hangs past the budget and then fails: an empty ack at once, then the schedule at the response_url."""
    from tests.bot.handlers.serving import url_number

    def hangs(user_id: str) -> None:
        time.sleep(runtime.settings.answer_budget_seconds + 0.5)
        raise OperationalError("SELECT", {}, Exception("connection timed out"))

    monkeypatch.setattr(runtime.core.store, "viewer", hangs)
    url = slack.new_response_url()
    reply = bot.command("now", url)
    assert reply.status == 200
    assert reply.body == b""
    assert reply.seconds < runtime.settings.answer_budget_seconds + 0.5
    [answer] = slack.wait_response(url_number(url), timeout=10)
    assert "Conductor Tasks Next Steps" in texts(answer)
    assert STATE_MISSING in texts(answer)
