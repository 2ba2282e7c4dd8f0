"""Deciding reminders, pure: inputs → plan, without a database (the apply step is tested apart)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.reminders.planner import GIVE_UP_AFTER, PlanInputs, decide_reminders, reminder_window
from bot.storage.outbox import (
    DISMISSED,
    NewItem,
    OutboxItem,
    OutboxKind,
    OutboxStatus,
    Retime,
    reminder_key,
)
from bot.store import Preferences
from schedule.model import Session
from tests.factories import local, session

KEYNOTE = session("keynote", "2013-11-05 11:15", title="Nova Keynote")
AT = local("2013-11-05 10:30")


def row(
    status: OutboxStatus,
    start: datetime = KEYNOTE.start,
    due: datetime | None = None,
    *,
    id: int = 1,
    user: str = "U1",
    error: str | None = None,
) -> OutboxItem:
    """An existing reminder row of `user` for the keynote."""
    due = due or start - timedelta(minutes=10)
    return OutboxItem(
        id=id,
        kind=OutboxKind.REMINDER,
        key=reminder_key(user, "keynote", start),
        recipient=user,
        session_id="keynote",
        starts_at=start,
        not_before=due,
        due_at=due,
        give_up_at=start + GIVE_UP_AFTER,
        status=status,
        attempts=0,
        uncertain=False,
        claimed_by=None,
        lease_until=None,
        slot_at=None,
        retry_at=None,
        sent_at=None,
        channel_id=None,
        message_ts=None,
        payload=None,
        error=error,
    )


def inputs(
    *existing: OutboxItem,
    wanted: frozenset[tuple[str, str]] = frozenset({("U1", "keynote")}),
    lead: int | None = None,
    enabled: bool = True,
    sessions: tuple[Session, ...] = (KEYNOTE,),
) -> PlanInputs:
    """U1 wants the keynote (unless told otherwise), with the bot's default lead of 10 min."""
    return PlanInputs(
        wanted=wanted,
        sessions={s.id: s for s in sessions},
        preferences={"U1": Preferences("U1", lead_minutes=lead, reminders_enabled=enabled)},
        existing=existing,
        default_lead=10,
    )


def test_a_new_wish_is_a_new_row_due_at_the_lead_time() -> None:
    """A bookmark with no reminder yet plans one due ten minutes before, given up five minutes in."""
    plan = decide_reminders(inputs(), AT)
    [new] = plan.new
    assert new == NewItem(
        kind=OutboxKind.REMINDER,
        key=reminder_key("U1", "keynote", KEYNOTE.start),
        recipient="U1",
        not_before=local("2013-11-05 11:05"),
        due_at=local("2013-11-05 11:05"),
        give_up_at=local("2013-11-05 11:20"),
        session_id="keynote",
        starts_at=KEYNOTE.start,
    )
    assert (plan.retime, plan.cancel, plan.planned) == ((), (), (("U1", "keynote"),))


def test_planning_what_is_already_planned_decides_nothing() -> None:
    """A pending row at the right time: an empty plan."""
    plan = decide_reminders(inputs(row(OutboxStatus.PENDING)), AT)
    assert (plan.new, plan.retime, plan.cancel, plan.too_late) == ((), (), (), ())


def test_a_new_lead_time_retimes_the_pending_row() -> None:
    """Five minutes instead of ten moves the pending row, keeping its id."""
    plan = decide_reminders(inputs(row(OutboxStatus.PENDING), lead=5), AT)
    due = local("2013-11-05 11:10")
    assert plan.retime == (Retime(1, due, due, local("2013-11-05 11:20")),)


def test_lead_zero_is_due_as_the_session_starts() -> None:
    """`remind 0`: due at the start itself, and still sent within its first five minutes."""
    [new] = decide_reminders(inputs(lead=0), AT).new
    assert new.due_at == new.not_before == KEYNOTE.start
    window = reminder_window(KEYNOTE.start, 0)
    assert window.give_up - window.due == timedelta(minutes=5)


