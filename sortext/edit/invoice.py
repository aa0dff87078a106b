"""Bill a client: parse an amount, pick the next invoice id, append the invoice.

The amount is exact decimal text (no exponent, sign, NaN or more decimal places
than the currency has); it is written as a YAML number that reads back as the
same :class:`~decimal.Decimal`.  The id follows the practice's own pattern
(``INV-2026-058`` -> ``INV-2026-059``), one past the highest number any record
has with that prefix, so ids stay unique across the practice.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from sortext.edit.roundtrip import EditRefused, RecordEditor
from sortext.errors import ParameterError, one_line

if TYPE_CHECKING:
    pass

#: ISO 4217 currencies whose minor unit is not 2 decimal places (others: 2)
MINOR_DIGITS: dict[str, int] = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}
#: days from issue to due when neither the command nor billing.terms_days says
DEFAULT_TERMS = 14
#: the largest amount accepted (12 integer digits: a float of it keeps every digit)
MAX_AMOUNT = Decimal("999999999999")
_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_NUMBERED = re.compile(r"^(.*?)([0-9]+)$")
_YEAR = re.compile(r"(?<![0-9])(19|20)[0-9]{2}(?![0-9])")


def minor_digits(currency: str | None) -> int:
    """Decimal places of ``currency`` (ISO 4217; 2 when None or not listed)."""
    return MINOR_DIGITS.get(currency or "", 2)


def parse_amount(text: str, currency: str | None) -> Decimal:
    """``text`` ("840", "99.50") as a Decimal more than 0 with at most the currency's
    decimal places and at most 12 integer digits.

    Raises ParameterError (parameter ``amount``) saying what is wrong and how to
    write it: signs, exponents (``1e3``), NaN/infinity, separators, too many places.
    """
    shown = one_line(text)
    if not _AMOUNT.fullmatch(text):
        if text.strip().startswith("-"):
            detail = f"'{shown}' is negative: an invoice amount is more than 0"
        else:
            detail = (
                f"'{shown}' is not an amount: write digits with an optional '.', e.g. 840 or 99.50"
            )
        raise ParameterError("amount", detail)
    value = Decimal(text)
    places = len(text.partition(".")[2])
    digits = minor_digits(currency)
    if places > digits:
        unit = currency or "the currency"
        raise ParameterError(
            "amount",
            f"'{shown}' has {places} decimal places; {unit} has {digits}",
        )
    if value == 0:
        raise ParameterError("amount", f"'{shown}' is zero: an invoice amount is more than 0")
    if value > MAX_AMOUNT:
        raise ParameterError("amount", f"'{shown}' is too large (at most {MAX_AMOUNT})")
    return value


def yaml_number(value: Decimal) -> int | float:
    """``value`` as the number written to the file: an int when whole, else the float
    whose shortest text is ``value``'s digits (exact for amounts :func:`parse_amount`
    accepts: at most 15 significant digits)."""
    return int(value) if value == value.to_integral_value() else float(value)


def next_invoice_id(own: Iterable[object], practice: Iterable[object], issued: dt.date) -> str:
    """The next id in the practice's pattern.

    ``own``: this record's invoice ids in file order; ``practice``: every invoice id
    of every record (this one included).  The pattern is this record's last id ending
    in a number, else ``INV-<year>-NNN`` (practices often give each client a prefix
    of their own, so another client's is never borrowed).  A year in the prefix other
    than ``issued``'s becomes that year (numbering restarts).  The number is one past
    the highest with that prefix in any record, zero-padded to the same width.
    """
    ids = [i for i in practice if isinstance(i, str)]
    mine = [m for i in own if isinstance(i, str) and (m := _NUMBERED.match(i))]
    if mine:
        prefix, width = mine[-1].group(1), len(mine[-1].group(2))
    else:
        prefix, width = f"INV-{issued.year}-", 3
    prefix = _YEAR.sub(str(issued.year), prefix)
    numbers = [int(m.group(2)) for i in ids if (m := _NUMBERED.match(i)) and m.group(1) == prefix]
    number = max(numbers, default=0) + 1
    taken = set(ids)
    while f"{prefix}{number:0{width}d}" in taken:
        number += 1
    return f"{prefix}{number:0{width}d}"


@dataclass(frozen=True, slots=True)
class NewInvoice:
    """An invoice as the coach issues it (``invoice_id`` None: the next free id;
    ``currency`` None: the client's ``billing.currency``, else none written; ``due``
    None: ``terms`` days after ``issued``)."""

    amount: str  # as typed: parsed with the invoice's currency (parse_amount)
    issued: dt.date
    due: dt.date | None = None  # None: ``terms`` days after ``issued``
    terms: int | None = None  # None: the client's billing.terms_days, else DEFAULT_TERMS
    currency: str | None = None
    invoice_id: str | None = None
    description: str | None = None
    status: str = "sent"

    def said(self, money: str, invoice_id: str | None = None) -> str:
        """The invoice in words: ``invoice INV-7 of 840 GBP issued 2026-11-20``; a draft
        is not issued yet (its ``issued`` is the day it is meant to go out, as show's
        "Since then" reads it): ``draft invoice INV-7 of 840 GBP to be issued ...``."""
        named = f" {invoice_id}" if invoice_id is not None else ""
        if self.status == "draft":
            return f"draft invoice{named} of {money} to be issued {self.issued.isoformat()}"
        return f"invoice{named} of {money} issued {self.issued.isoformat()}"


class AddedInvoice(NamedTuple):
    """What :func:`add_invoice` wrote: the id, the due date, the amount as the record
    holds it (``00840`` is written ``840``, ``99.50`` is ``99.5``) and the currency
    written (None: none)."""

    id: str
    due: dt.date
    amount: int | float
    currency: str | None

    @property
    def money(self) -> str:
        """``840 GBP`` (``840`` when no currency is written): as the record says it."""
        return f"{self.amount} {self.currency}" if self.currency else str(self.amount)


def add_invoice(
    editor: RecordEditor, invoice: NewInvoice, practice_ids: Iterable[object]
) -> AddedInvoice:
    """Append ``invoice`` to the record's ``invoices``; return what was written
    (its id, due date, amount and currency: what a report of it must say).

    ``practice_ids``: the invoice ids of the other records.  Raises ParameterError
    (``amount``) for an amount :func:`parse_amount` refuses; EditRefused when
    the given id is already used (here or in another record), is not one line of
    printable text or begins or ends with whitespace, when the due date is
    before the issue date, or when ``invoices`` is not a list.
    """
    currency = invoice.currency or editor.get(("billing", "currency"))
    currency = currency if isinstance(currency, str) else None
    amount = parse_amount(invoice.amount, currency)
    current = editor.get(("invoices",))
    own = [i.get("id") for i in current if isinstance(i, dict)] if isinstance(current, list) else []
    every = [*practice_ids, *own]
    if invoice.invoice_id is not None:
        if not invoice.invoice_id.strip() or not invoice.invoice_id.isprintable():
            raise EditRefused(
                f"invoice id '{one_line(invoice.invoice_id)}' is not one line of printable text"
            )
        if invoice.invoice_id != invoice.invoice_id.strip():
            # ' INV-7 ' is written as typed and no 'pay ID INV-7' finds it
            raise EditRefused(
                f"invoice id '{one_line(invoice.invoice_id)}' begins or ends with a space"
            )
        if invoice.invoice_id in every:
            where = "this client" if invoice.invoice_id in own else "another client"
            raise EditRefused(
                f"invoice id '{one_line(invoice.invoice_id)}' is already used by {where}"
            )
        invoice_id = invoice.invoice_id
    else:
        invoice_id = next_invoice_id(own, every, invoice.issued)
    due = invoice.due
    if due is None:
        terms = invoice.terms
        if terms is None:
            days = editor.get(("billing", "terms_days"))
            ok = isinstance(days, int) and not isinstance(days, bool) and 0 <= days <= 3650
            terms = days if ok and isinstance(days, int) else DEFAULT_TERMS
        due = invoice.issued + dt.timedelta(days=terms)
    if due < invoice.issued:
        raise EditRefused(
            f"due date {due.isoformat()} is before the issue date {invoice.issued.isoformat()}"
        )
    item: dict[str, object] = {"id": invoice_id, "amount": yaml_number(amount)}
    if currency:
        item["currency"] = currency
    item["status"] = invoice.status
    item["issued"] = invoice.issued
    item["due"] = due
    if invoice.description:
        item["description"] = invoice.description
    editor.append(("invoices",), item)
    return AddedInvoice(invoice_id, due, yaml_number(amount), currency or None)
