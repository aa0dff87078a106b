"""A calendar's recurring events are each expanded from a calendar of their own, built
in one pass over the file (:func:`sortext.io.calendar.series_calendars`), not by
scanning every component of the file once per series.

Found in a break round: 2,000 weekly series took 4 s to plan and 4,000 took 21 s,
each series' calendar built by a scan of the whole file.  These tests hold the one
pass to the scan it replaced (kept here as :func:`_scanned`, and the module as it was
before, from git history): the same components per UID, and the same bookings,
problems and plan for generated calendars of several UIDs, recurring masters with
moved and cancelled instances, several clients and unknown attendees.  Speed is
measured by ``bench/calendar_import_bench.py``, not here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import ModuleType
from typing import Any

import icalendar
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.io.calendar import plan_calendar, read_calendar, series_calendars
from sortext.repo import open_repository
from tests.conftest import module_at

#: main before calendar import was made linear (its per-series scan)
BEFORE = "3cf5de31d71ac9c8bc27450d36241f1e3459cfcc"
TODAY = dt.date(2026, 12, 2)
KNOWN = ("ann@example.com", "bo@example.com", "cy@example.com")
UNKNOWN = ("new1@example.org", "new2@example.org")


def _before() -> ModuleType:
    return module_at(BEFORE, "sortext/io/calendar.py", "sortext_calendar_before_linear")


def _scanned(cal: Any, uid: str) -> list[Any]:
    """The components the per-series scan gave ``uid``'s calendar: every component
    that is not a VEVENT, and the VEVENTs of that UID, in the file's order."""
    return [
        c for c in cal.subcomponents if c.name != "VEVENT" or str(c.get("UID") or "").strip() == uid
    ]


def _with_a_vevent(components: list[Any]) -> list[int]:
    """The ids of the components the expansion reads: those holding a VEVENT."""
    return [id(c) for c in components if any(True for _ in c.walk("VEVENT"))]


_ZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:Coast\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
    "TZOFFSETFROM:+0300\r\nTZOFFSETTO:+0300\r\nTZNAME:CT\r\nEND:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
)


@st.composite
def _events(draw: st.DrawFn) -> list[str]:
    """VEVENT texts (and a VTIMEZONE, a VTODO) in a drawn order: recurring masters
    with moved and cancelled instances, single events, unknown attendees."""
    out: list[str] = []
    for n in range(draw(st.integers(1, 6))):
        uid = f"u{n}@gen"
        mail = draw(st.sampled_from(KNOWN + UNKNOWN))
        hour = draw(st.integers(8, 18))
        day = draw(st.integers(1, 20))
        start = f"202612{day:02d}T{hour:02d}0000"
        zoned = draw(st.booleans())
        dtstart = f"DTSTART;TZID=Coast:{start}" if zoned else f"DTSTART:{start}Z"
        rule = draw(
            st.sampled_from(
                [
                    "",
                    "RRULE:FREQ=WEEKLY\r\n",
                    "RRULE:FREQ=WEEKLY;COUNT=4\r\n",
                    "RRULE:FREQ=DAILY;INTERVAL=3\r\n",
                    "RRULE:FREQ=DAILY;BYHOUR=9,17\r\n",
                    "RRULE:FREQ=HOURLY\r\n",  # past the cap: a problem
                ]
            )
        )
        status = draw(st.sampled_from(["", "STATUS:CANCELLED\r\n"]))
        out.append(
            f"BEGIN:VEVENT\r\nUID:{uid}\r\n{dtstart}\r\nDURATION:PT45M\r\n{rule}{status}"
            f"SUMMARY:Session {n}\r\nATTENDEE;CN=P {n}:mailto:{mail}\r\nEND:VEVENT\r\n"
        )
        if rule and "HOURLY" not in rule:
            weeks = draw(st.lists(st.integers(0, 3), max_size=3, unique=True))
            for week in weeks:
                when = dt.datetime(2026, 12, day, hour) + dt.timedelta(days=7 * week)
                rid = f"RECURRENCE-ID:{when:%Y%m%dT%H%M%S}Z" if not zoned else ""
                rid = rid or f"RECURRENCE-ID;TZID=Coast:{when:%Y%m%dT%H%M%S}"
                moved = draw(st.booleans())
                cancelled = draw(st.booleans())
                new = when + dt.timedelta(hours=2 if moved else 0)
                new_start = (
                    f"DTSTART;TZID=Coast:{new:%Y%m%dT%H%M%S}"
                    if zoned
                    else f"DTSTART:{new:%Y%m%dT%H%M%S}Z"
                )
                out.append(
                    f"BEGIN:VEVENT\r\nUID:{uid}\r\n{rid}\r\n{new_start}\r\nDURATION:PT45M\r\n"
                    f"SEQUENCE:1\r\n{'STATUS:CANCELLED' + chr(13) + chr(10) if cancelled else ''}"
                    f"SUMMARY:Session {n}\r\nATTENDEE:mailto:{mail}\r\nEND:VEVENT\r\n"
                )
    out.append(_ZONE)
    out.append("BEGIN:VTODO\r\nUID:todo@gen\r\nSUMMARY:not a booking\r\nEND:VTODO\r\n")
    return draw(st.permutations(out))


