"""The Slack front end's wiring beside `bot.handlers`: the Bolt app and its two transports.

- `app`: `build_app(settings, runtime)`, the only module that imports `bot.handlers`
- `socket_mode` (`summit-bot run`) and `http_server` (`summit-bot serve --http`)

The clients that reach Slack outside a listener (DMs, response URLs) are in `bot.edge`.
"""
