"""Send windows, pure: a burst finishes by its due instant, never opens more than its backlog early."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.outbox.windows import (
    ALLOWANCE,
    CONTEXT,
    HEADROOM,
    MARGIN,
    MIN_MARGIN,
    burst_margin,
    open_windows,
    opens_after_changes,
    send_interval,
    window_ranges,
)
from bot.storage.outbox import WindowRow
from tests.support.windows_reference import changed_in_range, changed_windows

T0 = datetime(2013, 11, 5, 3, 0, tzinfo=UTC)


def rows(dues: list[datetime]) -> list[WindowRow]:
    """Rows due at `dues` (lead > 0: their sessions start ten minutes later)."""
    return [WindowRow(i, due, due + timedelta(minutes=10), due) for i, due in enumerate(dues)]


def test_a_burst_opens_its_backlog_early_and_ends_at_its_due_instant() -> None:
    """5,000 reminders due at once at 100/s: the first window opens N/R' + margin early."""
    interval = send_interval(100.0)
    opens = open_windows(rows([T0] * 5000), interval)
    earliest, latest = min(opens.values()), max(opens.values())
    assert latest == T0 - MARGIN
    assert T0 - earliest == 4999 * interval + burst_margin(4999, interval)
    assert T0 - earliest <= timedelta(seconds=5000 / 100) + ALLOWANCE  # N/R + 1.9 s at most
    assert sorted(opens.values()) == [
        T0 - burst_margin(k, interval) - interval * k for k in range(4999, -1, -1)
    ]
    # Sent at the rate from the first window on, the burst still has a margin at its end.
    assert earliest + 4999 * interval == T0 - burst_margin(4999, interval)
    assert burst_margin(4999, interval) >= timedelta(seconds=0.85)


def test_the_margin_shrinks_with_the_backlog_within_the_allowance() -> None:
    """Near a burst's end the whole margin; far back only what keeps N/R + 1.9 s; never below the least."""
    interval = send_interval(100.0)
    assert burst_margin(0, interval) == MARGIN
    assert burst_margin(1000, interval) == MARGIN  # 0.2 s of headroom spent: within 1.9 s
    assert burst_margin(4999, interval) == ALLOWANCE - interval * HEADROOM * 4999
    assert burst_margin(100_000, interval) == MIN_MARGIN


def test_sparse_reminders_open_just_before_their_due_instant() -> None:
    """Reminders far apart are not pushed early by each other."""
    opens = open_windows(rows([T0, T0 + timedelta(minutes=5)]), send_interval(20.0))
    assert opens == {0: T0 - MARGIN, 1: T0 + timedelta(minutes=5) - MARGIN}


def test_lead_zero_waits_for_the_start() -> None:
    """A reminder due as its session starts opens at the start, never before."""
    start = T0 + timedelta(minutes=10)
    lead_zero = WindowRow(7, start, start, start)
    opens = open_windows([lead_zero, *rows([start] * 3)], send_interval(1.0))
    assert opens[7] == start
    assert max(v for k, v in opens.items() if k != 7) == start - MARGIN


def test_changed_windows_lists_only_rows_that_move() -> None:
    """Planning again writes nothing when every window is where it should be."""
    interval = send_interval(10.0)
    first = rows([T0] * 3)
    moved = dict(changed_windows(first, interval))
    assert set(moved) == {0, 1, 2}
    settled = [WindowRow(r.id, r.due_at, r.starts_at, moved[r.id]) for r in first]
    assert changed_windows(settled, interval) == []


@given(
    offsets=st.lists(st.integers(min_value=0, max_value=600), min_size=1, max_size=300),
    rate=st.sampled_from([1.0, 5.0, 20.0, 100.0]),
)
def test_sending_each_at_its_window_at_the_rate_is_never_late(
    offsets: list[int], rate: float
) -> None:
    """Any due instants: windows one interval apart, opening at most the backlog (+ margin) early.

    Sending each row when its window opens (in window order) keeps the rate and finishes
    every row by its due instant.
    """
    interval = send_interval(rate)
    full_rate = timedelta(seconds=1 / rate)
    tick = timedelta(microseconds=1)
    dues = [T0 + timedelta(seconds=o) for o in offsets]
    given_rows = rows(dues)
    opens = open_windows(given_rows, interval)
    ordered = sorted(given_rows, key=lambda r: (r.due_at, opens[r.id], r.id))  # claim order
    for before, after in itertools.pairwise(ordered):
        assert opens[after.id] - opens[before.id] >= full_rate - tick
    sent: datetime | None = None
    for row in ordered:  # each at its window, or one interval after the one before
        sent = opens[row.id] if sent is None else max(opens[row.id], sent + interval)
        assert sent <= row.due_at - MIN_MARGIN + tick
    for row in given_rows:
        assert opens[row.id] <= row.due_at - MIN_MARGIN
        backlog = sum(1 for other in given_rows if other.due_at >= row.due_at)
        early = row.due_at - opens[row.id]
        assert early <= (backlog - 1) * interval + MARGIN
        assert (
            early
            <= max((backlog - 1) * full_rate + ALLOWANCE, (backlog - 1) * interval + MIN_MARGIN)
            + tick
        )


