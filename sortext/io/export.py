"""One-way exports for downstream tools: CSV, JSON and an ICS calendar.

Exports are derived data: sortext never takes data from them (its calendar import
knows the events it wrote by their UID and books nothing from them).  Output is
deterministic (records sorted by id, no wall-clock timestamps), so a file
that is regenerated without changes stays byte-identical and git shows no
noise.  Calendar events carry stable UIDs built from the record id and what
the event *is* (``amara-okafor-next-action@sortext``, a session's ``id``),
never from a date that can move, so a calendar app moves an event instead of
duplicating it; the ICS is written by the ``icalendar`` library.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sortext.errors import ConfigError, hinted, one_line
from sortext.io.formula import FORMULA_START as FORMULA_START
from sortext.io.formula import neutralise
from sortext.io.outpath import IN_CLIENTS, output_problem
from sortext.record.model import Invoice, RecordView
from sortext.repo import Repository
from sortext.rules.outstanding import totals_by_currency
from sortext.schema.config import folder_name_problem

FORMATS = ("csv", "json", "ics")

#: How every calendar event sortext writes ends its UID (``<record id>-<what>@sortext``):
#: the calendar import (:mod:`sortext.io.calendar`) knows its own events by it and
#: books nothing from them (they are the records' own dates, read back).
OWN_UID_SUFFIX = "@sortext"

CSV_COLUMNS = [
    "id",
    "name",
    "email",
    "company",
    "stage",
    "owner",
    "next_action",
    "next_action_owner",
    "next_action_due",
    "next_action_overdue",
    "next_review",
    "renewal",
    "billing_plan",
    "billing_rate",
    "billing_currency",
    "invoices_open",
    "invoices_open_amount",
    "last_session",
    "tags",
    "phone",
    "consent_data_use",
    "consent_marketing",
    "consent_contact",
]


def load_records(repo: Repository, index_fresh: bool = False) -> list[dict[str, Any]]:
    """The data of every record that parses (invalid ones are still exported), by id.

    Never an erased client brought back (``erased.yaml``); with ``privacy: {exports:
    consented}`` in sortext.yaml, not a record whose ``consent.data_use`` is false.
    Read from the index (brought up to date first, unless ``index_fresh`` says the
    caller just did): no file is parsed again except one the index keeps a last
    valid version of (a broken save), which is exported as it is now, as before.
    """
    from sortext.store.index import Index

    with Index.open(repo) as index:
        if not index_fresh:
            index.refresh_for_query()
        return _records_from(repo, index)


def _records_from(repo: Repository, index: Any) -> list[dict[str, Any]]:
    validator = index.validator
    with validator.one_pass():  # erased.yaml read once for the export, not once a record
        return _records_in_pass(repo, index, validator)


def _records_in_pass(repo: Repository, index: Any, validator: Any) -> list[dict[str, Any]]:
    from sortext.check.load import Record

    consented_only = repo.config.consented_only("exports")
    candidates: list[Record] = []
    stale = []
    for entry in index.entries():
        if entry.stale:
            stale.append(entry.path)
        elif entry.record is not None:
            candidates.append(entry.record)
    if stale:  # the index holds their last valid version; export what the file says now
        from sortext.check.load import load_record

        for rel in stale:
            result = load_record(str(repo.root / rel), rel, validator)
            if result.record is not None:
                candidates.append(result.record)
    found = []
    for record in candidates:
        if validator.is_erased(record.id, record.data):
            continue
        if consented_only and record.view.consent.data_use is False:
            continue
        found.append(record.data)
    return sorted(found, key=lambda d: str(d.get("id")))


def _open_invoices(view: RecordView) -> list[Invoice]:
    """The invoices ``sortext money`` counts as outstanding (sent or overdue)."""
    from sortext.rules.outstanding import is_outstanding

    return [i for i in view.invoices if is_outstanding(i.status)]


def _cell(value: Any) -> str:
    """The text of one CSV cell.  Text that a spreadsheet would run as a
    formula gets a leading ``'`` (the OWASP rule); numbers and booleans
    sortext writes itself stay as they are (``-5`` is a number, not a formula)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    text = str(value)
    return neutralise(text)


