"""A calendar event the icalendar library cannot read is reported at its line.

Found breaking round 14: the library reads leniently, keeping what it cannot
parse as ``event.errors`` and going on, so an event with a garbled ``DTEND``,
``DURATION`` or ``ATTENDEE`` line was booked from a guess (no length, one
attendee fewer) or dropped without a word; one series whose ``EXDATE`` could
not be read stopped every other series of the file; a ``BEGIN:VALARM`` left
open made the whole file plan nothing, silently; and ``DURATION:P400D``
booked a 576000-minute session.  Each is now ``path:line:1: FIELD: message``
at the event's ``BEGIN:VEVENT`` line, and every other event is still booked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.errors import UsageError
from sortext.io.calendar import read_calendar

TODAY = dt.date(2030, 1, 1)


def _event(uid: str, email: str, extra: str = "", start: str = "20300105T100000Z") -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:{start}\r\n{extra}"
        f"ATTENDEE;CN=Someone:mailto:{email}\r\nEND:VEVENT\r\n"
    )


def _calendar(*events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + "".join(events) + "END:VCALENDAR\r\n").encode()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("DTEND:garbage\r\n", "DTEND"),
        ("DURATION:xyz\r\n", "DURATION"),
        ("SEQUENCE:abc\r\n", "SEQUENCE"),
        ('ATTENDEE;CN="Bob:mailto:bob@example.org\r\n', "line"),
        ("a line without a colon\r\n", "line"),
        ("DTSTART:20300106T100000Z\r\n", "DTSTART"),
        ("UID:other@example.org\r\n", "UID"),
        ("DURATION:PT1H\r\nDURATION:PT2H\r\n", "DURATION"),
    ],
)
def test_an_event_with_a_line_that_cannot_be_read_is_reported_at_its_begin_line(
    extra: str, field: str
) -> None:
    data = _calendar(
        _event("one@x", "ann@example.org"),
        _event("bad@x", "carl@example.org", extra),
        _event("three@x", "dora@example.org"),
    )
    found = read_calendar(data, "UTC", "cal.ics", TODAY)
    assert sorted(b.email for b in found.bookings) == ["ann@example.org", "dora@example.org"]
    assert found.problems, "the unreadable event must be reported"
    assert all(p.text().startswith(f"cal.ics:8:1: {field}: ") for p in found.problems), [
        p.text() for p in found.problems
    ]


def test_one_series_that_cannot_be_expanded_does_not_stop_the_others() -> None:
    broken = _event("r1@x", "ann@example.org", "RRULE:FREQ=WEEKLY;COUNT=2\r\nEXDATE:zzz\r\n")
    fine = _event("r2@x", "bob@example.org", "RRULE:FREQ=WEEKLY;COUNT=2\r\n")
    found = read_calendar(_calendar(broken, fine), "UTC", "cal.ics", TODAY)
    assert sorted(b.uid for b in found.bookings) == [
        "r2@x/20300105T100000Z",
        "r2@x/20300112T100000Z",
    ]
    assert [p.text()[:21] for p in found.problems] == ["cal.ics:3:1: EXDATE: "]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("DURATION:P400D\r\n", "DURATION P400D is 576000 minutes: more than 1440"),
        ("DURATION:-PT1H\r\n", "DURATION -PT1H ends before the event starts"),
        ("DTEND:20300104T100000Z\r\n", "DTEND ends before the event starts"),
        ("DTEND:20300107T100000Z\r\n", "DTEND is 2880 minutes: more than 1440"),
    ],
)
def test_a_length_beyond_a_day_or_below_zero_is_refused(extra: str, message: str) -> None:
    data = _calendar(_event("long@x", "ann@example.org", extra), _event("ok@x", "bob@example.org"))
    found = read_calendar(data, "UTC", "cal.ics", TODAY)
    assert [b.email for b in found.bookings] == ["bob@example.org"]
    (problem,) = found.problems
    assert problem.text().startswith(f"cal.ics:3:1: DURATION: event long@x: {message}")


def test_a_day_long_session_is_still_booked() -> None:
    data = _calendar(_event("day@x", "ann@example.org", "DURATION:P1D\r\n"))
    (booking,) = read_calendar(data, "UTC", "cal.ics", TODAY).bookings
    assert booking.minutes == 1440


def test_components_that_do_not_nest_are_named_not_silently_empty() -> None:
    data = _calendar(
        _event("one@x", "ann@example.org"),
        _event("two@x", "bob@example.org", "BEGIN:VALARM\r\n"),
    )
    with pytest.raises(UsageError, match=r"^cal\.ics:11:1: BEGIN:VALARM is not closed"):
        read_calendar(data, "UTC", "cal.ics", TODAY)


_GARBLED = st.sampled_from(
    [
        "DTEND:{v}",
        "DURATION:{v}",
        "DTSTART:{v}",
        "RECURRENCE-ID:{v}",
        "EXDATE:{v}",
        "RDATE:{v}",
        "SEQUENCE:{v}",
        'ATTENDEE;CN="{v}:mailto:x@example.org',
    ]
)
_NOISE = st.text(alphabet="abxyzQ!?# ", min_size=1, max_size=8).filter(lambda v: v.strip())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    goods=st.integers(min_value=1, max_value=4),
    where=st.integers(min_value=0, max_value=4),
    form=_GARBLED,
    value=_NOISE,
    recurring=st.booleans(),
)
def test_property_an_unreadable_event_is_reported_and_every_other_is_booked(
    goods: int, where: int, form: str, value: str, recurring: bool
) -> None:
    rule = "RRULE:FREQ=WEEKLY;COUNT=2\r\n" if recurring else ""
    events = [_event(f"g{i}@x", f"g{i}@example.org", rule) for i in range(goods)]
    at = min(where, goods)
    events.insert(at, _event("bad@x", "bad@example.org", form.format(v=value) + "\r\n"))
    found = read_calendar(_calendar(*events), "UTC", "cal.ics", TODAY)
    booked = {b.email for b in found.bookings}
    assert booked == {f"g{i}@example.org" for i in range(goods)}
    begin = 3 + (6 if recurring else 5) * at  # each event is 5 lines (+1 with a rule)
    assert found.problems
    assert {p.line for p in found.problems} == {begin}, [p.text() for p in found.problems]


def test_import_of_a_calendar_with_an_unreadable_event_books_the_rest_and_fails(
    cli: Callable[..., Result], empty_repo: Path, tmp_path: Path
) -> None:
    ics = tmp_path / "cal.ics"
    ics.write_bytes(
        _calendar(
            _event("one@x", "ann@example.org", start="20991105T100000Z"),
            _event("bad@x", "carl@example.org", "DURATION:P400D\r\n", start="20991106T100000Z"),
        )
    )
    result = cli("import", str(ics), "--repo", str(empty_repo))
    assert result.exit_code == 1, result.output
    assert f"{ics}:8:1: DURATION: event bad@x: DURATION P400D is 576000 minutes" in result.stderr
    assert "Traceback" not in result.output
    written = "".join(p.read_text() for p in (empty_repo / "clients").glob("*.md"))
    assert "ann@example.org" in written and "carl@example.org" not in written


def test_a_time_zone_nobody_defines_is_reported_not_read_as_local_time() -> None:
    unknown = _event("z@x", "ann@example.org").replace(
        "DTSTART:20300105T100000Z", "DTSTART;TZID=Nowhere/Zone:20300105T100000"
    )
    found = read_calendar(
        _calendar(unknown, _event("ok@x", "bob@example.org")), "UTC", "cal.ics", TODAY
    )
    assert [b.email for b in found.bookings] == ["bob@example.org"]
    (problem,) = found.problems
    assert problem.text().startswith("cal.ics:3:1: DTSTART: cannot read this event: time zone ")


def test_a_zone_the_file_defines_or_a_windows_name_is_still_booked() -> None:
    zone = (
        "BEGIN:VTIMEZONE\r\nTZID:My Zone\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
        "TZOFFSETFROM:+0300\r\nTZOFFSETTO:+0300\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    )
    own = _event("a@x", "ann@example.org").replace(
        "DTSTART:20300105T100000Z", "DTSTART;TZID=My Zone:20300105T100000"
    )
    windows = _event("b@x", "bob@example.org").replace(
        "DTSTART:20300105T100000Z", "DTSTART;TZID=Pacific Standard Time:20300105T100000"
    )
    found = read_calendar(_calendar(zone, own, windows), "UTC", "cal.ics", TODAY)
    assert found.problems == []
    assert sorted((b.email, b.time) for b in found.bookings) == [
        ("ann@example.org", "07:00"),
        ("bob@example.org", "18:00"),
    ]


@settings(max_examples=60, deadline=None)
@given(
    endings=st.lists(st.sampled_from(["\r\n", "\n", "\r"]), min_size=20, max_size=20),
)
def test_property_any_mix_of_line_endings_books_every_event(endings: list[str]) -> None:
    """A lone CR ends a line for this module (event_lines) and, now, for the parse:
    the library split at CRLF and LF only, so 'END:VEVENT\\rEND:VCALENDAR' was one
    line and every event of the file was dropped without a word."""
    text = _calendar(_event("a@x", "ann@example.org"), _event("b@x", "bob@example.org"))
    lines = text.decode().split("\r\n")[:-1]
    assert len(lines) == 13
    data = "".join(line + endings[i] for i, line in enumerate(lines)).encode()
    found = read_calendar(data, "UTC", "cal.ics", TODAY)
    assert sorted(b.email for b in found.bookings) == ["ann@example.org", "bob@example.org"]
    assert found.problems == []


def test_a_series_too_long_is_said_once_as_the_file_says_it_and_others_booked() -> None:
    long = _event("r@x", "ann@example.org", "DURATION:P3D\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\n")
    fine = _event("s@x", "bob@example.org", "DURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=2\r\n")
    found = read_calendar(_calendar(long, fine), "UTC", "cal.ics", TODAY)
    assert [p.text() for p in found.problems] == [
        "cal.ics:3:1: DURATION: event r@x: DURATION P3D is 4320 minutes: more than 1440 "
        "(a day) is not a session"
    ]
    assert [(b.email, b.minutes) for b in found.bookings] == [("bob@example.org", 60)] * 2
