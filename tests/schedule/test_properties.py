"""Property tests: random schedules in zones with DST, checked against brute force.

Sessions are drawn as local wall times (gaps and overlaps included, either fold), lasting
from nothing (point events) to past midnight; the index's now, next and day answers must
match a scan of every session, and every rendered range must read back to its instants.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from schedule.index import ScheduleIndex
from schedule.model import Schedule, Session
from schedule.ranges import format_range, zone_label
from schedule.timeparse import parse_time

# Zones whose offsets change under different labels: US, EU, southern hemisphere, a 30-minute
# DST (Lord Howe), a negative DST (Dublin), a :30/:45 offset, and two without DST.
ZONES = (
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Europe/Dublin",
    "America/St_Johns",
    "Pacific/Chatham",
    "Asia/Hong_Kong",
    "UTC",
)
# Days around the 2014 DST changes of these zones, so gaps and overlaps come up often.
CHANGE_DAYS = (
    date(2014, 3, 9),
    date(2014, 3, 30),
    date(2014, 4, 6),
    date(2014, 9, 28),
    date(2014, 10, 5),
    date(2014, 10, 26),
    date(2014, 11, 2),
)


@st.composite
def sessions_in(draw: st.DrawFn, zone: ZoneInfo, count: int) -> list[Session]:
    """`count` sessions at wall times near a DST change of `zone`, 0 to 30 hours long."""
    found: list[Session] = []
    for number in range(count):
        day = draw(st.sampled_from(CHANGE_DAYS)) + timedelta(days=draw(st.integers(-1, 1)))
        wall = datetime.combine(day, time(draw(st.integers(0, 23)), draw(st.integers(0, 59))))
        start = wall.replace(tzinfo=zone, fold=draw(st.integers(0, 1))).astimezone(UTC)
        minutes = draw(st.one_of(st.just(0), st.integers(1, 180), st.integers(181, 30 * 60)))
        found.append(
            Session(
                id=f"s{number}",
                title=f"Session {number}",
                start=start,
                end=start + timedelta(minutes=minutes),
            )
        )
    return found


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    """A schedule of 1 to 25 sessions in one of ZONES."""
    name = draw(st.sampled_from(ZONES))
    count = draw(st.integers(1, 25))
    return Schedule(
        name="p", timezone=name, sessions=tuple(draw(sessions_in(ZoneInfo(name), count)))
    )


def probes(schedule: Schedule, offsets: list[int]) -> list[datetime]:
    """Instants to ask at: every start and end, a microsecond either side, and random ones."""
    edges = [s.start for s in schedule.sessions] + [s.end for s in schedule.sessions]
    around = [e + timedelta(microseconds=d) for e in edges for d in (-1, 0, 1)]
    first = min(edges)
    return around + [first + timedelta(minutes=m) for m in offsets]


def order(sessions: list[Session]) -> tuple[Session, ...]:
    return tuple(sorted(sessions, key=lambda s: (s.start, s.end, s.id)))


@settings(max_examples=150, deadline=None)
@given(schedules(), st.lists(st.integers(-120, 6 * 24 * 60), max_size=20))
def test_now_and_next_agree_with_a_scan(schedule: Schedule, offsets: list[int]) -> None:
    """now() and next() equal a brute-force scan at edges and random instants."""
    index = ScheduleIndex(schedule)
    for at in probes(schedule, offsets):
        on = order([s for s in schedule.sessions if s.start <= at < s.end])
        assert index.now(at) == on
        assert all(not s.is_point for s in on)
        later = [s for s in schedule.sessions if s.start > at]
        upcoming = index.next(at)
        if not later:
            assert upcoming is None
            continue
        first = min(s.start for s in later)
        assert upcoming is not None
        assert upcoming.start == first
        assert upcoming.sessions == order([s for s in later if s.start == first])
        assert upcoming.minutes_until == math.ceil((first - at).total_seconds() / 60)


@settings(max_examples=150, deadline=None)
@given(schedules())
def test_day_agrees_with_a_scan(schedule: Schedule) -> None:
    """day() holds the sessions overlapping the local day and the point events inside it."""
    index = ScheduleIndex(schedule)
    zone = schedule.zone
    local_days = {s.start.astimezone(zone).date() for s in schedule.sessions}
    local_days |= {s.end.astimezone(zone).date() for s in schedule.sessions}
    for day in sorted(local_days | {min(local_days) - timedelta(days=1)}):
        begins = datetime.combine(day, time(0), tzinfo=zone)
        ends = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        expected = [
            s
            for s in schedule.sessions
            if (begins <= s.start < ends if s.is_point else s.start < ends and begins < s.end)
        ]
        assert index.day(day) == order(expected)


_END = r"(?:(\w{3}) (\d{1,2}) (\w{3}) )?(\d{2}):(\d{2})"
_RANGE = re.compile(
    rf"^(\w{{3}}) (\d{{1,2}}) (\w{{3}}) (\d{{2}}):(\d{{2}})(?: ([^\s–]+))?(?:–{_END})?(?: ([^\s–]+))?$"
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def read_back(
    day: str, month: str, hour: str, minute: str, label: str, zone: ZoneInfo, year: int
) -> datetime:
    """The instant a rendered "5 Nov 11:15" with its zone label stands for."""
    wall = datetime(year, _MONTHS.index(month) + 1, int(day), int(hour), int(minute))
    candidates = {
        wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        for fold in (0, 1)
        if zone_label(wall.replace(tzinfo=zone, fold=fold), zone) == label
    }
    # Keep the candidates that really show this wall time (not a time inside a DST gap).
    real = [c for c in candidates if c.astimezone(zone).replace(tzinfo=None) == wall]
    assert len(real) == 1, (wall, label, candidates)
    return real[0]


@settings(max_examples=300, deadline=None)
@given(schedules())
def test_rendered_ranges_read_back_to_their_instants(schedule: Schedule) -> None:
    """Every "Sat 8 Mar 20:00 EST–Sun 9 Mar 03:00 EDT" reads back to the session's instants."""
    zone = ZoneInfo(schedule.timezone)
    for session in schedule.sessions:
        text = format_range(session.start, session.end, zone)
        match = _RANGE.match(text)
        assert match is not None, text
        _, d1, m1, h1, n1, label1, _, d2, m2, h2, n2, label2 = match.groups()
        year = session.start.astimezone(zone).year
        if h2 is None:
            assert session.is_point, text
            assert label1 is not None
            assert read_back(d1, m1, h1, n1, label1, zone, year) == session.start
            continue
        first_label = label1 or label2
        assert label2 is not None, text
        assert read_back(d1, m1, h1, n1, first_label, zone, year) == session.start
        end_day, end_month = (d2, m2) if d2 is not None else (d1, m1)
        assert read_back(end_day, end_month, h2, n2, label2, zone, year) == session.end


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.sampled_from(CHANGE_DAYS),
    st.integers(-24 * 60, 2 * 24 * 60),
)
def test_a_printed_time_with_its_label_reads_back(name: str, day: date, minutes: int) -> None:
    """An instant printed as the bot does ("2014-03-09 03:30 EDT") reads back to itself."""
    zone = ZoneInfo(name)
    instant = datetime.combine(day, time(0), tzinfo=UTC) + timedelta(minutes=minutes)
    local = instant.astimezone(zone)
    text = f"{local:%Y-%m-%d %H:%M} {zone_label(instant, zone)}"
    parsed = parse_time(text, zone, instant)
    assert parsed.instant == instant, text
    assert parsed.note is None


