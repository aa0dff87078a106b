"""Time in stage, for the terminal and the pages: git's facts matched to the records.

:func:`sortext.vcs.stagefacts.stage_facts` knows, per committed file, the day
its ``stage:`` line was last written.  A fact counts only when the committed
stage is the record's stage now (a move not yet committed has no start day
yet: it reads "unknown", never a wrong count).  The map is handed to the
rules as data (``rules.findings(..., stage_since=...)``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from sortext.errors import SortextError
from sortext.repo import Repository
from sortext.store.clock import FACTS_VERSION, Clock

if TYPE_CHECKING:  # a type only: a build with nothing changed never loads the parser
    from sortext.check.load import Record


def stage_since_map(
    repo: Repository, records: Iterable[Record], conn: sqlite3.Connection | None = None
) -> dict[str, dt.date]:
    """Record id -> the day it entered its current stage; {} outside git or on a git error.

    With ``conn`` (the index), the clock is read from the index when it was taken at
    HEAD's commit (see :func:`stage_clock`)."""
    clock = stage_clock(repo, conn)
    out: dict[str, dt.date] = {}
    for rec in records:
        fact = clock.get(rec.id)
        if fact is not None and fact[0] == rec.stage:
            out[rec.id] = fact[1]
    return out


def stage_clock(repo: Repository, conn: sqlite3.Connection | None = None) -> Clock:
    """Record id -> (committed stage, the day it entered it) from git
    (:func:`sortext.vcs.stagefacts.stage_facts`); {} outside git or on a git error.

    With ``conn``, the clock kept in the index (:mod:`sortext.store.clock`) is used
    when it was taken at HEAD's commit (read from git's ref files, no process), and
    kept there after it is read from git: a query then pays for git once per commit."""
    from sortext.store import clock as stored
    from sortext.vcs.headref import NO_REPOSITORY, head_id
    from sortext.vcs.historyid import history_id

    if head_id(repo.root) == NO_REPOSITORY:  # no .git here or above (nor GIT_DIR): no history
        return {}
    head = history_id(repo.root) if conn is not None else None
    key = _key(head, repo) if head is not None else None
    if conn is not None and key is not None:
        found = stored.read(conn, key)
        if found is not None:
            return found
    from sortext.vcs.stagefacts import stage_facts

    try:
        facts = stage_facts(repo)
    except (SortextError, OSError):
        return {}
    clock = {
        rid: (f.stage, f.stage_since)
        for rid, f in facts.items()
        if f.stage is not None and f.stage_since is not None
    }
    if conn is not None and key is not None and history_id(repo.root) == head:
        with contextlib.suppress(sqlite3.Error):  # not kept: the next query asks git again
            stored.write(conn, key, clock)
    return clock


def stage_clock_lookup(
    repo: Repository, conn: sqlite3.Connection
) -> Mapping[str, tuple[str, dt.date]] | None:
    """The clock :func:`stage_clock` would give, read from the index a record at a time
    (:class:`sortext.store.clock.Lookup`), when the index holds it for HEAD's commit;
    None otherwise (then call :func:`stage_clock`)."""
    from sortext.store import clock as stored
    from sortext.vcs.headref import NO_REPOSITORY
    from sortext.vcs.historyid import history_id

    head = history_id(repo.root)  # the key stage_clock keeps the clock under
    if head is None or head == NO_REPOSITORY:
        return None
    if not stored.is_current(conn, _key(head, repo)):
        return None
    return stored.Lookup(conn)


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


def _key(head: str, repo: Repository) -> str:
    """The key a clock is kept under: the commit it was read at, the effective
    configuration and the version of the reader that read it."""
    return f"{head}|{repo.config.fingerprint}|{FACTS_VERSION}"