def default_columns(custom_fields: Iterable[str] = (), schema: Any = None) -> list[str]:
    """The built-in columns, then one per custom field (its dotted path).  With the
    record ``schema``, a custom field inside the entries of a list
    (``sessions.location``: one value per session, none per client) gets no column."""
    names = [c for c in custom_fields if c not in CSV_COLUMNS]
    if schema is not None:
        known, _ = export_columns(schema)
        names = [c for c in names if "." not in c or c in known]
    return [*CSV_COLUMNS, *names]


def export_columns(schema: Any) -> tuple[list[str], list[str]]:
    """(every column ``export csv`` can fill: the built-in names, then each dotted
    field of the record ``schema`` (custom fields included) at any depth reached
    through mappings, mappings and lists themselves too, written as JSON; the
    dotted mappings that take fields of any name, ``links``).  Local ``$ref`` s
    are followed."""
    from sortext.schema.fieldpaths import schema_paths

    fields, open_maps = schema_paths(schema, into_lists=False)
    return list(dict.fromkeys([*CSV_COLUMNS, *sorted(fields)])), sorted(open_maps)


def check_columns(columns: Iterable[str], schema: Any) -> None:
    """Raise UnknownValue (a usage error naming the known columns, with a
    did-you-mean) for a ``--columns`` name no record can hold: neither a built-in
    column nor a field of the record ``schema`` (nor a name inside ``links``)."""
    from sortext.errors import UnknownValue

    known, open_maps = export_columns(schema)
    for name in columns:
        parts = name.split(".")
        if name in known or (
            len(parts) > 1 and all(parts) and any(name.startswith(m + ".") for m in open_maps)
        ):
            continue
        ends = [k for k in known if k.endswith("." + name)]
        raise UnknownValue("columns", "column", name, known, ends[0] if len(ends) == 1 else None)


def _lookup(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def to_csv(
    records: Iterable[dict[str, Any]], today: dt.date, columns: Iterable[str] | None = None
) -> str:
    """One row per client with the fields people filter and sort on.

    ``columns``: built-in column names (CSV_COLUMNS) or dotted paths into the
    record (``custom.referral``, ``billing.per``); default: CSV_COLUMNS.  Lists
    and maps are written as JSON.  Every text cell is formula-safe (see _cell)."""
    wanted = list(columns) if columns is not None else list(CSV_COLUMNS)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(c) for c in wanted])
    for data in records:
        view = RecordView.from_data(data)
        action, dates, billing = view.next_action, view.dates, view.billing
        due = action.due
        unpaid = _open_invoices(view)
        held = sorted(str(s.date) for s in view.sessions if s.status == "held")
        row = {
            "id": view.id,
            "name": view.name,
            "email": view.email,
            "company": view.company,
            "stage": view.stage,
            "owner": view.owner,
            "next_action": action.what,
            "next_action_owner": action.owner,
            "next_action_due": due,
            "next_action_overdue": due is not None and due < today.isoformat(),
            "next_review": dates.next_review,
            "renewal": dates.renewal or billing.renewal,
            "billing_plan": billing.plan,
            "billing_rate": billing.rate,
            "billing_currency": billing.currency,
            "invoices_open": len(unpaid),
            "invoices_open_amount": totals_by_currency(
                (i.amount, view.invoice_currency(i)) for i in unpaid if i.amount is not None
            ),
            "last_session": held[-1] if held else None,
            "tags": ";".join(view.tags),
            "phone": data.get("phone"),
            "consent_data_use": view.consent.data_use,
            "consent_marketing": _lookup(data, "consent.marketing"),
            "consent_contact": _lookup(data, "consent.contact"),
        }
        writer.writerow([_cell(row[c] if c in row else _lookup(data, c)) for c in wanted])
    return out.getvalue()


