"""The channel board: one "now & next" message in `SUMMIT_BOT_ANNOUNCE_CHANNEL`.

The message is posted once and then edited in place (`chat.update`) at every instant the
board's content changes (`schedule.board.board_changes`: each session's start and end),
never re-posted per slot. This module is the pure part: the message at an instant and the
edits a schedule calls for, and their rows in the outbox (`plan_board`), which sends them
within the workspace's budget, exactly once across replicas: the post with
chat.postMessage, each later version with chat.update of that post.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.core import Core
from bot.core.message import Block, Message, escape
from bot.render.blocks import header, note, section
from bot.render.words import clock_time, day_label, zone_label
from bot.storage.records import NewItem, OutboxKind, OutboxStatus
from bot.store import Store
from schedule.board import Board, board_at, board_changes
from schedule.index import ScheduleIndex
from schedule.model import Session

log = logging.getLogger(__name__)

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
    """The version of the board showing at `since`, then one per later change instant.

    Each version is dated by the change instant it starts at (the one showing at `since`
    too, so every replica dates it alike; before the summit's first change, `since`). An
    instant whose content equals the previous version's is left out.
    """
    changes = board_changes(index)
    current = max((t for t in changes if t <= since), default=since)
    edits: list[BoardEdit] = []
    for at in (current, *(t for t in changes if t > since)):
        board = board_at(index, at)
        if edits and edits[-1].key == board.key:
            continue
        edits.append(BoardEdit(at=at, key=board.key, message=board_message(board, index)))
    return edits


@dataclass(frozen=True, slots=True)
class BoardItem:
    """One message the outbox should deliver for the board: the post or an edit of it.

    `key` is unique per channel and content, so every replica planning the same schedule
    plans the same keys and the outbox keeps one row each (exactly once). `edit_of` is
    the key of the post whose message an edit replaces (`chat.update`); None for the post.
    """

    key: str
    channel: str
    not_before: datetime
    message: Message
    edit_of: str | None


def post_key(channel: str) -> str:
    """The key of the board's one post in `channel` (every later version is an edit of it)."""
    return f"board:{channel}:post"


def board_items(channel: str, index: ScheduleIndex, since: datetime) -> list[BoardItem]:
    """What the outbox should send from `since` on: the post (first), then one edit per change.

    The post's key never changes, so a board already posted is only ever edited. An edit's
    key holds its instant and a digest of its content: a reload that changes what a future
    version shows plans a new key, and the old one can be cancelled by key.
    """
    first = post_key(channel)
    edits = board_edits(index, since)
    changes = set(board_changes(index))
    # The post shows the version at `since`; that version is planned as an edit too, for a
    # board another process posted earlier (the outbox keeps one row per key).
    items = [BoardItem(first, channel, since, edits[0].message, None)]
    for edit in edits:
        digest = hashlib.sha256(edit.key.encode("utf-8")).hexdigest()[:16]
        # Before the summit's first change the version is "before" on every replica.
        stamp = edit.at.isoformat() if edit.at in changes else "before"
        key = f"board:{channel}:{stamp}:{digest}"
        items.append(BoardItem(key, channel, edit.at, edit.message, first))
    return items


#: How long after the summit's last session the board's last version may still go out.
LAST_VERSION_GRACE = timedelta(days=1)


def board_rows(channel: str, index: ScheduleIndex, since: datetime) -> list[NewItem]:
    """The outbox rows of the board from `since`: the post, then each version's edit.

    A version gives up when the next one is due, so after downtime only the current one
    goes out; the post and the last version wait up to a day after the summit.
    """
    items = board_items(channel, index, since)
    last = max(index.ends_at or since, since) + LAST_VERSION_GRACE
    rows: list[NewItem] = []
    for number, item in enumerate(items):
        following = items[number + 1].not_before if 1 <= number < len(items) - 1 else last
        payload = {**item.message.to_dict(), "edit_of": item.edit_of}
        rows.append(
            NewItem(
                kind=OutboxKind.BOARD,
                key=item.key,
                recipient=channel,
                not_before=item.not_before,
                due_at=item.not_before,
                give_up_at=max(following, item.not_before + timedelta(seconds=1)),
                payload=json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
            )
        )
    return rows


def plan_board(store: Store, channel: str, index: ScheduleIndex, at: datetime) -> int:
    """Queue the board's post and versions from `at`; cancel versions the schedule dropped.

    Every replica may plan at once: rows are keyed, so the outbox holds each once. Returns
    how many rows were new.
    """
    rows = board_rows(channel, index, at)
    wanted = {row.key for row in rows}
    pending = store.outbox.items(
        kind=OutboxKind.BOARD, statuses=[OutboxStatus.PENDING], recipient=channel
    )
    dropped = [item.id for item in pending if item.key not in wanted]
    if dropped:
        store.outbox.cancel(dropped, at, "the schedule changed")
    return store.outbox.enqueue(rows, at)


def install_board(core: Core, clock: Clock) -> bool:
    """Keep the board of `SUMMIT_BOT_ANNOUNCE_CHANNEL` planned: now and after every reload.

    Returns False (and does nothing) when no channel is configured.
    """
    channel = core.settings.announce_channel
    if not channel:
        return False

    def plan(index: ScheduleIndex) -> None:
        try:
            plan_board(core.store, channel, index, clock.now())
        except Exception:
            log.exception("could not plan the channel board")

    plan(core.index)
    core.schedules.subscribe(lambda _old, new: plan(new))
    return True
