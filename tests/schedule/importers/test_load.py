from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schedule.importers import (
    BUNDLED_SCHEDULE,
    convert,
    dump_schedule,
    load_bundled,
    load_schedule,
    load_schedule_bytes,
)
from schedule.model import ScheduleError

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nX-WR-CALNAME:Cal\r\n"
    "BEGIN:VEVENT\r\nUID:u1\r\nSUMMARY:Keynote\r\nDTSTART:20131105T011500Z\r\n"
    "DTEND:20131105T020000Z\r\nCATEGORIES:Main\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)

SCHED = """\
Nova [clear filter]
Tuesday, November 5


Keynote
Opening words.

(Session proposed by Russell Bryant)

Tuesday November 5, 2013 9:15am - 10:00am
Hall
"""

FRAB = {
    "schedule": {
        "conference": {
            "title": "Camp",
            "time_zone_name": "Asia/Hong_Kong",
            "days": [
                {
                    "date": "2013-11-05",
                    "rooms": {
                        "Hall": [
                            {
                                "guid": "g1",
                                "title": "Keynote",
                                "date": "2013-11-05T09:15:00+08:00",
                                "duration": "00:45",
                                "persons": [],
                            }
                        ]
                    },
                }
            ],
        }
    }
}

KEYNOTE_START = datetime(2013, 11, 5, 1, 15, tzinfo=UTC)


def test_icalendar_is_detected() -> None:
    """Content beginning BEGIN:VCALENDAR is read as iCalendar, after a BOM and blank lines."""
    data = b"\xef\xbb\xbf\r\n  " + ICS.encode("utf-8")
    schedule = load_schedule_bytes(data, source="a.ics", track="Override")
    assert schedule.name == "Cal"
    assert schedule.sessions[0].uid == "u1"
    assert schedule.sessions[0].track == "Override"


def test_frab_is_detected() -> None:
    """JSON with a schedule object is read as frab."""
    schedule = load_schedule_bytes(json.dumps(FRAB).encode(), source="f.json")
    assert (schedule.name, schedule.timezone) == ("Camp", "Asia/Hong_Kong")
    assert schedule.sessions[0].start == KEYNOTE_START


def test_sched_text_is_detected_and_needs_a_zone() -> None:
    """Other text is read as a Sched page, which needs the venue's zone."""
    schedule = load_schedule_bytes(SCHED.encode(), source="s.txt", timezone="Asia/Hong_Kong")
    assert schedule.sessions[0].start == KEYNOTE_START
    assert schedule.sessions[0].proposers == ("Russell Bryant",)
    with pytest.raises(ScheduleError, match=r"^s\.txt: this looks like Sched page text"):
        load_schedule_bytes(SCHED.encode(), source="s.txt")


def test_native_is_detected_and_overrides_apply() -> None:
    """summit-bot JSON is read natively; given name, zone and track replace its own."""
    original = load_schedule_bytes(ICS.encode(), source="a.ics")
    data = dump_schedule(original).encode()
    assert load_schedule_bytes(data, source="n.json") == original
    changed = load_schedule_bytes(
        data, source="n.json", name="Renamed", timezone="Europe/Berlin", track="Nova"
    )
    assert (changed.name, changed.timezone) == ("Renamed", "Europe/Berlin")
    assert changed.sessions[0].track == "Nova"
    assert changed.sessions[0].start == original.sessions[0].start


def test_unknown_json_and_empty_files_are_refused() -> None:
    """Other JSON, an unknown format tag and an empty file are refused with the file name."""
    with pytest.raises(ScheduleError, match=r"^x\.json: JSON, but neither"):
        load_schedule_bytes(b'{"events": []}', source="x.json")
    with pytest.raises(ScheduleError, match=r"^x\.json: JSON, but neither"):
        load_schedule_bytes(b"[1, 2]", source="x.json")
    with pytest.raises(ScheduleError, match=r"^x\.json: unknown schedule format 'other/2'"):
        load_schedule_bytes(b'{"format": "other/2"}', source="x.json")
    with pytest.raises(ScheduleError, match=r"^x\.json:1: not valid JSON"):
        load_schedule_bytes(b"{nope", source="x.json")
    with pytest.raises(ScheduleError, match=r"^e\.txt: the file is empty"):
        load_schedule_bytes(b" \n\t", source="e.txt")


def test_missing_and_unreadable_files_are_refused(tmp_path: Path) -> None:
    """A missing file or a folder is refused, naming the path."""
    missing = tmp_path / "nope.ics"
    with pytest.raises(ScheduleError, match=r"nope\.ics: cannot read the file"):
        load_schedule(missing)
    with pytest.raises(ScheduleError, match="cannot read the file"):
        load_schedule(tmp_path)


def test_load_schedule_reads_a_file(tmp_path: Path) -> None:
    """A file on disk is read with its path as the source."""
    path = tmp_path / "cal.ics"
    path.write_text(ICS, encoding="utf-8")
    assert load_schedule(path) == load_schedule_bytes(ICS.encode(), source=str(path))
    assert load_schedule(str(path), default_minutes=10).sessions[0].title == "Keynote"


