"""Reminders: a DM before each bookmarked session, on time and exactly once.

`planner` keeps the reminder rows of the outbox in line with what people want, `engine`
runs the outbox's one sender (APScheduler triggers; the database decides), `message` is the
DM itself; `bot.outbox.messenger` is how it travels (Slack's is `bot.edge.slack.SlackMessenger`).
"""

from __future__ import annotations

from bot.outbox.messenger import ConsoleMessenger, Messenger, PermanentError, TransientError
from bot.reminders.engine import ReminderEngine, default_worker_id, new_scheduler
from bot.reminders.message import REMOVE_BOOKMARK, reminder_message
from bot.reminders.planner import (
    PlanResult,
    ReminderPlanner,
    bookmarked,
    followed,
    install_planning,
    plan_reminders,
)

__all__ = [
    "REMOVE_BOOKMARK",
    "ConsoleMessenger",
    "Messenger",
    "PermanentError",
    "PlanResult",
    "ReminderEngine",
    "ReminderPlanner",
    "TransientError",
    "bookmarked",
    "default_worker_id",
    "followed",
    "install_planning",
    "new_scheduler",
    "plan_reminders",
    "reminder_message",
]
