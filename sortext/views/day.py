"""A coach's working day, answered from the index: the agenda and money at a glance.

``agenda_days`` and ``money`` refresh the index, read the records and hand
them to the pure rules (:mod:`sortext.rules.agenda`, :mod:`sortext.rules.money`);
``day_view`` assembles the dashboard's "this week" strip, money section and
inbox count, and the per-owner pages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sortext.check.load import Record
from sortext.repo import Repository
from sortext.rules.agenda import AgendaDay, agenda
from sortext.rules.findings import ClientRisk, NextAction
from sortext.rules.money import MoneySummary, money_summary
from sortext.schema.config import Config
from sortext.store.index import Index

INBOX_DIR = "inbox"  # one quick note a file (see sortext.io.inbox)
INBOX_FILE = "inbox.md"  # one quick note per "## " section
SUFFIXES = (".md", ".txt")
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def _records(repo: Repository) -> list[Record]:
    with Index.open(repo) as index:
        index.refresh()
        return list(index.records())


def known_owner(repo: Repository, records: Sequence[Record], owner: str) -> str:
    """``owner`` as the practice writes it (``people`` in sortext.yaml, or an owner of a
    record or of a next action; another Unicode form of one of them is that one).
    Raises UnknownValue naming the known people, so a typo is not answered with an
    empty agenda or "No invoices."."""
    from sortext.errors import UnknownValue
    from sortext.views.queries import same_text

    people = {*repo.config.people}
    for record in records:
        view = record.view
        people.update(p for p in (view.owner, view.next_action.owner) if isinstance(p, str))
    known = sorted(people)
    found = same_text(owner, known)
    if found not in known:
        raise UnknownValue("owner", "person", owner, known)
    return found


def agenda_days(
    repo: Repository, start: dt.date, days: int = 1, owner: str | None = None
) -> list[AgendaDay]:
    """``days`` agenda days from ``start`` (see :func:`sortext.rules.agenda.agenda`).
    Raises UnknownValue for an ``owner`` nobody is."""
    records = _records(repo)
    if owner is not None:
        owner = known_owner(repo, records, owner)
    return agenda(records, repo.config, start, days, owner)


def money(
    repo: Repository,
    today: dt.date,
    month: tuple[int, int] | None = None,
    owner: str | None = None,
) -> MoneySummary:
    """Money at a glance (see :func:`sortext.rules.money.money_summary`).  Raises
    UnknownValue for an ``owner`` nobody is."""
    records = _records(repo)
    if owner is not None:
        owner = known_owner(repo, records, owner)
    return money_summary(records, today, month, owner)


@dataclass(slots=True)
class DayView:
    """The dashboard's "this week" strip, money at a glance and the inbox count
    (for everyone, or for ``owner`` on a per-owner page)."""

    today: str
    week: list[AgendaDay]
    money: MoneySummary
    unfiled: int
    owner: str | None = None
    owners: list[tuple[str, str]] = field(default_factory=list)  # (person, page slug)
    next_actions: Sequence[NextAction] = field(default_factory=list)
    at_risk: Sequence[ClientRisk] = field(default_factory=list)


def owner_slug(person: str) -> str | None:
    """The page name of ``person`` (``site/owners/<slug>.html``), None when the name
    cannot be a file name safely (it is then left without a page)."""
    slug = person.strip().casefold()
    return slug if _SLUG.fullmatch(slug) else None


def day_view(
    records: Sequence[Record],
    config: Config,
    today: dt.date,
    unfiled: int,
    owner: str | None = None,
    stage_since: Mapping[str, dt.date] | None = None,
) -> DayView:
    """The day's view computed from ``records`` (only ``owner``'s for a per-owner page)."""
    from sortext.rules import findings as rules

    week = agenda(records, config, today, 7, owner)
    mine = [r for r in records if owner is None or r.view.owner == owner]
    view = DayView(
        today.isoformat(), week, money_summary(mine, today), unfiled, owner, _owners(config)
    )
    if owner is not None:
        view.next_actions = [
            n for n in rules.next_actions(records, config, today) if n.owner == owner
        ]
        found = rules.findings(mine, config, today, stage_since)
        view.at_risk = rules.at_risk(mine, found, config)
    return view


def day_from_index(
    conn: sqlite3.Connection,
    config: Config,
    today: dt.date,
    unfiled: int,
    owner: str | None = None,
    everyone: Sequence[NextAction] | None = None,
    limit: int = 50,
) -> DayView:
    """The day's view from the index's stored rows (what a build uses): the day book
    (:mod:`sortext.store.daybook`) and the stored assessments (:mod:`sortext.store.board`).
    The rows must have been stored for ``today``.  ``everyone``: every next action,
    when the caller already read them (per-owner pages); ``limit``: at-risk rows read
    (the count is complete)."""
    from sortext.rules.findings import AT_RISK_KINDS
    from sortext.store import board, daybook

    def counted(day: str, who: str | None, overdue: bool) -> int | None:
        return board.day_count(conn, day, who, overdue)

    week = daybook.week_top(conn, today, daybook.WEEK_DAYS, owner, limit, counted)
    money = daybook.money_totals(conn, today, owner)
    view = DayView(today.isoformat(), week, money, unfiled, owner, _owners(config))
    if owner is not None:
        if everyone is None:
            view.next_actions = board.next_top_of(conn, owner, limit)
        else:
            view.next_actions = [n for n in everyone if n.owner == owner]
        view.at_risk = board.at_risk_top(conn, AT_RISK_KINDS, limit, owner)
    return view


def _owners(config: Config) -> list[tuple[str, str]]:
    """(person, page slug) for each person who gets a page; two people whose names
    fold to one slug (``Me`` and ``me``) get distinct pages, the later one's name
    followed by a hash (``me-1a2b3c4d``), so one page never shows the other's week."""
    import hashlib

    out: list[tuple[str, str]] = []
    taken: set[str] = set()
    for person in dict.fromkeys(config.people):
        slug = owner_slug(person)
        if slug is None:
            continue
        if slug in taken:
            digest = hashlib.sha256(person.encode("utf-8", "surrogatepass")).hexdigest()[:8]
            slug = f"{slug}-{digest}"
        taken.add(slug)
        out.append((person, slug))
    return out


def inbox_sections(text: str) -> list[tuple[int, int, str, str]]:
    """``inbox.md``'s ``## `` sections with text: (start, end, heading, body)."""
    starts = [m.start() for m in re.finditer(r"^## ", text, re.M)]
    out = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = text[start:end]
        heading, _, body = chunk.partition("\n")
        if body.strip():
            out.append((start, end, heading[3:].strip(), body.strip("\n")))
    return out


def unfiled_count(root: Path) -> int:
    """How many notes wait in ``inbox/`` and ``inbox.md`` (cheap: no matching)."""
    count = 0
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        count += sum(
            1
            for e in os.scandir(root / INBOX_DIR)
            if not e.name.startswith(".") and e.name.endswith(SUFFIXES) and e.is_file()
        )
    path = root / INBOX_FILE
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return count
        count += len(inbox_sections(text))
    return count
