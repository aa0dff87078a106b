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

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, code INTEGER NOT NULL, "
    "out BLOB NOT NULL, err BLOB NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS reply_lines (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
)
# reply_lines: which question a command line asked (see sortext.views.recall); it does
# not depend on the records, so forget_all keeps it.
TABLES = ("answers", "replies", "reply_lines")


def recall(conn: sqlite3.Connection, key: str) -> Any | None:
    """The JSON value remembered for ``key``, or None."""
    row = conn.execute("SELECT value FROM answers WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else None


def remember(conn: sqlite3.Connection, key: str, value: Any) -> None:
    """Keep ``value`` (JSON-serialisable) under ``key``, in a transaction of its own."""
    with conn:
        conn.execute("INSERT OR REPLACE INTO answers VALUES (?, ?)", (key, json.dumps(value)))


def forget_all(conn: sqlite3.Connection) -> None:
    """Drop every answer and reply (a record changed), inside the caller's transaction."""
    conn.execute("DELETE FROM answers")
    conn.execute("DELETE FROM replies")


def reply(conn: sqlite3.Connection, key: str) -> tuple[int, str, str] | None:
    """A command's remembered reply: (exit status, stdout text, stderr text), or None.
    A damaged one (not zlib, not UTF-8) reads as None."""
    raw = reply_bytes(conn, key)
    if raw is None:
        return None
    try:
        out = raw[1].decode("utf-8", "surrogateescape")
        err = raw[2].decode("utf-8", "surrogateescape")
    except UnicodeDecodeError:
        return None
    return raw[0], out, err


def reply_bytes(conn: sqlite3.Connection, key: str) -> tuple[int, bytes, bytes] | None:
    """A command's remembered reply as (exit status, stdout UTF-8, stderr UTF-8), not
    decoded; None when there is none or it is damaged (not zlib, not an integer status)."""
    import zlib

    row = conn.execute("SELECT code, out, err FROM replies WHERE key = ?", (key,)).fetchone()
    if row is None:
        return None
    try:
        return int(row[0]), zlib.decompress(row[1]), zlib.decompress(row[2])
    except (zlib.error, TypeError, ValueError):
        return None


def line(conn: sqlite3.Connection, key: str) -> str | None:
    """The question (JSON text) a command line's key was last seen to ask, or None."""
    row = conn.execute("SELECT value FROM reply_lines WHERE key = ?", (key,)).fetchone()
    return row[0] if row and isinstance(row[0], str) else None


def keep_line(conn: sqlite3.Connection, key: str, value: str, newest: int) -> None:
    """Remember which question (``value``, JSON text) a command line asked, keeping only
    the ``newest`` lines; inside the caller's transaction."""
    conn.execute("INSERT OR REPLACE INTO reply_lines VALUES (?, ?)", (key, value))
    conn.execute(
        "DELETE FROM reply_lines WHERE rowid NOT IN "
        "(SELECT rowid FROM reply_lines ORDER BY rowid DESC LIMIT ?)",
        (newest,),
    )


def keep_reply(
    conn: sqlite3.Connection, key: str, code: int, out: str, err: str, newest: int
) -> None:
    """Remember a command's reply (texts zlib-compressed: they are one line per client),
    keeping only the ``newest`` replies; inside the caller's transaction."""
    import zlib

    def pack(text: str) -> bytes:
        return zlib.compress(text.encode("utf-8", "surrogateescape"), 1)

    conn.execute(
        "INSERT OR REPLACE INTO replies VALUES (?, ?, ?, ?)", (key, code, pack(out), pack(err))
    )
    conn.execute(
        "DELETE FROM replies WHERE rowid NOT IN "
        "(SELECT rowid FROM replies ORDER BY rowid DESC LIMIT ?)",
        (newest,),
    )
