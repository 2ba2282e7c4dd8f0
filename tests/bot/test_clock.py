from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ReplayClock, SystemClock, fixed_clock, make_clock


class FakeMonotonic:
    """A monotonic time source the test moves by hand."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


START = datetime(2013, 11, 5, 3, 0, tzinfo=UTC)


def test_system_clock_is_aware_utc() -> None:
    """The real clock gives an aware UTC instant close to now."""
    now = SystemClock().now()
    assert now.tzinfo is not None
    assert abs((now - datetime.now(UTC)).total_seconds()) < 5


def test_fixed_clock_stands_still() -> None:
    """A fixed clock shows the same instant and never reaches a later one."""
    clock = fixed_clock(START)
    assert clock.now() == START
    assert clock.wall_seconds_until(START + timedelta(minutes=1)) is None
    assert clock.wall_seconds_until(START - timedelta(minutes=1)) == 0.0


def test_replay_clock_runs_at_speed() -> None:
    """A replay clock at 60× advances an hour per real minute."""
    tick = FakeMonotonic()
    clock = ReplayClock(START, speed=60, monotonic=tick)
    tick.value += 60
    assert clock.now() == START + timedelta(hours=1)
    assert clock.wall_seconds_until(START + timedelta(hours=2)) == pytest.approx(60)


def test_set_jumps_and_notifies() -> None:
    """Setting the clock jumps to the instant, changes speed and tells subscribers."""
    tick = FakeMonotonic()
    clock = ReplayClock(START, monotonic=tick)
    told: list[datetime] = []
    clock.subscribe(lambda: told.append(clock.now()))
    later = START + timedelta(days=2)
    clock.set(later, speed=0)
    tick.value += 100
    assert clock.now() == later
    assert told == [later]


def test_naive_and_negative_refused() -> None:
    """Naive instants and negative speeds are refused."""
    with pytest.raises(ValueError, match="timezone-aware"):
        ReplayClock(datetime(2013, 11, 5, 3, 0))
    with pytest.raises(ValueError, match="negative"):
        ReplayClock(START, speed=-1)


def test_make_clock() -> None:
    """No start gives the real clock; a start gives a replay; a speed alone is an error."""
    assert isinstance(make_clock(None), SystemClock)
    assert isinstance(make_clock(START, 2.0), ReplayClock)
    with pytest.raises(ValueError, match="start"):
        make_clock(None, 2.0)
