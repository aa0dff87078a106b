"""Remembered terminal answers: a query asked again with nothing changed prints what it
printed before, without importing the rules, the record model or the index code.

``next``, ``list``, ``show`` and ``search`` keep what they printed (stdout, stderr,
exit status; the text as it reached the terminal) in the index's reply table
(:func:`sortext.store.answers.keep_reply`, the newest :data:`KEEP`) under a key
made of everything the text depends on:

* the command and its arguments, the day (``--today``), colour on or off and
  the terminal width;
* sortext's version, the bytes of ``sortext.yaml`` and the index's fingerprint
  (layout version and effective schema);
* HEAD's commit (for the answers that show time in stage, which git decides:
  a commit that moves a stage while the file's bytes stay the same changes it);
* that the records are the ones the index holds: either a running watcher
  vouches for its index (:mod:`sortext.files.watchmark`; the key then holds the
  identity of its marker file, rewritten after every settled save), or, without
  a watcher, the change finder every refresh uses (:mod:`sortext.store.scan`: one
  ``lstat`` pass compared with the stamp the index's last pass left): the key holds
  the stamp and the stat (inode, mode, size, mtime, ctime) of each file it names
  as a candidate (changed since the stamp, or too recent to trust when it was
  taken, and since proved unchanged by a refresh); every other file has kept its
  bytes and stat since the stamp.

Any record the index stores or removes empties the reply table
(:func:`sortext.store.answers.forget_all`), so nothing older than the records
is kept; the key covers the rest.  A state with a candidate whose times are too
recent to trust (a write within the same clock tick could leave a stat unchanged,
see :data:`RACY_WINDOW_NS`) is never remembered, nor one with a candidate gone,
unreadable or a symbolic link (its target is not looked at).  A missing, damaged or
locked index, no usable stamp (the command's own refresh leaves one), no git, or a
HEAD that cannot be read cheaply only means "not remembered": the command then
does its normal work.

May import: :mod:`sortext.files`, :mod:`sortext.store.answers`,
:mod:`sortext.store.scan`, :mod:`sortext.vcs.headref` (nothing heavier: this is
the quick path).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import sys
import time
from pathlib import Path, PurePath
from typing import Any

from sortext.files import watchmark
from sortext.files.state import StateDir
from sortext.store import answers, scan

#: A file modified this close to the moment an answer was taken may change again
#: without its stat changing; such a state is not remembered (as the index re-hashes).
RACY_WINDOW_NS = scan.RACY_WINDOW_NS
# meta row (kept when the answers are forgotten): {"config": sha256 of sortext.yaml,
# "clients": the clients folder it names}, so a lookup needs no configuration.
_CLIENTS = "recall_clients"
_PREFIX = "recall:"  # a reply key: the prefix and a SHA-256 of its parts
#: How many replies are kept (a new one pushes out the oldest; older days and
#: questions go).  At 30,000 clients ``next`` prints ~3 MB; the bench's seven
#: replies take 2.2 MB compressed.
KEEP = 24


def _connect(index: Path) -> sqlite3.Connection | None:
    if not index.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{index.as_uri()}?mode=rw", uri=True, timeout=2.0)
    except (sqlite3.Error, ValueError):
        return None
    return conn


def _value(conn: sqlite3.Connection, table: str, key: str) -> Any:
    row = conn.execute(f"SELECT value FROM {table} WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _watch_stamp(root: Path, clients: Path) -> str | None:
    """The identity of a live watcher's marker, when it vouches for its index."""
    marker = StateDir(root).watch_current
    try:
        before = os.stat(marker)
    except OSError:
        return None
    if not watchmark.vouched(root, clients):
        return None
    try:
        after = os.stat(marker)
    except OSError:
        return None
    stamp = (before.st_ino, before.st_mtime_ns, before.st_size)
    if stamp != (after.st_ino, after.st_mtime_ns, after.st_size):
        return None
    return f"watch:{stamp[0]}:{stamp[1]}:{stamp[2]}"


# Everything but tab and newline below space, and DEL: what the inert filter changes
# in ASCII text (sortext.files.inert.inert_output).
_CONTROLS = bytes([*range(9), *range(11, 32), 127])


def _plain(text: str) -> bool:
    """True for ASCII text without control characters (tab and newline aside): the
    inert filter leaves such text as it is."""
    if not text.isascii():
        return False
    data = text.encode("ascii")
    return len(data.translate(None, _CONTROLS)) == len(data)


