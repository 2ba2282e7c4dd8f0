"""People's settings and DM channels in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.storage.database import IN_CHUNK
from bot.store import Preferences, Store

T0 = datetime(2013, 11, 5, 3, 0, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))


def test_preferences_default_when_never_set(store: Store) -> None:
    """A person who never changed anything gets the defaults."""
    assert store.people.preferences(["U1"])["U1"] == Preferences(
        user_id="U1",
        lead_minutes=None,
        reminders_enabled=True,
        timezone=None,
        timezone_checked_at=None,
    )


def test_preferences_updates_keep_other_fields(store: Store) -> None:
    """Each setter changes its own field and leaves the others as they were."""
    store.people.set_lead_minutes("U1", 15)
    store.people.set_reminders_enabled("U1", False)
    store.people.set_timezone("U1", "Asia/Shanghai", T0.astimezone(SHANGHAI))
    assert store.people.preferences(["U1"])["U1"] == Preferences(
        user_id="U1",
        lead_minutes=15,
        reminders_enabled=False,
        timezone="Asia/Shanghai",
        timezone_checked_at=T0,
    )
    store.people.set_lead_minutes("U1", None)
    store.people.set_reminders_enabled("U1", True)
    store.people.set_timezone("U1", None, T0 + timedelta(hours=1))
    assert store.people.preferences(["U1"])["U1"] == Preferences(
        user_id="U1", timezone_checked_at=T0 + timedelta(hours=1)
    )
    assert store.people.preferences(["U2"])["U2"] == Preferences(user_id="U2")


def test_timezone_alone_keeps_reminders_enabled_by_default(store: Store) -> None:
    """A row created by setting the time zone still has reminders on and no lead time."""
    store.people.set_timezone("U1", "Europe/Paris", T0)
    prefs = store.people.preferences(["U1"])["U1"]
    assert prefs.reminders_enabled is True
    assert prefs.lead_minutes is None
    assert prefs.timezone == "Europe/Paris"


def test_negative_lead_minutes_refused(store: Store) -> None:
    """A negative lead time is refused and nothing is stored."""
    with pytest.raises(ValueError, match="negative"):
        store.people.set_lead_minutes("U1", -5)
    assert store.people.preferences(["U1"])["U1"].lead_minutes is None


def test_dm_channel_saved_and_replaced(store: Store) -> None:
    """A DM channel is unknown until saved, and saving again replaces it."""
    assert store.people.dm_channel("U1") is None
    store.people.save_dm_channel("U1", "D100")
    store.people.save_dm_channel("U2", "D200")
    assert store.people.dm_channel("U1") == "D100"
    store.people.save_dm_channel("U1", "D101")
    assert store.people.dm_channel("U1") == "D101"
    assert store.people.dm_channel("U2") == "D200"


def test_preferences_of_many_people_at_once(store: Store) -> None:
    """One call answers for everybody asked, across several IN lists, defaults included."""
    people = [f"U{n:04d}" for n in range(2 * IN_CHUNK + 3)]
    store.people.set_lead_minutes(people[0], 5)
    store.people.set_reminders_enabled(people[-1], False)
    found = store.people.preferences(iter(people + people[:2]))
    assert set(found) == set(people)
    assert found[people[0]] == Preferences(user_id=people[0], lead_minutes=5)
    assert found[people[-1]] == Preferences(user_id=people[-1], reminders_enabled=False)
    assert found[people[1]] == Preferences(user_id=people[1])
    assert store.people.preferences([]) == {}
    with pytest.raises(TypeError, match="collection of ids"):
        store.people.preferences("U1")
