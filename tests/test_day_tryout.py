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


# -- bookings: recurring, moved, cancelled and re-booked, duplicated events ------

TODAY = "2026-11-30"
AMARA = "amara.okafor@example.com"


def _vevent(uid: str, start: str, *extra: str, email: str = AMARA, minutes: int = 50) -> str:
    begin = dt.datetime.strptime(start, "%Y%m%dT%H%M%S")
    end = begin + dt.timedelta(minutes=minutes)
    return "\r\n".join(
        [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "DTSTAMP:20261120T120000Z",
            f"DTSTART;TZID=Europe/London:{start}",
            f"DTEND;TZID=Europe/London:{end:%Y%m%dT%H%M%S}",
            "SUMMARY:Coaching",
            "ORGANIZER:mailto:maya@example.org",
            f"ATTENDEE;CN=Amara Okafor:mailto:{email}",
            *extra,
            "END:VEVENT",
        ]
    )


def _ics(*events: str) -> bytes:
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN"
    return "\r\n".join([head, *events, "END:VCALENDAR", ""]).encode()


def _import(cli: Any, root: Any, data: bytes, *args: str) -> Any:
    path = root.parent / "bookings.ics"
    path.write_bytes(data)
    result = cli("import", str(path), "--today", TODAY, "--repo", str(root), *args)
    assert "Traceback" not in result.output
    return result


def _booked(root: Any, prefix: str) -> list[dict[str, Any]]:
    from sortext.api import open as open_api

    sessions = open_api(root).record("amara-okafor").data.get("sessions") or []
    return [dict(s) for s in sessions if str(s.get("uid", "")).startswith(prefix)]


def test_recurring_event_books_each_occurrence_and_its_moved_instance(
    cli: Any, records_repo: Any
) -> None:
    data = _ics(
        _vevent(
            "series@google.com",
            "20261207T100000",
            "RRULE:FREQ=WEEKLY;COUNT=4",
            "EXDATE;TZID=Europe/London:20261221T100000",
        ),
        _vevent(
            "series@google.com",
            "20261215T110000",
            "RECURRENCE-ID;TZID=Europe/London:20261214T100000",
            "SEQUENCE:1",
            email=AMARA.upper(),
        ),
    )
    done = _import(cli, records_repo, data)
    assert done.exit_code == 0, done.output
    booked = sorted((s["date"], s["time"]) for s in _booked(records_repo, "series@google.com"))
    assert booked == [("2026-12-07", "10:00"), ("2026-12-15", "11:00"), ("2026-12-28", "10:00")]
    assert len({s["uid"] for s in _booked(records_repo, "series@google.com")}) == 3
    again = _import(cli, records_repo, data)
    assert "0 records to update, 0 new, 0 conflicts" in again.output, again.output


def test_moved_event_moves_its_session_and_a_held_session_stays(
    cli: Any, records_repo: Any
) -> None:
    first = _import(cli, records_repo, _ics(_vevent("one@cal.com", "20261209T140000")))
    assert first.exit_code == 0, first.output
    moved = _ics(_vevent("one@cal.com", "20261211T093000", "SEQUENCE:1", minutes=30))
    out = _import(cli, records_repo, moved)
    assert out.exit_code == 0 and "! conflict" not in out.output, out.output
    (session,) = _booked(records_repo, "one@cal.com")
    assert (session["date"], session["time"], session["minutes"]) == ("2026-12-11", "09:30", 30)
    # once held, the calendar no longer moves it
    path = records_repo / "clients/amara-okafor.md"
    text = path.read_text()
    held = text.replace(
        "status: scheduled\n    focus: Coaching\n    uid: one@cal.com",
        "status: held\n    focus: Coaching\n    uid: one@cal.com",
    )
    assert held != text
    path.write_text(held)
    later = _ics(_vevent("one@cal.com", "20261218T093000", "SEQUENCE:2"))
    out = _import(cli, records_repo, later)
    assert "0 records to update" in out.output, out.output
    (session,) = _booked(records_repo, "one@cal.com")
    assert (session["date"], session["status"]) == ("2026-12-11", "held")


