"""Shared fixtures: databases for the store (a SQLite file, or a fresh PostgreSQL database)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from bot.store import Store
from tests.support.fake_slack import FakeSlack

FAKE_USERS = {"U123": {"tz": "Europe/Paris"}, "U456": {"tz": "Asia/Hong_Kong"}}
"""The people of the fake Slack workspace the tests share, with their time zones."""

POSTGRES_URL_ENV = "SUMMIT_BOT_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://summit:summit@127.0.0.1:5432/summit_test"
# When set (as in CI), a PostgreSQL test that cannot reach the server fails, never skips.
REQUIRE_POSTGRES_ENV = "SUMMIT_BOT_REQUIRE_POSTGRES"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that asks for `postgres_url` with the `postgres` marker."""
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


def _postgres_base_url() -> URL:
    """The PostgreSQL server the tests use, as configured by the environment."""
    return make_url(os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """The URL of a SQLite file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'summit-bot.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a brand-new PostgreSQL database, dropped after the test."""
    base = _postgres_base_url()
    admin = create_engine(
        base, isolation_level="AUTOCOMMIT", poolclass=NullPool, connect_args={"connect_timeout": 5}
    )
    name = f"{base.database or 'summit_test'}_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError as exc:
        admin.dispose()
        reason = (
            f"PostgreSQL at {base.render_as_string(hide_password=True)} is not usable "
            f"(start it with .ci/postgres-start): {str(exc).splitlines()[0]}"
        )
        if os.environ.get(REQUIRE_POSTGRES_ENV):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            _drop_database(admin, name)
        finally:
            admin.dispose()


def _drop_database(admin: Engine, name: str) -> None:
    """Drop a test database, first ending any session the test left connected to it.

    Only the test role's own sessions are ended: `DROP DATABASE ... WITH (FORCE)` would
    also try to end an autovacuum worker, which a non-superuser may not do, whereas a
    plain DROP DATABASE stops autovacuum by itself.
    """
    for attempt in range(20):
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND usename = current_user AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            try:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                return
            except OperationalError:
                if attempt == 19:
                    raise
        time.sleep(0.1)


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def store_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty database, once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A store opened (and so migrated) on an empty database, closed after the test."""
    opened = Store.open(store_url)
    yield opened
    opened.close()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """A fake Slack workspace on a loopback port, where U123 is in Paris and U456 in Hong Kong."""
    with FakeSlack(users=FAKE_USERS) as fake:
        yield fake


@pytest.fixture(autouse=True)
def private_data_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The per-user data folder (the default database's home) is a scratch one in every test."""
    folder = tmp_path_factory.mktemp("xdg-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(folder))
        yield folder
