"""The record as a type: a read-only, typed view of a record's validated data.

:class:`RecordView` is built once from a record's data (JSON values, dates as
ISO text, as :mod:`sortext.record.values` gives them) and then read by rules,
views and exports instead of each of them checking dict shapes again.

Building never raises.  A record whose YAML parsed but which the schema
rejected still gets a view: a value of the wrong type reads as ``None`` (or
is left out of a list), which is exactly what the rules did with such data
before ("skipped quietly here; ``sortext check`` reports it").  So for a
valid record every field holds what the file says; for an invalid one, what
can be trusted.

Dates stay ISO text (``"2026-03-01"``): pages and exports print them as
written, and :func:`as_date` turns one into a :class:`datetime.date` when a
rule computes with it.  Numbers are ``float`` (``bool`` is not a number).

Custom fields (``custom_fields`` in ``sortext.yaml``) and any other key the
default schema does not name are kept, read-only, in :attr:`RecordView.extra`
(top level) or in each section's ``values`` mapping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})

# Top-level keys the default schema names; anything else goes to ``extra``.
KNOWN_KEYS = frozenset(
    {
        "id",
        "name",
        "email",
        "phone",
        "company",
        "stage",
        "owner",
        "next_action",
        "blockers",
        "dates",
        "billing",
        "invoices",
        "goals",
        "measurements",
        "sessions",
        "consent",
        "links",
        "tags",
    }
)


def as_date(value: object) -> dt.date | None:
    """``"YYYY-MM-DD..."`` -> date; None for anything else (no exception)."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def as_number(value: object) -> float | None:
    """An int or float as ``float``; None for anything else (``True`` is not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _label(value: object) -> str | None:
    """A value shown as a label: ``str(value)`` when truthy, else None."""
    return str(value) if value else None


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else _EMPTY


def _items(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, Mapping)]


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value)) if value else _EMPTY


@dataclass(frozen=True, slots=True)
class NextActionField:
    """``next_action``: what, who (None: the record's owner) and when (ISO date text)."""

    what: str | None = None
    owner: str | None = None
    due: str | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class Blocker:
    """One ``blockers`` entry.  ``detailed`` is False for the one-line text form
    (``- waiting on the contract``), True for the ``{what, since, waiting_on}`` form."""

    what: str | None
    since: str | None = None
    waiting_on: str | None = None
    detailed: bool = True


@dataclass(frozen=True, slots=True)
class Dates:
    """``dates``: the key dates as ISO text; ``values`` holds every entry of the
    section (custom dated fields included), read-only."""

    first_contact: str | None = None
    started: str | None = None
    next_review: str | None = None
    last_review: str | None = None
    renewal: str | None = None
    ended: str | None = None
    values: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class Billing:
    """``billing``: plan, rate (a number, per ``per``), currency, payment terms, renewal."""

    plan: str | None = None
    rate: float | None = None
    currency: str | None = None
    per: str | None = None
    payment_method: str | None = None
    terms_days: int | None = None
    renewal: str | None = None
    values: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class Invoice:
    """One ``invoices`` entry.  ``currency`` is the invoice's own (see
    :meth:`RecordView.invoice_currency` for the billing default)."""

    id: str | None = None
    amount: float | None = None
    currency: str | None = None
    status: str | None = None  # draft, sent, paid, overdue, void
    issued: str | None = None
    due: str | None = None
    paid_on: str | None = None
    description: str | None = None
    values: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class Goal:
    """One ``goals`` entry: a measure moving from ``baseline`` toward ``target`` by ``by``."""

    id: str | None = None
    title: str | None = None
    measure: str | None = None
    baseline: float | None = None
    target: float | None = None
    by: str | None = None
    status: str | None = None  # open, achieved, dropped
    values: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class Measurement:
    """One ``measurements`` entry: a goal's value on a date."""

    goal: str | None = None
    date: str | None = None
    value: float | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """One ``sessions`` entry.  ``review`` is True only when the file says ``true``."""

    date: str | None = None
    kind: str | None = None
    status: str | None = None  # scheduled, held, cancelled, rescheduled, no-show
    focus: str | None = None
    commitments: tuple[str, ...] = ()
    score: float | None = None
    minutes: int | None = None
    review: bool = False
    notes: str | None = None
    values: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class Consent:
    """``consent``: what the client agreed to, and until when the data may be kept."""

    data_use: bool | None = None
    marketing: bool | None = None
    contact: str | None = None
    given_on: str | None = None
    retain_until: str | None = None


@dataclass(frozen=True, slots=True)
class Links:
    """``links``: where the contract, the files and the email thread live."""

    contract: str | None = None
    files: str | None = None
    email_thread: str | None = None
    values: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class RecordView:
    """A record's data, typed and read-only.  Build it with :meth:`from_data`."""

    id: str | None
    name: str | None
    email: str | None
    phone: str | None
    company: str | None
    stage: str | None
    owner: str | None
    next_action: NextActionField
    blockers: tuple[Blocker, ...]
    dates: Dates
    billing: Billing
    invoices: tuple[Invoice, ...]
    goals: tuple[Goal, ...]
    measurements: tuple[Measurement, ...]
    sessions: tuple[Session, ...]
    consent: Consent
    links: Links
    tags: tuple[str, ...]
    extra: Mapping[str, Any]  # custom and unknown top-level fields, read-only

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> RecordView:
        """The view of ``data`` (a record's front matter as JSON values).  Never raises."""
        action = _section(data, "next_action")
        dates = _section(data, "dates")
        billing = _section(data, "billing")
        consent = _section(data, "consent")
        links = _section(data, "links")
        raw_blockers = data.get("blockers")
        raw_tags = data.get("tags")
        return cls(
            id=_text(data.get("id")),
            name=_text(data.get("name")),
            email=_text(data.get("email")),
            phone=_text(data.get("phone")),
            company=_text(data.get("company")),
            stage=_text(data.get("stage")),
            owner=_text(data.get("owner")),
            next_action=NextActionField(
                _text(action.get("what")),
                _text(action.get("owner")),
                _text(action.get("due")),
                _text(action.get("notes")),
            )
            if action
            else NextActionField(),
            blockers=tuple(_blocker(b) for b in raw_blockers if isinstance(b, Mapping | str))
            if isinstance(raw_blockers, list)
            else (),
            dates=Dates(
                _text(dates.get("first_contact")),
                _text(dates.get("started")),
                _text(dates.get("next_review")),
                _text(dates.get("last_review")),
                _text(dates.get("renewal")),
                _text(dates.get("ended")),
                _frozen(dates),
            )
            if dates
            else Dates(),
            billing=Billing(
                _text(billing.get("plan")),
                as_number(billing.get("rate")),
                _text(billing.get("currency")),
                _text(billing.get("per")),
                _text(billing.get("payment_method")),
                _int(billing.get("terms_days")),
                _text(billing.get("renewal")),
                _frozen(billing),
            )
            if billing
            else Billing(),
            invoices=tuple(_invoice(i) for i in _items(data, "invoices")),
            goals=tuple(_goal(g) for g in _items(data, "goals")),
            measurements=tuple(
                Measurement(
                    _text(m.get("goal")),
                    _text(m.get("date")),
                    as_number(m.get("value")),
                    _text(m.get("note")),
                )
                for m in _items(data, "measurements")
            ),
            sessions=tuple(_session(s) for s in _items(data, "sessions")),
            consent=Consent(
                _flag(consent.get("data_use")),
                _flag(consent.get("marketing")),
                _text(consent.get("contact")),
                _text(consent.get("given_on")),
                _text(consent.get("retain_until")),
            )
            if consent
            else Consent(),
            links=Links(
                _text(links.get("contract")),
                _text(links.get("files")),
                _text(links.get("email_thread")),
                _frozen(links),
            )
            if links
            else Links(),
            tags=tuple(t for t in raw_tags if isinstance(t, str))
            if isinstance(raw_tags, list)
            else (),
            extra=_frozen({k: v for k, v in data.items() if k not in KNOWN_KEYS}),
        )

    def invoice_currency(self, invoice: Invoice) -> str | None:
        """The invoice's currency, else the billing currency, else None."""
        return invoice.currency or self.billing.currency


def _blocker(value: Mapping[str, Any] | str) -> Blocker:
    if isinstance(value, str):
        return Blocker(value, detailed=False)
    return Blocker(
        _text(value.get("what")), _text(value.get("since")), _text(value.get("waiting_on"))
    )


def _invoice(inv: Mapping[str, Any]) -> Invoice:
    return Invoice(
        _label(inv.get("id")),
        as_number(inv.get("amount")),
        _text(inv.get("currency")),
        _text(inv.get("status")),
        _text(inv.get("issued")),
        _text(inv.get("due")),
        _text(inv.get("paid_on")),
        _text(inv.get("description")),
        _frozen(inv),
    )


def _goal(goal: Mapping[str, Any]) -> Goal:
    return Goal(
        _text(goal.get("id")),
        _label(goal.get("title")),
        _label(goal.get("measure")),
        as_number(goal.get("baseline")),
        as_number(goal.get("target")),
        _text(goal.get("by")),
        _label(goal.get("status")),
        _frozen(goal),
    )


def _session(s: Mapping[str, Any]) -> Session:
    commitments = s.get("commitments")
    return Session(
        _text(s.get("date")),
        _text(s.get("kind")),
        _text(s.get("status")),
        _text(s.get("focus")),
        tuple(c for c in commitments if isinstance(c, str))
        if isinstance(commitments, list)
        else (),
        as_number(s.get("score")),
        _int(s.get("minutes")),
        s.get("review") is True,
        _text(s.get("notes")),
        _frozen(s),
    )
