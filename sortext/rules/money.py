"""Money at a glance and prepaid packages: pure functions of records and a day.

``money_summary`` answers "what is outstanding and for how long, what came in
this month and this year, who the revenue comes from", per currency (amounts
in different currencies are never added together).  Prepaid packages are
read by :func:`sortext.rules.findings.package_status` (a rule's input).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import groupby, islice
from typing import NamedTuple

from sortext.check.load import Record
from sortext.record.model import as_date
from sortext.rules.outstanding import OUTSTANDING as OUTSTANDING  # the one definition

#: Age buckets of outstanding invoices, in days since issue (upper bound included).
BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0-30", 30),
    ("31-60", 60),
    ("61-90", 90),
    ("90+", None),
)


def add(*amounts: float) -> float:
    """The sum of ``amounts`` done in decimal, so 0.1 + 0.2 is 0.3 (money is
    written in decimal; binary float sums drift by a few 1e-17 per addition)."""
    from decimal import Decimal

    return float(sum((Decimal(repr(a)) for a in amounts), Decimal(0)))


class DecimalSum:
    """A SQLite aggregate (``conn.create_aggregate("dsum", 1, DecimalSum)``) summing
    like :func:`add`, so the pages' SQL totals equal the rules' to the cent."""

    def __init__(self) -> None:
        from decimal import Decimal

        self.total = Decimal(0)

    def step(self, value: float | None, /) -> None:
        from decimal import Decimal

        if value is not None:
            self.total += Decimal(repr(float(value)))

    def finalize(self) -> float:
        return float(self.total)


def rank_clients(clients: Iterable[ClientRevenue], top: int) -> list[ClientRevenue]:
    """The ``top`` clients of each currency by revenue, by currency then largest
    first: amounts in different currencies are never compared."""
    ranked = sorted(clients, key=lambda c: (c.currency, -c.paid_year, c.name.casefold()))
    return [c for _, group in groupby(ranked, key=lambda c: c.currency) for c in islice(group, top)]


def bucket_of(age_days: int) -> str:
    """The bucket label for an invoice ``age_days`` old (negative ages are "0-30")."""
    for label, upper in BUCKETS:
        if upper is None or age_days <= upper:
            return label
    return BUCKETS[-1][0]  # pragma: no cover - the last bucket has no upper bound


@dataclass(slots=True)
class CurrencyMoney:
    """One currency's figures: outstanding per bucket, invoiced and paid this month/year."""

    currency: str
    outstanding: dict[str, float] = field(default_factory=lambda: {b: 0.0 for b, _ in BUCKETS})
    invoiced_month: float = 0.0
    invoiced_year: float = 0.0
    paid_month: float = 0.0
    paid_year: float = 0.0

    @property
    def outstanding_total(self) -> float:
        return add(*self.outstanding.values())

    def to_json(self) -> dict[str, object]:
        return {
            "currency": self.currency,
            "outstanding": dict(self.outstanding),
            "outstanding_total": self.outstanding_total,
            "invoiced_month": self.invoiced_month,
            "invoiced_year": self.invoiced_year,
            "paid_month": self.paid_month,
            "paid_year": self.paid_year,
        }


@dataclass(frozen=True, slots=True)
class ClientRevenue:
    """Paid this year by one client in one currency."""

    record_id: str
    name: str
    currency: str
    paid_year: float


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An invoice sent and not yet paid, with its age in days since issue (or due)."""

    record_id: str
    name: str
    invoice: str
    amount: float
    currency: str
    age: int
    bucket: str


@dataclass(slots=True)
class MoneySummary:
    """``money_summary``'s answer for the month ``month`` (``YYYY-MM``) as of ``today``."""

    today: str
    month: str
    currencies: list[CurrencyMoney]
    top_clients: list[ClientRevenue]
    open_invoices: list[OpenInvoice]

    def to_json(self) -> dict[str, object]:
        return {
            "today": self.today,
            "month": self.month,
            "currencies": [c.to_json() for c in self.currencies],
            "top_clients": [
                {
                    "id": c.record_id,
                    "name": c.name,
                    "currency": c.currency,
                    "paid_year": c.paid_year,
                }
                for c in self.top_clients
            ],
            "open_invoices": [
                {
                    "id": i.record_id,
                    "name": i.name,
                    "invoice": i.invoice,
                    "amount": i.amount,
                    "currency": i.currency,
                    "age": i.age,
                    "bucket": i.bucket,
                }
                for i in self.open_invoices
            ],
        }