def test_cancelled_then_rebooked_event_is_scheduled_again(cli: Any, records_repo: Any) -> None:
    _import(cli, records_repo, _ics(_vevent("re@cal.com", "20261209T140000")))
    cancel = _ics(_vevent("re@cal.com", "20261209T140000", "STATUS:CANCELLED", "SEQUENCE:1"))
    _import(cli, records_repo, cancel)
    assert [s["status"] for s in _booked(records_repo, "re@cal.com")] == ["cancelled"]
    rebook = _ics(_vevent("re@cal.com", "20261210T150000", "STATUS:CONFIRMED", "SEQUENCE:2"))
    out = _import(cli, records_repo, rebook)
    assert out.exit_code == 0, out.output
    (session,) = _booked(records_repo, "re@cal.com")
    assert (session["status"], session["date"], session["time"]) == (
        "scheduled",
        "2026-12-10",
        "15:00",
    )


def test_the_same_event_twice_in_a_file_counts_once_highest_sequence_wins() -> None:
    from sortext.io.calendar import read_calendar

    data = _ics(
        _vevent("dup@cal.com", "20261211T100000", "SEQUENCE:2"),
        _vevent("dup@cal.com", "20261209T100000", "SEQUENCE:1"),
    )
    calendar = read_calendar(data, ZONE, "x.ics", dt.date(2026, 11, 30))
    assert [(b.uid, b.date) for b in calendar.bookings] == [("dup@cal.com", dt.date(2026, 12, 11))]


@settings(max_examples=40, deadline=None)
@given(
    start=st.dates(min_value=dt.date(2026, 9, 1), max_value=dt.date(2027, 3, 1)),
    hour=st.integers(7, 20),
    count=st.integers(1, 20),
    interval=st.integers(1, 3),
    freq=st.sampled_from(["DAILY", "WEEKLY"]),
    moved=st.sets(st.integers(0, 19), max_size=4),
    excluded=st.sets(st.integers(0, 19), max_size=3),
)
def test_recurring_series_gives_one_booking_per_occurrence_in_the_horizon(
    start: dt.date,
    hour: int,
    count: int,
    interval: int,
    freq: str,
    moved: set[int],
    excluded: set[int],
) -> None:
    from sortext.io.calendar import HORIZON_DAYS, read_calendar

    today = dt.date(2026, 11, 30)
    first = dt.datetime(start.year, start.month, start.day, hour)
    step = dt.timedelta(days=interval * (7 if freq == "WEEKLY" else 1))
    occurrences = [first + i * step for i in range(count)]
    excluded = {i for i in excluded if i < count} - moved
    extra = [f"EXDATE;TZID=Europe/London:{occurrences[i]:%Y%m%dT%H%M%S}" for i in excluded]
    events = [
        _vevent(
            "s@x",
            f"{first:%Y%m%dT%H%M%S}",
            f"RRULE:FREQ={freq};COUNT={count};INTERVAL={interval}",
            *extra,
        )
    ]
    expected: dict[str, dt.date] = {}
    for i, when in enumerate(occurrences):
        if i in excluded:
            continue
        local = when + (dt.timedelta(hours=1) if i in moved else dt.timedelta())
        if i in moved:
            events.append(
                _vevent(
                    "s@x",
                    f"{local:%Y%m%dT%H%M%S}",
                    f"RECURRENCE-ID;TZID=Europe/London:{when:%Y%m%dT%H%M%S}",
                )
            )
        if today <= local.date() < today + dt.timedelta(days=HORIZON_DAYS):
            expected[f"{when:%Y%m%d}"] = local.date()
    calendar = read_calendar(_ics(*events), ZONE, "x.ics", today)
    assert not calendar.problems
    keys = [b.uid for b in calendar.bookings]
    assert len(keys) == len(set(keys))  # one booking per occurrence
    assert all(k.startswith("s@x/") for k in keys)
    got = {b.uid.split("/")[1][:8]: b.date for b in calendar.bookings}
    # the key is the occurrence's original start in UTC: same day here (07:00-20:00 London)
    assert got == expected


# -- money: amounts with cents, several currencies ----------------------------------

MONEY_TODAY = dt.date(2026, 11, 30)


def _client(rid: str, invoices: list[dict[str, Any]]) -> Any:
    from sortext.check.load import Record

    return Record(
        f"clients/{rid}.md",
        rid,
        {"name": rid.title(), "stage": "active", "invoices": invoices},
        "",
        1,
    )


