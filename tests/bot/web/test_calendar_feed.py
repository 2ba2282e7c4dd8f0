"""The live calendar feed: `/nova calendar`, `GET /calendar/<token>.ics`, SEQUENCE and ETag."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
import vobject
from sqlalchemy import create_engine, text

from bot.storage.calendar_feed import TOKEN_LENGTH, token_digest
from bot.web.calendar import MAX_IF_NONE_MATCH, etag_matches
from schedule.model import Session
from tests.bot.web.conftest import PUBLIC_URL, Site, open_site, summit
from tests.factories import local, schedule

FEED_URL = re.compile(re.escape(PUBLIC_URL) + r"/calendar/([A-Za-z0-9_-]+)\.ics")


def subscribe(site: Site, user_id: str, words: str = "calendar") -> str:
    """Ask `/nova <words>` as `user_id` and return the feed path the answer gives."""
    answer = site.runtime.core.answer(f"/nova {words}", user_id, site.clock.now())
    found = FEED_URL.search(answer.text)
    assert found, answer.text
    return f"/calendar/{found.group(1)}.ics"


def edited(**changes: dict[str, Any]) -> list[Session]:
    """`summit()`'s sessions with the fields of some replaced, by session id."""
    return [replace(s, **changes.get(s.id, {})) for s in summit().sessions]


def parse_both(body: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """The feed's events by UID as read by icalendar and, independently, by vobject."""
    by_icalendar = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}
    parsed = vobject.readOne(body.decode("utf-8"))
    by_vobject = {e.uid.value: e for e in parsed.contents.get("vevent", [])}
    return by_icalendar, by_vobject


def picks(site: Site, user_id: str = "U1") -> None:
    """`user_id` bookmarks a and b and follows the Cinder track."""
    store = site.runtime.core.store
    at = site.clock.now()
    store.bookmarks.add([(user_id, "a")], at)
    store.bookmarks.add([(user_id, "b")], at)
    store.follows.follow(user_id, "Cinder", at)


def test_feed_holds_the_persons_picks_at_the_right_instants(site: Site) -> None:
    """The feed has one event per bookmarked or followed session, at the schedule's instants."""
    picks(site)
    site.runtime.core.store.bookmarks.add([("U2", "c")], site.clock.now())
    reply = site.get(subscribe(site, "U1"))
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/calendar")
    assert reply.headers["etag"].startswith('"')
    ours, theirs = parse_both(reply.body)
    sessions = {s.id: s for s in summit().sessions}
    assert set(ours) == set(theirs) == {"a@summit-bot", "b@summit-bot", "e@summit-bot"}
    for uid, event in ours.items():
        expected = sessions[uid.split("@")[0]]
        assert event.decoded("DTSTART") == expected.start
        assert event.decoded("DTEND") == expected.end
        assert event.decoded("DTSTAMP").tzinfo is not None
        assert int(event["SEQUENCE"]) == 0
        assert str(event["STATUS"]) == "CONFIRMED"
        assert str(event["SUMMARY"]) == expected.title
        other = theirs[uid]
        assert other.dtstart.value == expected.start
        assert other.dtend.value == expected.end
        assert other.summary.value == expected.title
        assert other.location.value == expected.room
    assert b"U1" not in reply.body  # nobody's id, nor anybody else's picks
    assert b"U2" not in reply.body


def test_reload_bumps_sequence_moves_and_cancels_and_changes_the_etag(site: Site) -> None:
    """Moving a and removing b raises both SEQUENCEs, moves a, cancels b and changes the ETag."""
    picks(site)
    path = subscribe(site, "U1")
    before = site.get(path)
    old_etag = before.headers["etag"]
    assert site.get(path, {"If-None-Match": old_etag}).status == 304

    site.clock.set(local("2013-11-04 10:00"))
    later = local("2013-11-05 14:00")
    moved = edited(a={"start": later, "end": later + timedelta(minutes=40)})
    site.reload(schedule(*[s for s in moved if s.id != "b"]))

    after = site.get(path)
    assert after.status == 200
    assert after.headers["etag"] != old_etag
    assert site.get(path, {"If-None-Match": old_etag}).status == 200
    ours, theirs = parse_both(after.body)
    a, b = ours["a@summit-bot"], ours["b@summit-bot"]
    assert a.decoded("DTSTART") == later
    assert theirs["a@summit-bot"].dtstart.value == later
    assert int(a["SEQUENCE"]) == 1
    assert str(b["STATUS"]) == "CANCELLED"
    assert theirs["b@summit-bot"].status.value == "CANCELLED"
    assert int(b["SEQUENCE"]) == 1
    assert int(ours["e@summit-bot"]["SEQUENCE"]) == 0
    assert ours["a@summit-bot"].decoded("DTSTAMP") > ours["e@summit-bot"].decoded("DTSTAMP")
    again = site.get(path, {"If-None-Match": after.headers["etag"]})
    assert again.status == 304
    assert again.body == b""


