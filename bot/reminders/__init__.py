"""Reminders: a DM before each bookmarked session, on time and exactly once.

`planner` keeps the reminder rows of the outbox in line with what people want, `engine`
runs the outbox's one sender (APScheduler triggers; the database decides), `message` is the
DM itself; `bot.outbox.messenger` is how it travels (Slack's is `bot.edge.slack.SlackMessenger`).
Each is imported from its own module: a process that sends nothing (`ask`) loads no engine.
"""
