from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from schedule.importers.sched_text import parse_sched_text
from schedule.model import Proposal, Schedule, ScheduleError

HK = "Asia/Hong_Kong"

SEED_TABLE: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("Conductor Tasks Next Steps", "2013-11-05T03:15", "2013-11-05T03:55", ("John Garbutt",)),
    (
        "Instance tasks in API",
        "2013-11-05T04:05",
        "2013-11-05T04:45",
        ("Andrew Laski", "haruka tanizawa"),
    ),
    ("Nova Un-conference (Tuesday)", "2013-11-05T06:00", "2013-11-05T06:40", ("Russell Bryant",)),
    ("Nova live-snapshot feature", "2013-11-05T06:50", "2013-11-05T07:30", ("David Scannell",)),
    (
        "Improve VM boot times, by pre-starting VMs",
        "2013-11-05T07:40",
        "2013-11-05T08:20",
        ("John Garbutt",),
    ),
    (
        "Implementing Private clouds on Nova via aggregates",
        "2013-11-05T08:40",
        "2013-11-05T09:20",
        ("Phil Day",),
    ),
    ("Flavor level capabilities", "2013-11-05T09:30", "2013-11-05T10:10", ("creiht",)),
    (
        "Nova Project Structure and Process",
        "2013-11-06T03:15",
        "2013-11-06T03:55",
        ("Russell Bryant",),
    ),
    ("Rethinking scheduler design", "2013-11-06T04:05", "2013-11-06T04:45", ("Michael H Wilson",)),
    (
        "Nova Un-conference (Wednesday)",
        "2013-11-06T06:00",
        "2013-11-06T06:40",
        ("Russell Bryant",),
    ),
    (
        "Smarter resource placement for intense workloads",
        "2013-11-06T06:50",
        "2013-11-06T07:30",
        ("Debo~ Dutta",),
    ),
    ("Extensible Scheduler Metrics", "2013-11-06T07:40", "2013-11-06T08:20", ("Lianhao Lu",)),
    (
        "Instance Group Model and API Extension",
        "2013-11-06T08:40",
        "2013-11-06T09:20",
        ("Yathiraj Udupi",),
    ),
    ("Adding plugability at the API layer", "2013-11-06T09:30", "2013-11-06T10:10", ("creiht",)),
    ("PCI Passthrough : the next step", "2013-11-07T01:00", "2013-11-07T01:40", ("Yongli He",)),
    ("The road to live upgrades", "2013-11-07T01:50", "2013-11-07T02:30", ("Russell Bryant",)),
    (
        "Nova Objects update and plans forward",
        "2013-11-07T03:00",
        "2013-11-07T03:40",
        ("Dan Smith",),
    ),
    (
        "Metadata Service Enhancements: Callbacks + Network",
        "2013-11-07T03:50",
        "2013-11-07T04:30",
        ("John Garbutt",),
    ),
    (
        "Nova Un-conference (Thursday)",
        "2013-11-07T05:50",
        "2013-11-07T06:30",
        ("Russell Bryant",),
    ),
    ("Horizontally scalable db backend", "2013-11-07T06:40", "2013-11-07T07:20", ("Soren Hansen",)),
    ("Nova V3 API", "2013-11-07T07:30", "2013-11-07T08:10", ("Christopher Yeoh",)),
    (
        "Using Pecan/WSME for the Nova V3 API",
        "2013-11-07T08:30",
        "2013-11-07T09:10",
        ("Christopher Yeoh", "Ken'ichi Ohmichi"),
    ),
    ("Cross project request ids", "2013-11-07T09:20", "2013-11-07T10:00", ("Christopher Yeoh",)),
    (
        "VMWare Driver Roadmap For Icehouse",
        "2013-11-08T01:00",
        "2013-11-08T01:40",
        ("Tracy Jones",),
    ),
    ("libvirt driver roadmap", "2013-11-08T01:50", "2013-11-08T02:30", ("Russell Bryant",)),
    ("Docker support in OpenStack", "2013-11-08T03:00", "2013-11-08T03:40", ("Sam Alba",)),
    ("XenAPI Roadmap for Icehouse", "2013-11-08T03:50", "2013-11-08T04:30", ("John Garbutt",)),
    ("Nova Un-conference (Friday)", "2013-11-08T05:30", "2013-11-08T06:10", ("Russell Bryant",)),
    (
        "Work in IceHouse around nova DB",
        "2013-11-08T06:20",
        "2013-11-08T07:00",
        ("Boris", "Michael Still"),
    ),
    (
        "AWS compatibility perspective back into OpenStack",
        "2013-11-08T07:10",
        "2013-11-08T07:50",
        ("Rohit Karajgi",),
    ),
    ("Hyper-V: Icehouse features", "2013-11-08T08:10", "2013-11-08T08:50", ("Alessandro Pilotti",)),
]

