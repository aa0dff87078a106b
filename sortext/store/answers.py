"""Remembered query answers: JSON values kept until any record changes.

``sortext next`` asks the same question many times a day; its answer is
stored under a key (``next:<day>``) and read back while no record file has
changed.  The index forgets every answer when a refresh stores or removes a
record (:func:`forget_all`), so an answer is never older than the records.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from pathlib import Path

TYPE_CHECKING = False  # typing is not imported on the quick query path (see files.state)
if TYPE_CHECKING:
    from typing import Any

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, code INTEGER NOT NULL, "
    "out BLOB NOT NULL, err BLOB NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS reply_lines (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS reply_asked (key TEXT PRIMARY KEY, at INTEGER NOT NULL);\n"
)
# reply_lines: which question a command line asked (see sortext.views.recall); it does
# not depend on the records, so forget_all keeps it.  reply_asked: when each command
# line was last asked (wall clock, ns, but always past every other mark: the marks are
# in the order of the asks), and under REFRESHED when a watcher's refresh that
# finished began: the watcher works out again only the questions asked since.
TABLES = ("answers", "replies", "reply_lines", "reply_asked")
#: The tables a rebuild of the index (a configuration change) keeps: the questions are
#: still the user's (their replies, keyed by the configuration, are not kept).
KEPT_ACROSS_REBUILD = ("reply_lines", "reply_asked")
#: The reply_asked row holding when the last finished refresh began (never a line key:
#: those begin with "line:").
REFRESHED = "refreshed"
#: The largest time a mark holds (SQLite's integers are 64-bit).
_LATEST = 2**63 - 1
#: The marks that are marks (a damaged or planted row is as if never made).
_INTEGER = "typeof(at) = 'integer'"


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


#: A stdout reply at least this long is kept as a file, uncompressed: decompressing
#: the 5.7 MB ``list --at-risk`` prints at 30,000 clients cost more than the rest of
#: its replay (~20-35 ms against ~1-8 ms to read the file).
FILE_MIN = 256 * 1024
#: How many replies are kept as files (the newest; older long ones are forgotten).
FILES_KEPT = 6
_FILE = b"file:"  # the out column of a reply kept as a file: this and its length


def reply(
    conn: sqlite3.Connection, key: str, folder: Path | None = None
) -> tuple[int, str, str] | None:
    """A command's remembered reply: (exit status, stdout text, stderr text), or None.
    A damaged one (not zlib, not UTF-8, a file missing or not of its length) reads as
    None.  ``folder``: where long replies are kept (:attr:`StateDir.replies`)."""
    raw = reply_bytes(conn, key, folder)
    if raw is None:
        return None
    try:
        out = raw[1].decode("utf-8", "surrogateescape")
        err = raw[2].decode("utf-8", "surrogateescape")
    except UnicodeDecodeError:
        return None
    return raw[0], out, err


def reply_bytes(
    conn: sqlite3.Connection, key: str, folder: Path | None = None
) -> tuple[int, bytes, bytes] | None:
    """A command's remembered reply as (exit status, stdout UTF-8, stderr UTF-8), not
    decoded; None when there is none or it is damaged (see :func:`reply`)."""
    import zlib

    row = conn.execute("SELECT code, out, err FROM replies WHERE key = ?", (key,)).fetchone()
    if row is None:
        return None
    try:
        code, out, err = int(row[0]), row[1], zlib.decompress(row[2])
        if isinstance(out, bytes) and out.startswith(_FILE):
            size = int(out[len(_FILE) :])
            if folder is None:
                return None
            data = _read_plain(folder / _file_name(key), size + 1)
            return (code, data, err) if data is not None and len(data) == size else None
        return code, zlib.decompress(out), err
    except (zlib.error, TypeError, ValueError, OSError):
        return None


def _read_plain(path: Path, limit: int) -> bytes | None:
    """Up to ``limit`` bytes of ``path`` when it is a regular file itself: None for a
    link (its target may be anything, anywhere), a FIFO (reading it would wait for a
    writer), a device.  Raises OSError."""
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with open(fd, "rb", closefd=False) as handle:
            return handle.read(limit)
    finally:
        os.close(fd)


def _is_reply_file(name: str) -> bool:
    """Whether ``name`` is what :func:`_file_name` makes of a reply key (a SHA-256 in
    hex, ``.txt``): no other file is ever removed from the replies folder."""
    digest, dot, ext = name.partition(".")
    return dot == "." and ext == "txt" and len(digest) == 64 and _hex(digest)


def _hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def _file_name(key: str) -> str:
    """The file of a reply kept as one: the hex digest of its key (a slug, nothing else)."""
    digest = key.rpartition(":")[2]
    if not digest or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"not a reply key: {key!r}")
    return f"{digest}.txt"


def keep_reply(
    conn: sqlite3.Connection,
    key: str,
    code: int,
    out: str,
    err: str,
    newest: int,
    folder: Path | None = None,
) -> None:
    """Remember a command's reply (texts zlib-compressed: they are one line per client;
    a stdout text of :data:`FILE_MIN` bytes or more as an uncompressed file in
    ``folder``, when given), keeping only the ``newest`` replies and the newest
    :data:`FILES_KEPT` files; inside the caller's transaction.  A file left by a
    forgotten reply is removed here (a reply is read through its row only).  Raises
    StorageError when the file cannot be written."""
    import zlib

    def pack(text: str) -> bytes:
        return zlib.compress(text.encode("utf-8", "surrogateescape"), 1)

    data = out.encode("utf-8", "surrogateescape")
    if folder is not None and len(data) >= FILE_MIN:
        from sortext.files.write import atomic_write

        folder.mkdir(exist_ok=True)
        atomic_write(folder / _file_name(key), data, durable=False)
        stored = _FILE + str(len(data)).encode("ascii")
    else:
        stored = zlib.compress(data, 1)
    conn.execute(
        "INSERT OR REPLACE INTO replies VALUES (?, ?, ?, ?)", (key, code, stored, pack(err))
    )
    conn.execute(
        "DELETE FROM replies WHERE rowid NOT IN "
        "(SELECT rowid FROM replies ORDER BY rowid DESC LIMIT ?)",
        (newest,),
    )
    conn.execute(
        "DELETE FROM replies WHERE substr(out, 1, 5) = ? AND rowid NOT IN (SELECT rowid "
        "FROM replies WHERE substr(out, 1, 5) = ? ORDER BY rowid DESC LIMIT ?)",
        (_FILE, _FILE, FILES_KEPT),
    )
    if folder is not None:
        kept = {
            _file_name(k)
            for (k,) in conn.execute(
                "SELECT key FROM replies WHERE substr(out, 1, 5) = ?", (_FILE,)
            )
        }
        try:
            names = os.listdir(folder)
        except OSError:
            names = []
        for name in names:  # only names a reply's file has (never another .txt)
            if _is_reply_file(name) and name not in kept:
                with contextlib.suppress(OSError):
                    os.unlink(folder / name)


def line(conn: sqlite3.Connection, key: str) -> str | None:
    """The question (JSON text) a command line's key was last seen to ask, or None."""
    row = conn.execute("SELECT value FROM reply_lines WHERE key = ?", (key,)).fetchone()
    return row[0] if row and isinstance(row[0], str) else None


