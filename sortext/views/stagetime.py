"""Time in stage, for the terminal and the pages: git's facts matched to the records.

:func:`sortext.vcs.stagefacts.stage_facts` knows, per committed file, the day
its ``stage:`` line was last written.  A fact counts only when the committed
stage is the record's stage now (a move not yet committed has no start day
yet: it reads "unknown", never a wrong count).  The map is handed to the
rules as data (``rules.findings(..., stage_since=...)``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sortext.check.load import Record
from sortext.errors import SortextError
from sortext.repo import Repository


def stage_since_map(repo: Repository, records: Iterable[Record]) -> dict[str, dt.date]:
    """Record id -> the day it entered its current stage; {} outside git or on a git error."""
    from sortext.vcs.stagefacts import stage_facts

    try:
        facts = stage_facts(repo)
    except (SortextError, OSError):
        return {}
    out: dict[str, dt.date] = {}
    for rec in records:
        fact = facts.get(rec.id)
        if fact is not None and fact.stage_since is not None and fact.stage == rec.stage:
            out[rec.id] = fact.stage_since
    return out


def in_stage_phrase(stage: str, since: dt.date | None, today: dt.date) -> str | None:
    """``"in proposal for 47 days"`` (``"since today"`` for 0); None when unknown."""
    if since is None:
        return None
    days = (today - since).days
    if days < 0:
        return None
    if days == 0:
        return f"in {stage} since today"
    return f"in {stage} for {days} day{'s' if days != 1 else ''}"
