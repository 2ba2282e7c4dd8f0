"""The plain way to plan send windows again, the reference `opens_after_changes` is held to.

Every pending row is planned again from scratch and the rows whose window moved are
listed; the bot itself plans only around what changed (`bot.outbox.windows`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.outbox.windows import open_windows
from bot.storage.records import WindowRow


def changed_windows(
    rows: Iterable[WindowRow], interval: timedelta, margin: timedelta | None = None
) -> list[tuple[int, datetime]]:
    """(id, not_before) of the rows whose window should open at another instant."""
    listed = list(rows)
    opens = open_windows(listed, interval, margin)
    return [(row.id, opens[row.id]) for row in listed if opens[row.id] != row.not_before]


def changed_in_range(
    rows: Iterable[WindowRow],
    top: datetime,
    interval: timedelta,
    margin: timedelta | None = None,
) -> list[tuple[int, datetime]]:
    """`changed_windows` of `rows`, leaving the rows due after `top` (context only) alone."""
    listed = list(rows)
    due = {row.id: row.due_at for row in listed}
    return [
        (row_id, opens)
        for row_id, opens in changed_windows(listed, interval, margin)
        if due[row_id] <= top
    ]
