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
rule computes with it.  Numbers stay as written, ``int`` or ``float`` (so exports
print ``120`` as ``120``); ``bool`` is not a number.

Custom fields (``custom_fields`` in ``sortext.yaml``) and any other key the
default schema does not name are kept, read-only, in :attr:`RecordView.extra`
(top level) or in each section's ``values`` mapping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

_EMPTY: Mapping[str, Any] = MappingProxyType({})
Number = int | float  # as written in the file; never a bool
_NUMBERS = frozenset({int, float})  # by exact class: a bool is not a number

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


def _number(value: object) -> Number | None:
    """An int or float as written; None for anything else (``True`` is not a number)."""
    return value if type(value) in _NUMBERS else None  # type: ignore[return-value]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _minutes(value: object) -> int | None:
    return value if isinstance(value, int) and value.__class__ is int else None


def _label(value: object) -> str | None:
    """A value shown as a label: ``str(value)`` when truthy, else None."""
    return str(value) if value else None


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else _EMPTY


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only window on the record's own mapping (not a copy: nothing writes
    a record's data once it is loaded)."""
    return MappingProxyType(value) if value else _EMPTY


@dataclass(frozen=True, slots=True)
class NextActionField:
    """``next_action``: what, who (None: the record's owner) and when (ISO date text)."""

    what: str | None = None
    owner: str | None = None
    due: str | None = None
    notes: str | None = None
    time: str | None = None  # "HH:MM", local to sortext.yaml's timezone
    minutes: int | None = None


class Blocker(NamedTuple):
    """One ``blockers`` entry.  ``detailed`` is False for the one-line text form
    (``- waiting on the contract``), True for the ``{what, since, waiting_on}`` form."""

    what: str | None
    since: str | None = None
    waiting_on: str | None = None
    detailed: bool = True
    values: Mapping[str, Any] = _EMPTY


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
    rate: Number | None = None
    currency: str | None = None
    per: str | None = None
    payment_method: str | None = None
    terms_days: int | None = None
    renewal: str | None = None
    values: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


class Invoice(NamedTuple):
    """One ``invoices`` entry.  ``currency`` is the invoice's own (see
    :meth:`RecordView.invoice_currency` for the billing default)."""

    id: str | None = None
    amount: Number | None = None
    currency: str | None = None
    status: str | None = None  # draft, sent, paid, overdue, void
    issued: str | None = None
    due: str | None = None
    paid_on: str | None = None
    description: str | None = None
    values: Mapping[str, Any] = _EMPTY


class Goal(NamedTuple):
    """One ``goals`` entry: a measure moving from ``baseline`` toward ``target`` by ``by``."""

    id: str | None = None
    title: str | None = None
    measure: str | None = None
    baseline: Number | None = None
    target: Number | None = None
    by: str | None = None
    status: str | None = None  # open, achieved, dropped
    values: Mapping[str, Any] = _EMPTY


class Measurement(NamedTuple):
    """One ``measurements`` entry: a goal's value on a date."""

    goal: str | None = None
    date: str | None = None
    value: Number | None = None
    note: str | None = None


class Session(NamedTuple):
    """One ``sessions`` entry.  ``review`` is True only when the file says ``true``."""

    date: str | None = None
    kind: str | None = None
    status: str | None = None  # scheduled, held, cancelled, rescheduled, no-show
    focus: str | None = None
    commitments: tuple[str, ...] = ()
    score: Number | None = None
    minutes: int | None = None
    review: bool = False
    notes: str | None = None
    time: str | None = None  # "HH:MM", local to sortext.yaml's timezone
    uid: str | None = None  # the calendar event this session was imported from
    values: Mapping[str, Any] = _EMPTY


