"""Helpers shared by the importers: zones, text tidying and building a whole schedule."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import PurePath
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schedule.model import Proposal, Schedule, ScheduleError, Session, find_links, unique_ids


@dataclass(frozen=True, slots=True)
class Draft:
    """A session read from a source, before it is given its id."""

    where: str
    """Where the session is in the source, for error messages ("file:12", "file: event 3")."""
    title: str
    start: datetime
    end: datetime
    room: str = ""
    track: str = ""
    description: str = ""
    proposers: tuple[str, ...] = ()
    proposals: tuple[Proposal, ...] = ()
    links: tuple[str, ...] = ()
    uid: str = ""


def zone(key: str, *, source: str, what: str = "time zone") -> ZoneInfo:
    """The zone called `key`, or a ScheduleError naming the source when there is none."""
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"{source}: unknown {what} {key!r} (expected an IANA name such as 'Europe/Berlin'; "
            "--timezone or SUMMIT_BOT_SCHEDULE_TIMEZONE sets the venue's zone)"
        ) from None


def decode(data: bytes | str, *, source: str) -> str:
    """`data` as text without a leading byte-order mark; bytes must be UTF-8."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ScheduleError(
                f"{source}: not UTF-8 text (byte {exc.start} is {data[exc.start]:#04x})"
            ) from None
    return data.removeprefix("\ufeff")


def tidy(text: str) -> str:
    """Text with unified line ends, no trailing spaces, and no runs of blank lines."""
    lines = [line.rstrip() for line in re.split(r"\r\n|\r|\n", text.replace("\u00a0", " "))]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip("\n")


_HTML_BLOCK = re.compile(r"</?(?:p|br|div|ul|ol|li|h[1-6])\b[^>]*>", re.IGNORECASE)
_BLOCKS = {"p", "div", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre"}


class _TextOfHtml(HTMLParser):
    """Collects the text of an HTML fragment: blocks become paragraphs, items become bullets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(text: str, *, entities: bool = False) -> str:
    """`text` tidied; HTML (as some exports write descriptions) is turned into plain text.

    Text with HTML block tags is read as HTML (white space collapsed, tags dropped, entities
    decoded); other text keeps its lines, and its entities are decoded when `entities` is set.
    """
    if not _HTML_BLOCK.search(text):
        return tidy(html.unescape(text) if entities else text)
    parser = _TextOfHtml()
    parser.feed(re.sub(r"\s+", " ", text))
    parser.close()
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in "".join(parser.parts).split("\n")]
    return tidy("\n".join(lines))


def distinct(values: Iterable[str]) -> tuple[str, ...]:
    """The non-empty `values` in order, each once."""
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return tuple(seen)


def links_for(explicit: Iterable[str], *texts: str) -> tuple[str, ...]:
    """The source's explicit links, then those found in `texts`, each once."""
    found = [link for text in texts for link in find_links(text)]
    return distinct([*(link.strip() for link in explicit), *found])


def default_name(source: str) -> str:
    """A schedule name from the source's file name, for sources that carry none."""
    return PurePath(source).stem or source


def build_schedule(drafts: list[Draft], *, name: str, timezone: str, source: str) -> Schedule:
    """A whole schedule from `drafts`, ids given in time order; refuses an empty one."""
    if not drafts:
        raise ScheduleError(f"{source}: no sessions found")
    ordered = sorted(enumerate(drafts), key=lambda pair: (pair[1].start, pair[1].end, pair[0]))
    ids = unique_ids([draft.title for _, draft in ordered])
    sessions: list[Session] = []
    for session_id, (_, draft) in zip(ids, ordered, strict=True):
        if draft.end < draft.start:
            raise ScheduleError(
                f"{draft.where}: {draft.title!r} ends at {draft.end.isoformat()}, "
                f"before its start {draft.start.isoformat()}"
            )
        sessions.append(
            Session(
                id=session_id,
                title=draft.title,
                start=draft.start.astimezone(UTC),
                end=draft.end.astimezone(UTC),
                room=draft.room,
                track=draft.track,
                description=draft.description,
                proposers=draft.proposers,
                proposals=draft.proposals,
                links=draft.links,
                uid=draft.uid,
            )
        )
    zone(timezone, source=source)
    try:
        return Schedule(name=name, timezone=timezone, sessions=tuple(sessions))
    except ValueError as exc:
        raise ScheduleError(f"{source}: {exc}") from None
