"""The console front end: the same core as Slack, typed at a prompt and rendered as text.

- `terminal`: `Console`, the read-answer loop
- `render_text`: a message's blocks as plain text with numbered buttons
"""
