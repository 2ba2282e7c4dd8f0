"""Adversarial schedule and user text: nothing from outside becomes Slack markup anywhere.

A hostile schedule puts mentions (`<!channel>`, `<@U…>`, `<#C…>`), a date token, a link
with a made-up label and `&` escapes into every field; each answer, DM, fallback text,
context line and the console must show them as text.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import fixed_clock
from bot.console.terminal import Console
from bot.core import Core
from bot.core.message import Message, escape, link, links
from bot.core.schedule_source import ScheduleSource
from bot.reload.notices import cancelled_message, moved_message
from bot.reminders.message import reminder_message
from bot.settings import Settings
from bot.store import Store
from schedule.diff import diff_schedules
from schedule.importers import load_schedule_bytes
from schedule.model import Schedule, Session
from tests.factories import local
from tests.support.wiring import make_core

#: Markup a hostile schedule or person writes, none of which may reach Slack as markup.
HOSTILE = (
    "<!channel>",
    "<!here|here>",
    "<!everyone>",
    "<@UEVIL666>",
    "<#CEVIL666|general>",
    "<!subteam^S666|@admins>",
    "<!date^0^{date}|forged date>",
    "<https://evil.example/|Official etherpad>",
    "<mailto:evil@example.org|support>",
)
MARKERS = (
    "<!channel",
    "<!here",
    "<!everyone",
    "<@UEVIL",
    "<#CEVIL",
    "<!subteam",
    "<!date^0^",
    "<mailto:evil",
    "|Official etherpad>",
)
NASTY = " ".join(HOSTILE) + " R&D &amp; co > 1"
AT = local("2013-11-05 11:20")


def hostile_session(number: int, start: str, **fields: object) -> Session:
    """A session every text field of which carries the hostile markup."""
    begin = local(start)
    return Session(
        id=f"evil-{number}",
        title=f"Title {number} {NASTY}",
        start=begin,
        end=begin + timedelta(minutes=40),
        room=f"Room {NASTY}",
        track=f"Track {NASTY}",
        description=f"Description {NASTY}",
        proposers=(f"Mallory {NASTY}", "<@UEVIL666>"),
        links=(
            "!channel",
            "https://evil.example/|Official etherpad",
            "https://etherpad.openstack.org/p/nova&x=<!channel>",
            "javascript:alert(1)",
            "mailto:evil@example.org",
            "https://ok.example/>|<!channel>",
        ),
        **fields,  # type: ignore[arg-type]
    )


def hostile_schedule() -> Schedule:
    """Three overlapping hostile sessions around the test's instant, one schedule name too."""
    return Schedule(
        name=f"Summit {NASTY}",
        timezone="Asia/Hong_Kong",
        sessions=(
            hostile_session(1, "2013-11-05 11:15"),
            hostile_session(2, "2013-11-05 11:30"),
            hostile_session(3, "2013-11-05 13:30"),
        ),
    )


@pytest.fixture
def evil_core(settings: Settings, sqlite_store: Store) -> Core:
    """The core serving the hostile schedule; U1 has bookmarked every session."""
    core = make_core(
        dataclasses.replace(settings, admin_user_ids=frozenset({"UADMIN"})),
        sqlite_store,
        ScheduleSource(hostile_schedule()),
    )
    for session in core.index.sessions:
        sqlite_store.bookmarks.add([("U1", session.id)], AT - timedelta(days=1))
    return core


def everything(message: Message) -> str:
    """The whole message as Slack gets it."""
    return json.dumps(message.to_dict(), ensure_ascii=False)


