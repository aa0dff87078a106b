"""The agenda: a day or a week of timed sessions, due actions and what is overdue.

Pure functions of (records, config, first day, number of days).  Like
Org-mode's agenda, each day lists its timed entries first (by time), then the
untimed sessions, then the next actions due that day; the first day also
lists every next action already overdue.  Times are the local wall-clock text
written in the record (``time: "14:30"``), in ``sortext.yaml``'s ``timezone``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from sortext.check.load import Record
from sortext.record.model import as_date
from sortext.rules.memo import day_of, facts
from sortext.schema.config import Config

ItemKind = Literal["session", "due", "overdue"]
SKIPPED = frozenset({"cancelled", "rescheduled"})  # not on the agenda: they are not happening


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """One line of the agenda.  ``time`` is ``"HH:MM"`` or None (all day);
    ``days_late`` is how many days an overdue action is past due (0 otherwise)."""

    day: str
    kind: ItemKind
    record_id: str
    name: str
    what: str
    owner: str | None
    time: str | None = None
    minutes: int | None = None
    status: str | None = None
    days_late: int = 0

    @property
    def span(self) -> str:
        """``"14:30-15:20"``, ``"14:30"`` or ``""`` (untimed)."""
        if self.time is None:
            return ""
        if not self.minutes:
            return self.time
        hours, mins = (int(x) for x in self.time.split(":"))
        end = dt.datetime(2000, 1, 1, hours, mins) + dt.timedelta(minutes=self.minutes)
        return f"{self.time}-{end:%H:%M}"

    def to_json(self) -> dict[str, object]:
        return {
            "day": self.day,
            "kind": self.kind,
            "id": self.record_id,
            "name": self.name,
            "what": self.what,
            "owner": self.owner,
            "time": self.time,
            "minutes": self.minutes,
            "status": self.status,
            "days_late": self.days_late,
        }


@dataclass(slots=True)
class AgendaDay:
    """One day of the agenda and its items, in agenda order."""

    day: dt.date
    items: list[AgendaItem] = field(default_factory=list)
    #: items of this day left out of ``items`` (a page shows the first rows of a list),
    #: and how many of those are overdue actions
    more: int = 0
    more_overdue: int = 0


def _valid_time(text: str | None) -> str | None:
    if text is None or len(text) != 5 or text[2] != ":":
        return None
    try:
        hours, mins = int(text[:2]), int(text[3:])
    except ValueError:
        return None
    return text if 0 <= hours < 24 and 0 <= mins < 60 else None


def record_items(record: Record, config: Config, start: dt.date, last: dt.date) -> list[AgendaItem]:
    """One record's agenda items from ``start`` to ``last`` (inclusive): its sessions
    on those days (not cancelled or rescheduled), its open next action due then,
    or (on ``start``) overdue.  A session's owner is the record's; an action's is its
    own ``owner``, else the record's."""
    view = record.view
    rec_owner = view.owner
    out: list[AgendaItem] = []
    for s in view.sessions:
        when = day_of(s.date)
        if when is None or not start <= when <= last or s.status in SKIPPED:
            continue
        what = s.kind or "session"
        if s.focus:
            what = f"{what}: {s.focus}"
        out.append(
            AgendaItem(
                when.isoformat(),
                "session",
                record.id,
                record.name,
                what,
                rec_owner,
                _valid_time(s.time),
                s.minutes,
                s.status,
            )
        )
    action = view.next_action
    due = day_of(action.due)
    if not action.what or due is None or record.stage not in facts(config).open:
        return out
    who = action.owner if action.owner is not None else rec_owner
    if due < start:
        out.append(
            AgendaItem(
                start.isoformat(),
                "overdue",
                record.id,
                record.name,
                action.what,
                who,
                days_late=(start - due).days,
            )
        )
    elif due <= last:
        out.append(
            AgendaItem(
                due.isoformat(),
                "due",
                record.id,
                record.name,
                action.what,
                who,
                _valid_time(action.time),
                action.minutes,
            )
        )
    return out


def agenda(
    records: Iterable[Record],
    config: Config,
    start: dt.date,
    days: int = 1,
    owner: str | None = None,
) -> list[AgendaDay]:
    """``days`` agenda days from ``start``; only ``owner``'s items when given.

    A session belongs to the record's owner; a next action to its own
    ``owner`` (else the record's).  Cancelled and rescheduled sessions are left
    out; overdue actions go on the first day."""
    last = start + dt.timedelta(days=days - 1)
    items = [i for rec in records for i in record_items(rec, config, start, last)]
    return arrange(items, start, days, owner)


def arrange(
    items: Iterable[AgendaItem], start: dt.date, days: int, owner: str | None = None
) -> list[AgendaDay]:
    """``items`` (of ``owner`` only, when given) into ``days`` days from ``start``,
    each in agenda order; items outside those days are left out."""
    by_day = {
        start + dt.timedelta(days=i): AgendaDay(start + dt.timedelta(days=i)) for i in range(days)
    }
    for item in items:
        if owner is not None and item.owner != owner:
            continue
        when = as_date(item.day)
        if when in by_day:
            by_day[when].items.append(item)
    out = [by_day[d] for d in sorted(by_day)]
    for day in out:
        day.items.sort(key=_order)
    return out


def order_text(item: AgendaItem) -> str:
    """:func:`_order` as one text that sorts as the tuple does (the index sorts by it)."""
    rank, time, sub, name, what = _order(item)
    return "\x00".join((str(rank), time, f"{sub + 10**9:010d}", name, what))


def _order(item: AgendaItem) -> tuple[int, str, int, str, str]:
    """Timed entries by time, then untimed sessions, then due actions, then overdue."""
    if item.time is not None:
        return (0, item.time, 0 if item.kind == "session" else 1, item.name.casefold(), item.what)
    rank = {"session": 1, "due": 2, "overdue": 3}[item.kind]
    return (rank, "", -item.days_late, item.name.casefold(), item.what)


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s ISO week."""
    return day - dt.timedelta(days=day.weekday())
