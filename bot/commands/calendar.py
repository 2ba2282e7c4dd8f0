"""`/nova calendar` and `/nova calendar reset`: a personal calendar feed to subscribe to.

The answer carries the person's private feed URL; only its SHA-256 is stored, so the URL
is shown once, when it is made. Asking again says so; `reset` makes a new URL and the old
one stops working (for a URL that leaked or got lost). Never shareable in a channel.
"""

from __future__ import annotations

from bot.calendar_feed import feed_url, webcal_url
from bot.commands.registry import Registry, Request
from bot.core.message import Message
from bot.render.blocks import note, section

SUBSCRIBE_HOWTO = (
    "To subscribe: Google Calendar → Other calendars → + → From URL; "
    "Apple Calendar → File → New Calendar Subscription; "
    "Outlook → Add calendar → Subscribe from web. Paste the https address."
)


def calendar(req: Request) -> Message:
    """The asker's feed URL (made now), or how to get a new one."""
    core = req.core
    cmd = core.settings.command
    if not core.settings.public_url:
        text = (
            "Live calendar feeds are not set up here (an admin sets SUMMIT_BOT_PUBLIC_URL). "
            f"`{cmd} export` sends your bookmarks as a file instead."
        )
        return Message(text=text.replace("`", ""), blocks=(section(text),))
    words = req.args.casefold().split()
    if words not in ([], ["reset"]):
        text = f"Try `{cmd} calendar` for your calendar address, or `{cmd} calendar reset` for a new one."
        return Message(text=text.replace("`", ""), blocks=(section(text),))
    feeds = core.store.calendar
    reset = words == ["reset"]
    if not reset and feeds.has_token(req.user_id):
        text = (
            ":calendar: You already have a calendar address: it was shown when you first asked, "
            "and only a fingerprint of it is kept, so it cannot be shown again. "
            f"Lost it? `{cmd} calendar reset` makes a new one (the old one stops working)."
        )
        return Message(
            text=text.replace("`", "").replace(":calendar: ", ""), blocks=(section(text),)
        )
    url = feed_url(core.settings, feeds.issue_token(req.user_id, req.at))
    assert url is not None  # public_url is set
    webcal = webcal_url(url)
    intro = (
        "Your new calendar address (the old one no longer works):"
        if reset
        else "Your private calendar address:"
    )
    body = (
        f":calendar: {intro}\n<{url}>\nOr open <{webcal}|this webcal link> in a calendar app.\n"
        "It holds the sessions you bookmark and those of the tracks you follow, and "
        "follows every schedule change. Keep it to yourself: anyone with it sees your picks."
    )
    return Message(
        text=f"{intro} {url} (or {webcal})",
        blocks=(
            section(body),
            note(f"{SUBSCRIBE_HOWTO} `{cmd} calendar reset` replaces the address."),
        ),
    )


def register(registry: Registry) -> None:
    """Add `calendar` to `registry`."""
    registry.add_command(
        "calendar",
        "calendar [reset]",
        "a private calendar address that follows your bookmarks and schedule changes",
        calendar,
    )
