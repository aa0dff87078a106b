"""Issue 13, item 6: one calendar event per thing, forever."""

from __future__ import annotations

from typing import Any

import icalendar
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.io.export import calendar_events, next_sequences, session_keys, to_ics


def events_of(text: str) -> list[Any]:
    return list(icalendar.Calendar.from_ical(text).walk("VEVENT"))


def record(*sessions: dict[str, Any]) -> dict[str, Any]:
    return {"id": "tom-berg", "name": "Tom Berg", "sessions": list(sessions)}


def test_two_sessions_on_one_date_are_two_events() -> None:
    data = record(
        {"date": "2026-12-02", "status": "scheduled", "focus": "morning"},
        {"date": "2026-12-02", "status": "scheduled", "focus": "afternoon"},
    )
    uids = [str(e["UID"]) for e in events_of(to_ics([data]))]
    assert len(uids) == len(set(uids)) == 2


def test_a_session_with_an_id_keeps_its_uid_when_rescheduled() -> None:
    data = record({"id": "s3", "date": "2026-12-02", "status": "scheduled"})
    before = calendar_events([data])
    data["sessions"][0]["date"] = "2026-12-09"
    after = calendar_events([data])
    assert [e.uid for e in before] == [e.uid for e in after] == ["tom-berg-session-s3@sortext"]


def test_timed_session_in_the_practice_time_zone() -> None:
    data = record(
        {"date": "2026-12-02", "status": "scheduled", "time": "14:30", "minutes": 50},
    )
    (event,) = events_of(to_ics([data], timezone="Europe/Berlin"))
    start = event.decoded("DTSTART")
    assert (start.hour, start.minute, str(start.tzinfo)) == (14, 30, "Europe/Berlin")
    assert (event.decoded("DTEND") - start).total_seconds() == 50 * 60
    assert "BEGIN:VTIMEZONE" in to_ics([data], timezone="Europe/Berlin")


def test_sequence_grows_when_an_event_changes_and_only_then() -> None:
    data = record({"id": "s1", "date": "2026-12-02", "status": "scheduled"})
    first = next_sequences(calendar_events([data]), None)
    assert next_sequences(calendar_events([data]), first) == first
    data["sessions"][0]["date"] = "2026-12-09"
    moved = next_sequences(calendar_events([data]), first)
    (event,) = events_of(to_ics([data], moved))
    assert int(event["SEQUENCE"]) == 1


def test_carriage_returns_never_reach_an_ics_line() -> None:
    data = {
        "id": "ann",
        "name": "Ann",
        "next_action": {"what": "call\r\nthen mail\rnow", "due": "2026-12-01"},
    }
    text = to_ics([data])
    assert "\r" not in text.replace("\r\n", "")
    (event,) = events_of(text)
    assert str(event["SUMMARY"]) == "Ann: call\nthen mail\nnow"


dates = st.sampled_from(["2026-12-01", "2026-12-02", "2027-01-31"])  # few: they collide
session = st.fixed_dictionaries(
    {"date": dates, "status": st.just("scheduled")},
    optional={"id": st.sampled_from(["s1", "s2", "2026-12-02", "2026-12-02-2"])},
)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(session, max_size=12))
def test_any_sessions_give_unique_uids(sessions: list[dict[str, Any]]) -> None:
    """Whatever dates and ids (even repeated ones) the sessions have, UIDs never collide."""
    data = record(*sessions)
    uids = [e.uid for e in calendar_events([data])]
    assert len(uids) == len(set(uids)) == len(sessions)
    assert all(" " not in u for u in uids)
    parsed = [str(e["UID"]) for e in events_of(to_ics([data]))]
    assert sorted(parsed) == sorted(uids)


def test_session_keys_fall_back_to_unique_dates() -> None:
    from sortext.record.model import RecordView

    view = RecordView.from_data(
        record(
            {"date": "2026-12-02", "status": "held"},
            {"date": "2026-12-02", "status": "held"},
            {"id": "2026-12-02", "date": "2026-12-01", "status": "held"},
        )
    )
    assert session_keys(view.sessions) == ["2026-12-02-2", "2026-12-02-3", "2026-12-02"]
