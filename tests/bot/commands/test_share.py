"""`share`: whatever is shared holds only what is true for everyone in the channel."""

from __future__ import annotations

import json

import pytest

from bot.core import Core
from tests.factories import local

AT = local("2013-11-05 11:20")
SHAREABLE = (
    "now",
    "next",
    "today",
    "tomorrow",
    "thursday",
    "day 2013-11-08",
    "search scheduler",
    "show conductor-tasks-next-steps",
    "mine",
)
PERSONAL_MARKS = ("your time", "Bookmarked ✓", '"unbookmark"', '"Remove"', "overlaps your")


@pytest.fixture
def sharer(core: Core) -> str:
    """Someone in Paris with bookmarks: their own answers show their zone and bookmark marks."""
    core.store.people.set_timezone("U1", "Europe/Paris", AT)
    for session_id in (
        "conductor-tasks-next-steps",
        "instance-tasks-in-api",
        "vmware-driver-roadmap-for-icehouse",
    ):
        core.store.bookmarks.add([("U1", session_id)], AT)
    return "U1"


@pytest.mark.parametrize("words", SHAREABLE)
def test_no_shared_answer_carries_the_sharers_state(core: Core, sharer: str, words: str) -> None:
    """Each shareable answer goes to the channel without the sharer's zone, marks or buttons."""
    own = json.dumps(core.answer(words, sharer, AT).to_dict(), ensure_ascii=False)
    shared = core.answer(f"share {words}", sharer, AT)
    body = json.dumps(shared.to_dict(), ensure_ascii=False)
    assert shared.in_channel
    for mark in PERSONAL_MARKS:
        assert mark not in body, (words, mark)
        assert mark not in shared.text, (words, mark)
    assert "<!date^" in body, words
    if '"bookmark"' in own or '"unbookmark"' in own:
        assert '"bookmark_toggle"' in body, words


@pytest.mark.parametrize(
    "words", ["remind 5", "reminders", "follow", "unfollow", "export", "reload"]
)
def test_personal_answers_are_not_shared(core: Core, sharer: str, words: str) -> None:
    """Settings and files of one person are never posted in a channel, nor acted on."""
    answer = core.answer(f"share {words}", sharer, AT)
    assert not answer.in_channel
    assert "cannot be shared" in answer.text
    assert core.store.follows.tracks_of(sharer) == frozenset()
    assert not answer.attachments