SAMPLE = """\
Please note: This schedule is for contributors. See\u00a0http://example.sched.org.

Sign up or log in to bookmark your favorites and sync them to your phone or calendar.

Compute [clear filter]
Tuesday, November 5


Lunchtime Session
Text with an etherpad https://etherpad.openstack.org/p/lunchtime-session.

Things to cover:
- dash bullet
* star bullet
[a] lettered point
1) numbered point

(Session proposed by Alice Example)

Tuesday November 5, 2013 11:50am - 12:30pm
AWE Level 2, Room 204-205
Wednesday, November 6


Merged Topic
This session will include the following subject(s):

Merged Topic:

First subject text.

(Session proposed by Bob Builder)

Second subject:

Second subject text, see http://example.org/two.

(Session proposed by Carol Jones)
(Session proposed by Bob Builder)

Wednesday November 6, 2013 12:05pm - 12:45pm
Room B


Night Owls
Just after midnight.

(Session proposed by Dave Night)

Thursday November 7, 2013 12:00am - 12:30am
Room C


Across Midnight
Runs into the next day.

(Session proposed by Erin Late)

Thursday November 7, 2013 11:30pm - Friday November 8, 2013 12:20am
"""


def utc(text: str) -> datetime:
    """A UTC instant from "YYYY-MM-DDTHH:MM"."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def sample(**overrides: str) -> Schedule:
    """The inline sample parsed in Hong Kong time."""
    return parse_sched_text(SAMPLE, source="sample.txt", timezone=HK, **overrides)


def test_sample_has_each_session_with_utc_instants() -> None:
    """The inline sample yields its four sessions at the right UTC instants."""
    schedule = sample()
    assert [(s.title, s.start, s.end) for s in schedule.sessions] == [
        ("Lunchtime Session", utc("2013-11-05T03:50"), utc("2013-11-05T04:30")),
        ("Merged Topic", utc("2013-11-06T04:05"), utc("2013-11-06T04:45")),
        ("Night Owls", utc("2013-11-06T16:00"), utc("2013-11-06T16:30")),
        ("Across Midnight", utc("2013-11-07T15:30"), utc("2013-11-07T16:20")),
    ]
    assert all(s.start.tzinfo is UTC for s in schedule.sessions)


def test_sample_track_name_zone_and_ids() -> None:
    """The track header names the track and schedule; ids are slugs of the titles."""
    schedule = sample()
    assert schedule.name == "Compute"
    assert schedule.timezone == HK
    assert {s.track for s in schedule.sessions} == {"Compute"}
    assert [s.id for s in schedule.sessions] == [
        "lunchtime-session",
        "merged-topic",
        "night-owls",
        "across-midnight",
    ]


def test_track_and_name_arguments_win() -> None:
    """Given track and name replace the header's."""
    schedule = sample(track="Nova", name="Design Summit")
    assert schedule.name == "Design Summit"
    assert {s.track for s in schedule.sessions} == {"Nova"}


def test_ordinary_session_description_keeps_lists_and_drops_proposer_line() -> None:
    """An ordinary session keeps its bullet lists and loses only the proposer line."""
    session = sample().sessions[0]
    assert session.description == (
        "Text with an etherpad https://etherpad.openstack.org/p/lunchtime-session.\n"
        "\n"
        "Things to cover:\n"
        "- dash bullet\n"
        "* star bullet\n"
        "[a] lettered point\n"
        "1) numbered point"
    )
    assert session.proposers == ("Alice Example",)
    assert session.proposals == ()
    assert session.links == ("https://etherpad.openstack.org/p/lunchtime-session",)
    assert session.room == "AWE Level 2, Room 204-205"
    assert session.uid == ""


def test_merged_session_has_proposals_and_all_proposers_once() -> None:
    """A merged session lists its subjects as proposals and their proposers de-duplicated."""
    session = sample().sessions[1]
    assert session.proposals == (
        Proposal("Merged Topic", "First subject text.", ("Bob Builder",)),
        Proposal(
            "Second subject",
            "Second subject text, see http://example.org/two.",
            ("Carol Jones", "Bob Builder"),
        ),
    )
    assert session.proposers == ("Bob Builder", "Carol Jones")
    assert session.links == ("http://example.org/two",)
    assert "(Session proposed by" not in session.description
    assert session.room == "Room B"


def test_day_header_glued_under_room_line_is_not_a_room_or_title() -> None:
    """A day header right under a room line neither becomes the room nor a session."""
    schedule = sample()
    assert schedule.sessions[0].room == "AWE Level 2, Room 204-205"
    assert "Wednesday, November 6" not in [s.title for s in schedule.sessions]
    assert schedule.sessions[1].title == "Merged Topic"


