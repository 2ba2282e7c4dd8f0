"""frab / Pentabarf XML (`schedule.xml`), as FOSDEM, CCC, pretalx, wafer and osem publish it.

The document is read with defusedxml, which refuses entity declarations (the "billion
laughs" bomb) and external references, then turned into the shape of frab JSON, so both go
through one set of checks (`schedule_from_frab`): `<day date="…" start="…">`, `<room
name="…">`, `<event guid="…" id="…">` with `<date>` (an offset), `<start>` (venue-local
HH:MM, on the day's date or the next one when the day runs past midnight), `<duration>`,
`<persons><person>`, `<links><link href="…">`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element, TreeBuilder

import defusedxml.ElementTree as SafeTree
from defusedxml import DefusedXmlException

from schedule.importers._common import decode
from schedule.importers.frab import schedule_from_frab
from schedule.model import Schedule, ScheduleError

_TEXT_FIELDS = (
    "date",
    "start",
    "duration",
    "room",
    "title",
    "subtitle",
    "track",
    "abstract",
    "description",
    "url",
)


def parse_frab_xml(
    data: bytes | str,
    *,
    source: str,
    timezone: str | None = None,
    track: str | None = None,
    name: str | None = None,
) -> Schedule:
    """A whole schedule from frab XML; every `<event>` of every `<room>` becomes a session.

    The zone is `timezone`, else `<time_zone_name>`, else the offset the `<date>`s carry.
    Raises ScheduleError naming the source and the line, or the day, room and event at fault.
    """
    root, lines = _parse(data, source)
    if root.tag != "schedule":
        raise ScheduleError(f"{source}: XML, but not a frab schedule (root <{root.tag}>)")
    conference = root.find("conference")
    if conference is None:
        raise ScheduleError(f"{source}: not a frab schedule (no <conference>)")
    document = {
        "schedule": {
            "conference": {
                "title": _child_text(conference, "title"),
                "time_zone_name": _child_text(conference, "time_zone_name"),
                "days": [_day(day, lines) for day in root.iter("day")],
            }
        }
    }
    return schedule_from_frab(
        document, source=source, timezone=timezone, track=track, name=name, lines=lines
    )


class _LineTarget:
    """Builds the tree like ElementTree does, noting the line each element starts on."""

    def __init__(self) -> None:
        self.builder = TreeBuilder()
        self.lines: dict[int, int] = {}
        self.locate: Callable[[], int] = lambda: 0

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        element = self.builder.start(tag, attrs)
        self.lines[id(element)] = self.locate()
        return element

    def end(self, tag: str) -> Element:
        return self.builder.end(tag)

    def data(self, data: str) -> None:
        self.builder.data(data)

    def close(self) -> Element:
        return self.builder.close()


def _parse(data: bytes | str, source: str) -> tuple[Element, dict[int, int]]:
    """The root element and the start line of each element (by id), refusing entities."""
    text = decode(data, source=source)
    target = _LineTarget()
    parser = SafeTree.DefusedXMLParser(target=target, forbid_dtd=False)
    target.locate = lambda: int(parser.parser.CurrentLineNumber)
    try:
        parser.feed(text.encode("utf-8"))
        root = parser.close()
    except DefusedXmlException as exc:
        raise ScheduleError(
            f"{source}: refused: the XML declares entities or external references "
            f"({type(exc).__name__}), which a schedule never needs"
        ) from None
    except SafeTree.ParseError as exc:
        line, column = exc.position
        fault = str(exc).split(":", 1)[0]
        # expat reports a cut-off document at its last line ("no element found").
        ending = "; the file ends too early (truncated?)" if line >= len(text.splitlines()) else ""
        raise ScheduleError(
            f"{source}:{line}: not valid XML: {fault} at column {column + 1}{ending}"
        ) from None
    return root, target.lines


def _day(day: Element, lines: dict[int, int]) -> dict[str, Any]:
    """A `<day>` as a frab JSON day: date, day_start and rooms of events.

    `lines` gains each event dict's line (by id), for error messages.
    """
    rooms: dict[str, list[dict[str, Any]]] = {}
    for room in day.findall("room"):
        events = rooms.setdefault(room.get("name", ""), [])
        for element in room.findall("event"):
            event = _event(element)
            lines[id(event)] = lines.get(id(element), 0)
            events.append(event)
    return {"date": day.get("date"), "day_start": day.get("start"), "rooms": rooms}


def _event(event: Element) -> dict[str, Any]:
    """An `<event>` as a frab JSON event."""
    found: dict[str, Any] = {key: _child_text(event, key) for key in _TEXT_FIELDS}
    found["guid"] = event.get("guid")
    found["id"] = event.get("id")
    found["persons"] = [
        {"public_name": "".join(person.itertext()), "id": person.get("id")}
        for person in event.iterfind("persons/person")
    ]
    found["links"] = [
        {"url": link.get("href", ""), "title": "".join(link.itertext())}
        for link in event.iterfind("links/link")
    ]
    return found


def _child_text(element: Element, tag: str) -> str | None:
    """The text of the first child `tag` (inner markup included), or None when absent."""
    child = element.find(tag)
    return None if child is None else "".join(child.itertext())
