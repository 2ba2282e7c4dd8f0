"""summit-bot's own schedule JSON ("format": "summit-bot/1"); the bundled schedule uses it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from schedule.importers._common import decode, zone
from schedule.model import Proposal, Schedule, ScheduleError, Session

FORMAT = "summit-bot/1"
_SESSION_KEYS = {
    "id",
    "uid",
    "title",
    "start",
    "end",
    "room",
    "track",
    "description",
    "proposers",
    "proposals",
    "links",
}
_REQUIRED_KEYS = {"id", "title", "start", "end"}
_PROPOSAL_KEYS = {"title", "description", "proposers"}


def dump_schedule(schedule: Schedule) -> str:
    """The schedule as pretty, key-sorted JSON with UTC instants ("2013-11-05T03:15:00Z")."""
    document = {
        "format": FORMAT,
        "name": schedule.name,
        "timezone": schedule.timezone,
        "sessions": [
            {
                "id": session.id,
                "uid": session.uid,
                "title": session.title,
                "start": _instant(session.start),
                "end": _instant(session.end),
                "room": session.room,
                "track": session.track,
                "description": session.description,
                "proposers": list(session.proposers),
                "proposals": [
                    {
                        "title": proposal.title,
                        "description": proposal.description,
                        "proposers": list(proposal.proposers),
                    }
                    for proposal in session.proposals
                ],
                "links": list(session.links),
            }
            for session in schedule.sessions
        ],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def parse_native(data: bytes | str, *, source: str) -> Schedule:
    """A whole schedule from summit-bot JSON; raises ScheduleError naming the fault."""
    try:
        root = json.loads(decode(data, source=source))
    except json.JSONDecodeError as exc:
        raise ScheduleError(f"{source}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(root, dict):
        raise ScheduleError(f"{source}: expected a JSON object")
    if root.get("format") != FORMAT:
        raise ScheduleError(f"{source}: format is {root.get('format')!r}, expected {FORMAT!r}")
    unknown = sorted(set(root) - {"format", "name", "timezone", "sessions"})
    if unknown:
        raise ScheduleError(f"{source}: unknown top-level keys {unknown}")
    name = _string(root, "name", source, required=True)
    timezone = _string(root, "timezone", source, required=True)
    zone(timezone, source=source)
    entries = root.get("sessions")
    if not isinstance(entries, list):
        raise ScheduleError(f"{source}: sessions must be a list")
    sessions = [_session(entry, number, source) for number, entry in enumerate(entries, start=1)]
    try:
        return Schedule(name=name, timezone=timezone, sessions=tuple(sessions))
    except ValueError as exc:
        raise ScheduleError(f"{source}: {exc}") from None


def _session(entry: Any, number: int, source: str) -> Session:
    """One session entry."""
    where = f"{source}: session {number}"
    if not isinstance(entry, dict):
        raise ScheduleError(f"{where}: expected an object")
    if isinstance(entry.get("id"), str):
        where = f"{where} ({entry['id']})"
    unknown = sorted(set(entry) - _SESSION_KEYS)
    if unknown:
        raise ScheduleError(f"{where}: unknown keys {unknown}")
    missing = sorted(_REQUIRED_KEYS - set(entry))
    if missing:
        raise ScheduleError(f"{where}: missing keys {missing}")
    proposals = entry.get("proposals", [])
    if not isinstance(proposals, list):
        raise ScheduleError(f"{where}: proposals must be a list")
    try:
        return Session(
            id=_string(entry, "id", where, required=True),
            uid=_string(entry, "uid", where),
            title=_string(entry, "title", where, required=True),
            start=_parse_instant(entry["start"], "start", where),
            end=_parse_instant(entry["end"], "end", where),
            room=_string(entry, "room", where),
            track=_string(entry, "track", where),
            description=_string(entry, "description", where),
            proposers=_strings(entry, "proposers", where),
            proposals=tuple(
                _proposal(item, index, where) for index, item in enumerate(proposals, start=1)
            ),
            links=_strings(entry, "links", where),
        )
    except ScheduleError:
        raise
    except ValueError as exc:
        raise ScheduleError(f"{where}: {exc}") from None


def _proposal(item: Any, index: int, where: str) -> Proposal:
    """One proposal of a merged session."""
    where = f"{where}, proposal {index}"
    if not isinstance(item, dict):
        raise ScheduleError(f"{where}: expected an object")
    unknown = sorted(set(item) - _PROPOSAL_KEYS)
    if unknown:
        raise ScheduleError(f"{where}: unknown keys {unknown}")
    return Proposal(
        title=_string(item, "title", where, required=True),
        description=_string(item, "description", where),
        proposers=_strings(item, "proposers", where),
    )


def _string(entry: dict[str, Any], key: str, where: str, *, required: bool = False) -> str:
    """A text field ("" when absent and not required)."""
    if key not in entry and not required:
        return ""
    value = entry.get(key)
    if not isinstance(value, str):
        raise ScheduleError(f"{where}: {key} must be text, not {value!r}")
    return value


def _strings(entry: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    """A list-of-text field (empty when absent)."""
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ScheduleError(f"{where}: {key} must be a list of text, not {value!r}")
    return tuple(value)


def _instant(moment: datetime) -> str:
    """An aware instant as UTC ISO 8601 with a "Z"."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_instant(value: Any, key: str, where: str) -> datetime:
    """A UTC instant from ISO 8601 text with an offset or "Z"."""
    if not isinstance(value, str):
        raise ScheduleError(f"{where}: {key} must be ISO 8601 text, not {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ScheduleError(f"{where}: cannot read {key} {value!r} (ISO 8601 expected)") from None
    if moment.tzinfo is None:
        raise ScheduleError(f"{where}: {key} {value!r} has no offset (write it in UTC with 'Z')")
    return moment.astimezone(UTC)
