from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.render.words import clock_label, page_of, plural, when
from tests.factories import local

HONG_KONG = ZoneInfo("Asia/Hong_Kong")


@pytest.mark.parametrize(
    ("count", "noun", "many", "expected"),
    [
        (0, "session", None, "0 sessions"),
        (1, "session", None, "1 session"),
        (2, "reminder", None, "2 reminders"),
        (1, "person", "people", "1 person"),
        (20, "person", "people", "20 people"),
    ],
)
def test_plural_is_singular_only_for_one(
    count: int, noun: str, many: str | None, expected: str
) -> None:
    """A count reads "1 session" but "0 sessions" and "20 people"."""
    assert plural(count, noun, many) == expected


def test_when_and_clock_label_speak_in_the_zone() -> None:
    """An instant reads as the summit's day, time and zone name."""
    instant = local("2013-11-07 14:45")
    assert clock_label(instant, HONG_KONG) == "14:45 HKT"
    assert when(instant, HONG_KONG) == "Thu 7 Nov at 14:45 HKT"
    assert when(instant, ZoneInfo("UTC")) == "Thu 7 Nov at 06:45 UTC"


@pytest.mark.parametrize("size", [1, 3, 10, 12])
def test_pages_cover_every_item_once(size: int) -> None:
    """Walking the pages until nothing remains shows every item exactly once, in order."""
    items = list(range(23))
    seen: list[int] = []
    page = 0
    while True:
        shown, remaining = page_of(items, page, size)
        assert len(shown) <= size
        seen += shown
        assert remaining == len(items) - len(seen)
        if remaining == 0:
            break
        page += 1
    assert seen == items
    assert page_of(items, page + 1, size) == ([], 0)
