"""Whether a running watcher vouches that the index holds every save.

A query with nothing changed should not stat every record file to learn that.
When ``sortext watch`` runs, it already learns of every change from the
kernel, so it keeps a marker, ``.sortext/watch.current``:

* the watcher's event thread removes it the moment a change is queued
  (:func:`clear`), after queueing it;
* the main loop writes it when a batch is settled, the index updated and no
  change is pending (:func:`mark`), then checks again for pending changes and
  removes it if one arrived meanwhile (so a change queued while it was being
  written is never covered by it);
* it holds the clients folder's mtime when written, and the identity of the index
  it vouches for (a random id the index's ``meta`` keeps from the moment the file is
  made or emptied: :func:`sortext.store.index.identity_of`), so that an index file
  deleted, emptied or copied from elsewhere while the watcher runs is not vouched for.

A query trusts the index without a scan (:func:`vouched`) only when the marker
exists and names the index it opened, the daemon lock is held by a live process
(the kernel drops it when the daemon dies, even on SIGKILL) that is not stopped (a watcher suspended
with Ctrl-Z or SIGSTOP keeps its lock but sees nothing: its state is read from
``/proc/<pid>/stat``, the pid from the lock file) and the clients folder's mtime is still the
one in the marker (a file created, renamed or deleted since, even in the
instant before the watcher saw it, is noticed).  Otherwise the caller does its
normal stat pass.  Costs: one ``stat``, one ``open``+``flock``, three small reads.

May import: :mod:`sortext.errors` and this folder only.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from sortext.files.state import StateDir


def clear(root: Path) -> None:
    """Withdraw the watcher's word (a change is pending, or the watcher stops)."""
    with contextlib.suppress(OSError):
        os.unlink(StateDir(root).watch_current)


def mark(root: Path, clients: Path, index: str | None) -> None:
    """Say the index whose identity is ``index`` holds every save as of now (the caller
    has nothing pending); without an identity (no readable index), say nothing."""
    from sortext.errors import StorageError
    from sortext.files.write import atomic_write

    if not index or not index.isalnum() or not index.isascii():
        clear(root)
        return
    try:
        stamp = os.stat(clients).st_mtime_ns
        text = f"{stamp} {index}\n".encode("ascii")
        atomic_write(StateDir(root).watch_current, text, durable=False)
    except (OSError, StorageError):
        clear(root)


def vouched(root: Path, clients: Path, index: str | None = None) -> bool:
    """True when a live watcher vouches that the index is current (see the module doc).
    ``index``: the identity of the index the caller opened, which must be the one the
    watcher named (None: any, for a caller whose own key holds the marker's identity;
    an empty text: none, nothing is vouched for)."""
    state = StateDir(root)
    try:
        with open(state.watch_current, "rb") as handle:
            text = handle.read(128)
        stamp_text, _, named = text.strip().partition(b" ")
        stamp = int(stamp_text or b"-1")
        if index is not None and (not index or named != index.encode("ascii", "replace")):
            return False
        if os.stat(clients).st_mtime_ns != stamp:
            return False
        fd = os.open(state.watch_lock, os.O_RDONLY)
    except (OSError, ValueError):
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:  # the daemon holds its lock: is it running?
        try:
            text = os.read(fd, 32)
        except OSError:
            return False
        return text.strip().isdigit() and _running(int(text))
    except OSError:
        return False
    finally:
        os.close(fd)
    return False  # nobody holds the lock: the marker is a dead daemon's


def _running(pid: int) -> bool:
    """False when process ``pid`` is stopped (Ctrl-Z in its terminal, SIGSTOP, a
    debugger: it holds its lock but sees no change) or gone; read from
    ``/proc/<pid>/stat`` (its state letter follows the name in parentheses).  Where
    there is no ``/proc`` (not Linux) it cannot tell and answers True."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            text = handle.read(512)
    except FileNotFoundError:
        return not os.path.isdir("/proc/self")
    except OSError:
        return False
    end = text.rfind(b")")
    state = text[end + 2 : end + 3]
    return end >= 0 and state not in (b"T", b"t", b"Z", b"X", b"")
