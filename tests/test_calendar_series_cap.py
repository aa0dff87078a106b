"""A recurring event books at most two sessions a day of the horizon into a client
(:data:`sortext.io.calendar.MAX_SERIES_SESSIONS`); a series past that is a problem at
its line, not booked, and a series that is not booked (past the cap, or one the rule
library cannot expand) leaves the sessions it booked before as they are.

Found reading round 14's rule checks: ``FREQ=HOURLY`` (the finest rule allowed) booked
2,208 sessions into one client over the 92-day horizon.  And a series that could not
be expanded still counted as "read", so every scheduled session it had booked in the
window was planned as cancelled (no occurrence booked it any more).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.io.calendar import HORIZON_DAYS, MAX_SERIES_SESSIONS, read_calendar

TODAY = dt.date(2026, 12, 2)
START = dt.date(2026, 12, 10)  # the series' first day, inside the horizon
DAYS = (TODAY + dt.timedelta(days=HORIZON_DAYS) - START).days  # its days in the horizon


def _ics(rule: str) -> bytes:
    events = [
        ("r1@x", f"{START:%Y%m%d}T100000Z", f"RRULE:{rule}\r\n", "series@example.com"),
        ("ok@x", "20261211T100000Z", "", "kept@example.com"),
    ]
    body = "".join(
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTART:{start}\r\nDURATION:PT30M\r\n{extra}"
        f"SUMMARY:x\r\nATTENDEE:mailto:{mail}\r\nEND:VEVENT\r\n"
        for uid, start, extra, mail in events
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n{body}END:VCALENDAR\r\n".encode()


_HOURS = st.lists(st.integers(0, 23), min_size=1, max_size=6, unique=True)
#: (rule, occurrences in the horizon), counted without the rule library.
_RULES = st.one_of(
    st.integers(1, 24).map(lambda i: (f"FREQ=HOURLY;INTERVAL={i}", -(-(DAYS * 24 - 10) // i))),
    _HOURS.map(
        lambda hours: (
            "FREQ=DAILY;BYMINUTE=0;BYHOUR=" + ",".join(map(str, sorted(hours))),
            # day one starts at 10:00, DTSTART, which is always an occurrence (RFC 5545)
            DAYS * len(hours) - sum(1 for h in hours if h < 10) + (10 not in hours),
        )
    ),
)


@settings(max_examples=40, deadline=None)
@given(rule=_RULES)
def test_a_series_books_at_most_two_sessions_a_day(rule: tuple[str, int]) -> None:
    text, count = rule
    calendar = read_calendar(_ics(text), "UTC", "cal.ics", TODAY)
    booked = [b for b in calendar.bookings if b.email == "series@example.com"]
    problems = [str(p) for p in calendar.problems]
    assert [b.email for b in calendar.bookings if b.email != "series@example.com"] == [
        "kept@example.com"
    ]
    if count <= MAX_SERIES_SESSIONS:
        assert len(booked) == count, (text, problems)
        assert problems == []
    else:
        assert booked == []
        assert any(f"r1@x: repeats {count:,} times" in p for p in problems), (text, problems)
        assert "r1@x" not in calendar.series


def _client(root: Path, uid: str) -> Path:
    path = root / "clients" / "sam-series.md"
    path.write_text(
        "---\n"
        "name: Sam Series\n"
        "stage: active\n"
        "email: series@example.com\n"
        "next_action: {what: Prepare, owner: me, due: 2026-12-09}\n"
        "sessions:\n"
        f"  - {{date: 2026-12-14, time: '10:00', minutes: 30, kind: coaching, "
        f"status: scheduled, uid: {uid}}}\n"
        "---\n\nNotes.\n",
        encoding="utf-8",
    )
    return path


def test_a_series_not_booked_cancels_none_of_its_sessions(empty_repo: Path) -> None:
    """Its sessions booked by an earlier import stay scheduled: the file says
    nothing readable about them now."""
    path = _client(empty_repo, "r1@x/20261214T100000Z")
    before = path.read_bytes()
    (empty_repo / "cal.ics").write_bytes(_ics("FREQ=HOURLY"))
    done = subprocess.run(
        [sys.executable, "-m", "sortext", "import", "cal.ics", "--today", "2026-12-02"],
        cwd=empty_repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = done.stdout + done.stderr
    assert "Traceback" not in out
    assert f"RRULE: event r1@x: repeats {DAYS * 24 - 10:,} times" in out, out
    assert "cancelled" not in out, out
    assert path.read_bytes() == before


def test_a_series_of_more_than_one_rule_is_refused_at_once() -> None:
    """Each RRULE line was expanded in full before the cap counted: hundreds of them
    (each hourly, each allowed alone) held an import for minutes."""
    rules = "".join("RRULE:FREQ=HOURLY;BYMINUTE=0\r\n" for _ in range(200))
    data = _ics("FREQ=WEEKLY").replace(b"RRULE:FREQ=WEEKLY\r\n", rules.encode())
    calendar = read_calendar(data, "UTC", "cal.ics", TODAY)
    problems = [str(p) for p in calendar.problems]
    assert any("r1@x: 200 RRULE lines" in p for p in problems), problems
    assert [b.email for b in calendar.bookings] == ["kept@example.com"]
