"""Round trip: sortext's own ICS export, imported again, is a no-op that says so.

``sortext export ics`` writes the records' own dates (sessions, next actions,
reviews, renewals, invoices) as events with no attendee; ``sortext import`` of that
file reported every one of them as an "unreadable booking" (no attendee besides the
organizer) and exited 1.  The importer knows sortext's events by their UID
(``...@sortext``): they are counted, never booked, never a problem.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.io.calendar import plan_calendar, read_calendar
from sortext.io.export import calendar_events, to_ics
from sortext.repo import open_repository

TODAY = "2026-12-01"


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("clients/*.md"))}


def test_importing_our_own_export_changes_nothing_and_says_so(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "practice.ics"
    done = cli("export", "ics", "--out", str(out), "--today", TODAY, "--repo", str(records_repo))
    assert done.exit_code == 0, done.output
    events = out.read_text(encoding="utf-8").count("BEGIN:VEVENT")
    assert events > 0
    before = _tree(records_repo)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=records_repo, capture_output=True, check=True
    ).stdout
    for extra in (["--dry-run"], []):
        done = cli("import", str(out), "--today", TODAY, "--repo", str(records_repo), *extra)
        assert done.exit_code == 0, done.output
        assert "unreadable booking" not in done.output.replace("0 unreadable bookings", "")
        assert "no attendee" not in done.output
        assert f"{events} events written by sortext's own export" in done.output
        assert "0 records to update, 0 new, 0 conflicts, 0 unreadable bookings" in done.output
    assert _tree(records_repo) == before
    assert (
        subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=records_repo, capture_output=True, check=True
        ).stdout
        == head
    )


_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=0, max_size=20)
_dates = st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)).map(dt.date.isoformat)
_times = st.one_of(
    st.none(), st.times().map(lambda t: f"{t.hour:02d}:{t.minute:02d}"), st.just("25:99")
)
_session = st.fixed_dictionaries(
    {
        "date": _dates,
        "status": st.sampled_from(["scheduled", "held", "cancelled"]),
    },
    optional={
        "id": st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True),
        "time": _times,
        "minutes": st.integers(1, 600),
        "kind": _text,
        "focus": _text,
    },
)
_invoice = st.fixed_dictionaries(
    {
        "id": _text.filter(bool),
        "amount": st.integers(0, 10**6),
        "status": st.sampled_from(["draft", "sent", "overdue", "paid"]),
        "due": _dates,
    }
)


@st.composite
def _records(draw: st.DrawFn) -> list[dict[str, Any]]:
    ids = draw(st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True), unique=True))
    out = []
    for rid in ids:
        data: dict[str, Any] = {"id": rid, "name": draw(_text) or rid}
        data["next_action"] = {"what": draw(_text), "due": draw(_dates)}
        if draw(st.booleans()):
            data["next_action"]["time"] = draw(_times)
        data["sessions"] = draw(st.lists(_session, max_size=4))
        data["dates"] = {"next_review": draw(_dates), "renewal": draw(_dates)}
        data["billing"] = {"invoices": draw(st.lists(_invoice, max_size=2))}
        out.append(data)
    return out


_zones = st.sampled_from([None, "UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=60)
@given(records=_records(), zone=_zones, reader=_zones)
def test_every_event_sortext_writes_is_read_back_as_its_own(
    records: list[dict[str, Any]], zone: str | None, reader: str | None
) -> None:
    """Whatever the records hold and whichever zones write and read, every event of
    the export is known as sortext's own: no booking, no problem."""
    text = to_ics(records, timezone=zone)
    events = calendar_events(records)
    calendar = read_calendar(text.encode("utf-8"), reader, "export.ics", dt.date(2026, 12, 1))
    assert calendar.problems == []
    assert calendar.bookings == []
    assert calendar.own == calendar.events == len(events)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=25)
@given(records=_records(), zone=_zones)
def test_importing_any_export_plans_nothing(
    sample_base: Path, tmp_path_factory: Any, records: list[dict[str, Any]], zone: str | None
) -> None:
    """The import planner over an export of any records: nothing to write, nothing
    unreadable, every event counted as sortext's own."""
    path = tmp_path_factory.mktemp("ics") / "export.ics"
    path.write_text(to_ics(records, timezone=zone), encoding="utf-8")
    plan = plan_calendar(open_repository(sample_base), path, today=dt.date(2026, 12, 1))
    assert plan.records == [] and plan.problems == [] and plan.rows == 0
    assert plan.own == len(calendar_events(records))


_uid_heads = st.from_regex(r"[A-Za-z0-9._-]{1,20}", fullmatch=True)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=40)
@given(head=_uid_heads, tail=st.sampled_from(["@sortext", "-next-action@sortext", "@Sortext"]))
def test_a_booking_whose_uid_ends_like_ours_is_still_a_booking(head: str, tail: str) -> None:
    """Found breaking round 12: a Calendly booking with the UID ``booking-42@sortext``
    (another tool's, or hand-made) was counted as sortext's own export and dropped
    with no word of the attendee.  Sortext's export never writes an ATTENDEE: an
    event with one is a booking whatever its UID ends with."""
    uid = f"{head}{tail}"
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Calendly//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20261120T000000Z\r\nDTSTART:20261205T100000Z\r\n"
        "DTEND:20261205T110000Z\r\nSUMMARY:Intro call\r\n"
        "ORGANIZER:mailto:me@practice.example\r\n"
        "ATTENDEE;CN=Zed Quinn:mailto:zed@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    calendar = read_calendar(text.encode("utf-8"), "UTC", "cal.ics", dt.date(2026, 12, 1))
    assert calendar.own == 0
    assert [(b.uid, b.email) for b in calendar.bookings] == [(uid, "zed@example.org")]
