"""View models for the pages: what the dashboard and a client page show, in order.

Pure data assembled from index entries, findings and "today"; the templates
only lay it out.  Keeping the choices (what goes first, what is grouped with
what) here means ``sortext next``/``show`` and the HTML pages agree.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sortext.check.load import Record
from sortext.record.diagnostics import Diagnostic
from sortext.rules import findings as rules
from sortext.rules.findings import ClientRisk, Finding, GoalStatus, NextAction
from sortext.schema.config import Config
from sortext.store.board import SECTIONS

DATE_KINDS = SECTIONS["dates"]


@dataclass(slots=True)
class ErrorItem:
    """A file with problems: its first error, how many, and whether pages show old data."""

    path: str
    record_id: str | None
    name: str
    first: Diagnostic
    count: int
    stale: bool


@dataclass(slots=True)
class Dashboard:
    """What the dashboard and NEXT.md show.  The lists may be :class:`sortext.store.board.Top`
    (the first rows and the full length) when the index answered them."""

    today: str
    clients: int
    open_clients: int
    next_actions: Sequence[NextAction]
    at_risk: Sequence[ClientRisk]
    stuck: Sequence[GoalStatus]
    progressing: Sequence[GoalStatus]
    invoices_overdue: Sequence[Finding]
    invoices_due: Sequence[Finding]
    dates_due: Sequence[Finding]
    blocked: Sequence[Finding]
    retention: Sequence[Finding]
    errors: Sequence[ErrorItem]
    overdue_totals: list[tuple[str, float]] = field(default_factory=list)
    next_counts: dict[str, int] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return self.next_counts.get(status, 0)


def error_items(entries: Sequence[Any]) -> list[ErrorItem]:
    """Files whose current version has errors (index entries with diagnostics)."""
    out = []
    for e in entries:
        errors = [d for d in e.diagnostics if d.is_error]
        if not errors:
            continue
        rec: Record | None = e.record
        out.append(
            ErrorItem(
                e.path,
                rec.id if rec else None,
                rec.name if rec else e.path,
                errors[0],
                len(errors),
                e.stale,
            )
        )
    return out


def totals(found: Sequence[Finding]) -> list[tuple[str, float]]:
    sums: dict[str, float] = {}
    for f in found:
        if f.amount is not None:
            key = f.currency or ""
            sums[key] = sums.get(key, 0.0) + f.amount
    return sorted(sums.items())


def assemble(
    assessed: Sequence[rules.Assessment],
    errors: list[ErrorItem],
    config: Config,
    today: dt.date,
) -> Dashboard:
    """The dashboard from each usable record's assessment and the files with errors."""
    records = [a.record for a in assessed]
    found = sorted((f for a in assessed for f in a.findings), key=lambda f: f.sort_key)
    goals = [g for a in assessed for g in a.goals]
    next_items = sorted((a.next for a in assessed if a.next is not None), key=rules.next_sort_key)

    def kind(*kinds: str) -> list[Finding]:
        return [f for f in found if f.kind in kinds]

    overdue = kind("invoice_overdue")
    dates_due = sorted(kind(*DATE_KINDS), key=lambda f: (f.due or "9999", f.name.casefold()))
    return Dashboard(
        today=today.isoformat(),
        clients=len(records),
        open_clients=sum(1 for r in records if rules.is_open(r, config)),
        next_actions=next_items,
        at_risk=rules.at_risk(records, found, config),
        stuck=sorted((g for g in goals if g.state == "stuck"), key=lambda g: g.name.casefold()),
        progressing=sorted(
            (g for g in goals if g.state in ("progressing", "achieved")),
            key=lambda g: (-(g.percent or 0.0), g.name.casefold()),
        ),
        invoices_overdue=sorted(overdue, key=lambda f: (f.due or "", f.name.casefold())),
        invoices_due=sorted(kind("invoice_due"), key=lambda f: (f.due or "", f.name.casefold())),
        dates_due=dates_due,
        blocked=kind("blocked"),
        retention=kind("retention_expired"),
        errors=errors,
        overdue_totals=totals(overdue),
        next_counts={
            status: sum(1 for n in next_items if n.status == status)
            for status in {n.status for n in next_items}
        },
    )


# -- one client -------------------------------------------------------------------


@dataclass(slots=True)
class Event:
    """Something dated that happened to a client (for "since the last session")."""

    date: str
    what: str
    status: str = ""


@dataclass(slots=True)
class ClientView:
    """What one client's page shows (session prep), worked out for ``today``."""

    record: Record
    today: str
    next: NextAction | None
    findings: list[Finding]
    goals: list[GoalStatus]
    last_session: Mapping[str, Any] | None
    commitments: list[str]
    since_last: list[Event]
    upcoming: list[Mapping[str, Any]]
    invoices: list[Mapping[str, Any]]
    blockers: list[Mapping[str, Any]]
    links: list[tuple[str, str]]
    diagnostics: list[Diagnostic]
    stale: bool
    in_stage: str | None = None  # "in proposal for 47 days" (from git); None when unknown
    package: rules.PackageStatus | None = None
    #: ``pages: {notes: false}`` in sortext.yaml leaves the notes off the page
    show_notes: bool = True
    #: consent forbids proposing contact (``data_use: false`` or ``contact: none``)
    no_contact: bool = False

    @property
    def data(self) -> Mapping[str, Any]:
        return self.record.data

    def section(self, key: str) -> Mapping[str, Any]:
        value = self.record.data.get(key)
        return value if isinstance(value, Mapping) else {}

    # What the client page's "Needs attention" card and error banner ask of the
    # findings and diagnostics (computed here: Jinja's select/reject filters cost ~6%
    # of the page's render).

    @property
    def attention(self) -> list[Finding]:
        """The findings the page lists: all but the goals doing well."""
        return [f for f in self.findings if f.kind not in _NOT_ATTENTION]

    @property
    def cautions(self) -> bool:
        """True when a finding is more than information (the card is highlighted)."""
        return any(f.level != "info" for f in self.findings)

    @property
    def has_errors(self) -> bool:
        """True when a diagnostic of the file is an error."""
        return any(d.is_error for d in self.diagnostics)


