"""Slack listeners, one module per concern, each with `register(app, deps)`."""
