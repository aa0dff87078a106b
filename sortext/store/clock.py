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
from collections.abc import Mapping

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS clock "
    "(record_id TEXT PRIMARY KEY, stage TEXT NOT NULL, since TEXT NOT NULL);\n"
)
TABLES = ("clock",)
HEAD_KEY = "clock_head"

# Record id -> (committed stage, the day it entered it); records git knows nothing of
# are absent.
Clock = dict[str, tuple[str, dt.date]]


def read(conn: sqlite3.Connection, head: str) -> Clock | None:
    """The clock taken at commit ``head``; None when the stored one is of another commit
    (or none is stored)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (HEAD_KEY,)).fetchone()
    if row is None or row[0] != head:
        return None
    rows = conn.execute("SELECT record_id, stage, since FROM clock")
    return {rid: (stage, dt.date.fromisoformat(since)) for rid, stage, since in rows}


def write(conn: sqlite3.Connection, head: str, clock: Mapping[str, tuple[str, dt.date]]) -> None:
    """Replace the stored clock with ``clock``, taken at commit ``head`` (own transaction)."""
    with conn:
        conn.execute("DELETE FROM clock")
        conn.executemany(
            "INSERT INTO clock VALUES (?, ?, ?)",
            [(rid, stage, since.isoformat()) for rid, (stage, since) in clock.items()],
        )
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (HEAD_KEY, head))
