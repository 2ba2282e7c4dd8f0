"""What a failing database raises, named without loading SQLAlchemy to say so.

A process that reads SQLite through Python's own sqlite3 and never writes
(`summit-bot ask`) never loads SQLAlchemy; catching the store's failures must not load
it either. An exception of SQLAlchemy's cannot exist before SQLAlchemy is loaded, so
`database_errors` names its base class only once it is.
"""

from __future__ import annotations

import sqlite3
import sys

__all__ = ["database_errors"]


def database_errors(*also: type[Exception]) -> tuple[type[Exception], ...]:
    """The exceptions a failing store raises (sqlite3's, SQLAlchemy's once it is loaded), and `also`."""
    loaded = sys.modules.get("sqlalchemy.exc")
    if loaded is None:
        return (sqlite3.Error, *also)
    return (sqlite3.Error, loaded.SQLAlchemyError, *also)
