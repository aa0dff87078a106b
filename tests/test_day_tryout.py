"""Issue 16 tried as a coach: the ICS export carries next-action times, calendar
imports of recurring, moved and re-booked events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

ZONE = "Europe/London"


def _events(text: str) -> dict[str, Any]:
    import icalendar

    cal = icalendar.Calendar.from_ical(text)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def _record(due: str, time: str | None, minutes: int | None) -> dict[str, Any]:
    action: dict[str, Any] = {"what": "Call about the renewal", "due": due}
    if time is not None:
        action["time"] = time
    if minutes is not None:
        action["minutes"] = minutes
    return {
        "id": "ada-lane",
        "name": "Ada Lane",
        "stage": "active",
        "next_action": action,
        "sessions": [{"date": due, "time": time or "10:00", "status": "scheduled"}],
    }


def test_ics_next_action_carries_its_time_in_the_practice_zone_across_dst() -> None:
    from sortext.io.export import to_ics

    # 2026-10-25: the clocks go back in London; 09:15 local is 09:15 UTC that day.
    events = _events(to_ics([_record("2026-10-25", "09:15", 20)], timezone=ZONE))
    action = events["ada-lane-next-action@sortext"]
    start = action.decoded("DTSTART")
    assert isinstance(start, dt.datetime)
    assert str(start.tzinfo) == ZONE
    assert (start.hour, start.minute) == (9, 15)
    assert start.astimezone(dt.UTC).hour == 9
    assert action.decoded("DTEND") - start == dt.timedelta(minutes=20)
    # the day before, still summer time: 09:15 local is 08:15 UTC
    events = _events(to_ics([_record("2026-10-24", "09:15", None)], timezone=ZONE))
    start = events["ada-lane-next-action@sortext"].decoded("DTSTART")
    assert start.astimezone(dt.UTC).hour == 8


def test_ics_untimed_next_action_stays_all_day() -> None:
    from sortext.io.export import to_ics

    events = _events(to_ics([_record("2026-12-01", None, None)], timezone=ZONE))
    start = events["ada-lane-next-action@sortext"].decoded("DTSTART")
    assert not isinstance(start, dt.datetime)


@settings(max_examples=60, deadline=None)
@given(
    day=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    minutes=st.one_of(st.none(), st.integers(1, 240)),
    zone=st.sampled_from([None, "Europe/London", "America/New_York", "Australia/Sydney"]),
)
def test_ics_every_timed_entry_keeps_its_wall_clock_time(
    day: dt.date, hour: int, minute: int, minutes: int | None, zone: str | None
) -> None:
    from sortext.io.export import to_ics

    clock = f"{hour:02d}:{minute:02d}"
    events = _events(to_ics([_record(day.isoformat(), clock, minutes)], timezone=zone))
    timed = [e for e in events.values() if isinstance(e.decoded("DTSTART"), dt.datetime)]
    assert len(timed) == 2  # the session and the next action
    for event in timed:
        start = event.decoded("DTSTART")
        assert (start.date(), start.hour, start.minute) == (day, hour, minute)
        assert (str(start.tzinfo) if start.tzinfo else None) == zone
