"""What the summary pages read of a few records: their rows, to compare before and after.

NEXT.md, ``site/index.html`` and the owner pages are rendered from the index only:
the board (:mod:`sortext.store.board`), the day book (:mod:`sortext.store.daybook`) and
the files' stored state (record id, errors, summary, consent).  A build that changed
a few record files can compare those rows of the records it touched, taken before and
after it stored them: equal rows leave every summary page as it was; otherwise only
the owners named in them (before or after) can see their page change.  The counts and
totals the index keeps (``board_counts``, ``day_money``, ``day_paid``) are derived from
these rows, so they are equal when the rows are.  What is not stored per record (today,
the configuration, templates, HEAD, the inbox) is the summary key's part
(:func:`sortext.pages.build._summary_key`), not this module's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from sortext.store.sqlbatch import select_in

# (table, columns, order) of every per-record row a summary page can read.  Left out on
# purpose: the assessment key and the file's hash, size and times (they change with
# every edit and no page shows them).  Rows of a record come in insertion order
# (``rowid``) where the pages break ties by it (the day items).
_READS: tuple[tuple[str, str, str], ...] = (
    (
        "files",
        "path, record_id, ok, stale, has_errors, has_diagnostics, summary",
        "path",
    ),
    ("records", "path, diagnostics, withheld, body_line", "path"),
    (
        "assessed",
        "path, record_id, name, name_cf, owner, open, risk_errors, risk_count",
        "path",
    ),
    ("next_items", "path, status, s0, s1, s2, value", "path"),
    ("findings", "path, seq, kind, s0, s1, s2, amount, currency, value, section, o", "path, seq"),
    ("goals", "path, seq, name_cf, value, grp, o", "path, seq"),
    ("day_items", "path, owner, day, o, kind, value", "path, rowid"),
    ("day_inv", "path, seq, invoice, amount, currency, status, issued, paid_on, due", "path, seq"),
    ("day_who", "path, record_id, name, owner", "path"),
)
# Where each table names an owner: (table, column index in its _READS columns).
_OWNER_AT = {"assessed": 4, "day_items": 1, "day_who": 3}

Rows = dict[str, list[tuple[Any, ...]]]


def paths_of(conn: sqlite3.Connection, paths: Iterable[str], record_ids: Iterable[str]) -> set[str]:
    """``paths`` and every file holding one of ``record_ids`` (a record's id moved by an
    edit can change the rows of another file holding it: a duplicate)."""
    found = set(paths)
    query = "SELECT path FROM files WHERE record_id IN ({})"
    found.update(p for (p,) in select_in(conn, query, sorted(set(record_ids))))
    return found


def rows_of(conn: sqlite3.Connection, paths: Iterable[str]) -> Rows:
    """Table -> the rows of the files at ``paths`` a summary page can read, in a fixed
    order; for a file with errors, its stored front matter too (the error list names
    the record)."""
    wanted = sorted(set(paths))
    out: Rows = {}
    for table, columns, order in _READS:
        query = f"SELECT {columns} FROM {table} WHERE path IN ({{}}) ORDER BY {order}"
        out[table] = _ordered(select_in(conn, query, wanted), order)
    query = (
        "SELECT r.path, r.doc FROM records r JOIN files f USING (path) "
        "WHERE f.has_errors = 1 AND r.path IN ({}) ORDER BY r.path"
    )
    out["errors"] = sorted(select_in(conn, query, wanted))
    return out


def _ordered(rows: list[Any], order: str) -> list[tuple[Any, ...]]:
    """``select_in`` runs one query per batch: keep the order whole across batches
    (sorted by path, a stable sort: a record's own order within it is kept)."""
    listed = [tuple(r) for r in rows]
    if order.startswith("path"):
        listed.sort(key=lambda r: r[0])
    return listed


def owners_in(rows: Rows) -> set[str]:
    """Every owner the rows name: of a record, of an agenda item, of a next action."""
    found: set[str] = set()
    for table, at in _OWNER_AT.items():
        found.update(r[at] for r in rows.get(table, ()) if isinstance(r[at], str))
    for row in rows.get("next_items", ()):
        value = _json(row[5])
        if isinstance(value, list) and len(value) > 3 and isinstance(value[3], str):
            found.add(value[3])
    for row in rows.get("files", ()):  # the record's summary: its owner and its action's
        summary = _json(row[6])
        if isinstance(summary, dict):
            action = summary.get("next_action")
            for owner in (
                summary.get("owner"),
                action.get("owner") if isinstance(action, dict) else None,
            ):
                if isinstance(owner, str):
                    found.add(owner)
    return found


def _json(text: Any) -> Any:
    import json

    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