def test_room_change_bumps_sequence_but_a_new_title_does_not(site: Site) -> None:
    """Only time and room changes raise SEQUENCE; the title still follows the schedule."""
    picks(site)
    path = subscribe(site, "U1")
    site.reload(schedule(*edited(a={"room": "Room 999"}, b={"title": "Instance Tasks, renamed"})))
    ours, _ = parse_both(site.get(path).body)
    assert int(ours["a@summit-bot"]["SEQUENCE"]) == 1
    assert str(ours["a@summit-bot"]["LOCATION"]) == "Room 999"
    assert int(ours["b@summit-bot"]["SEQUENCE"]) == 0
    assert str(ours["b@summit-bot"]["SUMMARY"]) == "Instance Tasks, renamed"


def test_replicas_taking_up_a_reload_raise_sequence_once(
    site: Site, store_url: str, tmp_path: Path
) -> None:
    """A second replica syncing the same reload leaves SEQUENCE at 1, not 2."""
    picks(site)
    path = subscribe(site, "U1")
    other_path = tmp_path / "other.json"
    other_path.write_text(site.path.read_text(encoding="utf-8"), encoding="utf-8")
    for other in open_site(store_url, other_path):
        site.reload(schedule(*edited(a={"room": "Room 301"})))
        assert other.runtime.reloader.sync() is not None
        assert other.runtime.core.index.get("a") is not None
        assert other.runtime.core.index.get("a").room == "Room 301"  # type: ignore[union-attr]
        for replica in (site, other):
            ours, _ = parse_both(replica.get(path).body)
            assert int(ours["a@summit-bot"]["SEQUENCE"]) == 1


def test_renamed_session_keeps_its_uid(site: Site) -> None:
    """A session whose id changed with its title (same slot) keeps its UID and bookmark."""
    picks(site)
    path = subscribe(site, "U1")
    site.reload(schedule(*edited(a={"id": "a-renamed", "title": "Conductor Tasks, next steps"})))
    ours, _ = parse_both(site.get(path).body)
    assert "a@summit-bot" in ours
    assert str(ours["a@summit-bot"]["SUMMARY"]) == "Conductor Tasks, next steps"
    assert "a-renamed@summit-bot" not in ours


def test_cancelled_sessions_stay_until_the_summit_ends(site: Site) -> None:
    """A removed session is listed cancelled while the summit lasts, and gone after it."""
    picks(site)
    path = subscribe(site, "U1")
    site.reload(schedule(*[s for s in summit().sessions if s.id != "b"]))
    assert "b@summit-bot" in parse_both(site.get(path).body)[0]
    site.clock.set(local("2013-11-06 09:39"))
    assert "b@summit-bot" in parse_both(site.get(path).body)[0]
    site.clock.set(local("2013-11-06 09:40"))  # the last session has ended
    ours, theirs = parse_both(site.get(path).body)
    assert set(ours) == set(theirs) == {"a@summit-bot", "e@summit-bot"}


def test_reset_issues_a_new_url_and_the_old_one_is_gone(site: Site) -> None:
    """`/nova calendar reset` gives a new URL; the old one answers 404 from then on."""
    picks(site)
    old = subscribe(site, "U1")
    assert site.get(old).status == 200
    new = subscribe(site, "U1", "calendar reset")
    assert new != old
    assert site.get(old).status == 404
    assert site.get(new).status == 200


def test_asking_again_does_not_show_or_replace_the_url(site: Site) -> None:
    """A second `/nova calendar` explains that only a fingerprint is kept; the URL still works."""
    path = subscribe(site, "U1")
    again = site.runtime.core.answer("/nova calendar", "U1", site.clock.now())
    assert "calendar reset" in again.text
    assert not FEED_URL.search(again.text)
    assert site.get(path).status == 200


def test_answer_has_webcal_form_and_how_to_subscribe(site: Site) -> None:
    """The answer gives the https URL, its webcal:// form and how to subscribe."""
    answer = site.runtime.core.answer("/nova calendar", "U1", site.clock.now())
    url = FEED_URL.search(answer.text)
    assert url
    assert url.group(0).replace("https://", "webcal://") in answer.text
    shown = str(answer.block_dicts())
    for app in ("Google Calendar", "Apple Calendar", "Outlook"):
        assert app in shown
    assert not answer.in_channel


