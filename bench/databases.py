"""Fresh databases for benchmarks: a SQLite file, or a new PostgreSQL database dropped after."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

POSTGRES = os.environ.get(
    "SUMMIT_BOT_TEST_POSTGRES_URL", "postgresql+psycopg://summit:summit@127.0.0.1:5432/summit_test"
)
"""The PostgreSQL server (as for the tests); each run makes its own database there."""


@contextmanager
def fresh_database(backend: str) -> Iterator[str]:
    """The URL of an empty database on `backend` ("sqlite" or "postgresql"), removed after."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    base = make_url(POSTGRES)
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"{base.database or 'summit'}_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