_NOT_ATTENTION = ("goal_progressing", "goal_achieved")


def client_view(
    record: Record,
    config: Config,
    today: dt.date,
    diagnostics: Sequence[Diagnostic] = (),
    stale: bool = False,
    assessment: rules.Assessment | None = None,
    stage_since: dt.date | None = None,
) -> ClientView:
    """Session prep for one client: goals, commitments, what happened since, money, notes.

    ``assessment``, when the caller already has it (``rules.assess`` of this record
    for this day), saves running the rules twice.  ``stage_since``: the day the
    client entered its stage (from git, :func:`sortext.views.stagetime.stage_since_map`)."""
    from sortext.views.stagetime import in_stage_phrase

    view = record.view
    if assessment is None:
        assessment = rules.assess(record, config, today, stage_since)
    sessions = sorted((s for s in view.sessions if s.date is not None), key=lambda s: str(s.date))
    today_text = today.isoformat()
    held = [s for s in sessions if s.status == "held" and str(s.date) <= today_text]
    last = held[-1] if held else None
    since = str(last.date) if last else ""
    commitments = list(last.commitments) if last else []
    events: list[Event] = []
    for s in sessions:
        when = str(s.date)
        if since < when <= today_text:
            focus = f": {s.focus}" if s.focus is not None else ""
            events.append(Event(when, f"{s.kind or 'session'}{focus}", s.status or ""))
    for m in view.measurements:
        mdate = m.date
        if mdate is not None and since < mdate <= today_text:
            note = f" ({m.note})" if m.note is not None else ""
            events.append(Event(mdate, f"measured {m.goal}: {m.value}{note}", "measurement"))
    for inv in view.invoices:
        # a draft has not been issued: its ``issued`` is the day it is meant to go out
        # (the takings leave it out too, rules.money), so no "issued" event for it
        issued = inv.issued if inv.status != "draft" else None
        # a void one was issued and then withdrawn: said so, or it reads as money owed
        sent = "issued, since void" if inv.status == "void" else "issued"
        for idate, label in ((issued, sent), (inv.paid_on, "paid")):
            if idate is not None and since < idate <= today_text:
                events.append(Event(idate, f"invoice {inv.id or ''} {label}", "invoice"))
    blockers = [b for b in view.blockers if b.detailed]
    for b in blockers:
        bdate = b.since
        if bdate is not None and since < bdate <= today_text:
            events.append(Event(bdate, f"blocked: {b.what or ''}", "blocker"))
    events.sort(key=lambda e: (e.date, e.what))
    upcoming = [s.values for s in sessions if str(s.date) > today_text]
    links = [(str(k), v) for k, v in view.links.values.items() if isinstance(v, str)]
    found = sorted(assessment.findings, key=lambda f: f.sort_key)
    invoices = [
        i.values for i in sorted(view.invoices, key=lambda i: i.issued or i.due or "", reverse=True)
    ]
    return ClientView(
        record=record,
        today=today_text,
        next=assessment.next,
        findings=found,
        goals=assessment.goals,
        last_session=last.values if last else None,
        commitments=commitments,
        since_last=events,
        upcoming=upcoming,
        invoices=invoices,
        blockers=[b.values for b in blockers],
        links=links,
        diagnostics=list(diagnostics),
        stale=stale,
        in_stage=in_stage_phrase(record.stage, stage_since, today),
        package=rules.package_status(record, today),
        show_notes=(config.raw.get("pages") or {}).get("notes", True) is not False,
        no_contact=view.consent.no_contact,
    )


def from_board(conn: sqlite3.Connection, today: str, errors: list[Any], limit: int) -> Dashboard:
    """The :class:`Dashboard` of the assessments stored by :mod:`sortext.store.board`:
    ``limit`` rows a list (counts and totals are complete)."""
    from sortext.rules.findings import AT_RISK_KINDS
    from sortext.store.board import (
        Top,
        at_risk_top,
        client_counts,
        findings_top,
        goals_top,
        next_counts,
        next_top,
        overdue_totals,
    )

    clients, open_clients = client_counts(conn)
    return Dashboard(
        today=today,
        clients=clients,
        open_clients=open_clients,
        next_actions=next_top(conn, limit),
        at_risk=at_risk_top(conn, AT_RISK_KINDS, limit),
        stuck=goals_top(conn, "stuck", limit),
        progressing=goals_top(conn, "progressing", limit),
        invoices_overdue=findings_top(conn, "invoice_overdue", limit),
        invoices_due=findings_top(conn, "invoice_due", limit),
        dates_due=findings_top(conn, "dates", limit),
        blocked=findings_top(conn, "blocked", limit),
        retention=findings_top(conn, "retention", limit),
        errors=Top(errors[:limit], len(errors)),
        overdue_totals=overdue_totals(conn),
        next_counts=next_counts(conn),
    )
