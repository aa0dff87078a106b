"""The "since last week" window store (derived data under ``.sortext/``, git-ignored;
a missing or damaged file only means recomputing).

``WindowStore`` is ``weekly.sqlite``: one window's per-record lines, kept in
reading order by the primary key so a group's first lines are a short index
walk, with the (window start, window end) commits they were computed for.
``load_json`` / ``save_json`` read and write the JSON sidecars (the finished
view, and the manifest that vouches for a store generation) only when their
key matches.  This module knows rows, not view types: the lines are
:data:`LineRow` tuples; :mod:`sortext.views.weekly` assembles them.

Raises ``sqlite3.Error`` from the store (the caller recomputes); the JSON
helpers never raise.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sortext.errors import StorageError
from sortext.files.state import clear_odd_file
from sortext.store.damage import unusable

_STORE_LAYOUT = 3

#: (old blob, new blob, old path, new path) of one record across the window (None: absent).
Pair = tuple[str | None, str | None, str | None, str | None]
#: One line: (group key, record id, name, link path, text, old, new).
LineRow = tuple[str, str, str, str | None, str, str | None, str | None]


def pair_key(pair: Pair) -> str:
    """The pair as one string (the store's key for the lines computed from it)."""
    return "|".join(x or "" for x in pair)


@dataclass(frozen=True, slots=True)
class StoredState:
    """The stored window: its start and end commits and deletions under the folder."""

    base: str | None
    end: str | None
    deletions: int


_SCHEMA = """
CREATE TABLE IF NOT EXISTS weekly_state (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    key TEXT NOT NULL, token TEXT NOT NULL,
    base TEXT, end_commit TEXT, deletions INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS weekly_pairs (
    path TEXT PRIMARY KEY, pair TEXT NOT NULL, base_path TEXT, base_blob TEXT);
CREATE INDEX IF NOT EXISTS weekly_pairs_base ON weekly_pairs (base_path);
CREATE TABLE IF NOT EXISTS weekly_lines (
    grp TEXT NOT NULL, sort_name TEXT NOT NULL, record_id TEXT NOT NULL, text TEXT NOT NULL,
    path TEXT NOT NULL, seq INTEGER NOT NULL,
    name TEXT NOT NULL, link TEXT, old TEXT, new TEXT,
    PRIMARY KEY (grp, sort_name, record_id, text, path, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS weekly_lines_path ON weekly_lines (path);
CREATE TABLE IF NOT EXISTS weekly_counts (grp TEXT PRIMARY KEY, n INTEGER NOT NULL);
"""


class WindowStore:
    """``weekly.sqlite``: one window's lines, kept in reading order by the primary
    key so a group's first lines are a short index walk."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @classmethod
    def open(cls, path: Path) -> WindowStore:
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):  # a FIFO would block the open
            clear_odd_file(Path(f"{path}{suffix}"))
        conn = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] != _STORE_LAYOUT:
                conn.executescript(
                    "DROP TABLE IF EXISTS weekly_state; DROP TABLE IF EXISTS weekly_pairs;"
                    "DROP TABLE IF EXISTS weekly_lines; DROP TABLE IF EXISTS weekly_counts;"
                    f"{_SCHEMA} PRAGMA user_version = {_STORE_LAYOUT};"
                )
            conn.execute("PRAGMA synchronous = OFF")  # derived data: lost means recomputed
        except sqlite3.DatabaseError as exc:
            conn.close()
            if not unusable(exc):  # busy, read-only, full: the file is not at fault
                raise
            path.unlink(missing_ok=True)  # not a database (or damaged): start again
            conn = sqlite3.connect(path, isolation_level=None, timeout=30.0)
            conn.executescript(f"{_SCHEMA} PRAGMA user_version = {_STORE_LAYOUT};")
        return cls(conn)

    def close(self) -> None:
        self.conn.close()

    def state(self, key: Mapping[str, str], token: str | None) -> StoredState | None:
        """The stored window, if it is for ``key`` and the manifest's ``token``."""
        if token is None:
            return None
        row = self.conn.execute(
            "SELECT key, token, base, end_commit, deletions FROM weekly_state"
        ).fetchone()
        if row is None or row[0] != json.dumps(key, sort_keys=True) or row[1] != token:
            return None
        return StoredState(row[2], row[3], int(row[4]))

    def pair_keys(self) -> dict[str, str]:
        """Record path -> key of its stored pair."""
        return dict(self.conn.execute("SELECT path, pair FROM weekly_pairs"))

    def starts(self, paths: Sequence[str]) -> dict[str, str | None]:
        """Path -> its blob at the window start (None: absent), for the paths that
        are a side of a stored pair; a record in no pair is as it was at the end."""
        found: dict[str, str | None] = {}
        for path in paths:
            for base_path, blob in self.conn.execute(
                "SELECT base_path, base_blob FROM weekly_pairs WHERE path = ? OR base_path = ?",
                (path, path),
            ):
                if base_path == path or path not in found:
                    found[path] = blob if base_path == path else None
        return found

    def memo(self, paths: Sequence[str]) -> dict[str, list[LineRow]]:
        """Pair key -> stored line rows, for the pairs stored under ``paths``."""
        query = (
            "SELECT p.pair, l.grp, l.record_id, l.name, l.link, l.text, l.old, l.new"
            " FROM weekly_pairs p LEFT JOIN weekly_lines l ON l.path = p.path"
            " WHERE p.path = ? ORDER BY l.seq"
        )
        rows: list[Any] = []
        for path in paths:
            rows += self.conn.execute(query, (path,))
        out: dict[str, list[LineRow]] = {}
        for pair, group, *fields in rows:
            lines = out.setdefault(pair, [])
            if group is not None:
                lines.append((group, *fields))
        return out

    def replace(
        self,
        key: Mapping[str, str],
        base: str | None,
        end: str | None,
        deletions: int,
        records: Mapping[str, tuple[Pair, Sequence[LineRow]]],
    ) -> str:
        """Store the window (``base``, ``end``; ``records``: path -> (pair, its line
        rows in order)) for ``key``; the new generation's token."""
        token = os.urandom(8).hex()  # secrets.token_hex's, without importing secrets
        self.conn.execute("DELETE FROM weekly_state")
        self.conn.execute("DELETE FROM weekly_pairs")
        self.conn.execute("DELETE FROM weekly_lines")
        self.conn.execute("DELETE FROM weekly_counts")
        self.conn.execute(
            "INSERT INTO weekly_state VALUES (1, ?, ?, ?, ?, ?)",
            (json.dumps(key, sort_keys=True), token, base, end, deletions),
        )
        self._insert(records)
        return token

    def apply(
        self,
        end: str,
        base: str | None,
        deletions: int,
        paths: Sequence[str],
        records: Mapping[str, tuple[Pair, Sequence[LineRow]]],
    ) -> None:
        """Replace the lines of ``paths`` by ``records``; the window is now (base, end)."""
        for path in paths:
            gone = self.conn.execute(
                "SELECT grp, COUNT(*) FROM weekly_lines WHERE path = ? GROUP BY grp", (path,)
            ).fetchall()
            self.conn.executemany(
                "UPDATE weekly_counts SET n = n - ? WHERE grp = ?", [(n, g) for g, n in gone]
            )
            self.conn.execute("DELETE FROM weekly_lines WHERE path = ?", (path,))
            self.conn.execute("DELETE FROM weekly_pairs WHERE path = ?", (path,))
        self.conn.execute(
            "UPDATE weekly_state SET end_commit = ?, base = ?, deletions = ?",
            (end, base, deletions),
        )
        self._insert(records)

    def _insert(self, records: Mapping[str, tuple[Pair, Sequence[LineRow]]]) -> None:
        self.conn.executemany(
            "INSERT INTO weekly_pairs VALUES (?, ?, ?, ?)",
            [(path, pair_key(pair), pair[2], pair[0]) for path, (pair, _) in records.items()],
        )
        rows = [
            (g, name.casefold(), rid, text, path, seq, name, link, old, new)
            for path, (_, lines) in records.items()
            for seq, (g, rid, name, link, text, old, new) in enumerate(lines)
        ]
        self.conn.executemany("INSERT INTO weekly_lines VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        counts: dict[str, int] = {}
        for row in rows:
            counts[row[0]] = counts.get(row[0], 0) + 1
        self.conn.executemany(
            "INSERT INTO weekly_counts VALUES (?, ?) ON CONFLICT (grp) DO UPDATE SET n = n + ?",
            [(g, n, n) for g, n in counts.items()],
        )

    def groups(
        self, keys: Sequence[str], limit: int
    ) -> list[tuple[str, list[tuple[str, str, str | None, str, str | None, str | None]], int]]:
        """For each group key in ``keys`` with lines: (key, its first ``limit`` lines in
        reading order as (record id, name, link, text, old, new), how many in all)."""
        counts = dict(self.conn.execute("SELECT grp, n FROM weekly_counts WHERE n > 0"))
        out = []
        for key in keys:
            total = int(counts.get(key, 0))
            if total <= 0:
                continue
            rows = self.conn.execute(
                "SELECT record_id, name, link, text, old, new FROM weekly_lines WHERE grp = ?"
                " ORDER BY sort_name, record_id, text, path, seq LIMIT ?",
                (key, limit),
            ).fetchall()
            out.append((key, [tuple(row) for row in rows], total))
        return out

    def transaction(self) -> _Transaction:
        """One writer at a time from reading the state to storing the result (the
        watcher and a manual build may both update)."""
        return _Transaction(self.conn)


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back on any error)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        elif self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


def load_json(path: Path, key: Mapping[str, Any]) -> dict[str, Any] | None:
    """The JSON object in ``path`` when every item of ``key`` matches, else None."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or any(data.get(k) != v for k, v in key.items()):
        return None
    return data


def manifest_token(path: Path, key: Mapping[str, Any], store: str) -> str | None:
    """The store generation the manifest at ``path`` vouches for under ``key`` (for
    the store file ``store``), if any."""
    data = load_json(path, key)
    pairs = data.get("pairs") if data is not None else None
    if not isinstance(pairs, dict) or pairs.get("store") != store:
        return None
    token = pairs.get("token")
    return token if isinstance(token, str) else None


def save_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically; a failure is ignored (a slower next call)."""
    from sortext.files.write import atomic_write

    try:
        path.parent.mkdir(exist_ok=True)
        atomic_write(path, json.dumps(data, sort_keys=True, separators=(",", ":")).encode())
    except (OSError, StorageError):
        pass  # a cache we could not write is only a slower next call
