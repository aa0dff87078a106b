"""Time in stage kept in the index: each record's committed stage and the day it
entered it, for one HEAD.

:func:`sortext.vcs.stagefacts.stage_facts` answers from git (a process or two
and a JSON cache of every file, ~0.1 s at 30,000 clients); a query asks the
same question many times per commit, so the answer is kept here beside the
index with the commit it was read at (meta ``clock_head``).  A reader passes
HEAD's commit and gets the clock only when it was taken at that commit.

May import: :mod:`sortext.store` siblings only.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Mapping

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS clock "
    "(record_id TEXT PRIMARY KEY, stage TEXT NOT NULL, since TEXT NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS clock_moved (record_id TEXT PRIMARY KEY) WITHOUT ROWID;\n"
)
TABLES = ("clock", "clock_moved")
#: clock_moved: the ids whose entry a stored clock changed (or ``*``: any may have, no
#: clock was stored before) since a build last took them (:func:`moved`): a commit made
#: outside the build moves time in stage of records whose files did not change.
EVERY = "*"
HEAD_KEY = "clock_head"
#: The version of the reader of git's history whose answers the clock keeps
#: (:mod:`sortext.vcs.stagefacts`, its cache's version; its history of changes is
#: there): part of the key a clock is kept under, so a fixed reader's first query
#: reads git again instead of an answer the old reader gave for the same commit.
FACTS_VERSION = 10

# Record id -> (committed stage, the day it entered it); records git knows nothing of
# are absent.
Clock = dict[str, tuple[str, dt.date]]


def read(conn: sqlite3.Connection, head: str) -> Clock | None:
    """The clock taken at commit ``head``; None when the stored one is of another commit
    (or none is stored)."""
    if not is_current(conn, head):
        return None
    return _whole(conn)


def is_current(conn: sqlite3.Connection, head: str) -> bool:
    """Whether the stored clock was taken at commit ``head``."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (HEAD_KEY,)).fetchone()
    return row is not None and row[0] == head


def _whole(conn: sqlite3.Connection) -> Clock:
    rows = conn.execute("SELECT record_id, stage, since FROM clock")
    return {rid: (stage, dt.date.fromisoformat(since)) for rid, stage, since in rows}


class Lookup(Mapping[str, tuple[str, dt.date]]):
    """The stored clock (the caller checked :func:`is_current`) read a record at a time:
    a build that redoes a few records reads their rows, not every client's (~1 us a
    record: 30 ms at 30,000).  After :attr:`WHOLE_AFTER` records, or when iterated or
    counted, the whole clock is read at once.  Used through ``conn`` in the process
    that opened it (call :meth:`whole` before forking)."""

    WHOLE_AFTER = 64

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._some: dict[str, tuple[str, dt.date] | None] = {}
        self._all: Clock | None = None

    def __getitem__(self, record_id: str) -> tuple[str, dt.date]:
        if self._all is None and len(self._some) >= self.WHOLE_AFTER:
            self.whole()
        if self._all is not None:
            return self._all[record_id]
        if record_id not in self._some:
            row = self._conn.execute(
                "SELECT stage, since FROM clock WHERE record_id = ?", (record_id,)
            ).fetchone()
            self._some[record_id] = None if row is None else (row[0], dt.date.fromisoformat(row[1]))
        found = self._some[record_id]
        if found is None:
            raise KeyError(record_id)
        return found

    def whole(self) -> Clock:
        """Every record's entry (read once)."""
        if self._all is None:
            self._all = _whole(self._conn)
        return self._all

    def __iter__(self) -> Iterator[str]:
        return iter(self.whole())

    def __len__(self) -> int:
        return len(self.whole())


def write(conn: sqlite3.Connection, head: str, clock: Mapping[str, tuple[str, dt.date]]) -> None:
    """Replace the stored clock with ``clock``, taken at commit ``head`` (own transaction);
    the ids whose entry it changes are added to the moved ones (:func:`moved`)."""
    rows = [(rid, stage, since.isoformat()) for rid, (stage, since) in clock.items()]
    with conn:
        if conn.execute("SELECT 1 FROM meta WHERE key = ?", (HEAD_KEY,)).fetchone() is None:
            changed: set[str] = {EVERY}
        else:  # compared as stored (text): no date parsed
            old = set(conn.execute("SELECT record_id, stage, since FROM clock"))
            changed = {rid for rid, _, _ in old.symmetric_difference(rows)}
        conn.executemany(
            "INSERT OR IGNORE INTO clock_moved VALUES (?)", [(rid,) for rid in sorted(changed)]
        )
        conn.execute("DELETE FROM clock")
        conn.executemany("INSERT INTO clock VALUES (?, ?, ?)", rows)
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (HEAD_KEY, head))


def moved(conn: sqlite3.Connection) -> set[str] | None:
    """The record ids whose time in stage a stored clock changed since :func:`forget_moved`
    (a build's assessments and pages of them may be of the old clock); None: any may have."""
    found = {rid for (rid,) in conn.execute("SELECT record_id FROM clock_moved")}
    return None if EVERY in found else found


def forget_moved(conn: sqlite3.Connection, ids: set[str] | None) -> None:
    """A build planned ``ids`` (None: every record) with the clock as stored now."""
    if ids is None:
        conn.execute("DELETE FROM clock_moved")
    else:
        conn.executemany("DELETE FROM clock_moved WHERE record_id = ?", [(i,) for i in ids])
