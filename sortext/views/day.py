"""A coach's working day, answered from the index: the agenda and money at a glance.

Each function refreshes the index, reads the records and hands them to the
pure rules (:mod:`sortext.rules.agenda`, :mod:`sortext.rules.money`).
"""

from __future__ import annotations

import datetime as dt

from sortext.check.load import Record
from sortext.repo import Repository
from sortext.rules.agenda import AgendaDay, agenda
from sortext.rules.money import MoneySummary, money_summary
from sortext.store.index import Index


def _records(repo: Repository) -> list[Record]:
    with Index.open(repo) as index:
        index.refresh()
        return list(index.records())


def agenda_days(
    repo: Repository, start: dt.date, days: int = 1, owner: str | None = None
) -> list[AgendaDay]:
    """``days`` agenda days from ``start`` (see :func:`sortext.rules.agenda.agenda`)."""
    return agenda(_records(repo), repo.config, start, days, owner)


def money(
    repo: Repository,
    today: dt.date,
    month: tuple[int, int] | None = None,
    owner: str | None = None,
) -> MoneySummary:
    """Money at a glance (see :func:`sortext.rules.money.money_summary`)."""
    return money_summary(_records(repo), today, month, owner)
