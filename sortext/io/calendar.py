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
* the organizer (the practice itself) is never a client;
* a moved event moves its ``scheduled`` (or ``cancelled``) session: the
  calendar owns the date, time and length of its own bookings; a session
  already held keeps its date;
* a cancelled event booked again under the same UID makes its session
  ``scheduled`` again;
* a recurring event (``RRULE``/``RDATE``, with ``EXDATE`` and moved or
  cancelled instances given by ``RECURRENCE-ID``) gives one session per
  occurrence from ``today`` to :data:`HORIZON_DAYS` later, keyed
  ``UID/RECURRENCE-ID`` (expanded by the ``recurring-ical-events`` library);
  an occurrence no longer in the series (``EXDATE``) cancels its scheduled
  session dated in that window; a series that repeats more than
  :data:`MAX_SERIES_SESSIONS` times there (two a day), or that the library
  cannot expand, is a problem at its line and books nothing, and the sessions
  it booked before stay as they are;
* the same event twice in one file (same key and attendee) counts once: the
  highest ``SEQUENCE`` wins, the later one on a tie;
* an event sortext's own ICS export wrote (its UID ends ``@sortext``:
  :data:`sortext.io.export.OWN_UID_SUFFIX`, and it has no ``ATTENDEE``, which
  the export never writes) is the records' own date read back: counted in
  ``own``, never booked, never a problem, so importing an export of these
  records plans nothing.  An event with an attendee is a booking whatever its
  UID ends with: another tool's ``...@sortext`` UID never drops one silently.

An event with a line the icalendar library cannot parse (it keeps such lines as
``event.errors`` and reads on), with a one-value property given twice, or
lasting less than nothing or more than :data:`MAX_MINUTES` is never booked from
a guess: it is a problem at its ``BEGIN:VEVENT`` line and every other event is
still booked; each series is expanded on its own, so one that cannot be
expanded stops no other.