def instants_showing(wall: datetime, zone: ZoneInfo) -> list[datetime]:
    """Every minute-aligned UTC instant within a day of `wall` that `zone` shows as `wall`."""
    guess = wall.replace(tzinfo=UTC)
    return [
        moment
        for step in range(-26 * 60, 26 * 60)
        if (moment := guess + timedelta(minutes=step)).astimezone(zone).replace(tzinfo=None) == wall
    ]


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.sampled_from(CHANGE_DAYS),
    st.integers(0, 23),
    st.sampled_from([0, 15, 30, 45, 59]),
)
@example("America/New_York", date(2014, 3, 9), 2, 30)  # a gap
@example("America/New_York", date(2014, 11, 2), 1, 30)  # an overlap
@example("Australia/Lord_Howe", date(2014, 10, 5), 2, 15)  # a half-hour gap
@example("Europe/Dublin", date(2014, 10, 26), 1, 0)  # an overlap under a negative DST
def test_a_wall_time_is_read_once_or_with_a_note(
    name: str, day: date, hour: int, minute: int
) -> None:
    """A wall time shown once is that instant; a skipped or repeated one comes with a note."""
    zone = ZoneInfo(name)
    wall = datetime.combine(day, time(hour, minute))
    parsed = parse_time(f"{wall:%Y-%m-%d %H:%M}", zone, wall.replace(tzinfo=UTC))
    showing = instants_showing(wall, zone)
    if len(showing) == 1:
        assert (parsed.instant, parsed.note) == (showing[0], None)
    elif not showing:
        assert parsed.note is not None
        assert "does not exist" in parsed.note
    else:
        assert parsed.instant == min(showing)
        assert parsed.note is not None
        assert "happens twice" in parsed.note
