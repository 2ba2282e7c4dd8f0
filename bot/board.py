"""The channel board: one "now & next" message in `SUMMIT_BOT_ANNOUNCE_CHANNEL`.

The message is posted once and then edited in place (`chat.update`) at every instant the
board's content changes (`schedule.board.board_changes`: each session's start and end),
never re-posted per slot. This module is the pure part: the message at an instant and the
edits a schedule calls for. Sending goes through the outbox (exactly once across
replicas); see the report of issue 13 for the state of that wiring.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from slack_sdk.models.blocks import Block

from bot.message import Message, escape
from bot.render import clock_time, day_label, header, note, section, zone_label
from schedule.board import Board, board_at, board_changes
from schedule.index import ScheduleIndex
from schedule.model import Session

#: The board's header line.
TITLE = "Now & next"


@dataclass(frozen=True, slots=True)
class BoardEdit:
    """One version of the board message: from `at` on it shows `message` (key: its content)."""

    at: datetime
    key: str
    message: Message


def _line(session: Session, index: ScheduleIndex) -> str:
    zone = index.schedule.zone
    span = f"{clock_time(session.start, zone)}–{clock_time(session.end, zone)}"
    room = f" · {escape(session.room)}" if session.room.strip() else ""
    return f"• *{escape(session.title)}* — {span}{room}"


def _plain(session: Session, index: ScheduleIndex) -> str:
    zone = index.schedule.zone
    span = f"{clock_time(session.start, zone)}–{clock_time(session.end, zone)}"
    room = f" ({session.room})" if session.room.strip() else ""
    return f"{session.title} {span}{room}"


def board_message(board: Board, index: ScheduleIndex) -> Message:
    """The board as a Slack message: blocks with every schedule text escaped, and a fallback."""
    zone = index.schedule.zone
    if board.over:
        now_text = "The summit is over. Thank you for coming!"
    elif not board.started:
        now_text = "Not started yet."
    else:
        now_text = "\n".join(_line(s, index) for s in board.now) or "Nothing on right now."
    if board.next:
        start = board.next[0].start
        next_title = f"*Next · {day_label(start, zone)} {clock_time(start, zone)}*"
        next_text = "\n".join(_line(s, index) for s in board.next)
    else:
        next_title, next_text = "*Next*", "Nothing more is scheduled."
    blocks: tuple[Block, ...] = (
        header(f"{TITLE} · {index.schedule.name}"),
        section(f"*Now*\n{now_text}"),
        section(f"{next_title}\n{next_text}"),
        note(
            f"As of {day_label(board.at, zone)} {clock_time(board.at, zone)} "
            f"{zone_label(board.at, zone)}; this message is updated as sessions start and end."
        ),
    )
    now_plain = "; ".join(_plain(s, index) for s in board.now) or "nothing"
    next_plain = "; ".join(_plain(s, index) for s in board.next) or "nothing"
    return Message(text=f"{TITLE}: now {now_plain}. Next: {next_plain}.", blocks=blocks)


def board_edits(index: ScheduleIndex, since: datetime) -> list[BoardEdit]:
    """The board's first version at `since`, then one edit per later change instant.

    An instant whose content equals the previous version's (which cannot happen with
    `board_changes`, but may after a reload) is left out, so each edit changes something.
    """
    instants = [since, *(t for t in board_changes(index) if t > since)]
    edits: list[BoardEdit] = []
    for at in instants:
        board = board_at(index, at)
        if edits and edits[-1].key == board.key:
            continue
        edits.append(BoardEdit(at=at, key=board.key, message=board_message(board, index)))
    return edits