def to_json(records: Iterable[dict[str, Any]]) -> str:
    """Every record's front matter, as a JSON list sorted by id: the text of
    ``json.dumps(list(records), indent=2, ensure_ascii=False) + "\\n"``, byte for
    byte, whichever encoder wrote it (see :func:`_orjson_text`): orjson for the whole
    list when it writes those bytes, else each record by the first of the two that
    does (a record orjson cannot write as the standard library does costs only
    itself the slow encoder)."""
    items = list(records)
    whole = _orjson_text(items)
    if whole is not None:
        return whole + "\n"
    if not items:
        return "[]\n"
    parts = [_record_json(record).replace("\n", "\n  ") for record in items]
    return "[\n  " + ",\n  ".join(parts) + "\n]\n"


#: Whether :func:`_orjson_text` may use orjson (``SORTEXT_STDLIB_JSON=1`` in the
#: environment selects the standard library's encoder, to measure or rule it out; the
#: same switch as the index blob's, ``sortext.store.index.FAST_JSON``).
FAST_JSON = os.environ.get("SORTEXT_STDLIB_JSON", "") in ("", "0")

#: A number where orjson's indented output can hold one (after ``": "`` or at the start
#: of a line); it may also match inside a string, which only sends that text to the
#: standard library.
_NUMBER = re.compile(rb"(?:\A|: |\n +)(-?[0-9][0-9.eE+-]*)")
_DIGITS = frozenset(b"0123456789")


def _record_json(value: Any) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)``, byte for byte."""
    text = _orjson_text(value)
    return text if text is not None else json.dumps(value, indent=2, ensure_ascii=False)


def _orjson_text(value: Any) -> str | None:
    """``json.dumps(value, indent=2, ensure_ascii=False)`` written by orjson
    (``OPT_INDENT_2``: the same separators, key order, escapes and non-ASCII text; at
    10,000 records ~0.1 CPU s where the standard library's pure-Python indenting
    encoder takes ~3), or None when orjson's bytes are not provably those: orjson is
    missing or refuses (an integer past 64 bits, a key that is not text, a lone
    surrogate), the output holds ``null`` (orjson writes NaN and the infinities as
    ``null`` where ``json.dumps`` writes ``NaN``/``Infinity``; no realistic record
    holds a null), or a float orjson spells otherwise than ``repr`` (``0.00001`` for
    ``1e-05``, ``1e-9`` for ``1e-09``: see :func:`_may_differ`).
    tests/test_export_json.py holds the property over generated hostile records."""
    if not FAST_JSON:
        return None
    try:
        import orjson
    except ImportError:  # pragma: no cover - a dependency; the standard library stays
        return None
    try:
        out = orjson.dumps(value, option=orjson.OPT_INDENT_2)
    except TypeError:  # orjson.JSONEncodeError
        return None
    if b"null" in out or (_may_differ(out) and not _same_floats(out)):
        return None
    return out.decode("utf-8")


def _may_differ(out: bytes) -> bool:
    """Whether orjson's ``out`` may hold a float spelt otherwise than ``repr`` spells
    it: such a float has four zeros after the point (``0.00001`` for ``1e-05``) or a
    digit then an exponent, which orjson always signs (``1e-9`` for ``1e-09``).  A
    sweep of every decimal exponent and of random bit patterns finds no other kind
    (tests/test_export_json.py).  Text holding them (``one-page`` has ``e-``, but no
    digit before it) only costs the exact check, :func:`_same_floats`."""
    if b"0.0000" in out:
        return True
    for exponent in (b"e+", b"e-"):
        at = out.find(exponent)
        while at > 0:
            if out[at - 1] in _DIGITS:
                return True
            at = out.find(exponent, at + 2)
    return False


def _same_floats(out: bytes) -> bool:
    """Whether every number in orjson's ``out`` is spelt as ``json.dumps`` spells it."""
    return all(map(_same_float, _NUMBER.findall(out)))