def keep_line(conn: sqlite3.Connection, key: str, value: str, newest: int, at: int) -> None:
    """Remember which question (``value``, JSON text) a command line asked, and that it
    was asked at ``at`` (wall clock, ns: :func:`mark_asked`), keeping only the
    ``newest`` lines; inside the caller's transaction."""
    conn.execute("INSERT OR REPLACE INTO reply_lines VALUES (?, ?)", (key, value))
    conn.execute(
        "DELETE FROM reply_lines WHERE rowid NOT IN "
        "(SELECT rowid FROM reply_lines ORDER BY rowid DESC LIMIT ?)",
        (newest,),
    )
    mark_asked(conn, key, at)
    conn.execute(
        "DELETE FROM reply_asked WHERE key != ? AND key NOT IN (SELECT key FROM reply_lines)",
        (REFRESHED,),
    )


def mark_asked(conn: sqlite3.Connection, key: str, at: int) -> None:
    """Note that the command line ``key`` was asked at ``at`` (ns); inside the caller's
    transaction.  The mark is past every mark already there, the last finished
    refresh's included: it was asked after them (a wall clock stepped back since must
    not leave it out of the next refresh, nor behind a line asked before it), so the
    order of the marks is the order of the asks."""
    row = conn.execute(f"SELECT max(at) FROM reply_asked WHERE {_INTEGER}").fetchone()
    newest = row[0] if row and isinstance(row[0], int) else 0
    at = min(max(at, newest + 1), _LATEST)
    conn.execute("INSERT OR REPLACE INTO reply_asked VALUES (?, ?)", (key, at))


def asked_marks(conn: sqlite3.Connection) -> tuple[dict[str, int], int]:
    """({line key: when it was last asked (ns)}, when the last finished refresh began
    (ns; 0 when none did)).  Raises sqlite3.Error (an index from before the table)."""
    marks: dict[str, int] = {}
    refreshed = 0
    for key, at in conn.execute("SELECT key, at FROM reply_asked"):
        if not isinstance(at, int) or isinstance(at, bool) or not isinstance(key, str):
            continue  # a damaged row: as if never marked
        if key == REFRESHED:
            refreshed = at
        else:
            marks[key] = at
    return marks, refreshed


def needs_mark(conn: sqlite3.Connection, key: str) -> bool:
    """Whether a replay of the command line ``key`` must note that it was asked: unless
    its mark is already the newest (past every other line's and the last finished
    refresh's), as it is when the same command line is asked again and again.  Then
    however many questions are asked between two refreshes, the order of the marks is
    the order of the last asks (the refresh takes the newest), and the replays of a
    line asked again only read.  False when the index has no such table (an index
    from before it: nothing is written by the quick path)."""
    try:
        rows = conn.execute(
            f"SELECT key, at FROM reply_asked WHERE {_INTEGER} ORDER BY at DESC LIMIT 2"
        ).fetchall()
    except sqlite3.Error:
        return False
    if not rows or rows[0][0] != key:
        return True
    return len(rows) > 1 and rows[1][1] == rows[0][1]  # a tie: not after the other


def set_refreshed(conn: sqlite3.Connection, began: int) -> None:
    """Note that a refresh that began at ``began`` (ns) finished: the next one works
    out only the questions asked since; inside the caller's transaction.  Never noted
    as beginning before the previous one (a wall clock stepped back since must not
    make the questions that one took pending again)."""
    began = min(max(began, _refreshed(conn)), _LATEST)
    conn.execute("INSERT OR REPLACE INTO reply_asked VALUES (?, ?)", (REFRESHED, began))


def _refreshed(conn: sqlite3.Connection) -> int:
    """When the last finished refresh began (ns; 0: none, or a damaged row)."""
    row = conn.execute("SELECT at FROM reply_asked WHERE key = ?", (REFRESHED,)).fetchone()
    return row[0] if row and isinstance(row[0], int) and not isinstance(row[0], bool) else 0
