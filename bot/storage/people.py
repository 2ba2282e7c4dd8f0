"""People: their settings (lead time, reminders on or off, time zone) and DM channels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.storage.columns import PREFERENCE_COLUMNS, preferences_from
from bot.storage.database import Database, chunks, id_list
from bot.storage.records import Preferences
from bot.storage.tables import DmChannelRow, PreferenceRow, utc

__all__ = ["People"]


class People:
    """The settings of each person and the DM channel the bot opened with them."""

    def __init__(self, db: Database) -> None:
        """Work through `db`."""
        self._db = db

    def preferences(self, user_ids: Iterable[str]) -> dict[str, Preferences]:
        """The settings of each of `user_ids` (the defaults for those who never set any)."""
        wanted = id_list(user_ids)
        found = {user_id: Preferences(user_id=user_id) for user_id in wanted}
        pref = PreferenceRow
        with self._db.read() as conn:
            for chunk in chunks(wanted):
                stmt = select(*PREFERENCE_COLUMNS).where(pref.user_id.in_(chunk))
                found.update((row.user_id, preferences_from(row)) for row in conn.execute(stmt))
        return found

    def set_lead_minutes(self, user_id: str, minutes: int | None) -> None:
        """How many minutes before a session to remind; None goes back to the default."""
        if minutes is not None and minutes < 0:
            raise ValueError(f"lead time cannot be negative: {minutes}")
        self._update(user_id, {"lead_minutes": minutes})

    def set_reminders_enabled(self, user_id: str, enabled: bool) -> None:
        """Turn a person's reminders on or off."""
        self._update(user_id, {"reminders_enabled": enabled})

    def set_timezone(self, user_id: str, tz: str | None, at: datetime) -> None:
        """Record a person's IANA time zone (None: unknown) as checked at `at`."""
        self._update(user_id, {"timezone": tz, "timezone_checked_at": utc(at, "at")})

    def _update(self, user_id: str, values: Mapping[str, Any]) -> None:
        """Create or update a person's settings row with `values`."""
        stmt = self._db.insert(PreferenceRow).values(user_id=user_id, **values)
        upsert = stmt.on_conflict_do_update(index_elements=["user_id"], set_=dict(values))
        with self._db.write() as conn:
            conn.execute(upsert)

    def dm_channel(self, user_id: str) -> str | None:
        """The DM channel already opened with a person, if any."""
        stmt = select(DmChannelRow.channel_id).where(DmChannelRow.user_id == user_id)
        with self._db.read() as conn:
            return conn.scalar(stmt)

    def save_dm_channel(self, user_id: str, channel_id: str) -> None:
        """Remember the DM channel opened with a person."""
        stmt = self._db.insert(DmChannelRow).values(user_id=user_id, channel_id=channel_id)
        upsert = stmt.on_conflict_do_update(
            index_elements=["user_id"], set_={"channel_id": stmt.excluded.channel_id}
        )
        with self._db.write() as conn:
            conn.execute(upsert)
