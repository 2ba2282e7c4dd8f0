"""summit-bot: the Slack schedule companion of a conference."""
