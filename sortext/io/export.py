"""One-way exports for downstream tools: CSV, JSON and an ICS calendar.

Exports are derived data: sortext never reads them back.  Output is
deterministic (records sorted by id, no wall-clock timestamps), so a file
that is regenerated without changes stays byte-identical and git shows no
noise.  Calendar events carry stable UIDs built from the record id and what
the event *is* (``amara-okafor-next-action@sortext``), never from its date,
so a calendar app moves an event instead of duplicating it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sortext.errors import ConfigError
from sortext.record.model import Invoice, RecordView
from sortext.repo import Repository

FORMATS = ("csv", "json", "ics")

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
    from sortext.check.load import Record

    validator = index.validator
    consented_only = (repo.config.raw.get("privacy") or {}).get("exports") == "consented"
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
    return [i for i in view.invoices if i.status not in ("paid", "void")]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_csv(records: Iterable[dict[str, Any]], today: dt.date) -> str:
    """One row per client with the fields people filter and sort on."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
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
            "invoices_open_amount": sum(i.amount for i in unpaid if i.amount is not None),
            "last_session": held[-1] if held else None,
            "tags": ";".join(view.tags),
        }
        writer.writerow([_cell(row[c]) for c in CSV_COLUMNS])
    return out.getvalue()


def to_json(records: Iterable[dict[str, Any]]) -> str:
    """Every record's front matter, as a JSON list sorted by id."""
    return json.dumps(list(records), indent=2, ensure_ascii=False) + "\n"


# --- ICS ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    """One all-day calendar entry."""

    uid: str
    date: str
    summary: str
    description: str = ""
    category: str = ""


def calendar_events(records: Iterable[dict[str, Any]]) -> list[Event]:
    """Next actions, scheduled sessions, reviews, renewals and unpaid invoice due dates."""
    from sortext.record.values import is_iso_date

    events: list[Event] = []
    for data in records:
        view = RecordView.from_data(data)
        rid = str(view.id)
        name = view.name or rid

        def add(
            key: str, date: Any, summary: str, description: str, category: str, rid: str = rid
        ) -> None:
            if is_iso_date(date):
                events.append(Event(f"{rid}-{key}@sortext", date, summary, description, category))

        action = view.next_action
        owner = action.owner or view.owner or ""
        add(
            "next-action",
            action.due,
            f"{name}: {action.what or 'next action'}",
            f"Next action for {name}" + (f", owner {owner}" if owner else ""),
            "next action",
        )
        for session in view.sessions:
            if session.status == "scheduled":
                kind = session.kind or "session"
                add(
                    f"session-{session.date}",
                    session.date,
                    f"{name}: {kind}" + (f" ({session.focus})" if session.focus else ""),
                    f"Scheduled {kind} with {name}",
                    "session",
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


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545 3.1: lines longer than 75 octets continue after CRLF + space."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def to_ics(records: Iterable[dict[str, Any]]) -> str:
    """An RFC 5545 calendar of all-day events.

    DTSTAMP is required by the RFC; to keep output deterministic it is the
    event's own date at 00:00 UTC (it changes only when the event moves).
    """
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//sortext//sortext export//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:sortext",
    ]
    for event in calendar_events(records):
        day = dt.date.fromisoformat(event.date)
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{day.strftime('%Y%m%d')}T000000Z",
            f"DTSTART;VALUE=DATE:{day.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(day + dt.timedelta(days=1)).strftime('%Y%m%d')}",
            f"SUMMARY:{_escape(event.summary)}",
            f"DESCRIPTION:{_escape(event.description)}",
            f"CATEGORIES:{_escape(event.category)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def render(
    repo: Repository, kind: str, today: dt.date, records: list[dict[str, Any]] | None = None
) -> str:
    """The text of one export of the repository (of ``records``, when already loaded)."""
    if kind not in FORMATS:
        raise ConfigError(f"unknown export format '{kind}'; use one of: {', '.join(FORMATS)}")
    if records is None:
        records = load_records(repo)
    if kind == "csv":
        return to_csv(records, today)
    if kind == "json":
        return to_json(records)
    return to_ics(records)


def configured_exports(repo: Repository) -> list[tuple[Path, str]]:
    """``exports:`` in sortext.yaml: ``{path relative to the repo: csv|json|ics}``."""
    section = repo.config.raw.get("exports") or {}
    found = []
    root = repo.root.resolve()
    for name, kind in sorted(section.items()):
        if kind not in FORMATS:
            raise ConfigError(
                f"sortext.yaml: exports.{name}: unknown format '{kind}'; "
                f"use one of: {', '.join(FORMATS)}"
            )
        target = (root / str(name)).resolve()
        clients = repo.clients_path.resolve()
        if root not in target.parents or clients in (target, *target.parents):
            raise ConfigError(
                f"sortext.yaml: exports.{name}: an export must be a file inside the "
                "repository and outside the clients folder"
            )
        found.append((target, str(kind)))
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
        for path, kind in exports:
            meta = f"export:{repo.relative(path)}"
            key = f"{kind}|{today.isoformat() if kind == 'csv' else ''}|{contents}"
            if path.exists() and index.meta(meta) == key:
                continue
            if records is None:
                records = _records_from(repo, index)
            if write_export(path, render(repo, kind, today, records)):
                written.append(path)
            index.set_meta(meta, key)
    return written


def _contents_key(index: Any, repo: Repository) -> str:
    """A digest of every indexed record file's bytes (and staleness) and the configuration."""
    import hashlib

    from sortext import __version__

    digest = hashlib.sha256(f"{__version__}|{repo.config.fingerprint}".encode())
    from sortext.record.tombstone import FILE_NAME

    try:  # an erasure changes what may be exported
        digest.update((repo.root / FILE_NAME).read_bytes())
    except OSError:
        digest.update(b"no erasures")
    for path, file_hash, stale in index.conn.execute(
        "SELECT path, hash, stale FROM files ORDER BY path"
    ):
        digest.update(f"{path}\0{file_hash}\0{stale}\n".encode())
    return digest.hexdigest()
