"""Waiting for another process that is writing an SQLite file, while it makes progress.

SQLite's own busy wait is a fixed time (5 s by default): a query started during a long
first build (the new index filled in one transaction, readers waiting for it: ~1 min
at 10,000 records on a loaded machine) failed "database is locked" though nothing was
wrong.  Here the process holding the file's lock is found (the POSIX record lock
SQLite takes, read from the kernel's lock table ``/proc/locks``, which names the
holder's pid; never by opening the file, see :func:`lock_holder`), and the wait goes
on as long as that process lives and uses the processor (its CPU time, from
``/proc``, grows; where there is no ``/proc``, as long as it lives) or the files
change.  A holder that stops making progress for :data:`STALL` seconds, or that cannot
be found, ends the wait with :class:`IndexBusy`, which says who holds the file.

Imports only the standard library.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sortext.errors import StorageError

#: Seconds a holder may go without progress before the wait ends.
STALL = 20.0
#: Seconds between two looks at the holder.
LOOK = 0.1
#: SQLite's lock bytes in a database file (rollback journal): the pending byte, the
#: reserved byte after it, then the shared range (see sqlite3's os.h).
PENDING_BYTE = 0x40000000
SHARED_SIZE = 510
#: In a ``-shm`` file (WAL): the write lock, the checkpoint and recovery locks, the
#: read marks (bytes 120 to 128).
SHM_LOCKS = (120, 8)

_T = TypeVar("_T")


class IndexBusy(StorageError):
    """Another process holds the index and made no progress for a while (or cannot be
    found); ``holder``: its pid when known."""

    def __init__(self, message: str, holder: int | None = None) -> None:
        super().__init__(message)
        self.holder = holder


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's "database is locked" / "busy" (another connection
    holds the file), not damage or a full disk."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return (code & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    text = str(exc)
    return "locked" in text or "busy" in text


def lock_holder(path: Path, locks: Path = Path("/proc/locks")) -> int | None:
    """The pid of another process holding an SQLite lock on ``path`` (the database's
    lock bytes, else its ``-shm`` file's), None when none is seen (or the platform
    cannot tell: no ``/proc/locks``).

    Read from the kernel's table of record locks (``locks``: ``/proc/locks``), never by
    opening the file: closing a descriptor drops every POSIX lock this process holds on
    that file, so asking with ``F_GETLK`` on a descriptor of our own would take away
    the locks of this process's own SQLite connection (its read snapshot, its reserved
    lock) while SQLite believes it holds them."""
    try:
        table = locks.read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    me = os.getpid()
    for target, start, length in (
        (path, PENDING_BYTE, SHARED_SIZE + 2),
        (Path(f"{path}-shm"), *SHM_LOCKS),
    ):
        try:
            st = os.stat(target)
        except OSError:
            continue
        file_id = (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
        holder = _holder_in(table, file_id, start, start + length - 1, me)
        if holder is not None:
            return holder
    return None


def _holder_in(
    table: str, file_id: tuple[int, int, int], first: int, last: int, me: int
) -> int | None:
    """The pid of a POSIX lock in ``table`` (``/proc/locks`` text) on ``file_id``
    (major, minor, inode) covering any byte of ``first``..``last`` and not held by
    ``me``; None when there is none.  Lines of waiters (``->``), other lock kinds and
    unreadable lines are skipped."""
    for line in table.splitlines():
        fields = line.split()
        if len(fields) < 8 or fields[1] != "POSIX":
            continue
        try:
            pid = int(fields[4])
            major, minor, inode = fields[5].split(":")
            where = (int(major, 16), int(minor, 16), int(inode))
            low = int(fields[6])
            high = None if fields[7] == "EOF" else int(fields[7])
        except ValueError:
            continue
        if where != file_id or pid <= 0 or pid == me:
            continue
        if low <= last and (high is None or high >= first):
            return pid
    return None


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, user + system CPU time in clock ticks) of a process (``/proc``),
    None when it cannot be read (gone, or no ``/proc``)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2 :].split()
    try:  # fields 4 (ppid), 14 and 15 (utime, stime) of proc(5)
        return int(fields[1]), int(fields[11]) + int(fields[12])
    except (IndexError, ValueError):
        return None


def _cpu_time(pid: int) -> int | None:
    """The CPU time in clock ticks of ``pid`` and of its descendants (a build parses in
    a pool of worker processes while the holder waits for them), None without
    ``/proc`` or when ``pid`` is gone."""
    own = _stat(pid)
    if own is None:
        return None
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return own[1]
    for name in names:
        if name.isdigit():
            found = _stat(int(name))
            if found is not None:
                children.setdefault(found[0], []).append(int(name))
                ticks[int(name)] = found[1]
    total, todo, seen = 0, [pid], set()
    while todo:
        one = todo.pop()
        if one in seen:
            continue
        seen.add(one)
        total += ticks.get(one, own[1] if one == pid else 0)
        todo.extend(children.get(one, []))
    return total


#: The share of one processor a holder (with its workers) must use to be making
#: progress: a build uses most of one; a process that holds the file and polls
#: something now and then uses well under 1%.
BUSY_SHARE = 0.05


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _files(path: Path) -> tuple[tuple[int, int], ...]:
    """(size, mtime) of the database and its journal, WAL and shm files."""
    out = []
    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            st = os.stat(f"{path}{suffix}")
        except OSError:
            out.append((-1, 0))
        else:
            out.append((st.st_size, st.st_mtime_ns))
    return tuple(out)


@dataclass
class WriterWait:
    """One wait for whoever holds ``path``: :meth:`keep_waiting` after each "busy".

    ``clock`` and ``pause`` are injectable (tests)."""

    path: Path
    stall: float | None = None  # None: STALL, read when the wait ends
    clock: Callable[[], float] = time.monotonic
    pause: Callable[[float], None] = time.sleep
    _mark: tuple[object, ...] | None = field(default=None, init=False)
    _since: float = field(default=0.0, init=False)
    _cpu: tuple[float, int] | None = field(default=None, init=False)
    holder: int | None = field(default=None, init=False)
    _gone: set[int] = field(default_factory=set, init=False)

    def _progress(self) -> tuple[object, ...]:
        """What changes while the holder makes progress: who holds the file, whether
        it worked since the last look (:data:`BUSY_SHARE` of a processor at least),
        and the files' sizes and times."""
        holder = lock_holder(self.path)
        self.holder = holder if holder is not None else self.holder
        cpu = _cpu_time(holder) if holder is not None else None
        working: object = False
        if cpu is not None:
            now = self.clock()
            if self._cpu is not None and now > self._cpu[0]:
                ticks = (cpu - self._cpu[1]) / (os.sysconf("SC_CLK_TCK") or 100)
                working = ticks >= BUSY_SHARE * (now - self._cpu[0])
                working = now if working else False  # a new mark each time it worked
            self._cpu = (now, cpu)
        return (holder, working, _files(self.path))

    def keep_waiting(self) -> bool:
        """Pause a little and say whether to try again: True while a holder makes
        progress (or did within the last ``stall`` seconds); raises :class:`IndexBusy`
        once it has not for that long."""
        now = self.clock()
        mark = self._progress()
        if mark != self._mark:
            self._mark, self._since = mark, now
        holder = mark[0]
        if isinstance(holder, int) and not _alive(holder) and holder not in self._gone:
            # gone: here its lock went with it (the next attempt gets the file), so its
            # stall is forgiven once; a pid named again after that is no process of
            # this machine whose lock stays (NFS names the remote host's process): its
            # stall runs like any other's instead of restarting at every look
            self._gone.add(holder)
            self._mark, self._since = None, now
        elif now - self._since >= self._stall:
            raise IndexBusy(self._stalled(), self.holder)
        self.pause(LOOK)
        return True

    @property
    def _stall(self) -> float:
        return STALL if self.stall is None else self.stall

    def _stalled(self) -> str:
        who = f"process {self.holder}" if self.holder is not None else "another process"
        return (
            f"the index {self.path} is busy: {who} holds the index and has made no "
            f"progress for {self._stall:g} s (a sortext build or watcher that is stuck, "
            "or another program with the file open); nothing was changed: stop that "
            "process, or try again when it has finished"
        )

    def run(self, attempt: Callable[[], _T]) -> _T:
        """``attempt()``, tried again after each "busy" while :meth:`keep_waiting`."""
        while True:
            try:
                return attempt()
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
                self.keep_waiting()
