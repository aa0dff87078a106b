"""Page bookkeeping for incremental builds: the key each page was rendered under.

A build renders a client page only when its key (a hash of the rules' inputs,
the templates, the record file's bytes and its state) differs from the one
stored here.  Derived data like the rest of the index: an empty table only
means every page is rendered once more.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping

from sortext.store.sqlbatch import select_in

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS pages (path TEXT PRIMARY KEY, key TEXT NOT NULL) WITHOUT ROWID;\n"
)
TABLES = ("pages",)


def page_keys(conn: sqlite3.Connection, paths: Iterable[str] | None = None) -> dict[str, str]:
    """Repository-relative page path -> the key it was rendered under (of those
    ``paths``, if given; a path never rendered is absent)."""
    if paths is None:
        return dict(conn.execute("SELECT path, key FROM pages").fetchall())
    query = "SELECT path, key FROM pages WHERE path IN ({})"
    return dict(select_in(conn, query, sorted(set(paths))))


def set_page_keys(
    conn: sqlite3.Connection, keys: Mapping[str, str], removed: Iterable[str] = ()
) -> None:
    """Record ``keys`` (page path -> key) and forget the pages ``removed``, inside the
    caller's transaction (the build's, or the refresh's for freshly parsed records)."""
    conn.executemany("DELETE FROM pages WHERE path = ?", [(p,) for p in removed])
    conn.executemany("INSERT OR REPLACE INTO pages VALUES (?, ?)", sorted(keys.items()))