def test_window_ranges_merge_around_the_changed_instants() -> None:
    """Changed instants close together make one range; far apart, one range each."""
    hour = timedelta(hours=1)
    ranges = window_ranges([T0, T0 + CONTEXT, T0 + hour], CONTEXT)
    assert ranges == [
        (T0 - CONTEXT, T0 + 2 * CONTEXT),
        (T0 + hour - CONTEXT, T0 + hour + CONTEXT),
    ]


def test_rows_above_a_range_are_context_and_never_rewritten() -> None:
    """Rows past the top of a range shape the windows below it but are left alone."""
    interval = send_interval(1.0)
    given = rows([T0] * 3 + [T0 + CONTEXT + timedelta(seconds=1)])
    changed = dict(changed_in_range(given, T0 + CONTEXT, interval))
    assert set(changed) == {0, 1, 2}


def _written_then_planned(
    settled: list[WindowRow],
    changes: list[WindowRow],
    dropped: set[int],
    ranges: list[tuple[datetime, datetime]],
    interval: timedelta,
) -> dict[int, datetime]:
    """The reference: write the plan first, then plan each range's windows (id → not_before)."""
    ids = {c.id for c in changes}
    after = [r for r in settled if r.id not in dropped and r.id not in ids] + changes
    final = {r.id: r.not_before for r in after}
    for low, high in ranges:
        inside = [r for r in after if low <= r.due_at <= high]
        final.update(changed_in_range(inside, high - CONTEXT, interval))
    return final


@given(
    settled_offsets=st.lists(st.integers(min_value=0, max_value=900), max_size=120),
    new_offsets=st.lists(st.integers(min_value=0, max_value=900), max_size=60),
    moves=st.lists(st.tuples(st.integers(0, 119), st.integers(0, 900)), max_size=30),
    cancels=st.sets(st.integers(0, 119), max_size=30),
    rate=st.sampled_from([1.0, 5.0, 100.0]),
)
def test_windows_worked_out_before_writing_equal_those_planned_after(
    settled_offsets: list[int],
    new_offsets: list[int],
    moves: list[tuple[int, int]],
    cancels: set[int],
    rate: float,
) -> None:
    """Windows worked out before writing a plan equal planning the ranges after writing it."""
    interval = send_interval(rate)
    second = timedelta(seconds=1)
    settled = changed_windows(rows([T0 + o * second for o in settled_offsets]), interval)
    opened = dict(settled)
    existing = [
        WindowRow(r.id, r.due_at, r.starts_at, opened.get(r.id, r.not_before))
        for r in rows([T0 + o * second for o in settled_offsets])
    ]
    moved = {i: T0 + o * second for i, o in moves if i < len(existing)}
    dropped = {i for i in cancels if i < len(existing)} - set(moved)
    changes = [
        WindowRow(
            2**62 + n, T0 + o * second, T0 + o * second + timedelta(minutes=10), T0 + o * second
        )
        for n, o in enumerate(new_offsets)
    ] + [WindowRow(i, due, due + timedelta(minutes=10), due) for i, due in moved.items()]
    dues = [c.due_at for c in changes] + [existing[i].due_at for i in dropped | set(moved)]
    ranges = window_ranges(dues)
    context = [r for r in existing if any(low <= r.due_at <= high for low, high in ranges)]
    opens = opens_after_changes(context, ranges, changes, dropped | set(moved), interval)
    reference = _written_then_planned(existing, changes, dropped | set(moved), ranges, interval)
    written = {r.id: r.not_before for r in existing if r.id not in dropped}
    written.update({c.id: c.not_before for c in changes})
    written.update(opens)
    assert written == reference


def test_rows_added_to_a_burst_open_before_it_and_leave_its_windows_alone() -> None:
    """Newer rows due with a settled burst take the earlier slots; the burst's rows keep theirs."""
    interval = send_interval(100.0)
    burst = rows([T0] * 200)
    settled = open_windows(burst, interval)
    added = [WindowRow(1000 + n, T0, T0 + timedelta(minutes=10), T0) for n in range(50)]
    after = open_windows(burst + added, interval)
    assert all(after[row.id] == settled[row.id] for row in burst)
    assert max(after[row.id] for row in added) < min(settled.values())
