"""Which SQLite errors mean a derived database file is unusable (delete and rebuild it)
and which are the situation's (wait, report, try again): only the first may delete.

``sqlite3.OperationalError`` is a ``sqlite3.DatabaseError``: a handler written for a
damaged file also caught "database is locked" (another process writing longer than
the busy wait), "attempt to write a readonly database", "database or disk is full"
and "disk I/O error", and deleted the index under a live writer (whose commit then
failed) or where nothing could be rebuilt.

May import: nothing of sortext (the standard library's :mod:`sqlite3` only).
"""

from __future__ import annotations

import sqlite3

#: SQLite's primary result codes (https://sqlite.org/rescode.html) that say nothing about
#: the file's contents: PERM, ABORT, BUSY, LOCKED, NOMEM, READONLY, INTERRUPT, IOERR,
#: FULL, CANTOPEN, PROTOCOL, NOLFS, AUTH.  Every other error a file gives (CORRUPT,
#: NOTADB, and an older layout's SQL errors: a missing column, a constraint) means the
#: file is not an index this sortext can use.
SITUATION_CODES = frozenset({3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15, 22, 23})


def unusable(exc: sqlite3.Error) -> bool:
    """True when ``exc``, raised while using a derived database file, says the file
    itself is unusable (damaged, not SQLite, of another layout): deleting and
    rebuilding it is the answer.  False for busy, locked, read-only, full, I/O and
    permission errors, and for an error without an SQLite result code (raised by
    Python's module itself, such as a closed connection): deleting would not help and
    may destroy another process's work."""
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(code, int):
        return False
    return (code & 0xFF) not in SITUATION_CODES
