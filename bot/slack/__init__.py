"""The Slack front end's wiring beside `bot.handlers`: the Bolt app, its transports, the client edge.

- `app`: `build_app(settings, runtime)`, the only module that imports `bot.handlers`
- `socket_mode` (`summit-bot run`) and `http_server` (`summit-bot serve --http`)
- `edge`: the one Slack Web API client outside the handlers (reminder and change DMs)
- `responses`: posting answers to Slack's response URLs over one keep-alive session
"""