def _stored(records: list[Any], top: int = 5) -> Any:
    """money as the pages compute it: the day book in SQLite."""
    import sqlite3

    from sortext.schema.config import load_config
    from sortext.store.daybook import SCHEMA, money_totals, store, to_rows
    from tests.conftest import PROJECT_ROOT

    config = load_config(PROJECT_ROOT)
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA)
    store(conn, [(r.path, to_rows(r, config, MONEY_TODAY)) for r in records])
    return money_totals(conn, MONEY_TODAY, top=top)


def test_money_adds_cents_exactly_in_the_terminal_and_on_the_pages() -> None:
    from sortext.rules.money import money_summary

    records = [
        _client(
            "ada",
            [
                {
                    "id": "1",
                    "amount": 0.1,
                    "currency": "GBP",
                    "status": "sent",
                    "issued": "2026-11-02",
                },
                {
                    "id": "2",
                    "amount": 0.2,
                    "currency": "GBP",
                    "status": "sent",
                    "issued": "2026-11-03",
                },
            ],
        )
    ]
    for summary in (money_summary(records, MONEY_TODAY), _stored(records)):
        (gbp,) = summary.currencies
        assert gbp.outstanding_total == 0.3
        assert gbp.invoiced_month == 0.3


def test_top_clients_are_ranked_within_each_currency() -> None:
    from sortext.rules.money import money_summary

    def paid(amount: float, currency: str) -> dict[str, Any]:
        return {
            "id": "1",
            "amount": amount,
            "currency": currency,
            "status": "paid",
            "issued": "2026-10-01",
            "paid_on": "2026-10-05",
        }

    records = [
        _client("ada", [paid(3400, "EUR")]),
        _client("bea", [paid(3325, "GBP")]),
        _client("cy", [paid(100, "EUR")]),
    ]
    for summary in (money_summary(records, MONEY_TODAY, top=1), _stored(records, top=1)):
        tops = [(t.record_id, t.currency) for t in summary.top_clients]
        assert tops[:1] == [("ada", "EUR")]
        assert ("bea", "GBP") in tops  # a smaller figure in another currency still shows


cents = st.decimals(min_value=0, max_value=20000, places=2, allow_nan=False)
money_invoice = st.fixed_dictionaries(
    {
        "amount": cents.map(float),
        "currency": st.sampled_from(["EUR", "GBP", "USD"]),
        "status": st.sampled_from(["draft", "sent", "paid", "overdue", "void"]),
        "issued": st.dates(dt.date(2026, 1, 1), MONEY_TODAY).map(dt.date.isoformat),
        "paid_on": st.dates(dt.date(2026, 1, 1), MONEY_TODAY).map(dt.date.isoformat),
    }
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["ada", "bea", "cy"]), money_invoice), max_size=12))
def test_money_totals_are_exact_decimal_sums_and_tops_never_mix_currencies(
    rows: list[tuple[str, dict[str, Any]]],
) -> None:
    """Property: every figure is the exact decimal sum of its invoices, the SQL
    (pages) and Python (terminal) figures agree, and the top clients of one
    currency are listed together, largest first."""
    from decimal import Decimal

    from sortext.rules.money import money_summary

    by_client: dict[str, list[dict[str, Any]]] = {}
    for i, (rid, inv) in enumerate(rows):
        by_client.setdefault(rid, []).append({"id": str(i), **inv})
    records = [_client(rid, invs) for rid, invs in sorted(by_client.items())]
    computed = money_summary(records, MONEY_TODAY, top=2)
    stored = _stored(records, top=2)
    assert [c.to_json() for c in computed.currencies] == [c.to_json() for c in stored.currencies]
    assert computed.top_clients == stored.top_clients
    for c in computed.currencies:
        exact = sum(
            (
                Decimal(repr(inv["amount"]))
                for _, inv in rows
                if inv["currency"] == c.currency and inv["status"] in ("sent", "overdue")
            ),
            Decimal(0),
        )
        assert c.outstanding_total == float(exact)
    currencies = [t.currency for t in computed.top_clients]
    assert currencies == sorted(currencies)
    for cur in set(currencies):
        figures = [t.paid_year for t in computed.top_clients if t.currency == cur]
        assert figures == sorted(figures, reverse=True) and len(figures) <= 2


# -- inbox: notes whose bytes are not UTF-8, an inbox.md with CRLF --------------------