def _same_float(token: bytes) -> bool:
    """Whether ``token`` (a number as orjson wrote it, or text that looks like one) is
    spelt as ``json.dumps`` spells it: an integer is, a float when it is its ``repr``."""
    if b"." not in token and b"e" not in token and b"E" not in token:
        return True
    try:
        return repr(float(token)).encode() == token
    except ValueError:  # '1.2.3' in a string: that text goes to the standard library
        return False


# --- ICS ------------------------------------------------------------------------

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_SESSION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Event:
    """One calendar entry: all-day, or timed when ``time`` (``HH:MM``) is known."""

    uid: str
    date: str
    summary: str
    description: str = ""
    category: str = ""
    time: str | None = None
    minutes: int | None = None


def session_keys(sessions: Iterable[Any]) -> list[str]:
    """A key per session that is unique within the record.

    A session's own ``id`` (written by ``sortext log``) is its key, so its
    calendar event survives a change of date.  A session without one falls
    back to ``<date>`` (``<date>-2``... for a second session that day).
    """
    items = list(sessions)
    own: list[str | None] = []
    taken: set[str] = set()
    for session in items:  # a session's own id is never displaced by another's fallback
        value = session.values.get("id") if hasattr(session, "values") else None
        if isinstance(value, str) and _SESSION_ID.match(value) and value not in taken:
            taken.add(value)
            own.append(value)
        else:
            own.append(None)
    keys: list[str] = []
    for session, key in zip(items, own, strict=True):
        if key is None:
            base = str(session.date)
            key, n = base, 2
            while key in taken:
                key, n = f"{base}-{n}", n + 1
            taken.add(key)
        keys.append(key)
    return keys


def calendar_events(records: Iterable[dict[str, Any]]) -> list[Event]:
    """Next actions, scheduled sessions, reviews, renewals and unpaid invoice due dates.

    UIDs are ``<record id>-<what>@sortext``: one per thing, never built from
    a date that can move (sessions use :func:`session_keys`).
    """
    from sortext.record.values import is_iso_date

    events: list[Event] = []
    for data in records:
        view = RecordView.from_data(data)
        rid = str(view.id)
        name = view.name or rid

        def add(
            key: str,
            date: Any,
            summary: str,
            description: str,
            category: str,
            rid: str = rid,
            time: str | None = None,
            minutes: int | None = None,
        ) -> None:
            if is_iso_date(date):
                from sortext.files.inert import clean

                events.append(
                    Event(
                        # a key holds record text (an invoice id): made inert, as the
                        # summary and description are (calendar apps show the UID too)
                        f"{rid}-{clean(key)}{OWN_UID_SUFFIX}",
                        date,
                        summary,
                        description,
                        category,
                        time,
                        minutes,
                    )
                )

        action = view.next_action
        owner = action.owner or view.owner or ""
        add(
            "next-action",
            action.due,
            f"{name}: {action.what or 'next action'}",
            f"Next action for {name}" + (f", owner {owner}" if owner else ""),
            "next action",
            time=_clock(action.time),
            minutes=action.minutes,
        )
        for session, key in zip(view.sessions, session_keys(view.sessions), strict=True):
            if session.status == "scheduled":
                kind = session.kind or "session"
                time = _clock(session.values.get("time"))
                add(
                    f"session-{key}",
                    session.date,
                    f"{name}: {kind}" + (f" ({session.focus})" if session.focus else ""),
                    f"Scheduled {kind} with {name}",
                    "session",
                    time=time,
                    minutes=session.minutes,
                )
        if not view.consent.no_contact:  # no reviews or renewals proposing contact
            add(
                "review",
                view.dates.next_review,
                f"{name}: review due",
                f"Outcome review with {name}",
                "review",
            )
            renewal = view.dates.renewal
            add("renewal", renewal, f"{name}: renewal", f"Engagement renewal for {name}", "renewal")
            billing_renewal = view.billing.renewal
            if billing_renewal != renewal:
                add(
                    "billing-renewal",
                    billing_renewal,
                    f"{name}: billing renewal",
                    f"Billing plan renewal for {name}",
                    "renewal",
                )
        for invoice in _open_invoices(view):
            currency = view.invoice_currency(invoice) or ""
            add(
                f"invoice-{invoice.id}",
                invoice.due,
                f"{name}: invoice {invoice.id} due",
                f"Invoice {invoice.id}, {invoice.amount} {currency}, status {invoice.status}",
                "invoice",
            )
    return sorted(events, key=lambda e: (e.date, e.uid))


