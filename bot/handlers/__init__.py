"""Slack listeners, one module per concern, each with `register(app, runtime)`.

- `zones`: the person's time zone (users.info, cached in the store), checked after the ack
- `slash`: the slash command, answered at its response_url
- `actions`: every button of the core's action registry
- `home`: the App Home tab
- `replies`: running the core off the event loop, and the answer when that fails
"""
