"""Which files of the clients folder may have changed since the index last matched it:
one pass compared with ONE stamp, instead of with every file's stored stat.

A refresh that compared every record file with the index, or every file this
module named, stores a *stamp* in the index's ``meta`` table (:func:`store`): the
moment its pass began (``time.time_ns()``), the index's record generation after
it, the clients folder (its path in the repository, device and inode), and the
name and inode number of every entry it listed.  A later pass (:func:`look`)
lists the folder and ``lstat``\\ s each entry; it names an entry (a *candidate*)
when

* its mtime or ctime is later than the stamp's moment less :data:`RACY_WINDOW_NS`
  (the kernel sets the ctime to the current time on every write, truncate,
  rename, ``chmod`` and ``utime``, and no call sets it back: ``touch -d`` and
  ``cp -p`` put back the mtime only; the window covers coarse file clocks and a
  write in the same tick as the stamp), or it is not a regular file (a symbolic
  link's target is not looked at), or its ``lstat`` fails;
* its name and inode were not in the stamp (created, renamed in, replaced by a
  rename over it: an editor's atomic save);
* or a name of the stamp is gone (deleted, renamed away).

Every other entry has kept its bytes and its stat since a moment at which the
index matched it (and the stat was settled, see ``Index``'s racy check), so the
exact comparison (size, mtime, settledness, hash) the caller runs on the
candidates only finds nothing there either: the names it reports are those a
comparison of every file reports (a property test holds the two equal over
generated edits).

A stamp is not used (:func:`look` gives None, the caller compares every file)
when there is none or it cannot be read, the index's generation moved since it
was written (records were stored without a pass: the watcher's saves), the
clients folder is another folder, or the clock is behind the stamp.  Like git's
racy-file check, this trusts the system clock not to be set back by more than
the window, a change made, and the clock set forward again, between two passes.

Costs (10,000 files on the 2-core machine): the listing ~5 ms, the ``lstat`` calls
~22 ms (the kernel's share, the floor of any stat pass), nothing read from the
index but the stamp: the per-file stat rows (~10 ms to load at 10,000) and the
comparison in Python are left to the candidates.

May import: :mod:`sortext.files` (nothing heavier: the quick queries use it).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import time
import zlib
from array import array
from pathlib import Path

#: A file modified this close before a pass began may change again without its
#: stat changing (coarse file clocks): it stays a candidate for the next pass.
RACY_WINDOW_NS = 2_000_000_000
#: A refresh that stored nothing keeps the stamp while its pass named at most this many
#: candidates (each costs a stat and a row later); past it, it leaves a new stamp.
RESTAMP_AFTER = 64
STAMP_KEY = "scan_stamp"  # meta: JSON {began, generation, folder, device, inode, digest}
ENTRIES_KEY = "scan_entries"  # meta: zlib of JSON [names, inodes] the digest covers


class Pass:
    """One pass over the clients folder.

    ``names``/``inodes``: every entry listed, in directory order; ``candidates``:
    the entry names (and gone names) that may have changed since ``stamp`` (sorted;
    None for a pass made without a usable stamp, which the caller completes by
    comparing every file); ``stamp``: the text of the stamp compared with ("" when
    none); ``began``: ``time.time_ns()`` before the listing; ``seen``: each
    candidate's ``lstat`` as (inode, mode, size, mtime_ns, ctime_ns), None when gone
    or unreadable; ``moved``: the names or inodes listed differ from the stamp's (a
    file created, removed, renamed).

    A plain class, not a dataclass: replayed queries import this module without a
    watcher, and their quick path imports neither dataclasses nor typing."""

    __slots__ = (
        "began",
        "candidates",
        "device",
        "digest",
        "folder",
        "inode",
        "inodes",
        "moved",
        "names",
        "seen",
        "stamp",
    )

    def __init__(
        self,
        began: int,
        folder: str,
        device: int,
        inode: int,
        names: list[str],
        inodes: array[int],
        digest: str,
        candidates: list[str] | None = None,
        stamp: str = "",
        seen: dict[str, tuple[int, int, int, int, int] | None] | None = None,
        moved: bool = False,
    ) -> None:
        self.began = began
        self.folder = folder
        self.device = device
        self.inode = inode
        self.names = names
        self.inodes = inodes
        self.digest = digest
        self.candidates = candidates
        self.stamp = stamp
        self.seen = seen
        self.moved = moved

    @property
    def clean(self) -> bool:
        """True when a usable stamp was compared with and nothing may have changed."""
        return self.candidates is not None and not self.candidates


def _digest(names: list[str], inodes: array[int]) -> str:
    digest = hashlib.sha1(inodes.tobytes(), usedforsecurity=False)
    digest.update("\0".join(names).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _generation(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    value = str(row[0]) if row else "0"
    return int(value) if value.isdigit() else 0


def listing(folder: Path, rel: str) -> Pass | None:
    """The names and inodes of every entry of ``folder`` (no ``stat``: the inode
    comes with the listing), for a pass that compares every file itself; None when
    the folder cannot be read."""
    began = time.time_ns()
    try:
        ident = os.stat(folder)
        with os.scandir(folder) as it:
            pairs = [(e.name, e.inode()) for e in it]
    except OSError:
        return None
    names = [name for name, _ in pairs]
    inodes = array("Q", [ino for _, ino in pairs])
    return Pass(began, rel, ident.st_dev, ident.st_ino, names, inodes, _digest(names, inodes))


def look(conn: sqlite3.Connection, folder: Path, rel: str) -> Pass | None:
    """The entries of ``folder`` that may have changed since the index's stamp (see
    the module's docstring), or None when no stamp can be used or the folder cannot
    be read.  ``rel``: the folder's path in the repository (as the index names its
    files).  Reads the stamp through ``conn``; writes nothing."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (STAMP_KEY,)).fetchone()
        if row is None or not isinstance(row[0], str):
            return None
        text = row[0]
        stamp = json.loads(text)
        began_then = int(stamp["began"])
        if stamp["generation"] != _generation(conn) or stamp["folder"] != rel:
            return None
    except (sqlite3.Error, ValueError, TypeError, KeyError):
        return None
    began = time.time_ns()
    if began < began_then:  # the clock was set back: a time comparison means nothing
        return None
    since = began_then - RACY_WINDOW_NS
    try:
        # listed through a descriptor: each lstat then looks up one name, not the path
        # (~13% of the pass at 10,000 files)
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    names: list[str] = []
    inodes = array("Q")
    seen: dict[str, tuple[int, int, int, int, int] | None] = {}
    regular = stat.S_ISREG
    try:
        ident = os.fstat(fd)
        if (ident.st_dev, ident.st_ino) != (stamp.get("device"), stamp.get("inode")):
            return None
        with os.scandir(fd) as it:
            for entry in it:
                name = entry.name
                names.append(name)
                inodes.append(entry.inode())
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    seen[name] = None
                    continue
                if st.st_ctime_ns >= since or st.st_mtime_ns >= since or not regular(st.st_mode):
                    seen[name] = _identity(st)
    except OSError:
        return None
    finally:
        os.close(fd)
    digest = _digest(names, inodes)
    if digest != stamp.get("digest"):
        before = _entries(conn)
        if before is None:
            return None
        now = dict(zip(names, inodes, strict=True))
        moved = [name for name, ino in now.items() if before.get(name) != ino]
        moved += [name for name in before if name not in now]
        for name in moved:
            if name not in seen:
                try:
                    seen[name] = _identity(os.lstat(os.path.join(folder, name)))
                except OSError:
                    seen[name] = None
    return Pass(
        began,
        rel,
        ident.st_dev,
        ident.st_ino,
        names,
        inodes,
        digest,
        sorted(seen),
        text,
        seen,
        digest != stamp.get("digest"),
    )


