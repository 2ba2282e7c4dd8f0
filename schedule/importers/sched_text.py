"""The text of a Sched track page ("Nova [clear filter]"), as copied from the browser.

The page is a preamble, a track header, day headers ("Tuesday, November 5") and session
blocks. A block is a title line, description paragraphs, "(Session proposed by NAME)" lines,
a time line ("Tuesday November 5, 2013 11:15am - 11:55am") and a room line. A merged session
says "This session will include the following subject(s):" and then lists its subjects, each
a "Title:" line, its text and its own "(Session proposed by NAME)" line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from schedule.importers._common import (
    Draft,
    build_schedule,
    default_name,
    distinct,
    links_for,
    tidy,
    zone,
)
from schedule.model import Proposal, Schedule, ScheduleError
from schedule.names import LONG_DAYS, LONG_MONTHS

_WEEKDAYS = LONG_DAYS
_MONTHS = LONG_MONTHS
_WD = "|".join(_WEEKDAYS)
_MON = "|".join(_MONTHS)

_DAY_HEADER = re.compile(rf"^(?:{_WD}),\s+(?:{_MON})\s+\d{{1,2}}$", re.IGNORECASE)
_TIME_LIKE = re.compile(rf"^(?:{_WD})\s+(?:{_MON})\s+\d{{1,2}},\s*\d{{4}}\b", re.IGNORECASE)
_CLOCK = r"(\d{1,2}):(\d{2})\s*([ap]m)"
_DATE = rf"({_WD})\s+({_MON})\s+(\d{{1,2}}),\s+(\d{{4}})"
_TIME_LINE = re.compile(
    rf"^{_DATE}\s+{_CLOCK}\s*[-\u2013]\s*(?:{_DATE}\s+)?{_CLOCK}$", re.IGNORECASE
)
_TRACK_HEADER = re.compile(r"^(.*?)\s*\[clear filter\]$", re.IGNORECASE)
_PROPOSER = re.compile(r"^\(Session proposed by\s+(.+?)\)$", re.IGNORECASE)
_MERGED = "this session will include the following subject(s):"
_PREAMBLE = ("please note", "sign up or log in")


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    text: str


def parse_sched_text(
    text: str,
    *,
    source: str,
    timezone: str,
    track: str | None = None,
    name: str | None = None,
) -> Schedule:
    """A whole schedule from Sched page text whose times are in the venue zone `timezone`.

    Raises ScheduleError ("source:line: message") for an unparseable time line, a session
    with no time line, an end not after its start, an unknown zone or no sessions at all.
    """
    venue = zone(timezone, source=source)
    lines = [
        _Line(number, raw.replace("\u00a0", " ").strip())
        for number, raw in enumerate(re.split(r"\r\n|\r|\n", text.removeprefix("\ufeff")), start=1)
    ]
    start, header_track = _skip_preamble(lines)
    session_track = header_track if track is None else track
    drafts: list[Draft] = []
    block: list[_Line] = []
    index = start
    while index < len(lines):
        line = lines[index]
        if _DAY_HEADER.match(line.text):
            _refuse_untimed(block, source)
            block = []
            index += 1
            continue
        if not _TIME_LIKE.match(line.text):
            block.append(line)
            index += 1
            continue
        begins, ends = _parse_time_line(line, venue, source)
        content = _trim(block)
        if not content:
            raise ScheduleError(f"{source}:{line.number}: time line with no session title above it")
        room = _room_after(lines, index)
        if room:
            index += 1
        if ends < begins:
            raise ScheduleError(
                f"{source}:{line.number}: session {content[0].text!r} ends at "
                f"{ends:%H:%M}, before its start {begins:%H:%M}"
            )
        drafts.append(_draft(content, begins, ends, room, session_track, source))
        block = []
        index += 1
    _refuse_untimed(block, source)
    if not drafts:
        raise ScheduleError(
            f"{source}: no sessions found (a session ends with a time line like "
            "'Tuesday November 5, 2013 11:15am - 11:55am')"
        )
    schedule_name = name or header_track or default_name(source)
    return build_schedule(drafts, name=schedule_name, timezone=timezone, source=source)


def _room_after(lines: list[_Line], index: int) -> str:
    """The room line after the time line at `index` ("" when the next line is no room)."""
    following = lines[index + 1].text if index + 1 < len(lines) else ""
    if not following or _DAY_HEADER.match(following) or _TIME_LIKE.match(following):
        return ""
    return following


def _skip_preamble(lines: list[_Line]) -> tuple[int, str]:
    """Where the sessions begin, and the track named by the header ("" when there is none)."""
    for index, line in enumerate(lines):
        if _TIME_LIKE.match(line.text):
            break
        header = _TRACK_HEADER.match(line.text)
        if header:
            return index + 1, header.group(1).strip()
    index = 0
    while index < len(lines):
        if not lines[index].text:
            index += 1
        elif lines[index].text.casefold().startswith(_PREAMBLE):
            while index < len(lines) and lines[index].text:
                index += 1
        else:
            break
    return index, ""


def _trim(block: list[_Line]) -> list[_Line]:
    """The block without leading and trailing blank lines."""
    filled = [i for i, line in enumerate(block) if line.text]
    return block[filled[0] : filled[-1] + 1] if filled else []


def _refuse_untimed(block: list[_Line], source: str) -> None:
    """Raise when lines are left over that never reached a time line."""
    content = _trim(block)
    if content:
        raise ScheduleError(
            f"{source}:{content[0].number}: session {content[0].text!r} has no time line "
            "(expected e.g. 'Tuesday November 5, 2013 11:15am - 11:55am')"
        )


def _parse_time_line(line: _Line, venue: ZoneInfo, source: str) -> tuple[datetime, datetime]:
    """The start and end instants of a time line, read in the venue zone."""
    match = _TIME_LINE.match(line.text)
    if not match:
        raise ScheduleError(
            f"{source}:{line.number}: cannot read time line {line.text!r} "
            "(expected e.g. 'Tuesday November 5, 2013 11:15am - 11:55am')"
        )
    groups = match.groups()
    start_day = _day(groups[0:4], line, source)
    end_day = start_day if groups[7] is None else _day(groups[7:11], line, source)
    begins = _instant(start_day, groups[4:7], venue, line, source)
    ends = _instant(end_day, groups[11:14], venue, line, source)
    return begins, ends


def _day(parts: tuple[str | None, ...], line: _Line, source: str) -> date:
    """The date written as (weekday, month, day, year), checked against its weekday."""
    weekday, month, day, year = (part or "" for part in parts)
    month_number = [m.casefold() for m in _MONTHS].index(month.casefold()) + 1
    try:
        found = date(int(year), month_number, int(day))
    except ValueError:
        raise ScheduleError(
            f"{source}:{line.number}: {month} {day}, {year} is not a date in {line.text!r}"
        ) from None
    if _WEEKDAYS[found.weekday()].casefold() != weekday.casefold():
        raise ScheduleError(
            f"{source}:{line.number}: {month} {day}, {year} is a {_WEEKDAYS[found.weekday()]}, "
            f"not a {weekday} in {line.text!r}"
        )
    return found


def _instant(
    day: date, parts: tuple[str | None, ...], venue: ZoneInfo, line: _Line, source: str
) -> datetime:
    """The instant of a 12-hour clock time ("12:05pm" is just after noon) on `day` at the venue."""
    hour_text, minute_text, meridiem = (part or "" for part in parts)
    hour, minute = int(hour_text), int(minute_text)
    if not (1 <= hour <= 12 and minute <= 59):
        raise ScheduleError(
            f"{source}:{line.number}: {hour_text}:{minute_text}{meridiem} is not a time "
            f"in {line.text!r}"
        )
    hour = hour % 12 + (12 if meridiem.casefold() == "pm" else 0)
    return datetime.combine(day, time(hour, minute), tzinfo=venue)


def _draft(
    content: list[_Line], begins: datetime, ends: datetime, room: str, track: str, source: str
) -> Draft:
    """One session from its block (title line first) and its time and room lines."""
    title_line, body = content[0], content[1:]
    if _PROPOSER.match(title_line.text) or title_line.text.casefold() == _MERGED:
        raise ScheduleError(f"{source}:{title_line.number}: session has no title line")
    filled = [line for line in body if line.text]
    proposals: tuple[Proposal, ...] = ()
    if filled and filled[0].text.casefold() == _MERGED:
        body = body[body.index(filled[0]) + 1 :]
        proposals = _proposals(body, title_line, source)
        proposers = distinct(name for proposal in proposals for name in proposal.proposers)
    else:
        proposers = distinct(
            match.group(1).strip() for line in body if (match := _PROPOSER.match(line.text))
        )
    description = tidy("\n".join(line.text for line in body if not _PROPOSER.match(line.text)))
    return Draft(
        where=f"{source}:{title_line.number}",
        title=title_line.text,
        start=begins,
        end=ends,
        room=room,
        track=track,
        description=description,
        proposers=proposers,
        proposals=proposals,
        links=links_for((), title_line.text, description),
    )


def _proposals(body: list[_Line], title_line: _Line, source: str) -> tuple[Proposal, ...]:
    """The subjects of a merged session, each closed by its "(Session proposed by" lines."""
    groups: list[tuple[list[_Line], list[str]]] = []
    text: list[_Line] = []
    names: list[str] = []
    for line in body:
        match = _PROPOSER.match(line.text)
        if match:
            names.append(match.group(1).strip())
        elif line.text and names:
            groups.append((text, names))
            text, names = [line], []
        else:
            text.append(line)
    if _trim(text) or names:
        groups.append((text, names))
    proposals: list[Proposal] = []
    for lines, proposers in groups:
        subject = _trim(lines)
        if not subject:
            raise ScheduleError(
                f"{source}:{title_line.number}: a subject of {title_line.text!r} has no title"
            )
        proposals.append(
            Proposal(
                title=subject[0].text.removesuffix(":").strip(),
                description=tidy("\n".join(line.text for line in subject[1:])),
                proposers=distinct(proposers),
            )
        )
    if not proposals:
        raise ScheduleError(
            f"{source}:{title_line.number}: merged session {title_line.text!r} lists no subjects"
        )
    return tuple(proposals)
