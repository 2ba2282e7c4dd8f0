"""Slack listeners, one module per concern, each with `register(app, runtime)`.

- `zones`: the person's time zone (users.info, kept in the store), refreshed in the background
- `slash`: the slash command, answered in the ack (or at its response_url when slow)
- `actions`: every button of the core's action registry, carried out after the ack
- `home`: the App Home tab
- `replies`: running the core off the event loop, and the answer when that fails

Work carried on after an acknowledgement, and the bound on work in flight, are the
runtime's `Answering` (`bot.edge.answering`).
"""
