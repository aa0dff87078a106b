"""How values read on the pages and in the terminal: money, days, numbers, weekdays.

The template filters (:func:`sortext.pages.render.environment`) and the
terminal commands format through these, so a page and ``sortext show`` spell
an amount or a due date alike.  ``money`` and ``days_phrase`` are the words
the rules' reasons use too (:mod:`sortext.rules.wording`: rules sit below the
views and may not import them).
"""

from __future__ import annotations

from sortext.record.model import as_date
from sortext.rules.wording import count, days_phrase, money

__all__ = ["count", "days_phrase", "late", "money", "number", "percent", "weekday"]


def number(value: float | None) -> str:
    """A number on a page: ``12``, ``7.5`` (one decimal), ``–`` when unknown."""
    if value is None:
        return "–"
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def percent(value: float | None, unknown: str = "") -> str:
    """``42%`` (rounded), or ``unknown`` for None."""
    return unknown if value is None else f"{value:.0f}%"


def late(when: str | None, today: str) -> str:
    """'3 days late', 'today', 'in 5 days' for an ISO due date relative to ISO ``today``;
    ``""`` when either is not a date."""
    d, t = as_date(when), as_date(today)
    if d is None or t is None:
        return ""
    days = (d - t).days
    return f"{count(-days, 'day')} late" if days < 0 else days_phrase(days)


def weekday(text: str | None) -> str:
    """``Mon`` for an ISO date, ``""`` for anything else."""
    d = as_date(text)
    return d.strftime("%a") if d else ""
