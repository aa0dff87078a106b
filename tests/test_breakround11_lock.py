"""A watcher whose repository was replaced by a copy of itself stops.

DaemonLock.held() took a file at the lock's path that is not the file it locked for
its own when the file still names this process (for file systems whose inode numbers
are not stable).  A copy of the repository made while the watcher ran (``cp -a``,
``rsync -a``, a restore from a backup of the live folder) carries
``.git/sortext-watch.pid`` naming the running watcher: put in the repository's place,
it passed for the lock.  The old watcher went on committing into the copy with no lock
on it, `sortext status` said no watcher ran, and a second watcher could start beside
it.  The file at the path is now this lock only when it is locked (a lock of its own
on a fresh descriptor is refused) and names this process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sortext.daemon.lock import acquire, holder


def test_a_copy_of_the_lock_file_is_not_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "repo" / ".git" / "sortext-watch.pid"
    lock = acquire(path)
    try:
        assert lock.held()
        copy = tmp_path / "copy"
        shutil.copytree(tmp_path / "repo", copy)
        (tmp_path / "repo").rename(tmp_path / "old")
        copy.rename(tmp_path / "repo")
        assert path.read_text().strip() == str(os.getpid())  # it names this process
        assert holder(path) is None  # nobody holds the file at the path
        assert not lock.held()
    finally:
        lock.release()


def test_a_watcher_whose_repository_is_replaced_by_a_copy_stops(
    records_repo: Path, tmp_path: Path
) -> None:
    from tests.watchkit import Daemon, settled

    daemon = Daemon(records_repo)
    try:
        daemon.wait_ready()
        assert settled(records_repo) >= 1
        copy = tmp_path / "restored"
        subprocess.run(["cp", "-a", str(records_repo), str(copy)], check=True, timeout=60)
        records_repo.rename(tmp_path / "records-old")
        copy.rename(records_repo)
        code = daemon.proc.wait(timeout=30)  # the event: the old watcher is gone
        assert code != 0
        assert "is no longer the repository this watcher started in" in daemon.log
    finally:
        daemon.stop()
