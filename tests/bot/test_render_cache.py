"""Schedule-derived parts of answers are cached per schedule version, and never stale."""

from __future__ import annotations

from bot.core.schedule_source import ScheduleSource
from bot.render.blocks import RenderCache, session_parts, session_text
from tests.factories import HKG, local, schedule, session


def test_parts_are_made_once_per_session_and_version() -> None:
    """The same session object gets the very same parts back; they equal freshly made ones."""
    first = session("a-session", "2013-11-05 11:15", proposers=("Ann <ann@x>",))
    source = ScheduleSource(schedule(first))
    cache = source.derived(RenderCache)
    assert source.derived(RenderCache) is cache
    parts = cache.parts(first, HKG)
    assert cache.parts(first, HKG) is parts
    assert parts == session_parts(first, HKG)
    assert "Ann &lt;ann@x&gt;" in " ".join(parts.place)


def test_a_reload_starts_a_new_cache_and_moved_sessions_show_their_new_time() -> None:
    """After a reload the moved session renders at its new time, through the new cache."""
    before = session("a-session", "2013-11-05 11:15", room="Room 1")
    moved = session("a-session", "2013-11-06 14:00", room="Room 2")
    source = ScheduleSource(schedule(before))
    old_cache = source.derived(RenderCache)
    at = local("2013-11-05 09:00")
    assert "Tue 5 Nov 11:15" in session_text(before, HKG, None, at, cache=old_cache)
    source.replace(schedule(moved))
    assert source.derived(RenderCache) is not old_cache
    text = session_text(moved, HKG, None, at, cache=source.derived(RenderCache))
    assert "Wed 6 Nov 14:00" in text
    assert "Room 2" in text
    # A request still holding the old cache gets the moved session right, too.
    assert "Wed 6 Nov 14:00" in session_text(moved, HKG, None, at, cache=old_cache)


def test_another_zone_is_not_served_from_the_cache() -> None:
    """Parts asked for in another zone than the cache's are made for that zone."""
    one = session("a-session", "2013-11-05 11:15")
    cache = RenderCache(schedule(one))
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    assert cache.parts(one, paris).when == session_parts(one, paris).when
    assert "CET" in cache.parts(one, paris).when