def test_a_note_not_in_utf8_is_never_filed_nor_deleted(cli: Any, records_repo: Any) -> None:
    inbox = records_repo / "inbox"
    inbox.mkdir()
    raw = "Café with Amara: she wants fewer sessions\n".encode("latin-1")
    (inbox / "amara-okafor.txt").write_bytes(raw)
    before = (records_repo / "clients/amara-okafor.md").read_bytes()
    listed = cli("inbox", "--today", TODAY, "--repo", str(records_repo))
    assert "amara-okafor.txt:1:4: not UTF-8 at byte 3: re-save it as UTF-8" in listed.output
    out = cli("inbox", "--file", "--today", TODAY, "--repo", str(records_repo))
    assert "left inbox/amara-okafor.txt" in out.output, out.output
    assert (inbox / "amara-okafor.txt").read_bytes() == raw
    assert (records_repo / "clients/amara-okafor.md").read_bytes() == before


def test_inbox_md_not_in_utf8_keeps_every_section(cli: Any, records_repo: Any) -> None:
    raw = "## Amara Okafor\nCafé notes\n\n## Kai\nmore\n".encode("cp1252")
    (records_repo / "inbox.md").write_bytes(raw)
    out = cli("inbox", "--file", "--today", TODAY, "--repo", str(records_repo))
    assert "filed" not in out.output.replace("unfiled", ""), out.output
    assert (records_repo / "inbox.md").read_bytes() == raw


def test_inbox_md_with_crlf_stays_crlf_after_filing(cli: Any, records_repo: Any) -> None:
    raw = b"## Amara Okafor\r\nCalled.\r\n\r\n## Nobody Known\r\nkeep me\r\n"
    (records_repo / "inbox.md").write_bytes(raw)
    out = cli("inbox", "--file", "--today", TODAY, "--repo", str(records_repo))
    assert "filed inbox.md#1" in out.output, out.output
    assert (records_repo / "inbox.md").read_bytes() == b"## Nobody Known\r\nkeep me\r\n"


section_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="#"),
    min_size=1,
    max_size=20,
).filter(lambda t: t.strip() != "")


@settings(max_examples=60, deadline=None)
@given(
    sections=st.lists(st.tuples(section_text, st.booleans()), min_size=1, max_size=6),
    crlf=st.booleans(),
    encoding=st.sampled_from(["utf-8", "cp1252"]),
)
def test_filing_cuts_exactly_the_filed_sections_and_keeps_the_bytes_style(
    tmp_path_factory: Any, sections: list[tuple[str, bool]], crlf: bool, encoding: str
) -> None:
    """Property: after filing some sections of an inbox.md, the file holds exactly
    the other sections, with the file's own line endings; a file that is not
    UTF-8 is never filed from nor rewritten."""
    from pathlib import Path

    from sortext.io.inbox import InboxNote, _cut_sections, _not_utf8
    from sortext.views.day import inbox_sections

    eol = "\r\n" if crlf else "\n"
    chunks = [f"## Client {i}{eol}{body}{eol}{eol}" for i, (body, _) in enumerate(sections)]
    try:
        raw = "".join(chunks).encode(encoding)
    except UnicodeEncodeError:
        return
    path = Path(tmp_path_factory.mktemp("inbox")) / "inbox.md"
    path.write_bytes(raw)
    if _not_utf8(raw, "inbox.md") is not None:
        return  # refused before filing: file_notes never reaches _cut_sections
    text = raw.decode("utf-8").replace("\r\n", "\n")
    found = inbox_sections(text)
    assert len(found) == len(sections)
    filed = [
        InboxNote("s", path, body, dt.date(2026, 11, 30), span=(start, end), raw=raw)
        for (start, end, _, body), (_, file_it) in zip(found, sections, strict=True)
        if file_it
    ]
    if not filed:
        return
    assert _cut_sections(path, filed) is None
    kept = "".join(c for c, (_, file_it) in zip(chunks, sections, strict=True) if not file_it)
    assert path.read_bytes() == kept.encode("utf-8")


# -- a folder of notes: files that are not UTF-8 ----------------------------------------


def test_a_vault_note_not_in_utf8_is_reported_not_imported(cli: Any, records_repo: Any) -> None:
    vault = records_repo.parent / "vault"
    (vault / "People").mkdir(parents=True)
    (vault / "People/Dana Fox.md").write_text("---\nemail: dana@example.com\nactive: no\n---\nok\n")
    (vault / "People/Gil Park.md").write_bytes(
        "---\nemail: g@example.com\n---\ncafé\n".encode("cp1252")
    )
    out = cli("import", str(vault), "--today", TODAY, "--repo", str(records_repo))
    assert out.exit_code == 1, out.output
    assert (
        "People/Gil Park.md:4:4: not UTF-8 at byte 32: re-save it as UTF-8; not imported"
        in out.output
    )
    assert "1 unreadable note." in out.output
    assert (records_repo / "clients/dana-fox.md").exists()
    assert not (records_repo / "clients/gil-park.md").exists()


