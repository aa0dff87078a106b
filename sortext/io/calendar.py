"""Bookings in: a calendar export (``.ics``) planned as an import.

Each event (Google Calendar, Calendly, Cal.com all export RFC 5545 with the
invitee as an ``ATTENDEE``) becomes a row for the ordinary import planner
(:mod:`sortext.io.importer`), so the same conflict and owned-field rules
apply, and the plan is a dry run until applied:

* an attendee whose email matches a client adds a ``scheduled`` session to
  that client, keyed by the event's ``UID`` (``sessions[].uid``): importing
  the same file again plans nothing;
* an unknown attendee becomes a new ``inquiry`` client with that session;
* a cancelled event (``STATUS:CANCELLED``, or Calendly's "Canceled:" title)
  marks the client's ``scheduled`` session with that UID ``cancelled``; a
  session already held is never changed back;
* the organizer (the practice itself) is never a client.

Times are converted to ``sortext.yaml``'s ``timezone`` (a ``UTC`` or ``TZID``
start), or kept as written when the event is floating or no zone is set.
Calendars are parsed with the ``icalendar`` library.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sortext.errors import UsageError
from sortext.io.fieldmap import FieldMap, RowProblem, parse_map
from sortext.io.importer import ImportPlan, Planner, load_states
from sortext.io.spreadsheet import Row
from sortext.repo import Repository

SOURCE = "calendar"
CALENDAR_MAP: FieldMap = parse_map(
    {
        "source": SOURCE,
        "match": "email",
        "fields": {"name": "Name", "email": "Email", "stage": "Stage"},
        "item": {
            "list": "sessions",
            "key": "uid",
            "fields": {
                "date": {"column": "Date", "type": "date"},
                "time": "Time",
                "minutes": {"column": "Minutes", "type": "integer"},
                "status": "Status",
                "focus": "Summary",
                "uid": "UID",
            },
        },
    },
    "calendar import",
)
_CANCELLED_PREFIXES = ("canceled:", "cancelled:")


@dataclass(frozen=True, slots=True)
class Booking:
    """One event for one attendee, as read from the calendar."""

    number: int
    uid: str
    email: str
    name: str | None
    date: dt.date
    time: str | None
    minutes: int | None
    summary: str | None
    cancelled: bool


@dataclass(slots=True)
class Calendar:
    """The bookings of one file and the events that could not be used (with why)."""

    bookings: list[Booking] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    events: int = 0


def _email(value: Any) -> str | None:
    text = str(value).strip()
    if text.casefold().startswith("mailto:"):
        text = text[7:]
    return text.strip() or None if "@" in text else None


def _local(start: Any, zone: str | None) -> tuple[dt.date, str | None]:
    """The event start as (local date, "HH:MM" or None for an all-day event)."""
    if isinstance(start, dt.datetime):
        if start.tzinfo is not None and zone:
            from zoneinfo import ZoneInfo

            start = start.astimezone(ZoneInfo(zone))
        return start.date(), f"{start:%H:%M}"
    if isinstance(start, dt.date):
        return start, None
    raise ValueError("DTSTART is not a date or a date-time")


def read_calendar(data: bytes, zone: str | None, display: str) -> Calendar:
    """Every bookable (event, attendee) pair of an ``.ics`` file.

    Raises UsageError when the file is not a calendar at all; events it cannot
    use (no UID, no start, no attendee) are listed in ``problems``."""
    import icalendar

    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise UsageError(f"{display}: not an iCalendar file: {exc}") from exc
    out = Calendar()
    for cal in calendars:
        for event in cal.walk("VEVENT"):
            out.events += 1
            number = out.events
            uid = str(event.get("UID") or "").strip()
            if not uid:
                out.problems.append(RowProblem(number, "UID", "event has no UID: skipped"))
                continue
            try:
                start = event.decoded("DTSTART")
                day, clock = _local(start, zone)
            except (KeyError, ValueError) as exc:
                out.problems.append(RowProblem(number, "DTSTART", f"event {uid}: {exc}"))
                continue
            minutes = _minutes(event, start)
            summary = str(event.get("SUMMARY") or "").strip() or None
            status = str(event.get("STATUS") or "").strip().upper()
            cancelled = status == "CANCELLED" or bool(
                summary and summary.casefold().startswith(_CANCELLED_PREFIXES)
            )
            organizer = _email(event.get("ORGANIZER") or "")
            attendees = event.get("ATTENDEE") or []
            if not isinstance(attendees, list):
                attendees = [attendees]
            seen = 0
            for attendee in attendees:
                email = _email(attendee)
                if email is None or (organizer and email.casefold() == organizer.casefold()):
                    continue
                cn = attendee.params.get("CN") if hasattr(attendee, "params") else None
                name = str(cn).strip() if cn and "@" not in str(cn) else None
                seen += 1
                out.bookings.append(
                    Booking(number, uid, email, name, day, clock, minutes, summary, cancelled)
                )
            if not seen:
                out.problems.append(
                    RowProblem(
                        number, "ATTENDEE", f"event {uid}: no attendee besides the organizer"
                    )
                )
    return out


def _minutes(event: Any, start: Any) -> int | None:
    try:
        end = event.decoded("DTEND")
    except KeyError:
        end = None
    if end is None:
        try:
            duration = event.decoded("DURATION")
        except KeyError:
            return None
        return int(duration.total_seconds() // 60) if isinstance(duration, dt.timedelta) else None
    if isinstance(start, dt.datetime) and isinstance(end, dt.datetime):
        if (start.tzinfo is None) != (end.tzinfo is None):
            return None
        return max(0, int((end - start).total_seconds() // 60))
    return None


def plan_calendar(repo: Repository, path: Path, accept: Sequence[str] = ()) -> ImportPlan:
    """What importing the calendar at ``path`` would do; nothing is written."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    calendar = read_calendar(raw, repo.config.timezone, str(path))
    states = load_states(repo)
    by_email = {
        str(d["email"]).casefold(): rid
        for rid, (_, d) in sorted(states.items())
        if isinstance(d.get("email"), str)
    }
    # The calendar owns the status of its own bookings: a cancellation is taken
    # (only ever from scheduled, see _row), never reported as a conflict.
    planner = Planner(repo, CALENDAR_MAP, SOURCE, [*accept, "sessions.*.status"], states)
    rows = 0
    for booking in calendar.bookings:
        rid = by_email.get(booking.email.casefold())
        row = _row(booking, states[rid][1] if rid is not None else None)
        if row is None:
            continue
        rows += 1
        planner.plan_row(row)
    plan = ImportPlan(SOURCE, rows, problems=[*calendar.problems, *planner.problems])
    plan.records = [
        p for p in planner.plans.values() if p.is_new or p.changes or p.conflicts or p.skipped
    ]
    plan.records.sort(key=lambda p: (p.is_new, p.record_id))
    plan.supplied = {p.record_id: p.supplied for p in planner.plans.values() if p.supplied}
    return plan


def _row(booking: Booking, data: dict[str, Any] | None) -> Row | None:
    """The import row of one booking given the client's current data (None: new client)."""
    session = None
    if data is not None:
        sessions = data.get("sessions")
        for s in sessions if isinstance(sessions, list) else []:
            if isinstance(s, dict) and s.get("uid") == booking.uid:
                session = s
                break
    if session is None and booking.cancelled:
        return None  # nothing booked here to cancel
    values: dict[str, Any] = {
        "Email": booking.email,
        "UID": booking.uid,
        "Date": booking.date.isoformat(),
        "Time": booking.time or "",
        "Minutes": booking.minutes if booking.minutes else "",
    }
    if data is None:
        values["Name"] = booking.name or booking.email
        values["Stage"] = "inquiry"
    if session is None:
        values["Status"] = "scheduled"
        values["Summary"] = booking.summary or ""
    elif booking.cancelled and session.get("status") == "scheduled":
        values["Status"] = "cancelled"
    return Row(booking.number, values)
