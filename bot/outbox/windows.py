"""Send windows: when each queued message may go out so that a burst is done by its due time.

Pure functions, no database. The workspace sends one message per `interval` at most, so
N messages due at the same instant need N intervals: going backwards from the latest due
instant, each message gets the latest slot that is no later than its due instant and one
interval before the next message's slot. Its window opens a margin before that slot
(`burst_margin`): never more than the backlog ahead of it at the full rate plus
`ALLOWANCE` early, and sending at the workspace rate from the first window on finishes
each message by its due instant with the margin to spare, for slots missed on the way.

A reminder with no lead (due as its session starts) waits for the start instead: it is
sent "as it starts", its window opening at the start.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta

from bot.storage.records import WindowRow

Range = tuple[datetime, datetime]
"""A range of due instants, both ends included."""

HEADROOM = 0.02
"""The share of the workspace's rate kept unused, so jitter never makes a second exceed it.

Slots `1/(R(1 - HEADROOM))` apart put any R + 1 of them more than `JITTER` over one second
apart: a message may reach Slack up to that long after its slot (its thread woken late,
then the request on its way) and no second there holds more than R.
"""

JITTER = timedelta(seconds=HEADROOM / (1.0 - HEADROOM))
"""How late after its slot a message may arrive without any second exceeding the rate."""

SLOT_TOLERANCE = JITTER / 2
"""How late after its slot a request may still be written; the other half is for the wire.

A sender later than this gives its slot back and waits for a new one (`OutboxSender`).
"""

MARGIN = timedelta(seconds=1.5)
"""How long before its backward slot the window of a message near the end of a burst opens.

Room for senders that fall behind: a slot missed is handed back, and its message goes
out one slot later than planned (as does every message after it).
"""

ALLOWANCE = timedelta(seconds=1.9)
"""How much earlier than its backlog at the workspace's full rate a window may open.

The goal is none earlier than N/R + 2 s before due; slots at the rate less the headroom
take `HEADROOM / (1 - HEADROOM)` more than 1/R each, so the k-th message from a burst's
end keeps only `ALLOWANCE - k × that` of `MARGIN` (see `burst_margin`).
"""

MIN_MARGIN = timedelta(seconds=0.5)
"""The least margin of any window, however long its burst (beyond N/R ≈ 70 s at 2 %)."""


def burst_margin(behind: int, interval: timedelta) -> timedelta:
    """The margin of a window with `behind` messages after it in its burst (slots `interval` apart).

    `MARGIN` near the end of a burst; further back, no more than keeps its window within
    `ALLOWANCE` of the backlog at the full rate: N/R + 1.9 s at most for a burst of N.
    """
    spent = interval * HEADROOM * behind
    return max(MIN_MARGIN, min(MARGIN, ALLOWANCE - spent))


def send_interval(per_second: float) -> timedelta:
    """The spacing of send slots for a workspace rate of `per_second` messages a second."""
    if per_second <= 0:
        raise ValueError(f"the rate must be positive: {per_second}")
    return timedelta(seconds=1.0 / (per_second * (1.0 - HEADROOM)))


def open_windows(
    rows: Iterable[WindowRow], interval: timedelta, margin: timedelta | None = None
) -> dict[int, datetime]:
    """Row id → the instant its window opens (`not_before`), for every row given.

    Each window opens `margin` before its slot; by default `burst_margin` of the messages
    after it in its burst (a run of back-to-back slots).
    """
    opens: dict[int, datetime] = {}
    slot: datetime | None = None
    behind = 0
    # Latest due first; among rows due together the oldest (lowest id) keeps the latest
    # slot, so rows added to a burst open before it and leave the others' windows alone.
    for row in sorted(rows, key=lambda r: (r.due_at, -r.id), reverse=True):
        if row.starts_at is not None and row.due_at >= row.starts_at:
            opens[row.id] = row.starts_at  # lead 0: as it starts, never before
            continue
        if slot is None or row.due_at < slot - interval:
            slot, behind = row.due_at, 0  # a burst of its own begins (from its end)
        else:
            slot, behind = slot - interval, behind + 1
        opens[row.id] = slot - (margin if margin is not None else burst_margin(behind, interval))
    return opens


CONTEXT = timedelta(minutes=2)
"""How far around the changed due instants windows are planned again.

A backlog longer than this (2,400 messages at 20 a second) is re-planned only in part.
"""


def window_ranges(dues: Iterable[datetime], context: timedelta = CONTEXT) -> list[Range]:
    """The due-instant ranges to plan again around `dues`, merged where they overlap.

    Each range reaches `context` below (earlier rows a burst pushes early) and above (the
    later rows whose slots come before it) its changed instants.
    """
    ranges: list[Range] = []
    for due in sorted(set(dues)):
        low, high = due - context, due + context
        if ranges and low <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], high)
        else:
            ranges.append((low, high))
    return ranges


def opens_after_changes(
    context: Iterable[WindowRow],
    ranges: Sequence[Range],
    changes: Iterable[WindowRow],
    dropped: Collection[int],
    interval: timedelta,
    margin: timedelta | None = None,
) -> dict[int, datetime]:
    """Where windows should open once a plan is written, computed before writing it.

    `context` holds the pending rows due within `ranges` as they are now; the plan drops
    the rows `dropped` (cancelled, or re-timed: those come back in `changes`) and adds
    `changes` (new rows with ids of their own, re-timed rows with their new due instant).
    Returns id → opening instant for every row of `changes` due within a range, and for
    every other row whose window should open at another instant; rows due after the last
    changed instant of their range (context only) are left alone.
    """
    changed = {row.id: row for row in changes}
    rows = [row for row in context if row.id not in dropped and row.id not in changed]
    rows.extend(changed.values())
    lows = [low for low, _ in ranges]
    by_range: list[list[WindowRow]] = [[] for _ in ranges]
    for row in rows:
        at = bisect_right(lows, row.due_at) - 1
        if at >= 0 and row.due_at <= ranges[at][1]:
            by_range[at].append(row)
    opens: dict[int, datetime] = {}
    for (_, high), members in zip(ranges, by_range, strict=True):
        top = high - CONTEXT
        planned = open_windows(members, interval, margin)
        for row in members:
            instant = planned[row.id]
            if row.due_at <= top and (row.id in changed or instant != row.not_before):
                opens[row.id] = instant
    return opens