def test_time_line_at_end_of_file_gives_empty_room() -> None:
    """A last session whose time line ends the file gets no room."""
    assert sample().sessions[-1].room == ""


def test_sample_without_track_header_skips_preamble() -> None:
    """Without a track header the preamble is skipped and the track is empty."""
    text = SAMPLE.replace("Compute [clear filter]\n", "")
    schedule = parse_sched_text(text, source="plain.txt", timezone=HK)
    assert len(schedule.sessions) == 4
    assert schedule.sessions[0].title == "Lunchtime Session"
    assert {s.track for s in schedule.sessions} == {""}
    assert schedule.name == "plain"


def test_crlf_and_byte_order_mark_are_accepted() -> None:
    """Windows line ends and a leading BOM read the same as plain text."""
    text = "\ufeff" + SAMPLE.replace("\n", "\r\n")
    assert parse_sched_text(text, source="sample.txt", timezone=HK) == sample()


def test_zone_changes_the_instants() -> None:
    """The same text read in another zone gives other instants."""
    schedule = parse_sched_text(SAMPLE, source="sample.txt", timezone="Europe/London")
    assert schedule.sessions[0].start == utc("2013-11-05T11:50")


def error_for(text: str, timezone: str = HK) -> str:
    """The message of the ScheduleError that parsing `text` raises."""
    with pytest.raises(ScheduleError) as caught:
        parse_sched_text(text, source="broken.txt", timezone=timezone)
    return str(caught.value)


ONE = """\
Nova [clear filter]
Tuesday, November 5

Only Session
Some text.
(Session proposed by Alice)

{time}
Room 1
"""


@pytest.mark.parametrize(
    ("time_line", "fault"),
    [
        ("Tuesday November 5, 2013 11:15xm - 11:55am", "cannot read time line"),
        ("Tuesday November 5, 2013 13:15pm - 1:55pm", "13:15pm is not a time"),
        ("Tuesday November 31, 2013 11:15am - 11:55am", "November 31, 2013 is not a date"),
        ("Monday November 5, 2013 11:15am - 11:55am", "is a Tuesday, not a Monday"),
    ],
)
def test_unreadable_time_line_names_file_and_line(time_line: str, fault: str) -> None:
    """A broken time line is refused with the file, its line number and the fault."""
    message = error_for(ONE.format(time=time_line))
    assert message.startswith("broken.txt:8: ")
    assert fault in message


def test_end_not_after_start_is_refused() -> None:
    """A session that ends before it starts is refused at its time line."""
    message = error_for(ONE.format(time="Tuesday November 5, 2013 11:55am - 11:15am"))
    assert message.startswith("broken.txt:8: ")
    assert "'Only Session'" in message
    assert "before its start" in message


def test_equal_start_and_end_is_a_point_event() -> None:
    """A session of no length loads as a point event at its start."""
    text = ONE.format(time="Tuesday November 5, 2013 11:15am - 11:15am")
    (session,) = parse_sched_text(text, source="ok.txt", timezone="Asia/Hong_Kong").sessions
    assert session.start == session.end == datetime(2013, 11, 5, 3, 15, tzinfo=UTC)


def test_trailing_block_without_time_line_is_refused() -> None:
    """Text after the last session that never reaches a time line is refused."""
    text = ONE.format(time="Tuesday November 5, 2013 11:15am - 11:55am") + "\n\nOrphan\nText.\n"
    message = error_for(text)
    assert message.startswith("broken.txt:12: ")
    assert "'Orphan' has no time line" in message


def test_block_cut_by_day_header_without_time_line_is_refused() -> None:
    """A session interrupted by a day header before its time line is refused."""
    text = (
        "Nova [clear filter]\nTuesday, November 5\n\nNo Time\nText.\n\n"
        "Wednesday, November 6\n\nLater\n"
        "Wednesday November 6, 2013 9:00am - 9:40am\nRoom\n"
    )
    message = error_for(text)
    assert message.startswith("broken.txt:4: ")
    assert "'No Time' has no time line" in message


def test_time_line_without_title_is_refused() -> None:
    """A time line with nothing above it is refused."""
    message = error_for(
        "Nova [clear filter]\nTuesday, November 5\n\n"
        "Tuesday November 5, 2013 9:00am - 9:40am\nRoom\n"
    )
    assert message.startswith("broken.txt:4: ")
    assert "no session title" in message


def test_merged_session_without_subjects_is_refused() -> None:
    """A merged session that lists no subjects is refused."""
    text = (
        "Nova [clear filter]\n\nEmpty Merge\n"
        "This session will include the following subject(s):\n\n"
        "Tuesday November 5, 2013 9:00am - 9:40am\nRoom\n"
    )
    message = error_for(text)
    assert message.startswith("broken.txt:3: ")
    assert "lists no subjects" in message


