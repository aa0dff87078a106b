"""Which files of the clients folder may have changed since the index last matched it:
one pass compared with ONE stamp, instead of with every file's stored stat.

A refresh that compared every record file with the index, or every file this
module named, stores a *stamp* in the index's ``meta`` table (:func:`store`): the
moment its pass began (``time.time_ns()``) and that moment less the monotonic clock,
the latest ctime seen before the pass began and during it (moments the files' own
clock had reached), the index's record generation after it, the clients folder (its
path in the repository, device and inode), and the name and inode number of every
entry it listed.  A later pass (:func:`look`) lists the folder and ``lstat``\\ s each
entry; it names an entry (a *candidate*) when

* its mtime or ctime is later than the stamp's moment less :data:`RACY_WINDOW_NS`
  (the kernel sets the ctime to the current time on every write, truncate,
  rename, ``chmod`` and ``utime``, and no call sets it back: ``touch -d`` and
  ``cp -p`` put back the mtime only; the window covers coarse file clocks and a
  write in the same tick as the stamp), or its ctime is no earlier than the latest
  ctime seen before the stamp's pass began (the folder's, and those the pass before
  saw: the files' times come from their file system's clock, which may be behind
  this machine's, a network folder's server, a virtual machine's host; the files
  changed in the tick that clock was last seen at stay candidates), or it is not a
  regular file (a symbolic link's target is not looked at), or its ``lstat`` fails;
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
clients folder is another folder, the clock is behind the stamp, or the wall clock
was set back since the stamp (its distance to the monotonic clock shrank by more
than the window: the clock may have run past the stamp again since, and a file
changed meanwhile has an earlier ctime; a reboot in between only makes the distance
grow).  This trusts the file system's clock not to go back.

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

TYPE_CHECKING = False  # typing is not imported on the quick path (see Pass)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

#: A file modified this close before a pass began may change again without its
#: stat changing (coarse file clocks): it stays a candidate for the next pass.
RACY_WINDOW_NS = 2_000_000_000
#: A refresh that stored nothing keeps the stamp while its pass named at most this many
#: candidates (each costs a stat and a row later); past it, it leaves a new stamp.
RESTAMP_AFTER = 64
#: meta: JSON {began, offset, newest, observed, generation, folder, device, inode, digest}
STAMP_KEY = "scan_stamp"
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
    file created, removed, renamed); ``offset``: ``began`` less ``time.monotonic_ns()``
    (it moves when the wall clock is set); ``newest``: the latest ctime seen before the
    pass began (the folder's, the last stamp's ``observed``), a moment the files' own
    clock had reached then (see :func:`look`); ``observed``: the latest ctime seen
    during the pass (for the next one).

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
        "newest",
        "observed",
        "offset",
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
        offset: int = 0,
        newest: int = 0,
        observed: int = 0,
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
        self.offset = offset
        self.newest = newest
        self.observed = max(newest, observed)

    @property
    def clean(self) -> bool:
        """True when a usable stamp was compared with and nothing may have changed."""
        return self.candidates is not None and not self.candidates

    def settled(self) -> list[str]:
        """The candidates the stamps left after this pass will stop naming (the next
        one knows the files' clock reached :attr:`observed`): regular files whose
        times are older than the racy window and than :attr:`observed`."""
        since = min(self.began - RACY_WINDOW_NS, self.observed)
        return [
            name
            for name, ident in (self.seen or {}).items()
            if ident is not None and stat.S_ISREG(ident[1]) and max(ident[3], ident[4]) < since
        ]

    def saw(self, ctimes: Iterable[int]) -> None:
        """Raise :attr:`observed` with ``ctimes`` (ns: the ``st_ctime_ns`` the caller's
        own stat calls saw during this pass)."""
        self.observed = max(self.observed, max(ctimes, default=0))


def _digest(names: list[str], inodes: array[int]) -> str:
    digest = hashlib.sha1(inodes.tobytes(), usedforsecurity=False)
    digest.update("\0".join(names).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


#: The ``generation`` meta values read as a number: up to 18 ASCII digits (anything else,
#: a damaged row, reads as 0; the SQL that raises it reads it the same way).
GENERATION_DIGITS = 18


def generation_of(value: object) -> int:
    """The index's record generation held in the meta row's ``value`` (0 when there is
    none or it is not up to :data:`GENERATION_DIGITS` ASCII digits)."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return 0
    return int(value) if len(value) <= GENERATION_DIGITS else 0


def _generation(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    return generation_of(row[0] if row else None)


def _refuse(constant: str) -> object:
    raise ValueError(constant)


def _read_stamp(text: object) -> dict[str, Any] | None:
    """The stamp a meta row holds, or None when it is not one :func:`store` writes (a
    damaged or planted row: nothing in it may stop a query)."""
    if not isinstance(text, str) or len(text) > 4096:  # ours: ~230 characters
        return None
    try:
        stamp = json.loads(text, parse_constant=_refuse)  # no NaN nor Infinity
    except (ValueError, RecursionError):
        return None
    if not isinstance(stamp, dict):
        return None
    for key in ("began", "offset", "newest", "observed", "generation", "device", "inode"):
        if type(stamp.get(key)) is not int:
            return None
    if not isinstance(stamp.get("folder"), str) or not isinstance(stamp.get("digest"), str):
        return None
    return stamp


def _clocks() -> tuple[int, int]:
    """(the wall clock, its offset from the monotonic clock), in ns."""
    began = time.time_ns()
    return began, began - time.monotonic_ns()


def listing(folder: Path, rel: str) -> Pass | None:
    """The names and inodes of every entry of ``folder`` (no ``stat``: the inode
    comes with the listing), for a pass that compares every file itself; None when
    the folder cannot be read."""
    try:
        ident = os.stat(folder)  # before the clock is read: its ctime was reached by then
        began, offset = _clocks()
        with os.scandir(folder) as it:
            pairs = [(e.name, e.inode()) for e in it]
    except OSError:
        return None
    names = [name for name, _ in pairs]
    inodes = array("Q", [ino for _, ino in pairs])
    digest = _digest(names, inodes)
    # observed: raised by the caller with the stat of each file it compares (Pass.saw)
    return _made(rel, ident, (began, offset), names, inodes, digest, ident.st_ctime_ns)


def _made(
    rel: str,
    folder: os.stat_result,
    clocks: tuple[int, int],
    names: list[str],
    inodes: array[int],
    digest: str,
    newest: int,
    compared: tuple[str, dict[str, tuple[int, int, int, int, int] | None], bool, int] | None = None,
) -> Pass:
    """The one way a :class:`Pass` is made: of the listing of the folder whose stat is
    ``folder``, taken at ``clocks`` (:func:`_clocks`); ``compared``: (the stamp's
    text, the candidates' stats, whether the entries moved, the latest ctime seen)
    when the pass was compared with a stamp (its candidates are then the names in
    ``seen``), else None (:func:`listing`: the caller compares every file)."""
    began, offset = clocks
    made = Pass(began, rel, folder.st_dev, folder.st_ino, names, inodes, digest)
    made.offset = offset
    made.newest = made.observed = newest
    if compared is not None:
        stamp, seen, moved, observed = compared
        made.candidates, made.stamp, made.seen, made.moved = sorted(seen), stamp, seen, moved
        made.observed = max(newest, observed)
    return made


def look(conn: sqlite3.Connection, folder: Path, rel: str) -> Pass | None:
    """The entries of ``folder`` that may have changed since the index's stamp (see
    the module's docstring), or None when no stamp can be used or the folder cannot
    be read.  ``rel``: the folder's path in the repository (as the index names its
    files).  Reads the stamp through ``conn``; writes nothing."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (STAMP_KEY,)).fetchone()
        stamp = _read_stamp(row[0]) if row is not None else None
        if stamp is None or stamp["generation"] != _generation(conn) or stamp["folder"] != rel:
            return None
    except sqlite3.Error:
        return None
    text = str(row[0])
    began_then: int = stamp["began"]
    # The files' times come from their file system's clock (a network folder: its
    # server's), which may be behind this machine's: the stamp's ``newest`` is a ctime
    # seen before its pass began, a moment that clock had reached then, so whatever
    # changed since has a ctime at least as late (the file, or files, changed last
    # stay candidates).
    since = min(began_then - RACY_WINDOW_NS, stamp["newest"])
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
        # seen before the clock is read, as the last stamp's pass's observations were
        newest = max(ident.st_ctime_ns, stamp["observed"])
        observed = newest
        began, offset = _clocks()
        if began < began_then:  # the clock is behind the stamp: a comparison means nothing
            return None
        if offset < stamp["offset"] - RACY_WINDOW_NS:
            return None  # the wall clock was set back since the stamp (it may have run past)
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
                if st.st_ctime_ns > observed:
                    observed = st.st_ctime_ns
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
    moved_any = digest != stamp.get("digest")
    return _made(
        rel, ident, (began, offset), names, inodes, digest, newest,
        (text, seen, moved_any, observed),
    )  # fmt: skip


def _identity(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_ino, st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _entries(conn: sqlite3.Connection) -> dict[str, int] | None:
    """The names and inodes the stamp's digest covers; None when missing or damaged."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (ENTRIES_KEY,)).fetchone()
        if row is None or not isinstance(row[0], bytes):
            return None
        names, inodes = json.loads(zlib.decompress(row[0]), parse_constant=_refuse)
        if not all(isinstance(name, str) for name in names):
            return None  # (a planted row: each name is joined to the folder's path)
        return dict(zip(names, inodes, strict=True))
    except (sqlite3.Error, zlib.error, ValueError, TypeError, RecursionError):
        return None


def store(conn: sqlite3.Connection, done: Pass) -> None:
    """Keep ``done`` as the stamp, with the index's generation as it is now: call it
    in the transaction that brought every file ``done`` looked at current (every file
    for a pass without a stamp; its candidates for one with a stamp)."""
    stamp = {
        "began": done.began,
        "offset": done.offset,
        "newest": done.newest,
        "observed": done.observed,
        "generation": _generation(conn),
        "folder": done.folder,
        "device": done.device,
        "inode": done.inode,
        "digest": done.digest,
    }
    old = conn.execute("SELECT value FROM meta WHERE key = ?", (STAMP_KEY,)).fetchone()
    old_stamp = _read_stamp(old[0]) if old else None
    old_digest = old_stamp["digest"] if old_stamp is not None else None
    kept = conn.execute("SELECT 1 FROM meta WHERE key = ?", (ENTRIES_KEY,)).fetchone()
    if old_digest != done.digest or kept is None:  # a damaged one: look() gives None
        blob = zlib.compress(json.dumps([done.names, list(done.inodes)]).encode(), 1)
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (ENTRIES_KEY, blob))
    text = json.dumps(stamp, separators=(",", ":"))
    conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (STAMP_KEY, text))


def forget(conn: sqlite3.Connection) -> None:
    """Drop the stamp (the next pass compares every file)."""
    conn.execute("DELETE FROM meta WHERE key IN (?, ?)", (STAMP_KEY, ENTRIES_KEY))