def event_digest(event: Event, timezone: str | None = None) -> str:
    """A short digest of everything an event shows (what SEQUENCE tracks)."""
    import hashlib

    fields = [event.date, event.time, event.minutes, event.summary, event.description]
    fields += [event.category, timezone if event.time else None]
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:16]


def next_sequences(
    events: Iterable[Event],
    previous: dict[str, Any] | None,
    timezone: str | None = None,
) -> dict[str, list[Any]]:
    """``{uid: [digest, sequence]}``: a sequence grows by one when its event changed.

    ``previous`` is what the last export stored; an event seen for the first
    time has sequence 0.  The same events and the same ``previous`` always
    give the same answer.
    """
    out: dict[str, list[Any]] = {}
    for event in events:
        digest = event_digest(event, timezone)
        old = (previous or {}).get(event.uid)
        if isinstance(old, list) and len(old) == 2 and isinstance(old[1], int):
            out[event.uid] = [digest, old[1] + (old[0] != digest)]
        else:
            out[event.uid] = [digest, 0]
    return out


def to_ics(
    records: Iterable[dict[str, Any]],
    sequences: dict[str, list[Any]] | None = None,
    timezone: str | None = None,
    events: list[Event] | None = None,
) -> str:
    """An RFC 5545 calendar written by the ``icalendar`` library (escaping, folding).

    Events are all-day unless a session has ``time: "HH:MM"``; a timed event
    lasts ``minutes`` (default 60) and is in ``timezone`` (an IANA name, the
    practice's ``timezone:``) or floating local time without one.  SEQUENCE
    comes from ``sequences`` (see :func:`next_sequences`; 0 without it).
    DTSTAMP is the event's own date at 00:00 UTC, so output is deterministic.
    ``events``: ``calendar_events(records)`` when the caller already has them.
    """
    import icalendar

    zone = _zone(timezone)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//sortext//sortext export//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "sortext")
    if events is None:
        events = calendar_events(records)
    for event in events:
        day = dt.date.fromisoformat(event.date)
        entry = icalendar.Event()
        entry.add("uid", event.uid)
        entry.add("dtstamp", dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))
        if event.time:
            hour, minute = (int(part) for part in event.time.split(":"))
            start = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
            entry.add("dtstart", start)
            entry.add("dtend", start + dt.timedelta(minutes=event.minutes or 60))
        else:
            entry.add("dtstart", day)
            entry.add("dtend", day + dt.timedelta(days=1))
        entry.add("sequence", int((sequences or {}).get(event.uid, [None, 0])[1]))
        entry.add("summary", calendar_text(event.summary))
        entry.add("description", calendar_text(event.description))
        entry.add("categories", [event.category])
        entry.add("transp", "OPAQUE" if event.time else "TRANSPARENT")
        calendar.add_component(entry)
    if zone is not None and any(e.time for e in events):
        calendar.add_missing_timezones()
    text: str = calendar.to_ical().decode("utf-8")
    return text


