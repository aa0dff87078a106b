"""A recurring event is read only when its rule has at most
:data:`sortext.io.calendar.MAX_SERIES_STEPS` repetitions from its DTSTART to the end
of the window read: the rule library steps through every one of them, from the
series' start, to find the sessions from today.

Found by a round-17 read of the series cap: ``FREQ=HOURLY`` begun on 1970-01-01 books
nothing past the cap, but finding that out stepped through ~500,000 repetitions
(1.4 s); a file of 30 such series held ``sortext import`` for 41 s, and a few hundred
for many minutes.  The class: any rule whose repetitions from a DTSTART long before
today are many (an hourly one, a daily one with many BYHOURs, a weekly one with many
BYDAYs and BYHOURs).  ``repetitions_bound`` bounds them from above without the
library; the property test holds it to the library's own count.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from dateutil import rrule as du
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import vRecur

from sortext.io.calendar import (
    HORIZON_DAYS,
    MAX_SERIES_STEPS,
    read_calendar,
    repeats_at_all,
    repetitions_bound,
)

TODAY = dt.date(2026, 11, 23)
END = TODAY + dt.timedelta(days=HORIZON_DAYS)


def _ics(*series: tuple[str, str]) -> bytes:
    body = "".join(
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTART:{start}\r\nDURATION:PT30M\r\nRRULE:{rule}\r\n"
        f"SUMMARY:x\r\nATTENDEE:mailto:{uid.split('@')[0]}@example.com\r\nEND:VEVENT\r\n"
        for uid, (start, rule) in ((f"s{i}@x", s) for i, s in enumerate(series))
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n{body}END:VCALENDAR\r\n".encode()


def test_an_hourly_series_begun_in_1970_is_refused_before_it_is_expanded() -> None:
    got = read_calendar(
        _ics(*[("19700101T090000Z", "FREQ=HOURLY")] * 30, ("20160104T090000Z", "FREQ=WEEKLY")),
        "UTC",
        "cal.ics",
        TODAY,
    )
    said = [p.message for p in got.problems]
    assert len(said) == 30, said
    assert all("repeats up to" in m and "(1970-01-01)" in m for m in said), said[:2]
    assert all("not booked" in m for m in said)
    # the weekly series of ten years is read: its sessions in the window are booked
    weekly = [b for b in got.bookings if b.email == "s30@example.com"]
    assert len(weekly) == HORIZON_DAYS // 7 + 1, len(weekly)


def test_a_daily_series_of_many_years_is_read() -> None:
    got = read_calendar(
        _ics(("20000103T090000Z", "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR")), "UTC", "c.ics", TODAY
    )
    assert got.problems == [], [p.message for p in got.problems]
    assert got.bookings


def test_a_series_that_ended_long_ago_costs_nothing() -> None:
    """UNTIL before the window: its repetitions end there (the bound counts to UNTIL)."""
    rule = {"FREQ": ["HOURLY"], "UNTIL": [dt.date(1970, 1, 2)]}
    assert repetitions_bound(rule, dt.date(1970, 1, 1), END) <= 50
    assert repetitions_bound(rule, dt.date(1971, 1, 1), END) == 0


_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@st.composite
def _rules(draw: Any) -> tuple[dict[str, list[Any]], dt.date]:
    freq = draw(st.sampled_from(["HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    rule: dict[str, list[Any]] = {"FREQ": [freq], "INTERVAL": [draw(st.integers(1, 4))]}
    subsets = {
        "BYHOUR": st.lists(st.integers(0, 23), max_size=4, unique=True),
        "BYDAY": st.lists(st.sampled_from(_DAYS), max_size=7, unique=True),
        "BYMONTHDAY": st.lists(st.integers(1, 28), max_size=4, unique=True),
        "BYMONTH": st.lists(st.integers(1, 12), max_size=4, unique=True),
        "BYWEEKNO": st.lists(st.integers(1, 53), max_size=3, unique=True),
        "BYYEARDAY": st.lists(st.integers(1, 366), max_size=3, unique=True),
    }
    for part, values in subsets.items():
        chosen = draw(values)
        if chosen:
            rule[part] = chosen
    if draw(st.booleans()):
        rule["UNTIL"] = [END - dt.timedelta(days=draw(st.integers(0, 4000)))]
    start = END - dt.timedelta(days=draw(st.integers(0, 3000)))
    return rule, start


def _library_count(rule: dict[str, list[Any]], start: dt.date) -> int:
    """The repetitions dateutil gives from ``start`` 09:00 to END's end."""
    freq = {"HOURLY": du.HOURLY, "DAILY": du.DAILY, "WEEKLY": du.WEEKLY}
    freq |= {"MONTHLY": du.MONTHLY, "YEARLY": du.YEARLY}
    begin = dt.datetime.combine(start, dt.time(9))
    until = [dt.datetime.combine(d, dt.time(23, 59)) for d in rule.get("UNTIL", [])]
    last = min([dt.datetime.combine(END, dt.time(23, 59)), *until])
    days = [getattr(du, d) for d in rule.get("BYDAY", [])]
    try:
        made = du.rrule(
            freq[rule["FREQ"][0]],
            dtstart=begin,
            interval=rule["INTERVAL"][0],
            until=last,
            byhour=rule.get("BYHOUR") or None,
            byweekday=days or None,
            bymonthday=rule.get("BYMONTHDAY") or None,
            bymonth=rule.get("BYMONTH") or None,
            byweekno=rule.get("BYWEEKNO") or None,
            byyearday=rule.get("BYYEARDAY") or None,
        )
    except ValueError:  # a rule that can never repeat (every 2 hours from 9 at 0 o'clock)
        return 0
    return sum(1 for _ in made)


