"""The clients by which the bot reaches Slack outside a request's listener.

- `slack`: `SlackMessenger`, the one Slack Web API client outside the handlers (the
  reminder and change DMs), with its error classification
- `responses`: `ResponseSender`, posting answers to Slack's response URLs over one session
- `answering`: `Answering`, the answer budget, work after the ack and the bound in flight

The runtime builds them and hands them to the parts that send; nothing here imports a
front end, so the runtime can own them without depending on `bot.slack`.
"""