def test_convert_writes_native_json(tmp_path: Path) -> None:
    """Converting reads any format and writes summit-bot JSON that loads back equal."""
    src = tmp_path / "page.txt"
    src.write_text(SCHED, encoding="utf-8")
    out = tmp_path / "out.json"
    schedule = convert(src, out, timezone="Asia/Hong_Kong", track="Nova", name="Summit")
    assert out.read_text(encoding="utf-8") == dump_schedule(schedule)
    assert load_schedule(out) == schedule
    assert schedule.name == "Summit"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "page.txt"]


def test_convert_failures_leave_no_output(tmp_path: Path) -> None:
    """A source that cannot be read or an output that cannot be written is refused."""
    src = tmp_path / "page.txt"
    src.write_text(SCHED, encoding="utf-8")
    out = tmp_path / "out.json"
    with pytest.raises(ScheduleError, match="looks like Sched page text"):
        convert(src, out)
    assert not out.exists()
    blocked = tmp_path / "missing-folder" / "out.json"
    with pytest.raises(ScheduleError, match=r"out\.json: cannot write"):
        convert(src, blocked, timezone="Asia/Hong_Kong")


def test_bundled_schedule_loads_from_package_data() -> None:
    """The bundled schedule is schedule/data/icehouse-nova.json and holds the 31 sessions."""
    assert BUNDLED_SCHEDULE.parts[-3:] == ("schedule", "data", "icehouse-nova.json")
    assert BUNDLED_SCHEDULE.is_file()
    schedule = load_bundled()
    assert schedule.name == "OpenStack Icehouse Design Summit — Nova"
    assert schedule.timezone == "Asia/Hong_Kong"
    assert len(schedule.sessions) == 31
    assert {s.track for s in schedule.sessions} == {"Nova"}
    first = schedule.sessions[0]
    assert (first.id, first.start) == (
        "conductor-tasks-next-steps",
        datetime(2013, 11, 5, 3, 15, tzinfo=UTC),
    )


def test_bundled_schedule_equals_fresh_conversion_of_seed(seed_path: Path, tmp_path: Path) -> None:
    """The bundled file is byte for byte what converting the seed gives today."""
    out = tmp_path / "icehouse-nova.json"
    convert(
        seed_path,
        out,
        timezone="Asia/Hong_Kong",
        track="Nova",
        name="OpenStack Icehouse Design Summit — Nova",
    )
    assert out.read_text(encoding="utf-8") == BUNDLED_SCHEDULE.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["schedule.xml", "schedule.json", "all.ics", "export.txt"])
def test_format_is_told_by_content_not_name(name: str) -> None:
    """Each format is read whatever the file is called."""
    for data in (ICS.encode(), json.dumps(FRAB).encode()):
        assert load_schedule_bytes(data, source=name).sessions[0].start == KEYNOTE_START


def error_of(data: bytes, **options: str) -> str:
    """The message of the ScheduleError loading `data` raises."""
    with pytest.raises(ScheduleError) as caught:
        load_schedule_bytes(data, source="in.dat", **options)
    return str(caught.value)


def test_sched_text_without_zone_names_the_flag_and_setting() -> None:
    """Sched text without a zone says which flag and setting give it."""
    message = error_of(SCHED.encode())
    assert "--timezone" in message
    assert "SUMMIT_BOT_SCHEDULE_TIMEZONE" in message
    assert "\n" not in message


def test_truncated_icalendar_names_the_line_and_missing_end() -> None:
    """An .ics cut inside an event is one line: its last line, the missing END, truncation."""
    cut = ICS[: ICS.index("END:VEVENT")]
    message = error_of(cut.encode())
    assert message == (
        "in.dat:10: missing END:VEVENT for the BEGIN:VEVENT of line 5; "
        "the file ends too early (truncated?)"
    )


def test_stray_end_in_icalendar_names_its_line() -> None:
    """An END that closes the wrong component is refused at its line."""
    broken = ICS.replace("END:VEVENT", "END:VTODO")
    assert error_of(broken.encode()).startswith(
        "in.dat:11: END:VTODO where END:VEVENT was expected"
    )


def test_truncated_frab_json_is_a_whole_sentence() -> None:
    """A frab JSON cut mid-string names line and column and says it looks truncated."""
    text = json.dumps(FRAB, indent=2)
    cut = text[: text.index("Keynote") + 3]
    message = error_of(cut.encode())
    assert message.startswith("in.dat:")
    assert ": not valid JSON: unterminated string starting at column " in message
    assert message.endswith("; the file ends too early (truncated?)")


def test_unknown_zone_names_the_flag() -> None:
    """An unknown zone names itself and the flag and setting that set the venue's zone."""
    message = error_of(SCHED.encode(), timezone="Moon/Base")
    assert message.startswith("in.dat: unknown time zone 'Moon/Base'")
    assert "--timezone or SUMMIT_BOT_SCHEDULE_TIMEZONE" in message


def test_icalendar_line_numbers_count_leading_blank_lines() -> None:
    """Blank lines before BEGIN:VCALENDAR still count in the line number of a fault."""
    cut = "\r\n\r\n" + ICS[: ICS.index("END:VEVENT")]
    assert error_of(cut.encode()).startswith("in.dat:12: missing END:VEVENT")