def _file(parts: list[str]) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:gen\r\n" + "".join(parts)).encode() + (
        b"END:VCALENDAR\r\n"
    )


@settings(max_examples=60, deadline=None)
@given(parts=_events())
def test_property_one_pass_gives_each_series_the_components_the_scan_gave(
    parts: list[str],
) -> None:
    cal = icalendar.Calendar.from_ical(_file(parts))
    uids = {str(e.get("UID")) for e in cal.walk("VEVENT")}
    built = series_calendars(cal, uids)
    assert set(built) == uids
    for uid in uids:
        # the same components the expansion reads, the same objects in the same order
        assert _with_a_vevent(built[uid].subcomponents) == _with_a_vevent(_scanned(cal, uid))


def test_a_vevent_nested_in_another_component_is_still_given_to_every_series() -> None:
    """The scan gave each series every non-VEVENT component, and the expansion walks
    into them: a VEVENT nested in a VTODO reached every series' calendar."""
    nested = (
        "BEGIN:VTODO\r\nUID:t@x\r\nBEGIN:VEVENT\r\nUID:inner@x\r\nDTSTART:20261210T100000Z\r\n"
        "ATTENDEE:mailto:ann@example.com\r\nEND:VEVENT\r\nEND:VTODO\r\n"
    )
    series = (
        "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:20261207T100000Z\r\nRRULE:FREQ=WEEKLY\r\n"
        "ATTENDEE:mailto:bo@example.com\r\nEND:VEVENT\r\n"
    )
    cal = icalendar.Calendar.from_ical(
        _file([series.format(uid="a@x"), nested, series.format(uid="b@x"), _ZONE])
    )
    built = series_calendars(cal, {"a@x", "b@x"})
    for uid in ("a@x", "b@x"):
        assert _with_a_vevent(built[uid].subcomponents) == _with_a_vevent(_scanned(cal, uid))
    assert [c.name for c in built["a@x"].subcomponents] == ["VEVENT", "VTODO"]
    assert [c.name for c in built["b@x"].subcomponents] == ["VTODO", "VEVENT"]


def _summary(calendar: Any) -> tuple[Any, ...]:
    return (
        [
            (b.number, b.uid, b.email, b.name, b.date, b.time, b.minutes, b.cancelled)
            for b in calendar.bookings
        ],
        [str(p) for p in calendar.problems],
        sorted(calendar.series),
        calendar.window,
        calendar.events,
        calendar.own,
        dict(calendar.lines),
    )


@settings(max_examples=60, deadline=None)
@given(parts=_events(), zone=st.sampled_from(["UTC", "Europe/London", None]))
def test_property_bookings_and_problems_are_those_of_the_per_series_scan(
    parts: list[str], zone: str | None
) -> None:
    data = _file(parts)
    old = _before().read_calendar(data, zone or "UTC", "cal.ics", TODAY)
    new = read_calendar(data, zone or "UTC", "cal.ics", TODAY)
    assert _summary(new) == _summary(old)


def _client(root: Path, slug: str, mail: str, sessions: str) -> None:
    (root / "clients" / f"{slug}.md").write_text(
        f"---\nname: {slug.title()}\nstage: active\nemail: {mail}\n"
        "next_action: {what: Prepare, owner: me, due: 2026-12-09}\n"
        f"{sessions}---\n\nNotes.\n",
        encoding="utf-8",
    )


def _plan_summary(plan: Any) -> tuple[Any, ...]:
    return (
        plan.rows,
        [str(p) for p in plan.problems],
        [
            (
                r.record_id,
                r.is_new,
                r.rows,
                [(c.path, c.label, c.old, c.new, c.kind) for c in r.changes],
                [(c.path, c.label, c.ours, c.theirs) for c in r.conflicts],
                [(s.label, s.reason) for s in r.skipped],
            )
            for r in plan.records
        ],
        plan.supplied,
        plan.own,
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(parts=_events())
def test_property_the_plan_is_that_of_the_per_series_scan(
    empty_repo: Path, parts: list[str]
) -> None:
    """Against clients with sessions the file booked before (some of them dropped
    from the series now, some moved): the same rows, changes and problems."""
    _client(empty_repo, "ann", KNOWN[0], "")
    _client(
        empty_repo,
        "bo",
        KNOWN[1],
        "sessions:\n"
        "  - {date: 2026-12-14, time: '10:00', minutes: 45, status: scheduled, "
        "uid: u0@gen/20261214T100000Z}\n"
        "  - {date: 2026-12-21, time: '10:00', minutes: 45, status: held, "
        "uid: u1@gen/20261221T100000Z}\n",
    )
    _client(empty_repo, "cy", KNOWN[2], "sessions: []\n")
    path = empty_repo / "cal.ics"
    path.write_bytes(_file(parts))
    repo = open_repository(empty_repo)
    old = _before().plan_calendar(repo, path, (), TODAY)
    new = plan_calendar(repo, path, (), TODAY)
    assert _plan_summary(new) == _plan_summary(old)