def test_unwanted_pending_rows_are_cancelled_and_done_ones_kept() -> None:
    """Rows no longer wanted are cancelled if pending; sent, claimed and missed ones stay."""
    existing = (
        row(OutboxStatus.PENDING, id=1),
        row(OutboxStatus.SENT, id=2, user="U2"),
        row(OutboxStatus.CLAIMED, id=3, user="U3"),
    )
    plan = decide_reminders(inputs(*existing, wanted=frozenset()), AT)
    assert plan.cancel == (1,)


def test_reminders_off_or_session_gone_cancel() -> None:
    """Reminders turned off, or the session removed: the pending row is cancelled."""
    assert decide_reminders(inputs(row(OutboxStatus.PENDING), enabled=False), AT).cancel == (1,)
    assert decide_reminders(inputs(row(OutboxStatus.PENDING), sessions=()), AT).cancel == (1,)


MOVED = replace(KEYNOTE, start=local("2013-11-05 13:30"), end=local("2013-11-05 14:10"))


def test_a_moved_session_moves_its_pending_row_to_the_new_start_key() -> None:
    """The old start's pending, never-tried row moves to the new start's key and window."""
    plan = decide_reminders(inputs(row(OutboxStatus.PENDING), sessions=(MOVED,)), AT)
    due = local("2013-11-05 13:20")
    assert (plan.new, plan.cancel) == ((), ())
    assert plan.retime == (
        Retime(
            1,
            due,
            due,
            MOVED.start + GIVE_UP_AFTER,
            key=reminder_key("U1", "keynote", MOVED.start),
            starts_at=MOVED.start,
        ),
    )
    assert plan.planned == (("U1", "keynote"),)


def test_a_tried_or_uncertain_row_keeps_its_key_when_its_session_moves() -> None:
    """A row tried before (read back by its key) is cancelled and a new row queued, as before."""
    for tried in (
        replace(row(OutboxStatus.PENDING), attempts=1),
        replace(row(OutboxStatus.PENDING), attempts=1, uncertain=True),
    ):
        plan = decide_reminders(inputs(tried, sessions=(MOVED,)), AT)
        assert (plan.retime, plan.cancel) == ((), (1,))
        [new] = plan.new
        assert (new.key, new.due_at) == (
            reminder_key("U1", "keynote", MOVED.start),
            local("2013-11-05 13:20"),
        )


def test_only_a_pending_row_moves_with_its_session() -> None:
    """A sent, missed, failed, claimed or cancelled row stays; the new start gets a new row."""
    for status in (
        OutboxStatus.SENT,
        OutboxStatus.MISSED,
        OutboxStatus.FAILED,
        OutboxStatus.CLAIMED,
        OutboxStatus.CANCELLED,
    ):
        plan = decide_reminders(inputs(row(status), sessions=(MOVED,)), AT)
        assert (plan.retime, plan.cancel) == ((), ())
        assert [n.key for n in plan.new] == [reminder_key("U1", "keynote", MOVED.start)]


def test_moved_earlier_past_its_moment_is_due_at_once() -> None:
    """A session moved so its moment has passed, while its reminder was coming: due now."""
    now = local("2013-11-05 11:10")
    plan = decide_reminders(inputs(row(OutboxStatus.PENDING, due=local("2013-11-05 11:30"))), now)
    assert [r.due_at for r in plan.retime] == [now]


def test_a_new_wish_after_its_moment_is_too_late_and_says_so() -> None:
    """Bookmarking within the lead time plans nothing and is reported too late."""
    plan = decide_reminders(inputs(), local("2013-11-05 11:08"))
    assert (plan.new, plan.too_late) == ((), (("U1", "keynote"),))


def test_nothing_is_planned_once_the_session_ran_five_minutes() -> None:
    """Past giving up, nothing is written and nobody is told it is too late."""
    plan = decide_reminders(inputs(), local("2013-11-05 11:20"))
    assert (plan.new, plan.retime, plan.too_late) == ((), (), ())


def test_dismissed_stays_cancelled_unless_renewed() -> None:
    """A reminder the person cancelled is revived only when they bookmark the session anew."""
    dismissed = row(OutboxStatus.CANCELLED, error=DISMISSED)
    assert decide_reminders(inputs(dismissed), AT).retime == ()
    [revived] = decide_reminders(inputs(dismissed), AT, renew=True).retime
    assert revived.revive
