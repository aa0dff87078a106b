"""Remembered query answers: JSON values kept until any record changes.

``sortext next`` asks the same question many times a day; its answer is
stored under a key (``next:<day>``) and read back while no record file has
changed.  The index forgets every answer when a refresh stores or removes a
record (:func:`forget_all`), so an answer is never older than the records.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

SCHEMA = "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
TABLES = ("answers",)


def recall(conn: sqlite3.Connection, key: str) -> Any | None:
    """The JSON value remembered for ``key``, or None."""
    row = conn.execute("SELECT value FROM answers WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else None


def remember(conn: sqlite3.Connection, key: str, value: Any) -> None:
    """Keep ``value`` (JSON-serialisable) under ``key``, in a transaction of its own."""
    with conn:
        conn.execute("INSERT OR REPLACE INTO answers VALUES (?, ?)", (key, json.dumps(value)))


def forget_all(conn: sqlite3.Connection) -> None:
    """Drop every answer (a record changed), inside the caller's transaction."""
    conn.execute("DELETE FROM answers")


def keep_newest(conn: sqlite3.Connection, prefix: str, count: int) -> None:
    """Drop all but the ``count`` newest answers whose key starts with ``prefix``, inside
    the caller's transaction (a replaced answer counts as new)."""
    pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    conn.execute(
        "DELETE FROM answers WHERE key LIKE ? ESCAPE '\\' AND rowid NOT IN "
        "(SELECT rowid FROM answers WHERE key LIKE ? ESCAPE '\\' ORDER BY rowid DESC LIMIT ?)",
        (pattern, pattern, count),
    )