@settings(max_examples=40, deadline=None)
@given(
    body=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
        lambda t: t.strip() != "" and "---" not in t
    ),
    encoding=st.sampled_from(["utf-8", "latin-1", "cp1252", "utf-16"]),
)
def test_a_foreign_note_is_read_exactly_or_flagged(body: str, encoding: str) -> None:
    """Property: read_note either gives the file's own text (exact) or says it did not."""
    import tempfile
    from pathlib import Path

    from sortext.io.foreign import read_note

    try:
        raw = f"---\nemail: x@example.com\n---\n{body}\n".encode(encoding)
    except UnicodeEncodeError:
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "n.md"
        path.write_bytes(raw)
        note = read_note(path, "n.md")
    if note.exact:
        # (the body is read without its surrounding white space: "0 " is "0")
        text = raw.decode("utf-8").lstrip("\ufeff").replace("\r\n", "\n")
        assert text.rstrip().endswith(note.body) and note.body == note.body.strip()
        assert "\ufffd" not in note.body or "\ufffd" in body
    else:
        assert note.problem is not None and "not UTF-8" in note.problem


# -- list --where: numbers against text, dates against a year or a month ----------------


def test_where_never_orders_a_number_against_text() -> None:
    from sortext.views.filters import parse_condition

    data = {"billing": {"rate": 420}}
    for op in ("<", "<=", ">", ">="):
        assert not parse_condition(f"billing.rate{op}abc").matches(data)
    assert parse_condition("billing.rate!=abc").matches(data)


def test_where_compares_a_date_with_a_month_as_that_month() -> None:
    from sortext.views.filters import parse_condition

    data = {"dates": {"renewal": "2026-12-15"}}
    assert parse_condition("dates.renewal<=2026-12").matches(data)
    assert parse_condition("dates.renewal=2026-12").matches(data)
    assert not parse_condition("dates.renewal>2026").matches(data)
    assert parse_condition("dates.renewal<2027").matches(data)


PERIOD_OPS = ("=", "!=", "<", "<=", ">", ">=")


@settings(max_examples=150, deadline=None)
@given(
    day=st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
    other=st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
    width=st.sampled_from([4, 7, 10]),
    op=st.sampled_from(PERIOD_OPS),
)
def test_where_on_dates_means_the_period(day: dt.date, other: dt.date, width: int, op: str) -> None:
    """Property: ``FIELD OP P`` with P a year, month or day holds exactly when the
    date is in / not in / before / by the end of / after / from the start of P."""
    from sortext.views.filters import parse_condition

    period = other.isoformat()[:width]
    first = dt.date.fromisoformat(period + "-01-01"[width - 4 :] if width < 10 else period)
    if width == 4:
        last = dt.date(first.year, 12, 31)
    elif width == 7:
        following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        last = following - dt.timedelta(days=1)
    else:
        last = first
    expected = {
        "=": first <= day <= last,
        "!=": not first <= day <= last,
        "<": day < first,
        "<=": day <= last,
        ">": day > last,
        ">=": day >= first,
    }[op]
    assert parse_condition(f"renewal{op}{period}").matches({"renewal": day.isoformat()}) == expected


@settings(max_examples=100, deadline=None)
@given(
    number=st.one_of(st.integers(-5000, 5000), st.floats(-1e6, 1e6, allow_nan=False)),
    word=st.text(min_size=1, max_size=8).filter(lambda w: not _is_number(w)),
    op=st.sampled_from(["<", "<=", ">", ">="]),
)
def test_where_number_field_against_text_never_matches(number: float, word: str, op: str) -> None:
    from sortext.views.filters import Condition

    assert not Condition(("rate",), op, word).matches({"rate": number})


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# -- bookings without a practice time zone -------------------------------------------


