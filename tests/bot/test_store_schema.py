from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from bot.store import SCHEMA_HEAD, Store, alembic_config
from tests.bot.test_store import TABLES


def test_schema_head_is_the_newest_migration() -> None:
    """The revision the store trusts as current is alembic's head, so no migration is skipped."""
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_HEAD


def test_new_database_is_migrated_to_head(tmp_path: Path) -> None:
    """Opening an empty database migrates it to the head revision."""
    store = Store.open(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        assert store.schema_revision() == SCHEMA_HEAD
    finally:
        store.close()


def test_emptied_database_is_migrated_again(tmp_path: Path) -> None:
    """A database with no recorded revision is migrated by alembic on open."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    Store.open(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in ("alembic_version", *TABLES):
            conn.execute(text(f"DROP TABLE {table}"))
    engine.dispose()
    store = Store.open(url)
    try:
        assert store.schema_revision() == SCHEMA_HEAD
        assert store.bookmarks.add([("U1", "s1")], datetime.now(UTC)) == 1
    finally:
        store.close()