class Recall:
    """One query's remembered answer: :meth:`replay` it, or :meth:`echo` the fresh
    output through it and :meth:`keep` it.

    ``parts`` are the command and its arguments (JSON values); ``clock`` adds HEAD's
    commit to the key (answers showing time in stage)."""

    def __init__(self, start: Path | None, parts: list[Any], clock: bool = False) -> None:
        self.out: list[str] = []
        self.err: list[str] = []
        self.key: str | None = None
        self.root: Path | None = None
        self._hit: tuple[int, str, str] | None = None
        self._config = ""
        self._racy = False
        try:
            self._look(start, parts, clock)
        except (OSError, sqlite3.Error, ValueError, TypeError, KeyError, AttributeError):
            self.key = None
            self._hit = None

    def _look(self, start: Path | None, parts: list[Any], clock: bool) -> None:
        from sortext.errors import RepoNotFound
        from sortext.repo import find_root

        try:
            root = find_root(start)
        except RepoNotFound:  # the command's own path reports it
            return
        self.root = root
        self._config = hashlib.sha256((root / "sortext.yaml").read_bytes()).hexdigest()
        conn = _connect(StateDir(root).index)
        if conn is None:
            return
        try:
            fingerprint = _value(conn, "meta", "fingerprint")
            where = _value(conn, "meta", _CLIENTS)
            if fingerprint is None or where is None:
                return
            known = json.loads(where)
            if known.get("config") != self._config:
                return
            clients = root / known["clients"]
            fresh = _watch_stamp(root, clients)
            if fresh is None:
                done = scan.look(conn, clients, PurePath(known["clients"]).as_posix())
                if done is None or done.seen is None:
                    return  # no pass left a stamp: do the work (its refresh leaves one)
                # The files the finder names as candidates, by their stat (what changed
                # since the stamp, or was too recent to trust when it was taken)
                now = time.time_ns()
                for ident in done.seen.values():
                    if ident is None or stat.S_ISLNK(ident[1]):
                        return  # gone or unreadable, or a link (its target unseen)
                    if max(ident[3], ident[4]) >= now - RACY_WINDOW_NS:
                        self._racy = True  # may change again without its stat changing
                fresh = json.dumps(["scan", done.stamp, sorted(done.seen.items())])
            else:
                self._racy = False
            head = None
            if clock:
                from sortext.vcs.headref import history_id

                head = history_id(root)  # a deepened shallow clone: the same HEAD, more past
                if head is None:
                    return
            from sortext import __version__

            text = json.dumps(
                [parts, __version__, self._config, fingerprint, fresh, head],
                separators=(",", ":"),
            )
            self.key = _PREFIX + hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
            self._hit = answers.reply(conn, self.key)
        finally:
            conn.close()

    def replay(self) -> int | None:
        """Print the remembered answer and return its exit status; None when there is
        none (the caller does the work)."""
        if self._hit is None:
            return None
        code, out, err = self._hit
        for text, stream in ((out, sys.stdout), (err, sys.stderr)):
            if not text:
                continue
            # The text as it reached the terminal the first time (see echo).  The index
            # is only derived data, but it may come from elsewhere (a synced folder): what
            # is not plain ASCII goes through the inert filter again (it changes nothing
            # in its own output), so a planted reply cannot act on the terminal.
            if _plain(text):
                getattr(stream, "write_inert", stream.write)(text)
            else:
                stream.write(text)
            stream.flush()
        return code

    def echo(self, text: str, err: bool = False) -> None:
        """``click.echo(text)``, remembering what reached the terminal (after the
        inert filter of :class:`sortext.files.inert.InertStream` and click's colour
        stripping); when the stream is not an InertStream, nothing is remembered."""
        import click

        stream = sys.stderr if err else sys.stdout
        taps = getattr(stream, "taps", None)
        if not isinstance(taps, list):
            self.key = None
            click.echo(text, err=err)
            return
        tap: list[str] = []
        taps.append(tap)
        try:
            click.echo(text, err=err)
        finally:
            taps.remove(tap)
        (self.err if err else self.out).append("".join(tap))

    def keep(self, clients: Path, code: int = 0) -> None:
        """Remember what was echoed (call after the command succeeded); ``clients``:
        the repository's clients folder (the next lookup scans it)."""
        if self.root is None:
            return
        conn = _connect(StateDir(self.root).index)
        if conn is None:
            return
        try:
            with conn:
                folder = os.path.relpath(clients, self.root)
                where = json.dumps({"config": self._config, "clients": folder})
                conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_CLIENTS, where))
                if self.key is not None and not self._racy:
                    out, err = "".join(self.out), "".join(self.err)
                    answers.keep_reply(conn, self.key, code, out, err, KEEP)
        except sqlite3.Error:
            pass  # not remembered: the next call does the work again
        finally:
            conn.close()