class InvoiceRow(NamedTuple):
    """One invoice as money needs it (also a row of the index's day book)."""

    record_id: str
    name: str
    owner: str | None
    invoice: str
    amount: float
    currency: str
    status: str | None
    issued: str | None
    paid_on: str | None
    due: str | None


def invoice_rows(record: Record) -> list[InvoiceRow]:
    """The record's invoices that have an amount, with the billing currency filled in."""
    view = record.view
    if not view.invoices:
        return []
    rid, name, owner = record.id, record.name, view.owner
    return [
        InvoiceRow(
            rid,
            name,
            owner,
            inv.id or "",
            float(inv.amount),
            view.invoice_currency(inv) or "",
            inv.status,
            inv.issued,
            inv.paid_on,
            inv.due,
        )
        for inv in view.invoices
        if inv.amount is not None
    ]


def money_summary(
    records: Iterable[Record],
    today: dt.date,
    month: tuple[int, int] | None = None,
    owner: str | None = None,
    top: int = 5,
) -> MoneySummary:
    """Outstanding by age (as of ``today``), invoiced and paid in ``month`` (default:
    today's) and its year, per currency; the ``top`` clients of each currency by
    revenue paid that year (by currency, then largest first).

    An invoice counts as invoiced when it has an ``issued`` date and is not
    ``draft`` or ``void``; as paid when its ``paid_on`` date is set and its
    status is ``paid``; as outstanding when ``sent`` or ``overdue``.  An invoice
    without a currency (and no ``billing.currency``) is listed under ``""``."""
    rows = [
        row
        for rec in records
        if owner is None or rec.view.owner == owner
        for row in invoice_rows(rec)
    ]
    return money_from_rows(rows, today, month, top)


def money_from_rows(
    rows: Iterable[InvoiceRow],
    today: dt.date,
    month: tuple[int, int] | None = None,
    top: int = 5,
) -> MoneySummary:
    """:func:`money_summary` over invoice rows (from records or from the index)."""
    year, mon = month if month is not None else (today.year, today.month)
    by_currency: dict[str, CurrencyMoney] = {}
    revenue: dict[tuple[str, str], ClientRevenue] = {}
    open_list: list[OpenInvoice] = []
    for row in rows:
        cur = row.currency
        figures = by_currency.setdefault(cur, CurrencyMoney(cur))
        amount = row.amount
        issued = as_date(row.issued)
        if issued is not None and row.status not in ("draft", "void") and issued.year == year:
            figures.invoiced_year = add(figures.invoiced_year, amount)
            if issued.month == mon:
                figures.invoiced_month = add(figures.invoiced_month, amount)
        paid = as_date(row.paid_on)
        if paid is not None and row.status == "paid" and paid.year == year:
            figures.paid_year = add(figures.paid_year, amount)
            if paid.month == mon:
                figures.paid_month = add(figures.paid_month, amount)
            key = (row.record_id, cur)
            before = revenue.get(key)
            revenue[key] = ClientRevenue(
                row.record_id, row.name, cur, add(amount, before.paid_year if before else 0.0)
            )
        if row.status in OUTSTANDING:
            since = issued or as_date(row.due)
            age = max(0, (today - since).days) if since is not None else 0
            label = bucket_of(age)
            figures.outstanding[label] = add(figures.outstanding[label], amount)
            open_list.append(
                OpenInvoice(row.record_id, row.name, row.invoice, amount, cur, age, label)
            )
    tops = rank_clients(revenue.values(), top)
    return MoneySummary(
        today.isoformat(),
        f"{year:04d}-{mon:02d}",
        [by_currency[c] for c in sorted(by_currency)],
        tops,
        sorted(open_list, key=lambda i: (-i.age, i.name.casefold(), i.invoice)),
    )
