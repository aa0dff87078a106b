"""How the rules' reasons spell amounts, day counts and measurements.

A finding's reason is text a person acts on ("invoice INV-3 1,200 EUR due in
3 days"); these helpers are that text's vocabulary.  The pages and the
terminal show amounts and days the same way through :mod:`sortext.views.format`,
which uses these.  Pure functions of their arguments.
"""

from __future__ import annotations


def money(amount: float | None, currency: str | None) -> str:
    """``1,200 EUR``, ``87.50``: thousands separated, cents only when there are any;
    ``""`` for no amount."""
    if amount is None:
        return ""
    shown = f"{amount:,.0f}" if amount == int(amount) else f"{amount:,.2f}"
    return f"{shown} {currency}" if currency else shown


def days_phrase(days: int) -> str:
    """'today', 'tomorrow', 'yesterday', 'in 3 days', '4 days ago' (days = date - today)."""
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {days} days" if days > 0 else f"{-days} days ago"


def figure(value: float | None) -> str:
    """A measurement as written: ``80``, ``7.5``, ``?`` when unknown."""
    if value is None:
        return "?"
    return str(int(value)) if value == int(value) else f"{value:g}"


def count(n: float, word: str, plural: str | None = None) -> str:
    """``n`` and the noun in the right number: ``count(1, "warning")`` -> "1 warning",
    ``count(2, "warning")`` -> "2 warnings", ``count(2, "entry", "entries")``.

    Raises TypeError for a boolean (``True`` is an ``int`` to Python, and "True day"
    no count): a value read from a record is checked before it is counted."""
    if isinstance(n, bool):
        raise TypeError(f"count() takes a number, not the boolean {n}")
    return f"{n} {word if n == 1 else plural or word + 's'}"
