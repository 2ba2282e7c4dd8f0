"""Schedule importers: each format becomes a whole Schedule, or a ScheduleError naming the fault.

`load_schedule` reads a file of any supported format, telling the format from the content:
iCalendar (BEGIN:VCALENDAR), frab/Pentabarf XML (a document that begins with "<"),
summit-bot JSON ("format": "summit-bot/1"), frab/pretalx JSON (a "schedule" object) or,
failing those, the text of a Sched track page.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from pathlib import Path

from schedule.importers._common import decode, zone
from schedule.importers.frab import load_json, parse_frab
from schedule.importers.native import FORMAT, dump_schedule, parse_native
from schedule.importers.sched_text import parse_sched_text
from schedule.model import Schedule, ScheduleError

__all__ = [
    "BUNDLED_SCHEDULE",
    "FORMAT",
    "convert",
    "dump_schedule",
    "load_bundled",
    "load_schedule",
    "load_schedule_bytes",
    "parse_frab",
    "parse_native",
    "parse_sched_text",
]

BUNDLED_SCHEDULE: Path = Path(__file__).resolve().parent.parent / "data" / "icehouse-nova.json"
"""The schedule shipped with summit-bot (the Nova track of the OpenStack Icehouse summit)."""


def load_schedule(
    path: str | os.PathLike[str],
    *,
    timezone: str | None = None,
    track: str | None = None,
    name: str | None = None,
    default_minutes: int = 60,
) -> Schedule:
    """A whole schedule from the file at `path`, whatever its format.

    `timezone` is the venue's zone (needed for Sched text; it reads floating iCalendar times
    and overrides the zone a file names); `track` and `name`, when given, replace the file's.
    """
    source = os.fspath(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ScheduleError(f"{source}: cannot read the file: {exc.strerror or exc}") from None
    return load_schedule_bytes(
        data,
        source=source,
        timezone=timezone,
        track=track,
        name=name,
        default_minutes=default_minutes,
    )


def load_schedule_bytes(
    data: bytes,
    *,
    source: str,
    timezone: str | None = None,
    track: str | None = None,
    name: str | None = None,
    default_minutes: int = 60,
) -> Schedule:
    """A whole schedule from the content of a file; `source` names it in error messages."""
    text = decode(data, source=source)
    head = text.lstrip()
    if not head:
        raise ScheduleError(f"{source}: the file is empty")
    if head[:15].upper() == "BEGIN:VCALENDAR":
        # Loaded on first use: the icalendar library costs start-up time most runs never need.
        from schedule.importers.ical import parse_ical

        return parse_ical(
            text,
            source=source,
            timezone=timezone,
            default_minutes=default_minutes,
            track=track,
            name=name,
        )
    if head.startswith("<"):
        from schedule.importers.frab_xml import parse_frab_xml

        return parse_frab_xml(text, source=source, timezone=timezone, track=track, name=name)
    if head.startswith(("{", "[")):
        root = load_json(text, source=source)
        if isinstance(root, dict) and root.get("format") == FORMAT:
            return _override(parse_native(text, source=source), timezone, track, name, source)
        if isinstance(root, dict) and "format" in root:
            raise ScheduleError(
                f"{source}: unknown schedule format {root['format']!r} (expected {FORMAT!r})"
            )
        if isinstance(root, dict) and isinstance(root.get("schedule"), dict):
            return parse_frab(text, source=source, timezone=timezone, track=track, name=name)
        raise ScheduleError(
            f"{source}: JSON, but neither summit-bot ({FORMAT!r}) nor frab "
            "(a 'schedule' object) schedule JSON"
        )
    if timezone is None:
        raise ScheduleError(
            f"{source}: this looks like Sched page text, which does not say its time zone; "
            "give the venue's zone with --timezone or SUMMIT_BOT_SCHEDULE_TIMEZONE "
            "(e.g. Asia/Hong_Kong)"
        )
    return parse_sched_text(text, source=source, timezone=timezone, track=track, name=name)


def load_bundled() -> Schedule:
    """The schedule shipped with summit-bot (schedule/data/icehouse-nova.json)."""
    return load_schedule(BUNDLED_SCHEDULE)


def convert(
    src: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    timezone: str | None = None,
    track: str | None = None,
    name: str | None = None,
    default_minutes: int = 60,
) -> Schedule:
    """Load `src` (any format) and write it to `out` as summit-bot JSON; returns the schedule.

    `out` is replaced only once the whole schedule has been read and written.
    """
    schedule = load_schedule(
        src, timezone=timezone, track=track, name=name, default_minutes=default_minutes
    )
    target = Path(out)
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_text(dump_schedule(schedule), encoding="utf-8")
        os.replace(partial, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise ScheduleError(f"{os.fspath(out)}: cannot write: {exc.strerror or exc}") from None
    return schedule


def _override(
    schedule: Schedule, timezone: str | None, track: str | None, name: str | None, source: str
) -> Schedule:
    """`schedule` with the zone, track and name given by the caller in place of its own."""
    if timezone is not None:
        zone(timezone, source=source)
    sessions = schedule.sessions
    if track is not None:
        sessions = tuple(dataclasses.replace(session, track=track) for session in sessions)
    return Schedule(
        name=schedule.name if name is None else name,
        timezone=schedule.timezone if timezone is None else timezone,
        sessions=sessions,
    )
