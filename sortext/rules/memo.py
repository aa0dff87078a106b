"""What the rules look up again and again, looked up once: a config's thresholds and
stages, and record dates as text turned into dates.

The rules run per record (a cold build runs them 10,000 times over one config), so
each answer here is kept: per config (the last config only; a config is frozen, so
its answers cannot change while kept) and per date text (bounded; a date is
immutable, so one is shared safely).  Each function answers exactly what the
lookup it stands in for answers (``tests/test_rules_fast.py`` holds them to it).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sortext.record.model import as_date

if TYPE_CHECKING:  # annotations only: the pages read day_of without the config's module
    from sortext.schema.config import Config


class _Facts:
    """What the rules read from one config, each looked up once (the rules run per
    record: a cold build asks for the same thresholds and stages 10,000 times).  The
    config is frozen, so its answers cannot change while it is kept here."""

    __slots__ = ("config", "ints", "open", "stages", "stale")

    def __init__(self, config: Config) -> None:
        self.config = config
        self.open = config.open_stages
        self.ints: dict[str, int] = {}
        self.stages: dict[str, Any] = {}  # name -> Stage | None
        self.stale: dict[str, int | None] = {}


_facts_kept: list[_Facts] = []


def facts(config: Config) -> _Facts:
    """The config's :class:`_Facts` (the last config's kept; another config replaces it)."""
    if _facts_kept:
        kept = _facts_kept[0]
        if kept.config is config:
            return kept
    kept = _Facts(config)
    _facts_kept[:] = [kept]
    return kept


# Record dates as text -> date (``as_date``), kept: the same few hundred days recur
# across a practice's sessions, invoices and measurements, and a rule asks for each
# several times.  Bounded: cleared when full (a date is immutable, so sharing is safe).
_DAYS: dict[str, dt.date | None] = {}
_DAYS_MAX = 1 << 16


def day_of(value: object) -> dt.date | None:
    """:func:`~sortext.record.model.as_date`, remembered for plain text."""
    if type(value) is not str:
        return as_date(value)
    try:
        return _DAYS[value]
    except KeyError:
        pass
    if len(_DAYS) >= _DAYS_MAX:
        _DAYS.clear()
    found = _DAYS[value] = as_date(value)
    return found


_ISO_DAYS: dict[str, str | None] = {}


def iso_day(value: object) -> str | None:
    """``day_of(value).isoformat()`` (None for no date), remembered for plain text."""
    if type(value) is not str:
        found = as_date(value)
        return found.isoformat() if found is not None else None
    try:
        return _ISO_DAYS[value]
    except KeyError:
        pass
    if len(_ISO_DAYS) >= _DAYS_MAX:
        _ISO_DAYS.clear()
    day = as_date(value)
    shown = _ISO_DAYS[value] = day.isoformat() if day is not None else None
    return shown