Times are converted to ``sortext.yaml``'s ``timezone`` (a ``UTC`` or ``TZID``
start), to this computer's zone when none is set, and kept as written when
the event is floating (no zone).
Calendars are parsed with the ``icalendar`` library.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sortext.errors import UsageError
from sortext.io.fieldmap import FieldMap, RowProblem, parse_map
from sortext.io.importer import EntryIndex, ImportPlan, Planner, load_states
from sortext.io.spreadsheet import Row
from sortext.repo import Repository
from sortext.vcs.midnight import practice_day

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
HORIZON_DAYS = 92  # how far ahead a recurring event's occurrences are booked
#: The most sessions one recurring event books in the horizon: two a day.  A
#: coach's series is weekly or daily, a group programme twice a day at most; an
#: hourly rule (the finest one allowed, :data:`_TOO_OFTEN`) booked 2,208 sessions
#: into one client, each a record entry the import then wrote.
MAX_SERIES_SESSIONS = 2 * HORIZON_DAYS
MAX_MINUTES = 24 * 60  # a timed booking longer than a day is a mistake (P400D), not a session
# The properties an event has at most once (RFC 5545 3.6.1): two are not one value.
SINGLE = ("UID", "DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "SEQUENCE", "STATUS", "SUMMARY")
_ZONED = ("DTSTART", "DTEND", "RECURRENCE-ID")  # (their TZID must name a zone)
# The calendar owns these fields of the sessions it booked (see _row).
OWNED_BY_CALENDAR = (
    "sessions.*.status",
    "sessions.*.date",
    "sessions.*.time",
    "sessions.*.minutes",
)


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
    sequence: int = 0


@dataclass(slots=True)
class Calendar:
    """The bookings of one file and the events that could not be used (with why)."""

    bookings: list[Booking] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    events: int = 0
    series: set[str] = field(default_factory=set)  # the UIDs of recurring events
    window: tuple[dt.date, dt.date] | None = None  # where their occurrences were expanded
    own: int = 0  # events sortext's own export wrote (not bookings: the records' dates)
    path: str = ""  # the file, as problems name it
    lines: dict[int, int] = field(default_factory=dict)  # row number -> its BEGIN:VEVENT line

    def problem(self, number: int, column: str, message: str) -> RowProblem:
        """A problem at the ``BEGIN:VEVENT`` line of event (row) ``number``."""
        return RowProblem(number, column, message, self.path, self.lines.get(number, 0), 1)


_BEGIN_EVENT = rb"(?im)^BEGIN:VEVENT[ \t]*$"


def event_lines(data: bytes) -> list[int]:
    """The 1-based line of each ``BEGIN:VEVENT`` of an ``.ics`` file, in order
    (lines end in CRLF, LF or CR)."""
    text = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return [text.count(b"\n", 0, m.start()) + 1 for m in re.finditer(_BEGIN_EVENT, text)]


_COMPONENT_LINE = re.compile(rb"(?i)^(BEGIN|END):([A-Z0-9-]+)[ \t]*$")


def unmatched(data: bytes) -> tuple[int, str] | None:
    """The first ``BEGIN:``/``END:`` line that does not pair up, as ``(1-based
    line, message)``; None when every component is closed in order.  (The icalendar
    library drops every event of a file whose components do not nest, silently.)"""
    text = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    open_: list[tuple[int, str]] = []
    for number, line in enumerate(text.split(b"\n"), 1):
        m = _COMPONENT_LINE.match(line)
        if m is None:
            continue
        kind, name = m.group(1).upper(), m.group(2).decode("ascii").upper()
        if kind == b"BEGIN":
            open_.append((number, name))
        elif not open_:
            return number, f"END:{name} without its BEGIN:{name}"
        elif open_[-1][1] != name:
            at, was = open_[-1]
            return at, f"BEGIN:{was} is not closed (END:{name} at line {number})"
        else:
            open_.pop()
    if open_:
        at, was = open_[-1]
        return at, f"BEGIN:{was} is not closed"
    return None


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
        elif start.tzinfo is not None:
            # No practice zone: this computer's, as a calendar app shows it (a
            # Google export's 19:30Z is 14:30 in New York, not "19:30").
            start = start.astimezone()
        return start.date(), f"{start:%H:%M}"
    if isinstance(start, dt.date):
        return start, None
    raise ValueError("DTSTART is not a date or a date-time")


def _is_recurring(event: Any) -> bool:
    return any(event.get(key) is not None for key in ("RRULE", "RDATE", "RECURRENCE-ID"))


def _recurrence_key(uid: str, event: Any) -> str:
    """``UID/20261214T100000Z`` (UTC), ``UID/20261214T100000`` (floating) or
    ``UID/20261214`` (all day): one occurrence of a recurring event."""
    when = event.decoded("RECURRENCE-ID", None)
    if when is None:
        when = event.decoded("DTSTART")
    if isinstance(when, dt.datetime):
        if when.tzinfo is not None:
            return f"{uid}/{when.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
        return f"{uid}/{when:%Y%m%dT%H%M%S}"
    return f"{uid}/{when:%Y%m%d}"


def _sequence(event: Any) -> int:
    try:
        return int(str(event.get("SEQUENCE") or 0))
    except ValueError:
        return 0


def unreadable(event: Any) -> list[tuple[str, str]]:
    """Why ``event`` cannot be used as the file says it: ``(property, message)`` for
    each line the icalendar library could not parse (it keeps them as
    ``event.errors`` and goes on) and each property of :data:`SINGLE` given more
    than once; ``[]`` when it reads whole.  A line that is not ``NAME:value`` at
    all is named ``line``."""
    out = [(str(name or "line"), str(message)) for name, message in event.errors]
    for name in SINGLE:
        value = event.get(name)
        if isinstance(value, list) and len(value) > 1:
            out.append((name, f"given {len(value)} times: one is expected"))
        elif name in _ZONED and value is not None and not isinstance(value, list):
            zone = value.params.get("TZID") if hasattr(value, "params") else None
            try:
                when = value.dt
            except Exception:  # a broken line (BrokenCalendarProperty): in errors above
                when = None
            if zone and isinstance(when, dt.datetime) and when.tzinfo is None:
                # the library reads an unknown zone as no zone: 10:00 would be booked
                # at 10:00 here, whatever the zone meant
                out.append(
                    (
                        name,
                        f"time zone '{zone}' is unknown (not a zone name this computer "
                        "knows nor a VTIMEZONE of the file): the time cannot be placed",
                    )
                )
    return out


def read_calendar(
    data: bytes, zone: str | None, display: str, today: dt.date | None = None
) -> Calendar:
    """Every bookable (event, attendee) pair of an ``.ics`` file.

    A recurring event gives its occurrences from ``today`` (default: the
    practice's day in ``zone``) to :data:`HORIZON_DAYS` later, each with its own key.
    Raises UsageError when the file is not a calendar at all; events it cannot
    use (no UID, no start, no attendee) are listed in ``problems``."""
    import icalendar

    from sortext.io.export import OWN_UID_SUFFIX

    # Lines as this module counts them (CRLF, LF or a lone CR each end one): the
    # library splits at CRLF and LF only, so a lone CR joined two lines into one
    # (END:VEVENT\rEND:VCALENDAR) and every event of the file was dropped.
    lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    try:
        calendars = icalendar.Calendar.from_ical(lines, multiple=True)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise UsageError(f"{display}: not an iCalendar file: {exc}") from exc
    if not calendars and event_lines(data):
        nesting = unmatched(data)
        if nesting is not None:
            raise UsageError(f"{display}:{nesting[0]}:1: {nesting[1]}: no event could be read")
        raise UsageError(f"{display}: not an iCalendar file: no calendar could be read")
    first = today or practice_day(zone)
    out = Calendar(path=display)
    begins = event_lines(data)
    uid_lines: dict[str, int] = {}
    best: dict[tuple[str, str], Booking] = {}
    skipped: set[str] = set()  # UIDs of events that could not be read
    for cal in calendars:
        recurring: set[str] = set()
        for event in cal.walk("VEVENT"):
            out.events += 1
            if out.events <= len(begins):
                out.lines[out.events] = begins[out.events - 1]
            broken = unreadable(event)
            if broken:
                # never booked from what the library guessed: the file's line is fixed
                # and imported again (the event's other lines may be half read)
                for name, message in broken:
                    out.problems.append(
                        out.problem(out.events, name, f"cannot read this event: {message}")
                    )
                if not isinstance(event.get("UID"), list):
                    skipped.add(str(event.get("UID") or "").strip())
                continue
            uid = str(event.get("UID") or "").strip()
            uid_lines.setdefault(uid, out.lines.get(out.events, 0))
            if not uid:
                out.problems.append(out.problem(out.events, "UID", "event has no UID: skipped"))
            elif uid.endswith(OWN_UID_SUFFIX) and not event.get("ATTENDEE"):
                out.own += 1  # (a booking's UID may end so too: an attendee makes it one)
            elif _is_recurring(event):
                why = _length_problem(event)
                rule = _rule_problem(event, first + dt.timedelta(days=HORIZON_DAYS))
                if why is None and rule is None:
                    recurring.add(uid)
                elif why is not None:  # said once, as the file says it (occurrences: DTEND)
                    out.problems.append(out.problem(out.events, "DURATION", f"event {uid}: {why}"))
                    skipped.add(uid)
                else:
                    out.problems.append(out.problem(out.events, "RRULE", f"event {uid}: {rule}"))
                    skipped.add(uid)
            else:
                _add_event(event, uid, uid, out.events, zone, out, best)
        recurring -= skipped  # (a moved instance cannot be read: its series waits)
        if recurring:
            out.series |= recurring
            out.window = (first, first + dt.timedelta(days=HORIZON_DAYS))
            for i, uid in enumerate(sorted(recurring)):  # (the rows _add_occurrences gives)
                out.lines[out.events + 1 + i] = uid_lines.get(uid, 0)
            _add_occurrences(series_calendars(cal, recurring), first, zone, out, best)
    out.bookings = sorted(best.values(), key=lambda b: (b.number, b.uid, b.email.casefold()))
    return out


def series_calendars(cal: Any, uids: set[str]) -> dict[str, Any]:
    """The calendar each recurring event of ``uids`` is expanded from, built in one
    pass over the components of ``cal`` (an ``icalendar.Calendar``): UID -> a new
    ``icalendar.Calendar`` holding, in the file's order, that UID's ``VEVENT`` components
    (the series' master and its ``RECURRENCE-ID`` instances) and every other
    component that holds a ``VEVENT`` nested in it (the expansion walks into those
    too, so each series has always been given them).  Components that hold no
    ``VEVENT`` (``VTIMEZONE``, a ``VTODO``) are left out: the expansion reads only
    the ``VEVENT`` components it walks to, and a zone is resolved when the file is parsed.

    O(components + the series' own events + series x nesting components): each series
    once scanned the whole file (O(series x components): 4,000 weekly series took
    21 s).  A UID of ``uids`` with no ``VEVENT`` gets a calendar of the nesting
    components alone."""
    import icalendar

    own: dict[str, list[tuple[int, Any]]] = {uid: [] for uid in uids}
    nesting: list[tuple[int, Any]] = []  # (a VEVENT inside another component)
    for index, component in enumerate(cal.subcomponents):
        if component.name == "VEVENT":
            found = own.get(str(component.get("UID") or "").strip())
            if found is not None:
                found.append((index, component))
        elif any(True for _ in component.walk("VEVENT")):
            nesting.append((index, component))
    out: dict[str, Any] = {}
    for uid, events in own.items():
        alone = icalendar.Calendar()
        merged = sorted([*events, *nesting], key=lambda pair: pair[0]) if nesting else events
        for _, component in merged:
            alone.add_component(component)
        out[uid] = alone
    return out


def _add_occurrences(
    calendars: dict[str, Any],
    first: dt.date,
    zone: str | None,
    out: Calendar,
    best: dict[tuple[str, str], Booking],
) -> None:
    """The occurrences in the horizon of each recurring event of ``calendars`` (UID ->
    its own calendar: :func:`series_calendars`), numbered after the file's events in
    UID order."""
    import recurring_ical_events

    last = first + dt.timedelta(days=HORIZON_DAYS)
    for i, uid in enumerate(sorted(calendars)):
        # numbered after the file's events so every occurrence has its own row
        row = out.events + 1 + i
        # each series expanded on its own (with the calendar's time zones): one
        # that cannot be expanded is reported at its line, the others still booked
        alone = calendars[uid]
        try:
            occurrences = list(recurring_ical_events.of(alone).between(first, last))
        except Exception as exc:  # the library raises its own types for a bad RRULE
            out.problems.append(out.problem(row, "RRULE", f"event {uid}: cannot expand: {exc}"))
            out.series.discard(uid)  # not read: its booked sessions are not "dropped"
            continue
        if len(occurrences) > MAX_SERIES_SESSIONS:
            from sortext.rules.wording import count

            out.series.discard(uid)  # not booked: its booked sessions stay as they are
            most = count(MAX_SERIES_SESSIONS, "session")
            out.problems.append(
                out.problem(
                    row,
                    "RRULE",
                    f"event {uid}: repeats {len(occurrences):,} times in the {HORIZON_DAYS} "
                    f"days from {first.isoformat()}; a series books at most {most} (two a "
                    "day): is the rule right? The series was not booked",
                )
            )
            continue
        for occurrence in occurrences:
            key = _recurrence_key(uid, occurrence)
            _add_event(occurrence, uid, key, row, zone, out, best)


def _add_event(
    event: Any,
    uid: str,
    key: str,
    number: int,
    zone: str | None,
    out: Calendar,
    best: dict[tuple[str, str], Booking],
) -> None:
    """One event's bookings (one per attendee) into ``best``, keyed (key, email)."""
    try:
        start = event.decoded("DTSTART")
        day, clock = _local(start, zone)
    except (KeyError, ValueError) as exc:
        out.problems.append(out.problem(number, "DTSTART", f"event {uid}: {exc}"))
        return
    try:
        minutes = _minutes(event, start)
    except ValueError as exc:
        out.problems.append(out.problem(number, "DURATION", f"event {uid}: {exc}"))
        return
    summary = str(event.get("SUMMARY") or "").strip() or None
    status = str(event.get("STATUS") or "").strip().upper()
    cancelled = status == "CANCELLED" or bool(
        summary and summary.casefold().startswith(_CANCELLED_PREFIXES)
    )
    sequence = _sequence(event)
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
        booking = Booking(
            number, key, email, name, day, clock, minutes, summary, cancelled, sequence
        )
        slot = (key, email.casefold())
        if slot not in best or best[slot].sequence <= sequence:
            best[slot] = booking
    if not seen:
        out.problems.append(
            out.problem(number, "ATTENDEE", f"event {uid}: no attendee besides the organizer")
        )


#: The repetitions a session cannot have: more often than hourly.  The rule library
#: steps through every repetition from DTSTART (no skipping ahead), so a rule that
#: repeats by the second or minute (or by several of them: BYMINUTE=0,1,...) took
#: minutes to hours to expand, and INTERVAL=0 never ended.
_TOO_OFTEN = ("SECONDLY", "MINUTELY")
_TOO_FINE = ("BYSECOND", "BYMINUTE")


#: The most repetitions a series may have from its DTSTART to the end of the window
#: read (see :func:`repetitions_bound`): the rule library steps through each of them
#: (~3 us each on the 2-core machine), so an hourly rule begun in 1970 cost 1.4 s
#: and a file of 30 such series 41 s.  A weekly series of ten years is ~520, a daily
#: one ~3,650, twice a day ~7,300.
MAX_SERIES_STEPS = 20_000

#: Days per period of each FREQ, at its shortest (more periods: a bound from above).
_PERIOD_DAYS = {"HOURLY": 1 / 24, "DAILY": 1, "WEEKLY": 7, "MONTHLY": 28, "YEARLY": 365}


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _days_per_period(freq: str, rule: Any) -> int:
    """The most days one period of ``rule`` can give a repetition on (RFC 5545's
    expansion table: a BY part expands a coarser FREQ and filters a finer one)."""

    def n(part: str) -> int:
        return len(rule.get(part, []))

    if freq == "WEEKLY":
        return n("BYDAY") or 1
    if freq == "MONTHLY":
        return n("BYMONTHDAY") or 5 * n("BYDAY") or 1  # a weekday falls 4-5 times a month
    if freq == "YEARLY":
        if n("BYYEARDAY"):
            return n("BYYEARDAY")
        if n("BYWEEKNO"):
            return n("BYWEEKNO") * (n("BYDAY") or 7)
        if n("BYMONTH"):
            return n("BYMONTH") * (n("BYMONTHDAY") or 5 * n("BYDAY") or 1)
        return 12 * n("BYMONTHDAY") or 53 * n("BYDAY") or 1
    return 1  # DAILY, HOURLY: a period is within one day


def repetitions_bound(rule: Any, start: dt.date, end: dt.date) -> int:
    """An upper bound on the steps the rule library takes to expand ``rule`` (an
    ``RRULE`` value: FREQ, INTERVAL, UNTIL, BY parts) from ``start`` (its DTSTART's
    day) to ``end`` (the window's last day, or UNTIL's when earlier): the periods in
    that span at the FREQ's shortest, times the days a period can give (see
    :func:`_days_per_period`) and the hours a day can (BYHOUR expands every FREQ but
    HOURLY, where the library steps from one listed hour to the next).  0 when the
    rule ends before it starts.  Steps after ``end`` are not counted: see
    :func:`repeats_at_all`."""
    freq = str((rule.get("FREQ") or ["DAILY"])[0]).upper()
    period = _PERIOD_DAYS.get(freq, 1 / 24)
    intervals = [i for i in rule.get("INTERVAL", []) if isinstance(i, int) and i >= 1]
    interval = intervals[0] if intervals else 1
    until = [d for d in (_day(u) for u in rule.get("UNTIL", [])) if d is not None]
    last = min([end, *until])
    if last < start:
        return 0
    days = (last - start).days + 1  # the last day counts whole (24 hourly steps)
    hours = len(rule.get("BYHOUR", []))
    if freq == "HOURLY":
        every = int(days * 24 / interval) + 1
        return min(every, (days + 1) * (hours + 1)) if hours else every
    periods = int(days / (period * interval)) + 1
    return periods * _days_per_period(freq, rule) * (hours or 1)


#: The years a rule is tried over for a first repetition (:func:`repeats_at_all`).
PROBE_YEARS = 2
#: The FREQs tried so (a yearly rule steps through at most ~8,000 years to 9999).
_PROBED = ("HOURLY", "DAILY", "WEEKLY", "MONTHLY")


def repeats_at_all(rule: Any, start: Any) -> bool:
    """Whether ``rule`` (hourly to monthly) gives a repetition within
    :data:`PROBE_YEARS` years, tried from the year 9999 less them (at ``start``'s
    time of day): the rule library finds the first repetition after the window by
    stepping through every period until it finds one, up to the year 9999, so a rule
    that never repeats (``FREQ=HOURLY;BYSETPOS=2``, ``BYMONTH=2;BYMONTHDAY=30``, a
    ``BYYEARDAY=367``) stepped through ~70M hours, ~2.9M days or ~95,000 months
    (seconds to minutes) and booked nothing.  True when the library cannot read the
    rule (its own error is said where the series is expanded)."""
    from dateutil import rrule as du

    parts = {k: v for k, v in rule.items() if k not in ("UNTIL", "COUNT")}
    try:
        text = type(rule)(parts).to_ical().decode("ascii")
        clock = start.time() if isinstance(start, dt.datetime) else dt.time(9)
        begin = dt.datetime.combine(dt.date(dt.MAXYEAR - PROBE_YEARS, 1, 1), clock)
        made = du.rrulestr(text, dtstart=begin.replace(tzinfo=None))
        return next(iter(made), None) is not None
    except (ValueError, TypeError, OverflowError, KeyError):
        return True


def _rule_problem(event: Any, end: dt.date | None = None) -> str | None:
    """Why the ``RRULE`` of ``event`` (a series' own line) cannot be expanded into
    sessions, or None: an ``INTERVAL`` that is not a whole number of at least 1
    (RFC 5545: a positive integer; 0 repeated forever at one moment), a ``FREQ``
    finer than hourly, more than one ``BYSECOND`` / ``BYMINUTE`` value, more than
    one ``RRULE`` line (RFC 5545 3.8.5.3: it SHOULD NOT occur more than once; each line
    is expanded in full before the series' sessions are counted, so a file repeating
    it hundreds of times held an import for minutes), or (``end``: the window's last
    day) more than :data:`MAX_SERIES_STEPS` repetitions from its DTSTART to ``end``,
    each of which the expansion steps through."""
    value = event.get("RRULE")
    if isinstance(value, list) and len(value) > 1:
        return (
            f"{len(value)} RRULE lines: a series repeats by one rule (RFC 5545); "
            "make the others events of their own. The series was not booked"
        )
    for rule in value if isinstance(value, list) else [value] if value is not None else []:
        for interval in rule.get("INTERVAL", []):
            if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
                return f"INTERVAL={interval}: the rule repeats every 1 or more periods, not less"
        for freq in rule.get("FREQ", []):
            if str(freq).upper() in _TOO_OFTEN:
                return (
                    f"FREQ={str(freq).upper()}: a session cannot recur more often than "
                    "hourly; the series was not booked"
                )
        for part in _TOO_FINE:
            if len(rule.get(part, [])) > 1:
                from sortext.rules.wording import count

                return (
                    f"{part} gives {count(len(rule[part]), 'value')}: a session cannot recur "
                    "more often than hourly; the series was not booked"
                )
    try:
        moment = event.decoded("DTSTART")
    except (KeyError, ValueError):
        moment = None  # (said when its occurrences are booked)
    start = _day(moment)
    for rule in value if isinstance(value, list) else [value] if value is not None else []:
        freq = str((rule.get("FREQ") or [""])[0]).upper()
        if freq in _PROBED and not repeats_at_all(rule, moment):
            return (
                f"FREQ={freq}: the rule gives no repetition in {PROBE_YEARS} years (its BY "
                "parts never meet: a BYSETPOS past a period's one repetition, a day no "
                "month has, a BYYEARDAY or BYWEEKNO out of range): is the rule right? The "
                "series was not booked"
            )
        steps = repetitions_bound(rule, start, end) if start and end else 0
        if steps > MAX_SERIES_STEPS:
            return (
                f"repeats up to {steps:,} times from its DTSTART ({start}) to {end}, and "
                f"each is stepped through to find the sessions from today; a series is "
                f"read up to {MAX_SERIES_STEPS:,}: is the rule right? (a series begun long "
                "ago can be ended there and begun again from today) The series was not booked"
            )
    return None


def _length_problem(event: Any) -> str | None:
    """Why the length of ``event`` (a series' own line) cannot be booked, or None."""
    try:
        start = event.decoded("DTSTART")
    except (KeyError, ValueError):
        return None  # (said when its occurrences are booked)
    try:
        _minutes(event, start)
    except ValueError as exc:
        return str(exc)
    return None


def _minutes(event: Any, start: Any) -> int | None:
    """The length of a timed event in minutes (its ``DTEND`` or ``DURATION``);
    None when it has neither or is all day.  Raises ValueError when it ends
    before it starts or lasts more than :data:`MAX_MINUTES`."""
    if not isinstance(start, dt.datetime):
        return None  # all day: a day, not a session length
    try:
        end = event.decoded("DTEND")
    except KeyError:
        end = None
    if end is None:
        try:
            duration = event.decoded("DURATION")
        except KeyError:
            return None
        if not isinstance(duration, dt.timedelta):
            return None
        seconds = duration.total_seconds()
        what = f"DURATION {event.get('DURATION').to_ical().decode()}"
    elif isinstance(end, dt.datetime):
        if (start.tzinfo is None) != (end.tzinfo is None):
            return None
        seconds = (end - start).total_seconds()
        what = "DTEND"
    else:
        return None
    if seconds < 0:
        raise ValueError(f"{what} ends before the event starts")
    if seconds > MAX_MINUTES * 60:
        raise ValueError(
            f"{what} is {int(seconds // 60)} minutes: more than {MAX_MINUTES} "
            "(a day) is not a session"
        )
    return int(seconds // 60)


def plan_calendar(
    repo: Repository, path: Path, accept: Sequence[str] = (), today: dt.date | None = None
) -> ImportPlan:
    """What importing the calendar at ``path`` would do; nothing is written.
    ``today`` starts the horizon of recurring events (default: the system date)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    calendar = read_calendar(raw, repo.config.timezone, str(path), today)
    states = load_states(repo)
    by_email = {
        str(d["email"]).casefold(): rid
        for rid, (_, d) in sorted(states.items())
        if isinstance(d.get("email"), str)
    }
    # The calendar owns the status, date, time and length of its own bookings
    # (only while they are scheduled or cancelled, see _row): a cancellation or
    # a move is taken, never reported as a conflict.
    planner = Planner(repo, CALENDAR_MAP, SOURCE, [*accept, *OWNED_BY_CALENDAR], states)
    rows = 0
    sessions_by_uid = EntryIndex("uid")
    for booking in calendar.bookings:
        rid = by_email.get(booking.email.casefold())
        row = _row(booking, states[rid][1] if rid is not None else None, sessions_by_uid)
        if row is None:
            continue
        row = replace(row, path=str(path), line=calendar.lines.get(booking.number, 0))
        rows += 1
        planner.plan_row(row)
    for rid, booking in _dropped_occurrences(calendar, states):
        row = _row(booking, states[rid][1], sessions_by_uid)
        if row is not None:
            row = replace(row, path=str(path), line=calendar.lines.get(booking.number, 0))
            rows += 1
            planner.plan_row(row)
    plan = ImportPlan(SOURCE, rows, problems=[*calendar.problems, *planner.problems])
    plan.own = calendar.own
    plan.records = [
        p for p in planner.plans.values() if p.is_new or p.changes or p.conflicts or p.skipped
    ]
    plan.records.sort(key=lambda p: (p.is_new, p.record_id))
    plan.supplied = {p.record_id: p.supplied for p in planner.plans.values() if p.supplied}
    return plan


def _dropped_occurrences(calendar: Calendar, states: dict[str, Any]) -> list[tuple[str, Booking]]:
    """Cancellations for occurrences of a recurring event that the file no longer
    has (deleted from the series: ``EXDATE``, a shorter ``RRULE``): a client's
    ``scheduled`` session keyed ``UID/...`` of one of the file's series, dated in
    the window the series was expanded over, that no occurrence booked."""
    if not calendar.series or calendar.window is None:
        return []
    first, last = calendar.window
    booked = {b.uid for b in calendar.bookings}
    out: list[tuple[str, Booking]] = []
    for rid, (_, data) in sorted(states.items()):
        email = data.get("email")
        sessions = data.get("sessions")
        if not isinstance(email, str) or not isinstance(sessions, list):
            continue
        for s in sessions:
            if not isinstance(s, dict) or s.get("status") != "scheduled":
                continue
            uid = str(s.get("uid") or "")
            series, slash, _ = uid.partition("/")
            when = s.get("date")
            day = dt.date.fromisoformat(when) if isinstance(when, str) and len(when) == 10 else None
            if (
                slash
                and series in calendar.series
                and uid not in booked
                and day is not None
                and first <= day < last
            ):
                time = s.get("time") if isinstance(s.get("time"), str) else None
                minutes = s.get("minutes") if s.get("minutes").__class__ is int else None
                booking = Booking(
                    calendar.events + 1, uid, email, None, day, time, minutes, None, True
                )
                out.append((rid, booking))
    return out


def _row(
    booking: Booking, data: dict[str, Any] | None, sessions_by_uid: EntryIndex | None = None
) -> Row | None:
    """The import row of one booking given the client's current data (None: new client).
    ``sessions_by_uid`` (an :class:`EntryIndex` on ``uid``, shared by the rows of one
    import) finds the client's session without scanning them all for each booking."""
    session = None
    if data is not None:
        sessions = data.get("sessions")
        if isinstance(sessions, list):
            found = (sessions_by_uid or EntryIndex("uid")).position(sessions, booking.uid)
            session = sessions[found] if found is not None else None
    if session is None and booking.cancelled:
        return None  # nothing booked here to cancel
    values: dict[str, Any] = {"Email": booking.email, "UID": booking.uid}
    status = session.get("status") if session is not None else None
    if session is None or status in ("scheduled", "cancelled"):
        # still a booking: the calendar's date, time and length are the truth
        values["Date"] = booking.date.isoformat()
        values["Time"] = booking.time or ""
        values["Minutes"] = booking.minutes if booking.minutes else ""
    if data is None:
        values["Name"] = booking.name or booking.email
        values["Stage"] = "inquiry"
    if session is None:
        values["Status"] = "scheduled"
        values["Summary"] = booking.summary or ""
    elif booking.cancelled and status == "scheduled":
        values["Status"] = "cancelled"
    elif not booking.cancelled and status == "cancelled":
        values["Status"] = "scheduled"  # booked again under the same UID
    return Row(booking.number, values)