@dataclass(frozen=True, slots=True)
class Consent:
    """``consent``: what the client agreed to, and until when the data may be kept."""

    data_use: bool | None = None
    marketing: bool | None = None
    contact: str | None = None
    given_on: str | None = None
    retain_until: str | None = None

    @property
    def no_contact(self) -> bool:
        """True when nothing may propose contacting the client: ``data_use: false``
        or ``contact: none`` (no check-in, review or renewal reminders or events)."""
        return self.data_use is False or self.contact == "none"


@dataclass(frozen=True, slots=True)
class Links:
    """``links``: where the contract, the files and the email thread live."""

    contract: str | None = None
    files: str | None = None
    email_thread: str | None = None
    values: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


_UNSET: Any = object()
_SECTION_SLOTS = (
    "_next_action",
    "_blockers",
    "_dates",
    "_billing",
    "_invoices",
    "_goals",
    "_measurements",
    "_sessions",
    "_consent",
    "_links",
    "_tags",
    "_extra",
)


class RecordView:
    """A record's data, typed and read-only.  Build it with :meth:`from_data`.

    The identity fields (``id``, ``name``, ``stage``, ``owner``...) are read at
    once; each section (``sessions``, ``invoices``, ``goals``...) is built the
    first time it is read and kept: a rule that looks only at a closed client's
    invoices never pays for its forty sessions.  Nothing can be assigned.
    """

    __slots__ = (
        "_billing",
        "_blockers",
        "_consent",
        "_data",
        "_dates",
        "_extra",
        "_goals",
        "_invoices",
        "_links",
        "_measurements",
        "_next_action",
        "_sessions",
        "_tags",
        "company",
        "email",
        "id",
        "name",
        "owner",
        "phone",
        "stage",
    )

    _data: Mapping[str, Any]
    _next_action: NextActionField
    _blockers: tuple[Blocker, ...]
    _dates: Dates
    _billing: Billing
    _invoices: tuple[Invoice, ...]
    _goals: tuple[Goal, ...]
    _measurements: tuple[Measurement, ...]
    _sessions: tuple[Session, ...]
    _consent: Consent
    _links: Links
    _tags: tuple[str, ...]
    _extra: Mapping[str, Any]
    id: str | None
    name: str | None
    email: str | None
    phone: str | None
    company: str | None
    stage: str | None
    owner: str | None

    def __init__(self, data: Mapping[str, Any]) -> None:
        put = object.__setattr__
        put(self, "_data", data)
        for key in ("id", "name", "email", "phone", "company", "stage", "owner"):
            value = data.get(key)
            put(self, key, value if isinstance(value, str) else None)
        for slot in _SECTION_SLOTS:
            put(self, slot, _UNSET)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> RecordView:
        """The view of ``data`` (a record's front matter as JSON values).  Never raises.

        ``data`` is read, never copied or changed: the caller does not change it
        afterwards (a loaded record's data never is)."""
        return cls(data)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"RecordView is read-only: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"RecordView is read-only: cannot delete {name}")

    def __repr__(self) -> str:
        return f"RecordView(id={self.id!r}, name={self.name!r}, stage={self.stage!r})"

    @property
    def next_action(self) -> NextActionField:
        """``next_action`` (all None when the record has none)."""
        if self._next_action is not _UNSET:
            return self._next_action
        action = _section(self._data, "next_action")
        value = (
            NextActionField(
                _text(action.get("what")),
                _text(action.get("owner")),
                _text(action.get("due")),
                _text(action.get("notes")),
                _text(action.get("time")),
                _minutes(action.get("minutes")),
            )
            if action
            else NextActionField()
        )
        object.__setattr__(self, "_next_action", value)
        return value

    @property
    def blockers(self) -> tuple[Blocker, ...]:
        """``blockers``, in file order (one-line and detailed forms)."""
        if self._blockers is not _UNSET:
            return self._blockers
        raw = self._data.get("blockers")
        value = (
            tuple(_blocker(b) for b in raw if isinstance(b, dict | str))
            if isinstance(raw, list)
            else ()
        )
        object.__setattr__(self, "_blockers", value)
        return value

    @property
    def dates(self) -> Dates:
        """``dates``: the key dates."""
        if self._dates is not _UNSET:
            return self._dates
        dates = _section(self._data, "dates")
        value = (
            Dates(
                _text(dates.get("first_contact")),
                _text(dates.get("started")),
                _text(dates.get("next_review")),
                _text(dates.get("last_review")),
                _text(dates.get("renewal")),
                _text(dates.get("ended")),
                _frozen(dates),
            )
            if dates
            else Dates()
        )
        object.__setattr__(self, "_dates", value)
        return value

    @property
    def billing(self) -> Billing:
        """``billing``: plan, rate, currency, terms, renewal."""
        if self._billing is not _UNSET:
            return self._billing
        billing = _section(self._data, "billing")
        value = (
            Billing(
                _text(billing.get("plan")),
                _number(billing.get("rate")),
                _text(billing.get("currency")),
                _text(billing.get("per")),
                _text(billing.get("payment_method")),
                _int(billing.get("terms_days")),
                _text(billing.get("renewal")),
                _frozen(billing),
            )
            if billing
            else Billing()
        )
        object.__setattr__(self, "_billing", value)
        return value

    @property
    def invoices(self) -> tuple[Invoice, ...]:
        """``invoices``, in file order."""
        if self._invoices is not _UNSET:
            return self._invoices
        raw = self._data.get("invoices")
        value = (
            tuple([_invoice(i) for i in raw if isinstance(i, dict)])
            if isinstance(raw, list)
            else ()
        )
        object.__setattr__(self, "_invoices", value)
        return value

    @property
    def goals(self) -> tuple[Goal, ...]:
        """``goals``, in file order."""
        if self._goals is not _UNSET:
            return self._goals
        raw = self._data.get("goals")
        value = (
            tuple([_goal(g) for g in raw if isinstance(g, dict)]) if isinstance(raw, list) else ()
        )
        object.__setattr__(self, "_goals", value)
        return value

    @property
    def measurements(self) -> tuple[Measurement, ...]:
        """``measurements``, in file order."""
        if self._measurements is not _UNSET:
            return self._measurements
        raw = self._data.get("measurements")
        value = (
            tuple([_measurement(m) for m in raw if isinstance(m, dict)])
            if isinstance(raw, list)
            else ()
        )
        object.__setattr__(self, "_measurements", value)
        return value

    @property
    def sessions(self) -> tuple[Session, ...]:
        """``sessions``, in file order (not sorted by date)."""
        if self._sessions is not _UNSET:
            return self._sessions
        raw = self._data.get("sessions")
        value = (
            tuple([_session(s) for s in raw if isinstance(s, dict)])
            if isinstance(raw, list)
            else ()
        )
        object.__setattr__(self, "_sessions", value)
        return value

    @property
    def consent(self) -> Consent:
        """``consent``: data use, marketing, contact channel, retention date."""
        if self._consent is not _UNSET:
            return self._consent
        consent = _section(self._data, "consent")
        value = (
            Consent(
                _flag(consent.get("data_use")),
                _flag(consent.get("marketing")),
                _text(consent.get("contact")),
                _text(consent.get("given_on")),
                _text(consent.get("retain_until")),
            )
            if consent
            else Consent()
        )
        object.__setattr__(self, "_consent", value)
        return value

    @property
    def links(self) -> Links:
        """``links``: contract, files, email thread."""
        if self._links is not _UNSET:
            return self._links
        links = _section(self._data, "links")
        value = (
            Links(
                _text(links.get("contract")),
                _text(links.get("files")),
                _text(links.get("email_thread")),
                _frozen(links),
            )
            if links
            else Links()
        )
        object.__setattr__(self, "_links", value)
        return value

    @property
    def tags(self) -> tuple[str, ...]:
        """``tags``, in file order."""
        if self._tags is not _UNSET:
            return self._tags
        raw = self._data.get("tags")
        value = tuple(t for t in raw if isinstance(t, str)) if isinstance(raw, list) else ()
        object.__setattr__(self, "_tags", value)
        return value

    @property
    def extra(self) -> Mapping[str, Any]:
        """Custom and unknown top-level fields (name -> JSON value), read-only."""
        if self._extra is not _UNSET:
            return self._extra
        value = MappingProxyType({k: v for k, v in self._data.items() if k not in KNOWN_KEYS})
        object.__setattr__(self, "_extra", value)
        return value

    def invoice_currency(self, invoice: Invoice) -> str | None:
        """The invoice's currency, else the billing currency, else None."""
        return invoice.currency or self.billing.currency


