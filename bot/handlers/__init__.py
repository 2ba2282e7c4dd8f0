"""Slack listeners, one module per concern, each with `register(app, runtime)`.

- `zones`: the person's time zone (users.info, kept in the store), refreshed in the background
- `slash`: the slash command, answered in the ack (or at its response_url when slow)
- `actions`: every button of the core's action registry, carried out after the ack
- `home`: the App Home tab
- `replies`: the core off the event loop, work after the ack, the bound on work in flight
"""