def test_without_a_timezone_utc_bookings_are_read_in_this_computers_zone(
    monkeypatch: Any,
) -> None:
    import time

    from sortext.io.calendar import read_calendar

    event = "\r\n".join(
        [
            "BEGIN:VEVENT",
            "UID:utc@google.com",
            "DTSTART:20261207T193000Z",
            "DTEND:20261207T202000Z",
            f"ATTENDEE:mailto:{AMARA}",
            "END:VEVENT",
        ]
    )
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        (booking,) = read_calendar(_ics(event), None, "x.ics", dt.date(2026, 11, 30)).bookings
    finally:
        monkeypatch.undo()
        time.tzset()
    assert (booking.date, booking.time, booking.minutes) == (dt.date(2026, 12, 7), "14:30", 50)


@settings(max_examples=40, deadline=None)
@given(
    moment=st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2030, 12, 31)),
    zone=st.sampled_from(["Europe/London", "America/New_York", "Asia/Kolkata", "UTC"]),
)
def test_a_utc_booking_lands_on_the_practice_wall_clock(moment: dt.datetime, zone: str) -> None:
    """Property: a UTC event start is read as the practice zone's date and HH:MM."""
    from zoneinfo import ZoneInfo

    from sortext.io.calendar import read_calendar

    event = "\r\n".join(
        [
            "BEGIN:VEVENT",
            "UID:p@x",
            f"DTSTART:{moment:%Y%m%dT%H%M00}Z",
            f"ATTENDEE:mailto:{AMARA}",
            "END:VEVENT",
        ]
    )
    (booking,) = read_calendar(_ics(event), zone, "x.ics", dt.date(2026, 11, 30)).bookings
    local = moment.replace(second=0, microsecond=0, tzinfo=dt.UTC).astimezone(ZoneInfo(zone))
    assert (booking.date, booking.time) == (local.date(), f"{local:%H:%M}")


def test_an_occurrence_deleted_from_a_series_cancels_its_session(
    cli: Any, records_repo: Any
) -> None:
    rule = "RRULE:FREQ=WEEKLY;COUNT=3"
    _import(cli, records_repo, _ics(_vevent("del@google.com", "20261207T100000", rule)))
    assert len(_booked(records_repo, "del@google.com/")) == 3
    deleted = _ics(
        _vevent(
            "del@google.com",
            "20261207T100000",
            rule,
            "EXDATE;TZID=Europe/London:20261214T100000",
            "SEQUENCE:1",
        )
    )
    out = _import(cli, records_repo, deleted)
    assert out.exit_code == 0, out.output
    status = {s["date"]: s["status"] for s in _booked(records_repo, "del@google.com/")}
    assert status == {
        "2026-12-07": "scheduled",
        "2026-12-14": "cancelled",
        "2026-12-21": "scheduled",
    }
    again = _import(cli, records_repo, deleted)
    assert "0 records to update, 0 new, 0 conflicts" in again.output, again.output


@settings(max_examples=60, deadline=None)
@given(
    sessions=st.lists(
        st.tuples(
            st.sampled_from(["s1", "s2", "other"]),
            st.dates(dt.date(2026, 11, 1), dt.date(2027, 4, 30)),
            st.sampled_from(["scheduled", "held", "cancelled"]),
            st.booleans(),  # still in the file
        ),
        max_size=12,
        unique_by=lambda t: (t[0], t[1]),
    )
)
def test_only_missing_scheduled_occurrences_in_the_window_are_cancelled(
    sessions: list[tuple[str, dt.date, str, bool]],
) -> None:
    """Property: the cancellations are exactly the scheduled sessions of the file's
    series, dated in the expansion window, that the file no longer books."""
    from sortext.io.calendar import Booking, Calendar, _dropped_occurrences

    first, last = dt.date(2026, 11, 30), dt.date(2027, 3, 2)
    data = {
        "email": AMARA,
        "sessions": [
            {"date": d.isoformat(), "status": st_, "uid": f"{u}/{d:%Y%m%d}"}
            for u, d, st_, _ in sessions
        ],
    }
    calendar = Calendar(series={"s1", "s2"}, window=(first, last))
    calendar.bookings = [
        Booking(1, f"{u}/{d:%Y%m%d}", AMARA, None, d, None, None, None, False)
        for u, d, _, kept in sessions
        if kept
    ]
    got = {b.uid for _, b in _dropped_occurrences(calendar, {"amara-okafor": (None, data)})}
    expected = {
        f"{u}/{d:%Y%m%d}"
        for u, d, st_, kept in sessions
        if u != "other" and st_ == "scheduled" and not kept and first <= d < last
    }
    assert got == expected