def mrkdwn_and_fallback(message: Message) -> list[str]:
    """The fallback text and every mrkdwn text of the message (plain_text is not parsed)."""
    found = [message.text]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(str(node.get("text", "")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.block_dicts())
    return found


def assert_inert(message: Message) -> None:
    """No hostile markup survives in the fallback text or any mrkdwn text."""
    for text in mrkdwn_and_fallback(message):
        for marker in MARKERS:
            assert marker not in text, (marker, text[:300])


@pytest.mark.parametrize(
    "question",
    [
        "now",
        "next",
        "today",
        "tuesday",
        "2013-11-05",
        "search title",
        "search <!channel>",
        "show evil-1",
        "show evil-2",
        "mine",
        "reminders",
        "follow",
        "follow <!channel>",
        "unfollow <@UEVIL666>",
        "help",
        "<!channel>",
        "<@UEVIL666> please",
        "share <!channel>",
        "share show evil-1",
        "share now",
        "share mine",
        "show <#CEVIL666|general>",
        "remind <!channel>",
        "export",
        "reload <!channel>",
    ],
)
def test_every_answer_keeps_hostile_text_inert(evil_core: Core, question: str) -> None:
    """Each subcommand over the hostile schedule, asked with hostile words, writes no markup."""
    for user in ("U1", "UADMIN"):
        assert_inert(evil_core.answer(f"/nova {question}", user, AT))


def test_share_of_a_channel_mention_posts_no_mention(core: Core) -> None:
    """`/nova share <!channel>` no longer posts `I don't know '<!channel>'` to the channel."""
    message = core.answer("/nova share <!channel>", "U1", AT)
    assert message.in_channel
    assert "<!channel>" not in everything(message)
    assert "&lt;!channel&gt;" in message.text


def test_share_line_writes_a_mention_only_for_a_user_id(core: Core) -> None:
    """The "Shared by" mention is made from a Slack user id, anything else is text."""
    assert "<@U1ABC>" in everything(core.answer("/nova share now", "U1ABC", AT))
    odd = core.answer("/nova share now", "<!channel>", AT)
    assert "<!channel>" not in everything(odd)


def test_link_with_a_made_up_label_gets_the_bots_label() -> None:
    """`https://evil.example/|Official etherpad` is one link labelled with its host."""
    made = link("https://evil.example/|Official etherpad")
    assert made == "<https://evil.example/%7COfficial%20etherpad|evil.example>"


@pytest.mark.parametrize(
    "url",
    [
        "!channel",
        "javascript:alert(1)",
        "mailto:a@b.org",
        "data:text/html,x",
        "ftp://x.org/",
        "//x",
    ],
)
def test_links_other_than_http_are_dropped(url: str) -> None:
    """Only http(s) links are written; `URL:!channel` makes no `<!channel>`."""
    assert link(url) is None
    assert links([url]) == ""


def test_link_cannot_be_closed_early() -> None:
    """A `>`, `<` or `|` inside a URL is percent-encoded, `&` escaped."""
    made = link("https://ok.example/a>b|c<!channel>&d")
    assert made is not None
    assert made.count("<") == 1
    assert made.count(">") == 1
    assert made.count("|") == 1
    assert "&amp;d" in made


def test_ical_url_channel_shared_posts_no_mention(settings: Settings, sqlite_store: Store) -> None:
    """An iCalendar `URL:!channel` shared with `/nova share show …` puts no `<!channel>` out."""
    ics = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-TIMEZONE:Asia/Hong_Kong\r\n"
        b"BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Talk <!here>\r\nLOCATION:<#C1|x>\r\n"
        b"DTSTART:20131105T111500\r\nDTEND:20131105T115500\r\nURL:!channel\r\n"
        b"DESCRIPTION:see <!everyone> https://evil.example/|Official etherpad\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    schedule = load_schedule_bytes(ics, source="evil.ics")
    core = make_core(settings, sqlite_store, ScheduleSource(schedule))
    [session] = schedule.sessions
    message = core.answer(f"/nova share show {session.id}", "U1", AT)
    text = "\n".join(mrkdwn_and_fallback(message))  # plain_text (the header) is never parsed
    for marker in ("<!channel>", "<!here>", "<#C1", "<!everyone>", "|Official etherpad>"):
        assert marker not in text
    assert "<!channel>" not in everything(message)


def test_reminder_and_change_dms_keep_hostile_text_inert(evil_core: Core) -> None:
    """The reminder DM and the moved/cancelled notices escape the schedule's text too."""
    old = evil_core.index.schedule
    first = old.sessions[0]
    assert_inert(reminder_message(evil_core, "U1", first, AT - timedelta(minutes=10)))
    later = dataclasses.replace(
        first,
        start=first.start + timedelta(hours=2),
        end=first.end + timedelta(hours=2),
        room="Elsewhere <!channel>",
    )
    new = dataclasses.replace(old, sessions=(later, *old.sessions[1:2]))
    diff = diff_schedules(old, new)
    zone = old.zone
    [change] = diff.changed
    assert_inert(
        moved_message(change, zone, list(old.sessions[1:]), "You bookmarked this session.")
    )
    [gone] = diff.removed
    assert_inert(cancelled_message(gone, zone, "You bookmarked this session."))


def test_bookmark_buttons_keep_hostile_text_inert(evil_core: Core) -> None:
    """The notices after a click (bookmark, show more, unknown button) are inert too."""
    value = json.dumps({"id": "evil-1", "q": "show evil-1", "p": 0})
    for action_id in ("bookmark", "unbookmark", "show_more", "<!channel>"):
        result = evil_core.act(action_id, value, "U2", AT)
        for message in (result.notice, result.update):
            if message is not None:
                assert_inert(message)


def test_reload_outcome_lists_hostile_titles_inert(evil_core: Core, tmp_path: Path) -> None:
    """An admin's reload answer lists moved sessions with their titles escaped."""
    from bot.commands.admin import outcome_message
    from bot.reload import Reloader

    old = evil_core.index.schedule
    moved = [
        dataclasses.replace(s, start=s.start + timedelta(hours=1), end=s.end + timedelta(hours=1))
        for s in old.sessions
    ]
    reloader = Reloader(evil_core.settings, evil_core.store, evil_core.schedules, background=False)
    outcome = reloader.apply(dataclasses.replace(old, sessions=tuple(moved)), "<!channel>", AT)
    assert_inert(outcome_message(outcome))


def test_home_tab_keeps_hostile_text_inert(evil_core: Core) -> None:
    """The App Home ("my summit") escapes the schedule's name and sessions."""
    from bot.views.home import home_view

    assert_inert(home_view(evil_core, "U1", AT))


def test_help_usage_strings_are_escaped(core: Core) -> None:
    """Help writes `<subcommand>` and `<id>` as text, not as Slack markup."""
    text = "\n".join(mrkdwn_and_fallback(core.answer("/nova help", "U1", AT)))
    assert "<subcommand>" not in text
    assert "share &lt;subcommand&gt;" in text
    assert "<weekday or date>" not in text


def test_unknown_subcommand_fallback_text_is_escaped(core: Core) -> None:
    """The fallback text for unknown input quotes it escaped."""
    message = core.answer("/nova <@U999> & <#C1>", "U1", AT)
    assert "<@U999>" not in message.text
    assert "&lt;@U999&gt; &amp; &lt;#C1&gt;" in message.text


def test_console_shows_hostile_text_as_text(evil_core: Core) -> None:
    """The console shows the markup as typed (readable) and control characters escaped."""
    first = evil_core.index.sessions[0]
    sneaky = dataclasses.replace(first, title="Clear \x1b[2J\x1b[H screen\rover \u202etxt.exe")
    evil_core.schedules.replace(
        dataclasses.replace(
            evil_core.index.schedule, sessions=(sneaky, *evil_core.index.sessions[1:])
        )
    )
    console = Console(evil_core, fixed_clock(AT), "U1")
    shown = console.exec_command("/nova show evil-1") + console.exec_command("/nova mine")
    assert "\x1b" not in shown
    assert "\r" not in shown
    assert "\u202e" not in shown
    assert "\\x1b[2J" in shown
    assert "<!channel>" in shown  # the console is a terminal: the text reads as written
    assert "&lt;" not in shown
    plain_answer = console.exec_command("/nova search <nothing & such>")
    assert "<nothing & such>" in plain_answer


def test_escape_is_the_one_mrkdwn_escaping() -> None:
    """`&`, `<` and `>` are escaped, `&` first so nothing is escaped twice over."""
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert escape("&lt;") == "&amp;lt;"
