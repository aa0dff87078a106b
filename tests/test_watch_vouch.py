"""Queries trust a running watcher's index only while it vouches for it.

The class: any sequence of watcher marks, change notices, files created,
renamed or deleted in the clients folder, and the daemon lock taken or
dropped.  The index is trusted without a scan exactly when the last word was
a mark, no file was added, renamed or removed since, and a live process holds
the lock; with a real watcher, an in-place edit (no folder mtime change) is
seen by the next query once the watcher has settled it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.daemon.lock import acquire
from sortext.files import watchmark
from sortext.files.state import StateDir
from sortext.repo import open_repository
from sortext.store.index import Index
from sortext.views.queries import client_list
from tests.conftest import SAMPLE_TODAY
from tests.watchkit import Daemon, commit_count, wait_commits, wait_for

OPS = st.lists(
    st.sampled_from(["mark", "clear", "create", "rename", "delete", "lock", "unlock", "edit"]),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(ops=OPS)
def test_vouched_exactly_when_marked_locked_and_folder_unchanged(ops: list[str]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        clients = root / "clients"
        clients.mkdir()
        StateDir(root).path.mkdir()
        (clients / "a.md").write_text("x")
        lock = None
        marked = False
        for serial, op in enumerate(ops):
            if op == "mark":
                watchmark.mark(root, clients, "cafe01")  # any index identity
                marked = True
            elif op == "clear":
                watchmark.clear(root)
                marked = False
            elif op == "lock" and lock is None:
                lock = acquire(StateDir(root).watch_pid)
            elif op == "unlock" and lock is not None:
                lock.release()
                lock = None
            elif op == "edit":  # in place: the folder's mtime stays; the watcher's event
                (clients / "a.md").write_text(f"y{serial}")  # clears the mark (not here)
            elif op in ("create", "rename", "delete"):
                before = os.stat(clients).st_mtime_ns
                if op == "create":
                    (clients / f"n{serial}.md").write_text("z")
                elif op == "rename":
                    os.replace(clients / "a.md", clients / "b.md")
                    os.replace(clients / "b.md", clients / "a.md")
                else:
                    (clients / f"d{serial}.md").write_text("z")
                    (clients / f"d{serial}.md").unlink()
                # coarse clocks: force a visible change, as time passing would
                os.utime(clients, ns=(before + 1_000_000, before + 1_000_000))
                marked = False
            assert watchmark.vouched(root, clients) == (marked and lock is not None), ops
        if lock is not None:
            lock.release()


def test_a_killed_watchers_mark_is_not_trusted(tmp_path: Path) -> None:
    clients = tmp_path / "clients"
    clients.mkdir()
    lock = acquire(StateDir(tmp_path).watch_pid)
    watchmark.mark(tmp_path, clients, "cafe01")
    assert watchmark.vouched(tmp_path, clients)
    os.close(lock.fd)  # what the kernel does when the daemon dies: the pid file stays
    assert StateDir(tmp_path).watch_pid.exists()
    assert not watchmark.vouched(tmp_path, clients)


def test_queries_trust_a_running_watcher_and_see_in_place_edits(records_repo: Path) -> None:
    repo = open_repository(records_repo)
    marker = StateDir(records_repo).watch_current
    daemon = Daemon(records_repo)
    try:
        daemon.wait_ready()
        wait_for(marker.exists, 10, lambda: daemon.log)
        with Index.open(repo) as index:
            assert index.refresh_for_query().scanned == 0  # trusted: no stat pass
        target = sorted((records_repo / "clients").glob("*.md"))[0]
        text = target.read_text(encoding="utf-8")
        old_name = next(line for line in text.splitlines() if line.startswith("name:"))
        new_text = text.replace(old_name, "name: Zelda Quillfeather", 1)
        before = commit_count(records_repo)
        with open(target, "r+", encoding="utf-8") as handle:  # in place, as VS Code saves
            handle.write(new_text)
            handle.truncate()
        wait_commits(records_repo, before + 1, daemon)
        wait_for(marker.exists, 10, lambda: daemon.log)
        today = dt.date.fromisoformat(SAMPLE_TODAY)
        names = [row.record.name for row in client_list(repo, today)]
        assert "Zelda Quillfeather" in names
    finally:
        daemon.stop()
    assert not marker.exists()  # a stopped watcher vouches for nothing
    with Index.open(repo) as index:
        assert index.refresh_for_query().scanned > 0


def test_without_a_watcher_queries_scan(records_repo: Path) -> None:
    repo = open_repository(records_repo)
    StateDir(records_repo).path.mkdir(exist_ok=True)
    # left behind, nobody holds the lock
    watchmark.mark(records_repo, repo.clients_path, "cafe01")
    with Index.open(repo) as index:
        assert index.refresh_for_query().scanned == len(list(repo.clients_path.glob("*.md")))
    shutil.rmtree(StateDir(records_repo).path)
