"""Every export counts open invoices as ``sortext money`` does, summed per currency.

Found breaking round 14: the CSV's ``invoices_open_amount`` added the amounts
of a client's open invoices as binary floats whatever their currency (399.5
EUR and 100 JPY made ``499.5``; 0.1 + 0.2 made ``0.30000000000000004``), and
the CSV and ICS exports counted a ``draft`` invoice as open while ``sortext
money`` (OUTSTANDING: sent, overdue) did not.  The cell is now the decimal sum
per currency (``399.5 EUR;100 JPY``, by currency code) over the one shared
definition of outstanding.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.io.export import calendar_events, to_csv
from sortext.rules.money import OUTSTANDING
from sortext.rules.outstanding import OUTSTANDING_SQL

TODAY = dt.date(2026, 12, 1)
STATUSES = ["draft", "sent", "overdue", "paid", "void"]


def _record(invoices: list[dict[str, Any]], currency: str | None = "EUR") -> dict[str, Any]:
    data: dict[str, Any] = {"id": "ann", "name": "Ann", "stage": "active", "invoices": invoices}
    if currency:
        data["billing"] = {"currency": currency}
    return data


def _row(data: dict[str, Any]) -> dict[str, str]:
    (row,) = csv.DictReader(io.StringIO(to_csv([data], TODAY)))
    return row


def test_open_amounts_are_summed_per_currency_in_decimal() -> None:
    row = _row(
        _record(
            [
                {"id": "1", "amount": 0.1, "status": "sent"},
                {"id": "2", "amount": 399.4, "status": "overdue"},
                {"id": "3", "amount": 100, "currency": "JPY", "status": "sent"},
                {"id": "4", "amount": 50, "status": "draft"},
                {"id": "5", "amount": 70, "status": "paid"},
            ]
        )
    )
    assert row["invoices_open_amount"] == "399.5 EUR;100 JPY"
    assert row["invoices_open"] == "3"


def test_a_draft_is_not_open_in_any_export() -> None:
    data = _record([{"id": "9", "amount": 50, "status": "draft", "due": "2026-12-20"}])
    row = _row(data)
    assert (row["invoices_open"], row["invoices_open_amount"]) == ("0", "")
    assert not [e for e in calendar_events([data]) if e.category == "invoice"]


def test_the_day_totals_sql_asks_the_same_statuses() -> None:
    assert OUTSTANDING_SQL == "status IN ('overdue', 'sent')"
    assert set(OUTSTANDING) == {"sent", "overdue"}


_AMOUNTS = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False).map(
    lambda d: float(d) if d != d.to_integral_value() else int(d)
)
_INVOICES = st.lists(
    st.fixed_dictionaries(
        {
            "amount": _AMOUNTS,
            "status": st.sampled_from(STATUSES),
            "currency": st.sampled_from([None, "EUR", "JPY", "USD"]),
        }
    ),
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(invoices=_INVOICES, billing=st.sampled_from([None, "EUR", "GBP"]))
def test_property_open_amount_is_the_outstanding_decimal_sum_of_each_currency(
    invoices: list[dict[str, Any]], billing: str | None
) -> None:
    entries = []
    want: dict[str, Decimal] = {}
    for i, invoice in enumerate(invoices):
        entry = {"id": str(i), "amount": invoice["amount"], "status": invoice["status"]}
        if invoice["currency"]:
            entry["currency"] = invoice["currency"]
        entries.append(entry)
        if invoice["status"] in ("sent", "overdue"):
            key = invoice["currency"] or billing or ""
            want[key] = want.get(key, Decimal(0)) + Decimal(str(invoice["amount"]))
    row = _row(_record(entries, billing))
    cell = row["invoices_open_amount"]
    got: dict[str, Decimal] = {}
    order = []
    for part in cell.split(";") if cell else []:
        number, _, currency = part.partition(" ")
        assert currency not in got, cell  # one figure per currency, never two
        got[currency] = Decimal(number)
        order.append(currency)
    assert got == want
    assert order == sorted(order, key=lambda c: (c == "", c))
    assert row["invoices_open"] == str(sum(i["status"] in ("sent", "overdue") for i in invoices))