# The per-item builders below run for every session and invoice of every record
# (a cold build of 1,000 records builds ~45,000 items): they inline the checks
# of ``_text`` / ``as_number`` instead of calling them, and make each item with
# ``tuple.__new__`` (what a NamedTuple's generated ``__new__`` calls, less the
# extra Python call; every field is given, in declaration order).
_new = tuple.__new__


def _blocker(value: Mapping[str, Any] | str) -> Blocker:
    if isinstance(value, str):
        return Blocker(value, detailed=False)
    return Blocker(
        _text(value.get("what")),
        _text(value.get("since")),
        _text(value.get("waiting_on")),
        True,
        MappingProxyType(value),
    )


def _invoice(inv: Mapping[str, Any]) -> Invoice:
    get = inv.get
    ident: Any = get("id")
    amount: Any = get("amount")
    currency, status, issued = get("currency"), get("status"), get("issued")
    due, paid_on, description = get("due"), get("paid_on"), get("description")
    return _new(
        Invoice,
        (
            str(ident) if ident else None,
            amount if type(amount) in _NUMBERS else None,
            currency if isinstance(currency, str) else None,
            status if isinstance(status, str) else None,
            issued if isinstance(issued, str) else None,
            due if isinstance(due, str) else None,
            paid_on if isinstance(paid_on, str) else None,
            description if isinstance(description, str) else None,
            MappingProxyType(inv),
        ),
    )


