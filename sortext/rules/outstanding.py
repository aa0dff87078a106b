"""What counts as an open (outstanding) invoice: one definition for every view.

``sortext money``, the day's kept totals (SQL), and the CSV and ICS exports all
ask :data:`OUTSTANDING`: an invoice is open while it is ``sent`` or ``overdue``;
a ``draft`` is not yet owed, a ``paid`` or ``void`` one no longer is.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

#: The statuses of an invoice that is owed and not paid.
OUTSTANDING = frozenset({"sent", "overdue"})
#: The same as an SQL condition on a ``status`` column.
OUTSTANDING_SQL = "status IN (" + ", ".join(f"'{s}'" for s in sorted(OUTSTANDING)) + ")"


def is_outstanding(status: object) -> bool:
    """True when an invoice with this ``status`` is owed (see :data:`OUTSTANDING`)."""
    return isinstance(status, str) and status in OUTSTANDING


def totals_by_currency(amounts: Iterable[tuple[float | int, str | None]]) -> str:
    """``"399.5 EUR;100 JPY"``: the ``(amount, currency)`` pairs summed in decimal
    per currency (never across currencies), by currency code; amounts with no
    currency are summed apart and written last as a bare number.  ``""`` when
    there are none.  (Each amount is read as written: ``Decimal(repr(amount))``.)"""
    sums: dict[str, Decimal] = {}
    for amount, currency in amounts:
        key = currency or ""
        sums[key] = sums.get(key, Decimal(0)) + Decimal(repr(amount))
    parts = []
    for currency in sorted(sums, key=lambda c: (c == "", c)):
        text = _plain(sums[currency])
        parts.append(f"{text} {currency}" if currency else text)
    return ";".join(parts)


def _plain(value: Decimal) -> str:
    """``399.5``, ``100``, ``0.3``: no exponent, no trailing zeros."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
