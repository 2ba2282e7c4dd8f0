"""Readers of the real exports that share no code with the importers: regex and the stdlib.

Each returns one (uid, start, end) triple per event, instants in UTC, so a test can check the
importer's sessions against the file itself rather than against the importer's own output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

Triple = tuple[str, datetime, datetime]


def _utc_stamp(text: str) -> datetime:
    """An iCalendar UTC date-time such as 20150918T070000Z."""
    return datetime.strptime(text.strip(), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def ics_events(path: Path) -> list[Triple]:
    """Each VEVENT's UID, DTSTART and DTEND (60 minutes when it has none), all in UTC."""
    text = re.sub(r"\r?\n[ \t]", "", path.read_text(encoding="utf-8-sig"))
    found: list[Triple] = []
    for block in re.findall(r"^BEGIN:VEVENT\r?$(.*?)^END:VEVENT\r?$", text, re.M | re.S):
        uid = re.search(r"^UID:(.*?)\r?$", block, re.M)
        start = re.search(r"^DTSTART:(\d{8}T\d{6}Z)\r?$", block, re.M)
        end = re.search(r"^DTEND:(\d{8}T\d{6}Z)\r?$", block, re.M)
        assert uid is not None, block[:200]
        assert start is not None, block[:200]
        begins = _utc_stamp(start.group(1))
        ends = _utc_stamp(end.group(1)) if end else begins + timedelta(minutes=60)
        found.append((uid.group(1).strip(), begins, ends))
    return found


def _duration(text: str) -> timedelta:
    hours, minutes = text.split(":")[:2]
    return timedelta(hours=int(hours), minutes=int(minutes))


def frab_json_events(path: Path) -> list[Triple]:
    """Each event's guid, its ISO `date` and `date` + `duration`, from json.loads."""
    document = json.loads(path.read_text(encoding="utf-8"))
    found: list[Triple] = []
    for day in document["schedule"]["conference"]["days"]:
        for events in day["rooms"].values():
            for event in events:
                begins = datetime.fromisoformat(event["date"]).astimezone(UTC)
                found.append((event["guid"], begins, begins + _duration(event["duration"])))
    return found


_XML_EVENT = re.compile(
    r"<event guid='([^']+)'[^>]*>.*?<date>([^<]+)</date>.*?<duration>([^<]+)</duration>", re.S
)


def frab_xml_events(path: Path) -> list[Triple]:
    """Each <event>'s guid, its <date> and <date> + <duration>, read with a regex."""
    text = path.read_text(encoding="utf-8")
    found: list[Triple] = []
    for guid, stamp, duration in _XML_EVENT.findall(text):
        begins = datetime.fromisoformat(stamp).astimezone(UTC)
        found.append((guid, begins, begins + _duration(duration)))
    assert len(found) == text.count("<event "), "every <event> has a <date> and <duration>"
    return found


_SCHED_TIME = re.compile(
    r"^\w+day (\w+ \d{1,2}, \d{4}) (\d{1,2}:\d{2}[ap]m) - (\d{1,2}:\d{2}[ap]m)$", re.M
)
HONG_KONG = ZoneInfo("Asia/Hong_Kong")


def sched_text_events(path: Path) -> list[Triple]:
    """Each time line of the Sched page text, read in Hong Kong time (no uid: "")."""
    found: list[Triple] = []
    for day, start, end in _SCHED_TIME.findall(path.read_text(encoding="utf-8")):
        begins, ends = (
            datetime.strptime(f"{day} {clock}", "%B %d, %Y %I:%M%p")
            .replace(tzinfo=HONG_KONG)
            .astimezone(UTC)
            for clock in (start, end)
        )
        found.append(("", begins, ends))
    return found


READERS: dict[str, Callable[[Path], list[Triple]]] = {
    ".ics": ics_events,
    ".json": frab_json_events,
    ".xml": frab_xml_events,
    ".txt": sched_text_events,
}
"""The independent reader for each kind of real export, by file suffix."""