def _goal(goal: Mapping[str, Any]) -> Goal:
    return Goal(
        _text(goal.get("id")),
        _label(goal.get("title")),
        _label(goal.get("measure")),
        _number(goal.get("baseline")),
        _number(goal.get("target")),
        _text(goal.get("by")),
        _label(goal.get("status")),
        _frozen(goal),
    )


def _measurement(m: Mapping[str, Any]) -> Measurement:
    get = m.get
    value: Any = get("value")
    goal, date, note = get("goal"), get("date"), get("note")
    return _new(
        Measurement,
        (
            goal if isinstance(goal, str) else None,
            date if isinstance(date, str) else None,
            value if type(value) in _NUMBERS else None,
            note if isinstance(note, str) else None,
        ),
    )


def _session(s: Mapping[str, Any]) -> Session:
    get = s.get
    date, kind, status, focus = get("date"), get("kind"), get("status"), get("focus")
    score: Any = get("score")
    commitments, minutes, notes = get("commitments"), get("minutes"), get("notes")
    time, uid = get("time"), get("uid")
    return _new(
        Session,
        (
            date if isinstance(date, str) else None,
            kind if isinstance(kind, str) else None,
            status if isinstance(status, str) else None,
            focus if isinstance(focus, str) else None,
            tuple([c for c in commitments if isinstance(c, str)])
            if commitments and isinstance(commitments, list)
            else (),
            score if type(score) in _NUMBERS else None,
            minutes if minutes.__class__ is int else None,
            get("review") is True,
            notes if isinstance(notes, str) else None,
            time if isinstance(time, str) else None,
            uid if isinstance(uid, str) else None,
            MappingProxyType(s),
        ),
    )