def _identity(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_ino, st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _entries(conn: sqlite3.Connection) -> dict[str, int] | None:
    """The names and inodes the stamp's digest covers; None when missing or damaged."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (ENTRIES_KEY,)).fetchone()
        if row is None or not isinstance(row[0], bytes):
            return None
        names, inodes = json.loads(zlib.decompress(row[0]))
        return dict(zip(names, inodes, strict=True))
    except (sqlite3.Error, zlib.error, ValueError, TypeError):
        return None


def store(conn: sqlite3.Connection, done: Pass) -> None:
    """Keep ``done`` as the stamp, with the index's generation as it is now: call it
    in the transaction that brought every file ``done`` looked at current (every file
    for a pass without a stamp; its candidates for one with a stamp)."""
    stamp = {
        "began": done.began,
        "generation": _generation(conn),
        "folder": done.folder,
        "device": done.device,
        "inode": done.inode,
        "digest": done.digest,
    }
    old = conn.execute("SELECT value FROM meta WHERE key = ?", (STAMP_KEY,)).fetchone()
    try:
        old_digest = json.loads(old[0]).get("digest") if old else None
    except (ValueError, TypeError, AttributeError):
        old_digest = None
    kept = conn.execute("SELECT 1 FROM meta WHERE key = ?", (ENTRIES_KEY,)).fetchone()
    if old_digest != done.digest or kept is None:  # a damaged one: look() gives None
        blob = zlib.compress(json.dumps([done.names, list(done.inodes)]).encode(), 1)
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (ENTRIES_KEY, blob))
    text = json.dumps(stamp, separators=(",", ":"))
    conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (STAMP_KEY, text))


def forget(conn: sqlite3.Connection) -> None:
    """Drop the stamp (the next pass compares every file)."""
    conn.execute("DELETE FROM meta WHERE key IN (?, ?)", (STAMP_KEY, ENTRIES_KEY))
