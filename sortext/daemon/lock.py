"""One daemon per repository: a pid file held with an OS file lock.

The file lives in the git directory (``.git/sortext-watch.pid``, see
:func:`lock_path`), not in ``.sortext/``: that folder is derived data the user
may delete at any time, and a lock file deleted from under the daemon would let
a second one start.

The pid in the file is for humans and ``sortext status``; the *lock* is what
counts.  The kernel releases it when the process dies, even on SIGKILL, so a
pid file left behind by a killed daemon is provably stale and is taken over,
and a recycled pid can never make a dead daemon look alive.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

from sortext.errors import SortextError


class DaemonRunning(SortextError):
    """Another ``sortext watch`` already serves this repository."""


class RepositoryGone(SortextError):
    """The repository a running daemon locked was deleted, moved or replaced."""


@dataclass
class DaemonLock:
    """The held lock; ``stale_pid`` is the pid of a dead daemon we took over from."""

    path: Path
    fd: int
    stale_pid: int | None

    def held(self) -> bool:
        """Whether ``path`` is still the file this lock holds (one ``stat``).  False when
        the repository was deleted, moved away or replaced (``rm -rf`` and a new clone
        at the same place, ``mv``), or the pid file deleted: a daemon that went on would
        act on whatever is at the path now, beside a second daemon free to start."""
        if self.fd < 0:
            return False
        try:
            now, mine = os.stat(self.path), os.fstat(self.fd)
        except OSError:
            return False
        if (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino):
            return True
        # a file system whose inode numbers are not stable (some FUSE mounts): the file
        # at the path is this lock when it is locked (a lock of its own on a fresh
        # descriptor is refused) and names this process.  Naming it is not enough: a
        # copy of the repository made while this daemon ran (cp -a, rsync, a restore
        # of the live folder) names it too, locked by nobody
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return False
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return _read_pid(fd) == os.getpid()
            except OSError:
                return False
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        finally:
            os.close(fd)

    def release(self) -> None:
        """Remove the pid file, when it is still ours, and drop the lock (clean
        shutdown); another daemon's lock at the same path is left alone."""
        if self.fd < 0:
            return
        try:
            if self.held():
                self.path.unlink(missing_ok=True)
        finally:
            os.close(self.fd)
            self.fd = -1


def lock_path(root: Path) -> Path:
    """Where the daemon lock of the work tree at ``root`` lives
    (:attr:`sortext.files.state.StateDir.watch_lock`)."""
    from sortext.files.state import StateDir

    return StateDir(root).watch_lock


def _read_pid(fd: int) -> int | None:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 64).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


def acquire(path: Path) -> DaemonLock:
    """Take the daemon lock or raise DaemonRunning naming the holder's pid."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = _read_pid(fd)
        os.close(fd)
        raise DaemonRunning(
            f"sortext watch is already running for this repository (pid {pid}); "
            "stop it first, or run 'sortext status'"
        ) from None
    previous = _read_pid(fd)
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, f"{os.getpid()}\n".encode())
    os.fsync(fd)
    stale = previous if previous not in (None, os.getpid()) else None
    return DaemonLock(path, fd, stale)


def holder(path: Path) -> int | None:
    """The pid of the live daemon holding ``path``, or None when none runs."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_pid(fd) or -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
