"""Values as the rest of sortext sees them: YAML scalars and keys turned into JSON values.

``normalize`` is the one conversion from what a YAML reader returns (dates,
non-text keys) to JSON-compatible data; ``key_text`` spells a mapping key the
way YAML would write it.  Pure functions, no imports from the rest of sortext.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


#: The dates a record may hold: every calendar computation (next due dates,
#: ICS events a year ahead, week numbers) stays inside Python's date range.
MIN_YEAR, MAX_YEAR = 1900, 2199


def is_iso_date(value: object) -> bool:
    """True for ``YYYY-MM-DD`` text naming a real day in years MIN_YEAR..MAX_YEAR.

    Answers are remembered per text (a record holds ~60 dates, most of them days
    other records hold too): the schema checks every date of every record."""
    if type(value) is str:
        known = _DATES.get(value)
        if known is not None:
            return known
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        return False
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        found = False
    else:
        found = MIN_YEAR <= day.year <= MAX_YEAR
    if len(_DATES) >= _MAX_DATES:
        _DATES.clear()
    _DATES[str(value)] = found
    return found


# is_iso_date's answers by text, for 10-character texts only (the ones that can be
# dates): a few years of days, cleared when full.
_DATES: dict[str, bool] = {}
_MAX_DATES = 4096
#: is_iso_date's answers so far, by text (read-only to others: a generated schema check
#: takes a text found here answering True without calling is_iso_date).
DATE_ANSWERS: Mapping[str, bool] = _DATES


def is_email(value: object) -> bool:
    return isinstance(value, str) and bool(_EMAIL.fullmatch(value))


def key_text(key: Any) -> str:
    """A mapping key as the text YAML would write: ``true``, ``null``, ``2026-01-31``."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, dt.date):
        return key.isoformat()
    return str(key)


# Values normalize returns unchanged, by exact type (a fast path: most values are these).
_AS_IS = frozenset({str, int, float, bool, type(None)})


def normalize(value: Any) -> Any:
    """YAML values -> JSON values: dates become ISO text, keys become text."""
    if isinstance(value, dict):
        return {
            key if type(key) is str else key_text(key): (
                item if type(item) in _AS_IS else _normalize_item(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [item if type(item) in _AS_IS else _normalize_item(item) for item in value]
    if isinstance(value, dt.date):  # a datetime too: both write ISO text
        return value.isoformat()
    return value


def iso_day(text: str) -> dt.date:
    """The day a ``YYYY-MM-DD`` text names (ASCII digits, nothing around them) in the
    years records may hold: how every date a person or a program hands sortext (a
    command-line option, an assistant's argument) is read, so it takes exactly the
    dates a record takes.  ``date.fromisoformat`` alone also reads ``20261203`` and the
    week date ``2026-W49-3`` (a Wednesday, not the 3rd), which a record refuses.

    Raises ValueError whose text completes "'TEXT' ...": ``is not a date
    (YYYY-MM-DD)`` or ``is outside the years 1900 to 2199 sortext works in``."""
    if not isinstance(text, str) or not ISO_DATE.fullmatch(text):
        raise ValueError("is not a date (YYYY-MM-DD)")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError("is not a date (YYYY-MM-DD)") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueError(f"is outside the years {MIN_YEAR} to {MAX_YEAR} sortext works in")
    return day


def _normalize_item(item: Any) -> Any:
    return item.isoformat() if type(item) is dt.date else normalize(item)


def calendar_day(value: object) -> dt.date | None:
    """``value`` as a calendar day: a ``date`` (a ``datetime``'s day) or an ISO
    ``YYYY-MM-DD`` text; None for anything else (no error: the schema reports it)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and is_iso_date(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None