def calendar_text(text: str) -> str:
    """``text`` as a calendar app may show it: line breaks as ``\\n`` (``\\r\\n`` and
    ``\\r`` too), every other control, bidi override (U+202E), line or paragraph
    separator (U+2028/9) and invisible format character as the visible escape the
    terminal output uses (:func:`sortext.files.inert.clean`: ``\\u202e``, ``\\x1b``);
    the rest of the text, tabs included, unchanged."""
    from sortext.files.inert import clean

    return clean(text.replace("\r\n", "\n").replace("\r", "\n"), newlines=True)


def _clock(value: object) -> str | None:
    """``value`` when it is a valid ``"HH:MM"`` wall-clock time, else None (all-day)."""
    return value if isinstance(value, str) and _TIME.match(value) else None


def _zone(name: str | None) -> dt.tzinfo | None:
    if not name:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: 'Europe'
        raise ConfigError(f"sortext.yaml: timezone: unknown time zone '{name}'") from exc


def render_ics(repo: Repository, records: list[dict[str, Any]]) -> str:
    """The calendar of ``records`` with SEQUENCE kept in the state folder.

    Each export compares every event with what the last export stored under
    ``.sortext/ics-sequences.json`` and bumps the SEQUENCE of those that changed.
    """
    from sortext.files.state import StateDir
    from sortext.files.write import write_if_changed

    timezone = repo.config.raw.get("timezone")
    timezone = timezone if isinstance(timezone, str) else None
    store = StateDir(repo.root).ics_sequences
    try:
        previous = json.loads(store.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = None
    previous = previous if isinstance(previous, dict) else None
    events = calendar_events(records)  # once: the sequences and the calendar
    sequences = next_sequences(events, previous, timezone)
    merged = {**(previous or {}), **sequences}  # a vanished event keeps its number
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        write_if_changed(store, json.dumps(merged, sort_keys=True, indent=0).encode())
    except OSError:
        pass  # derived data: the calendar is still right, only SEQUENCE may repeat
    return to_ics(records, sequences, timezone, events)


def render(
    repo: Repository,
    kind: str,
    today: dt.date,
    columns: Iterable[str] | None = None,
    records: list[dict[str, Any]] | None = None,
) -> str:
    """The text of one export of the repository (``columns``: CSV only; default:
    the built-in columns and one per custom field of sortext.yaml), of ``records``
    when the caller already loaded them."""
    if kind not in FORMATS:
        raise ConfigError(f"unknown export format '{kind}'; use one of: {', '.join(FORMATS)}")
    if records is None:
        records = load_records(repo)
    if kind == "csv":
        chosen = columns
        if chosen is None:
            custom = list(repo.config.custom_fields)
            schema = None
            if any("." in c for c in custom):  # only then is the schema needed
                from sortext.schema.effective import effective_schema

                schema = effective_schema(repo.config)
            chosen = default_columns(custom, schema)
        return to_csv(records, today, chosen)
    if kind == "json":
        return to_json(records)
    return render_ics(repo, records)


#: What an export may not replace (besides the clients folder and any name starting
#: with '.': .git, .githooks, .sortext, .gitattributes...): sortext.yaml travels with
#: the records, so an export onto erased.yaml would undo the erasures' protection,
#: onto a hook (its mode kept) run a record's text as commands.
def configured_exports(repo: Repository) -> list[tuple[Path, str, list[str] | None]]:
    """``exports:`` in sortext.yaml: ``{path relative to the repo: csv|json|ics}``
    or ``{path: {format: csv, columns: [id, name, custom.referral]}}``;
    -> (file, format, columns or None for the default)."""
    section = repo.config.raw.get("exports") or {}
    found: list[tuple[Path, str, list[str] | None]] = []
    root = repo.root.resolve()
    for name, spec in sorted(section.items()):
        kind = spec.get("format") if isinstance(spec, dict) else spec
        columns = spec.get("columns") if isinstance(spec, dict) else None
        if kind not in FORMATS:
            raise ConfigError(
                f"sortext.yaml: exports.{name}: unknown format '{kind}'; "
                f"use one of: {', '.join(FORMATS)}"
            )
        why = folder_name_problem(str(name))
        if why is not None:
            raise ConfigError(f"sortext.yaml: exports.{one_line(repr(name)[1:-1])}: {why}")
        target = (root / str(name)).resolve()
        problem = output_problem(repo, target)
        if root not in target.parents or problem == IN_CLIENTS:
            raise ConfigError(
                f"sortext.yaml: exports.{name}: an export must be a file inside the "
                "repository and outside the clients folder"
            )
        if problem is not None:
            raise ConfigError(f"sortext.yaml: exports.{name}: {problem}")
        if columns:
            from sortext.errors import UnknownValue
            from sortext.schema.effective import effective_schema

            try:
                check_columns([str(c) for c in columns], effective_schema(repo.config))
            except UnknownValue as exc:
                close = str(exc).rsplit("; did you mean ", 1)
                hint = f"; did you mean {close[1]}" if len(close) == 2 else ""
                raise hinted(
                    ConfigError(
                        f"sortext.yaml: exports.{one_line(str(name))}: columns: unknown "
                        f"column '{one_line(exc.value)}': no record can hold it (a built-in "
                        f"column or a dotted record field){hint}"
                    ),
                    "export_columns",
                ) from None
        found.append((target, str(kind), [str(c) for c in columns] if columns else None))
    return found


def write_export(path: Path, text: str) -> bool:
    """Write ``text`` atomically unless the file already holds it; True when written."""
    from sortext.files.write import write_if_changed

    path.parent.mkdir(parents=True, exist_ok=True)
    return write_if_changed(path, text.encode("utf-8"))


def write_configured_exports(
    repo: Repository, today: dt.date, index_fresh: bool = False
) -> list[Path]:
    """Refresh every export listed in sortext.yaml; return the files that changed.

    The watcher calls this after each change (with ``index_fresh``: its build
    has just brought the index up to date).  An export is rendered again only
    when a record it holds changed, or the day (CSV's ages) or the configuration
    did, or the file is missing: the key of what it was last written from (every
    record file's hash) is kept in the index, so a save that changes nothing
    exported costs one query, not a parse of every record.  Unchanged exports
    are not rewritten, so they trigger no further file events.
    """
    exports = configured_exports(repo)
    if not exports:
        return []
    from sortext.store.index import Index

    written = []
    with Index.open(repo) as index:
        if not index_fresh:
            index.refresh_for_query()
        contents = _contents_key(index, repo)
        records: list[dict[str, Any]] | None = None
        for path, kind, columns in exports:
            meta = f"export:{repo.relative(path)}"
            day = today.isoformat() if kind == "csv" else ""
            key = f"{kind}|{day}|{','.join(columns or [])}|{contents}"
            if path.exists() and index.meta(meta) == key:
                continue
            if records is None:
                records = _records_from(repo, index)
            if write_export(path, render(repo, kind, today, columns, records)):
                written.append(path)
            index.set_meta(meta, key)
    return written


def _contents_key(index: Any, repo: Repository) -> str:
    """A digest of every indexed record file's bytes (and staleness) and the configuration."""
    import hashlib

    from sortext.files.codestamp import code_stamp

    digest = hashlib.sha256(f"{code_stamp()}|{repo.config.fingerprint}".encode())
    from sortext.files.plain import read_regular
    from sortext.record.tombstone import FILE_NAME

    try:  # an erasure changes what may be exported (never waited on: a pipe there)
        digest.update(read_regular(repo.root / FILE_NAME)[0])
    except OSError:
        digest.update(b"no erasures")
    for path, file_hash, stale in index.conn.execute(
        "SELECT path, hash, stale FROM files ORDER BY path"
    ):
        digest.update(f"{path}\0{file_hash}\0{stale}\n".encode())
    return digest.hexdigest()