@settings(max_examples=250, deadline=None)
@given(case=_rules())
def test_the_bound_is_never_below_the_librarys_count(
    case: tuple[dict[str, list[Any]], dt.date],
) -> None:
    """Every rule read costs at most MAX_SERIES_STEPS repetitions, as the library
    counts them: the bound is never below its count (counted only where the bound
    lets the rule be read, as an import would)."""
    rule, start = case
    bound = repetitions_bound(rule, start, END)
    # a rule that never repeats is refused before this (and the library, asked to
    # count it, steps to the year 9999): the test below
    if bound <= MAX_SERIES_STEPS and repeats_at_all(vRecur(rule), None):
        assert _library_count(rule, start) <= bound, (rule, start, bound)


@pytest.mark.parametrize(
    "rule",
    [
        {"FREQ": ["YEARLY"], "INTERVAL": [1], "BYDAY": ["MO", "TU"]},
        {"FREQ": ["YEARLY"], "INTERVAL": [1], "BYMONTHDAY": [1, 2, 3, 4]},
        {"FREQ": ["YEARLY"], "INTERVAL": [1], "BYWEEKNO": [1, 2]},
        {"FREQ": ["YEARLY"], "INTERVAL": [1], "BYDAY": _DAYS, "BYHOUR": [0, 1, 2, 3]},
    ],
)
def test_yearly_rules_without_a_month_are_bounded_from_above(rule: dict[str, list[Any]]) -> None:
    """Found by a helper: a YEARLY BYDAY gives 52-53 days a weekday, not 5; a YEARLY
    BYMONTHDAY one day a month; a BYWEEKNO seven days a week."""
    start = END - dt.timedelta(days=3000)
    assert _library_count(rule, start) <= repetitions_bound(rule, start, END)


def test_an_hourly_rule_at_listed_hours_is_read_as_the_library_steps() -> None:
    """The library steps from one listed hour to the next: FREQ=HOURLY;BYHOUR=9,14
    begun in 2022 is ~3,700 steps, read as FREQ=DAILY;BYHOUR=9,14 is (it was counted
    as every hour, 45,000, and refused)."""
    got = read_calendar(_ics(("20220103T090000Z", "FREQ=HOURLY;BYHOUR=9,14")), "UTC", "c", TODAY)
    assert got.problems == [], [p.message for p in got.problems]


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=HOURLY;BYSETPOS=2",
        "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=DAILY;BYSETPOS=2",
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31;UNTIL=20300101T000000Z",
        "FREQ=DAILY;BYWEEKNO=60",
        "FREQ=HOURLY;BYYEARDAY=367",
        "FREQ=WEEKLY;BYDAY=MO;BYSETPOS=2",
        "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30",
    ],
)
def test_a_rule_that_never_repeats_is_refused_not_stepped_through_to_9999(rule: str) -> None:
    """Found by a helper: the library looks for the first repetition after the window
    by stepping through every period up to the year 9999; a rule whose BY parts never
    meet booked nothing after seconds to minutes a series (FREQ=HOURLY;BYSETPOS=2:
    ~70M hours).  Such a rule is tried over two years first and refused."""
    got = read_calendar(_ics(("20260101T090000Z", rule)), "UTC", "c.ics", TODAY)
    said = [p.message for p in got.problems]
    assert len(said) == 1 and "gives no repetition in 2 years" in said[0], said
    assert got.bookings == []