def test_no_sessions_is_refused() -> None:
    """Text with no session at all is refused."""
    message = error_for("Please note: nothing here.\n\nNova [clear filter]\n\n")
    assert message.startswith("broken.txt: no sessions found")


def test_unknown_zone_is_refused() -> None:
    """A zone that does not exist is refused with the file name."""
    message = error_for(SAMPLE, timezone="Mars/Olympus_Mons")
    assert message.startswith("broken.txt: unknown time zone 'Mars/Olympus_Mons'")


def seed_schedule(seed_path: Path) -> Schedule:
    """The seed parsed as the bundled schedule is made."""
    return parse_sched_text(
        seed_path.read_text(encoding="utf-8"), source=str(seed_path), timezone=HK
    )


def test_seed_has_all_31_sessions_with_times_and_proposers(seed_path: Path) -> None:
    """The seed yields exactly the 31 sessions with their UTC instants and proposers."""
    schedule = seed_schedule(seed_path)
    assert len(schedule.sessions) == 31
    assert [(s.title, s.start, s.end, s.proposers) for s in schedule.sessions] == [
        (title, utc(start), utc(end), proposers) for title, start, end, proposers in SEED_TABLE
    ]


def test_seed_first_session_instants(seed_path: Path) -> None:
    """The first seed session runs 03:15Z to 03:55Z on 2013-11-05."""
    first = seed_schedule(seed_path).sessions[0]
    assert first.title == "Conductor Tasks Next Steps"
    assert first.start == datetime(2013, 11, 5, 3, 15, tzinfo=UTC)
    assert first.end == datetime(2013, 11, 5, 3, 55, tzinfo=UTC)


def test_seed_track_rooms_and_name(seed_path: Path) -> None:
    """The seed's sessions are in the Nova track, all in their rooms."""
    schedule = seed_schedule(seed_path)
    assert schedule.name == "Nova"
    assert {s.track for s in schedule.sessions} == {"Nova"}
    rooms = [s.room for s in schedule.sessions]
    assert rooms[:-1] == ["AWE Level 2, Room 204-205"] * 30
    assert rooms[-1] == "AWE Level 2, Room 201B"


def test_seed_merged_sessions(seed_path: Path) -> None:
    """The three merged seed sessions carry each subject with its own proposer."""
    by_title = {s.title: s for s in seed_schedule(seed_path).sessions}
    merged = {title: s for title, s in by_title.items() if s.proposals}
    assert set(merged) == {
        "Instance tasks in API",
        "Work in IceHouse around nova DB",
        "Using Pecan/WSME for the Nova V3 API",
    }
    assert [(p.title, p.proposers) for p in merged["Instance tasks in API"].proposals] == [
        ("Instance tasks in API", ("Andrew Laski",)),
        ("feature of Cancel", ("haruka tanizawa",)),
    ]
    assert [
        (p.title, p.proposers) for p in merged["Work in IceHouse around nova DB"].proposals
    ] == [
        ("Work in IceHouse around nova DB", ("Boris",)),
        ("Next steps for database improvement", ("Michael Still",)),
    ]
    pecan = merged["Using Pecan/WSME for the Nova V3 API"]
    assert [(p.title, p.proposers) for p in pecan.proposals] == [
        ("Using Pecan/WSME for the Nova V3 API", ("Christopher Yeoh",)),
        ("API validation for the Nova v3 API", ("Ken'ichi Ohmichi",)),
    ]
    assert pecan.proposals[1].description.startswith("32% of Nova v3 API parameters")
    assert pecan.proposals[1].description.endswith("2013-October/016635.html")


def test_seed_descriptions_and_links(seed_path: Path) -> None:
    """Descriptions drop the proposer lines and links are found in the text."""
    by_title = {s.title: s for s in seed_schedule(seed_path).sessions}
    for session in by_title.values():
        assert "(Session proposed by" not in session.description
    assert by_title["Rethinking scheduler design"].links == (
        "https://etherpad.openstack.org/p/RethinkingSchedulerDesign",
    )
    assert by_title["VMWare Driver Roadmap For Icehouse"].links == (
        "https://etherpad.openstack.org/p/T4tQMQf5uS",
    )
    assert by_title["Nova V3 API"].links == ("http://summit.openstack.org/cfp/details/6",)
    assert by_title["Using Pecan/WSME for the Nova V3 API"].links == (
        "http://summit.openstack.org/cfp/details/165",
        "https://wiki.openstack.org/wiki/NovaApiValidationFramework",
        "http://lists.openstack.org/pipermail/openstack-dev/2013-October/016635.html",
    )
    live = by_title["Nova live-snapshot feature"].description
    assert "\n\n[e] There also appears" in live
    assert by_title["Conductor Tasks Next Steps"].description.endswith(
        "Its related to the task API session:"
    )
