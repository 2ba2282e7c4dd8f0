"""Rendering shared by every answer: Block Kit pieces and the words of times, counts and pages.

- `blocks`: sessions and their buttons as Block Kit blocks
- `words`: one home for `when`, `plural` and paging
"""