def test_calendar_url_cannot_be_shared(site: Site) -> None:
    """`/nova share calendar` refuses: the address would show the person's picks to all."""
    answer = site.runtime.core.answer("/nova share calendar", "U1", site.clock.now())
    assert not answer.in_channel
    assert not FEED_URL.search(answer.text)
    assert not site.runtime.core.store.calendar.has_token("U1")


def test_token_is_stored_only_as_its_sha256(site: Site, store_url: str) -> None:
    """The database holds the token's SHA-256 and never the token; one row per person."""
    path = subscribe(site, "U1")
    subscribe(site, "U1", "calendar reset")
    newest = subscribe(site, "U1", "calendar reset")
    token = newest.removeprefix("/calendar/").removesuffix(".ics")
    assert len(token) == TOKEN_LENGTH
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT user_id, token_sha256 FROM calendar_tokens")).all()
    finally:
        engine.dispose()
    assert rows == [("U1", hashlib.sha256(token.encode()).hexdigest())]
    assert token_digest(token) == rows[0][1]
    if store_url.startswith("sqlite:///"):
        raw = Path(store_url.removeprefix("sqlite:///")).read_bytes()
        assert token.encode() not in raw
        assert path.encode() not in raw


@pytest.mark.parametrize(
    "path",
    [
        "/calendar/",
        "/calendar/.ics",
        "/calendar/abc.ics",
        "/calendar/" + "A" * TOKEN_LENGTH + ".ics",
        "/calendar/" + "A" * TOKEN_LENGTH,
        "/calendar/" + "A" * (TOKEN_LENGTH - 1) + "%00.ics",
        "/calendar/" + "%F0%9F%93%85" * 20 + ".ics",
        "/calendar/" + "A" * 5000 + ".ics",
        "/calendar/..%2F..%2Fetc%2Fpasswd.ics",
        "/calendar/%27%20OR%201%3D1--.ics",
    ],
)
def test_malformed_or_unknown_tokens_get_404(site: Site, path: str) -> None:
    """Every token that opens nothing gets the same 404, malformed or not."""
    subscribe(site, "U1")
    reply = site.get(path)
    assert reply.status == 404
    assert b"BEGIN:VCALENDAR" not in reply.body


def test_huge_if_none_match_is_answered_in_full(site: Site) -> None:
    """An If-None-Match of 12 kB (the ETag buried in it) is ignored: 200 and the whole feed."""
    picks(site)
    path = subscribe(site, "U1")
    etag = site.get(path).headers["etag"]
    filler = ", ".join(f'"{i:032x}"' for i in range(340))
    assert len(filler) > MAX_IF_NONE_MATCH
    reply = site.get(path, {"If-None-Match": f"{filler}, {etag}"})
    assert reply.status == 200
    assert b"BEGIN:VEVENT" in reply.body
    short = ", ".join(f'"{i:032x}"' for i in range(20))
    assert site.get(path, {"If-None-Match": f"{short}, W/{etag}"}).status == 304


def test_etag_matching_rules() -> None:
    """`*`, a weak form and a list match; garbage, a near miss and a megabyte header do not."""
    etag = '"abc"'
    assert etag_matches("*", etag)
    assert etag_matches('W/"abc"', etag)
    assert etag_matches('"x", "abc"', etag)
    assert not etag_matches('"abcd"', etag)
    assert not etag_matches("abc", etag)
    assert not etag_matches(None, etag)
    assert not etag_matches('"abc", ' * 200_000, etag)


def test_feed_without_picks_is_an_empty_calendar(site: Site) -> None:
    """A person with no picks gets a valid calendar with no events."""
    reply = site.get(subscribe(site, "U1"))
    assert reply.status == 200
    ours, theirs = parse_both(reply.body)
    assert ours == {}
    assert theirs == {}


def test_same_state_gives_the_same_bytes(site: Site) -> None:
    """Two fetches with nothing changed give identical bodies (so the ETag is stable)."""
    picks(site)
    path = subscribe(site, "U1")
    first = site.get(path)
    site.clock.set(site.clock.now() + timedelta(hours=3))
    second = site.get(path)
    assert first.body == second.body
    assert first.headers["etag"] == second.headers["etag"]


def test_first_vevent_text(site: Site) -> None:
    """The feed's first VEVENT is well-formed RFC 5545 text with the fields calendars need."""
    picks(site)
    body = site.get(subscribe(site, "U1")).body.decode("utf-8")
    assert "\r\n" in body
    lines = body.split("\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    first = body[body.index("BEGIN:VEVENT") : body.index("END:VEVENT") + len("END:VEVENT")]
    for name in (
        "UID:a@summit-bot",
        "DTSTART:20131105T031500Z",
        "DTEND:20131105T035500Z",
        "SEQUENCE:0",
        "STATUS:CONFIRMED",
        "DTSTAMP:",
    ):
        assert name in first
