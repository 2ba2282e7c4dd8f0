"""Reminders: a DM before each bookmarked session, on time and exactly once.

`planner` keeps the deliveries in the store in line with what people want, `engine`
sends them (APScheduler triggers; the database decides), `message` is the DM itself and
`messenger` how it travels (Slack's is `bot.slack_edge.SlackMessenger`).
"""

from __future__ import annotations

from bot.outbox.messenger import ConsoleMessenger, Messenger, PermanentError, TransientError
from bot.reminders.engine import ReminderEngine, default_worker_id, start_engine
from bot.reminders.message import REMOVE_BOOKMARK, reminder_message
from bot.reminders.planner import (
    PlanResult,
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
    "TransientError",
    "bookmarked",
    "default_worker_id",
    "followed",
    "install_planning",
    "plan_reminders",
    "reminder_message",
    "start_engine",
]
