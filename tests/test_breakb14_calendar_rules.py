"""A recurring event whose rule repeats faster than any session is refused at its
line, at once, and the file's other events are still booked.

Found breaking round b14: ``sortext import cal.ics`` with one event of
``RRULE:FREQ=DAILY;INTERVAL=0`` never ended (the rule library repeats the same
moment forever), and ``FREQ=MINUTELY`` or ``FREQ=SECONDLY`` ran for minutes (the
library steps through every repetition from DTSTART).  Such a rule is now a
problem at the event's ``BEGIN:VEVENT`` line (``RRULE: ...``) before expansion.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.io.calendar import Calendar, read_calendar

TODAY = dt.date(2026, 12, 2)


def _ics(rule: str) -> bytes:
    events = [
        ("r1@x", "20261210T100000Z", f"RRULE:{rule}\r\n", "fast@example.com"),
        ("ok@x", "20261211T100000Z", "", "kept@example.com"),
    ]
    body = "".join(
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTART:{start}\r\nDURATION:PT1H\r\n{extra}"
        f"SUMMARY:x\r\nATTENDEE:mailto:{mail}\r\nEND:VEVENT\r\n"
        for uid, start, extra, mail in events
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n{body}END:VCALENDAR\r\n".encode()


def test_import_of_an_interval_zero_rule_ends_and_says_so(empty_repo: Path) -> None:
    (empty_repo / "cal.ics").write_bytes(_ics("FREQ=DAILY;INTERVAL=0"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sortext",
            "import",
            "cal.ics",
            "--dry-run",
            "--today",
            "2026-12-02",
        ],
        cwd=empty_repo,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "cal.ics:4:1: RRULE: event r1@x: INTERVAL=0" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    assert "kept@example.com" in done.stdout


def _read(data: bytes) -> Calendar:
    found: list[Calendar] = []
    worker = threading.Thread(
        target=lambda: found.append(read_calendar(data, "UTC", "cal.ics", TODAY)), daemon=True
    )
    worker.start()
    worker.join(timeout=20)
    assert found, "read_calendar did not finish in 20 seconds"
    return found[0]


_FAST = st.one_of(
    st.builds(
        lambda f, n: f"FREQ={f}" + (f";COUNT={n}" if n else ""),
        st.sampled_from(["SECONDLY", "MINUTELY", "secondly", "minutely"]),
        st.integers(min_value=0, max_value=10**6),
    ),
    st.builds(
        lambda f, i: f"FREQ={f};INTERVAL={i}",
        st.sampled_from(["HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"]),
        st.integers(min_value=-5, max_value=0),
    ),
    st.builds(
        lambda f, part, values: f"FREQ={f};{part}=" + ",".join(map(str, values)),
        st.sampled_from(["HOURLY", "DAILY", "WEEKLY"]),
        st.sampled_from(["BYMINUTE", "BYSECOND"]),
        st.lists(st.integers(min_value=0, max_value=59), min_size=2, max_size=60, unique=True),
    ),
)


@settings(max_examples=40, deadline=None)
@given(rule=_FAST)
def test_property_a_rule_faster_than_a_session_is_a_problem_at_its_line(rule: str) -> None:
    calendar = _read(_ics(rule))
    problems = [str(p) for p in calendar.problems]
    assert any("RRULE" in p and "r1@x" in p for p in problems), (rule, problems)
    assert [b.email for b in calendar.bookings] == ["kept@example.com"], rule
