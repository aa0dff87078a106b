"""Break-testing cold10: the index's life under concurrency and crashes.

A query that waits longer than SQLite's busy timeout for another process's write (a cold
build's first bulk transaction, held in rollback-journal mode, or any long write in WAL)
got "database is locked", an ``OperationalError``, which is a ``DatabaseError``: the
open and the refresh took it for a damaged file, deleted the index under the live writer
and built their own (the writer's commit then failed: "disk I/O error", "attempt to
write a readonly database").  Only a file SQLite says is damaged (or of another layout)
is deleted; busy, locked, read-only, full, I/O errors are the situation's, reported."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.gen_pages import generate_repo
from sortext.files.state import StateDir
from sortext.repo import open_repository
from sortext.store import index as index_module
from sortext.store.index import Index
from tests.conftest import wait_past_racy_window

DEADLINE = 60.0

# A writer in another process: holds the index's write lock (in rollback-journal mode as
# a new file's first bulk refresh does, or in WAL), says so by creating `ready`, commits
# once `release` exists, and prints what its commit did.
_HOLDER = r"""
import os, sqlite3, sys, time
index, mode, ready, release = sys.argv[1:5]
conn = sqlite3.connect(index, isolation_level=None, timeout=30)
conn.execute(f"PRAGMA journal_mode={mode}").fetchall()
conn.execute("BEGIN EXCLUSIVE" if mode == "DELETE" else "BEGIN IMMEDIATE")
conn.execute("INSERT OR REPLACE INTO meta VALUES ('holder', 'was here')")
open(ready, "w").close()
deadline = time.monotonic() + 120
while not os.path.exists(release) and time.monotonic() < deadline:
    time.sleep(0.02)
try:
    conn.execute("COMMIT")
    print("committed")
except sqlite3.Error as exc:
    print(f"commit failed: {exc}")
"""


def _sortext(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SORTEXT_TODAY="2026-12-01", COLUMNS="100")
    return subprocess.run(
        [sys.executable, "-m", "sortext", *args, "--repo", str(root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _wait_for(path: Path, proc: subprocess.Popen[Any]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


def _holding(root: Path, mode: str, tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    ready, release = tmp_path / "ready", tmp_path / "release"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(StateDir(root).index), mode, str(ready), str(release)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for(ready, holder)
    return holder, release


def _assert_not_internal(result: subprocess.CompletedProcess[str]) -> None:
    assert "internal error" not in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("mode", ["DELETE", "WAL"])
def test_a_query_outwaited_by_a_writer_leaves_its_index_alone(tmp_path: Path, mode: str) -> None:
    """A query that outwaits the busy timeout says the index is busy; the writer's
    transaction commits into the very file it began in.  In WAL the query needs the
    write lock because a record changed (its refresh stores it)."""
    root = generate_repo(6, tmp_path / "r")
    assert _sortext(root, "build").returncode == 0
    record = root / "clients" / "client-00003.md"
    record.write_text(record.read_text(encoding="utf-8") + "\nOne more line.\n", "utf-8")
    index = StateDir(root).index
    inode = index.stat().st_ino
    holder, release = _holding(root, mode, tmp_path)
    try:
        query = _sortext(root, "next", "--json")
    finally:
        release.touch()
        out, err = holder.communicate(timeout=DEADLINE)
    _assert_not_internal(query)
    assert query.returncode == 2, query.stderr
    assert "busy" in query.stderr
    assert out.strip() == "committed", (out, err)
    assert index.stat().st_ino == inode  # the same file: never deleted under its writer
    conn = sqlite3.connect(index)
    try:
        assert conn.execute("SELECT value FROM meta WHERE key = 'holder'").fetchone() == (
            "was here",
        )
    finally:
        conn.close()
    again = _sortext(root, "next", "--json")  # once the writer is done: answered
    assert again.returncode == 0, again.stderr
    assert "client-00003" in again.stdout


def mark(index: Path) -> None:
    """Leave a row in ``index`` that only this very file holds."""
    conn = sqlite3.connect(index, isolation_level=None)
    try:
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('cold10', 'marked')")
    finally:
        conn.close()


def marked(index: Path) -> bool:
    conn = sqlite3.connect(index)
    try:
        return conn.execute("SELECT 1 FROM meta WHERE key = 'cold10'").fetchone() is not None
    finally:
        conn.close()


def test_a_query_reads_while_another_process_writes_in_wal(tmp_path: Path) -> None:
    """Nothing changed, so the query only reads: in WAL it never waits for the writer.
    Opening the index set ``auto_vacuum`` every time, which takes the write lock even
    when it changes nothing: the query waited for the writer, then failed (before
    that, deleted the index under it)."""
    root = generate_repo(6, tmp_path / "r")
    # files older than the racy window: no refresh re-hashes (and writes) any of them
    wait_past_racy_window(sorted((root / "clients").iterdir()))
    assert _sortext(root, "build").returncode == 0
    expected = _sortext(root, "list", "--json")
    assert expected.returncode == 0
    holder, release = _holding(root, "WAL", tmp_path)
    try:
        got = _sortext(root, "list", "--json", "--owner", "maya")  # not a replay
        listed = _sortext(root, "list", "--json")
    finally:
        release.touch()
        out, err = holder.communicate(timeout=DEADLINE)
    _assert_not_internal(got)
    assert got.returncode == 0, got.stderr
    assert listed.stdout == expected.stdout
    assert out.strip() == "committed", (out, err)


# SQLite's primary result codes (https://sqlite.org/rescode.html) that say a file is
# not a usable index (damaged, not SQLite, of another layout); every other one is the
# situation's (busy, locked, read-only, full, I/O, permissions, out of memory).
_SITUATION = {3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15, 22, 23}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    code=st.integers(min_value=1, max_value=28),
    extended=st.integers(0, 40),
    where=st.sampled_from(["open", "refresh"]),
)
def test_only_a_damaged_file_is_deleted(
    tmp_path_factory: pytest.TempPathFactory, code: int, extended: int, where: str
) -> None:
    """Whatever SQLite error the open or a refresh meets: the index file is deleted
    (and rebuilt) only when the error says the file itself is unusable; otherwise the
    error reaches the caller (the CLI reports it) and the file is the same."""
    root = generate_repo(3, tmp_path_factory.mktemp("codes") / "r")
    repo = open_repository(root)
    with Index.open(repo) as index:
        index.refresh()
    path = StateDir(root).index
    mark(path)
    error = sqlite3.OperationalError(f"simulated SQLite error {code}")
    error.sqlite_errorcode = code | (extended << 8)  # an extended code keeps its primary
    with pytest.MonkeyPatch.context() as patch:
        if where == "open":
            real_connect = Index._connect
            calls: list[Path] = []

            def failing_connect(path: Path) -> sqlite3.Connection:
                calls.append(path)
                if len(calls) == 1:
                    raise error
                return real_connect(path)

            patch.setattr(Index, "_connect", staticmethod(failing_connect))
        else:
            real_refresh = Index._refresh
            failed: list[bool] = []

            def failing_refresh(self: Index, *args: object, **kwargs: object) -> object:
                if not failed:
                    failed.append(True)
                    raise error
                return real_refresh(self, *args, **kwargs)  # type: ignore[arg-type]

            patch.setattr(Index, "_refresh", failing_refresh)
        situation = code in _SITUATION
        # busy or locked while opening or refreshing: another process writes the file,
        # waited for and tried again (sortext/store/writer.py): the same file answers
        retried = code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
        try:
            with Index.open(repo) as index:
                index.refresh()
                assert len(index.entries()) == 3
        except sqlite3.OperationalError as exc:
            assert situation and not retried, exc
            assert exc is error
        else:
            assert not situation or retried
    assert marked(path) == situation  # the same file, or a new one


# -- two refreshes at once --------------------------------------------------------------
#
# A refresh reads what the index holds (outside any transaction), compares it with the
# folder, then stores what changed under the write lock.  Another process (a second cold
# build, a query, the watcher) may store the same files in between: the first then
# stored them as if new, and the notes rows the other had added stayed in the search
# (orphans: ranks changed, and they took places of the search's LIMIT).


def _consistent(index: Index) -> None:
    """Every notes row belongs to exactly one record and every record's row exists."""
    notes = sorted(r for (r,) in index.conn.execute("SELECT rowid FROM notes"))
    owned = sorted(
        n for (n,) in index.conn.execute("SELECT note FROM records WHERE note IS NOT NULL")
    )
    assert notes == owned


def _snapshot(index: Index) -> dict[str, list[tuple[object, ...]]]:
    return {
        "files": sorted(
            index.conn.execute(
                "SELECT path, size, hash, record_id, ok, stale, summary FROM files"
            ).fetchall()
        ),
        "records": sorted(
            index.conn.execute(
                "SELECT path, doc, body_line, diagnostics, name, withheld FROM records"
            ).fetchall()
        ),
    }


_SEARCHES = [["coach"], ["goal"], ["session", "plan"], ["client"]]


def _between(monkeypatch: pytest.MonkeyPatch, other: Index) -> list[bool]:
    """Make the next refresh, once it has read what the index holds and before its write
    transaction (at its first look at a file: the whole folder without a stamp, a
    candidate's stat with one), first let ``other`` refresh completely."""
    real_scan, real_stat = index_module._scan, Index._stat_one
    ran: list[bool] = []

    def other_first() -> None:
        if not ran:
            ran.append(True)
            other.refresh()

    def scan_after_the_other(folder: Path) -> list[tuple[str, str, os.stat_result | None]]:
        other_first()
        return real_scan(folder)

    def stat_after_the_other(
        self: Index, name: str
    ) -> tuple[str, str, os.stat_result | None] | None:
        other_first()
        return real_stat(self, name)

    monkeypatch.setattr(index_module, "_scan", scan_after_the_other)
    monkeypatch.setattr(Index, "_stat_one", stat_after_the_other)
    return ran


def test_two_cold_refreshes_at_once_store_each_record_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = generate_repo(8, tmp_path / "r")
    repo = open_repository(root)
    first, second = Index.open(repo), Index.open(repo)
    try:
        ran = _between(monkeypatch, first)
        second.refresh()
        assert ran == [True]
        _consistent(second)
        assert len(second.entries()) == 8
        monkeypatch.undo()
        fresh = generate_repo(8, tmp_path / "fresh")
        with Index.open(open_repository(fresh)) as alone:
            alone.refresh()
            for words in _SEARCHES:
                assert second.search(words) == alone.search(words)
    finally:
        first.close()
        second.close()


_CHANGES = st.sampled_from(["edit", "delete", "invalid", "same"])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=st.lists(_CHANGES, min_size=5, max_size=5), added=st.integers(0, 3))
def test_a_refresh_raced_by_another_stores_what_one_refresh_alone_stores(
    tmp_path_factory: pytest.TempPathFactory, changes: list[str], added: int
) -> None:
    """Records edited, deleted, made invalid or added after both indexes were current;
    one refresh reads the index, the other stores the changes, the first goes on: the
    index holds what a single refresh stores (each notes row once, stale data kept)."""
    base = tmp_path_factory.mktemp("race")
    root = generate_repo(5, base / "r")
    repo = open_repository(root)
    with Index.open(repo) as index:
        index.refresh()
    alone_root = base / "alone"
    shutil.copytree(root, alone_root)
    clients = [root / "clients", alone_root / "clients"]
    for i, change in enumerate(changes):
        for folder in clients:
            path = folder / f"client-{i:05d}.md"
            if change == "edit":
                path.write_text(path.read_text("utf-8") + f"\nCoach plan {i}.\n", "utf-8")
            elif change == "delete":
                path.unlink()
            elif change == "invalid":
                path.write_text(path.read_text("utf-8").replace("stage:", "stage: [", 1), "utf-8")
    if added:
        extra = generate_repo(5 + added, base / "extra")
        for i in range(5, 5 + added):
            for folder in clients:
                shutil.copy(extra / "clients" / f"client-{i:05d}.md", folder)
    first, second = Index.open(repo), Index.open(repo)
    try:
        with pytest.MonkeyPatch.context() as patch:
            ran = _between(patch, first)
            second.refresh()
        assert ran == [True] or (changes == ["same"] * 5 and not added)  # nothing to look at
        _consistent(second)
        with Index.open(open_repository(alone_root)) as alone:
            alone.refresh()
            assert _snapshot(second) == _snapshot(alone)
            for words in _SEARCHES:
                assert second.search(words) == alone.search(words)
    finally:
        first.close()
        second.close()


# -- a cold build killed at any moment ----------------------------------------------------
#
# The build runs in a real process that SIGKILLs itself at a chosen point: after storing
# `k` of the parsed records inside the first bulk transaction (the rollback journal is
# hot), after the commit and before the switch back to WAL, or while the new file's
# fingerprint is being written.  Whatever is left, the next commands answer as a fresh
# build does: never a half index, never an error.

_KILLED_BUILD = r"""
import os, signal, sys
from sortext.store import index as index_module
from sortext.store.index import Index
from tests.conftest import wait_past_racy_window
where, k = sys.argv[1], int(sys.argv[2])
index_module.BULK_JOURNAL_MIN = 3  # the rollback-journal path with a few records
real_store, real_settle, real_connect = Index._store, Index._settle_journal, Index._connect

def store(self, parsed, known):
    if where == "store":
        real_store(self, parsed[:k], known)
        os.kill(os.getpid(), signal.SIGKILL)
    real_store(self, parsed, known)

def settle(self):
    if where == "settle" and self._journal_pending:
        os.kill(os.getpid(), signal.SIGKILL)
    real_settle(self)

def connect(path):
    conn = real_connect(path)
    if where == "fingerprint":
        conn.set_authorizer(lambda action, table, *rest: (
            os.kill(os.getpid(), signal.SIGKILL) if table == "meta" and action == 18 else 0
        ))  # 18: SQLITE_INSERT into meta (the new file's fingerprint)
    return conn

Index._store, Index._settle_journal = store, settle
Index._connect = staticmethod(connect)
sys.argv = ["sortext", "build", "--repo", sys.argv[3]]
from sortext.cli import main
main()
"""

_ASKED = (("next", "--json"), ("list", "--json"), ("search", "--json", "coach"), ("check",))


@pytest.fixture(scope="module")
def answers_of_a_fresh_build(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Any]:
    """For each repository size the property uses, the commands' answers after a fresh
    build (computed once)."""
    return {}


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    records=st.integers(3, 9),
    where=st.sampled_from(["store", "settle", "fingerprint"]),
    fraction=st.floats(0, 1),
)
def test_a_cold_build_killed_anywhere_leaves_nothing_half_read(
    tmp_path_factory: pytest.TempPathFactory,
    answers_of_a_fresh_build: dict[int, Any],
    records: int,
    where: str,
    fraction: float,
) -> None:
    base = tmp_path_factory.mktemp("killed")
    if records not in answers_of_a_fresh_build:
        fresh = generate_repo(records, base / "fresh")
        assert _sortext(fresh, "build").returncode == 0
        answers_of_a_fresh_build[records] = {q: _answer(fresh, q) for q in _ASKED}
    expected = answers_of_a_fresh_build[records]
    root = generate_repo(records, base / "r")
    stored = round(fraction * records)
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_BUILD, where, str(stored), str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr  # it died where it was told to
    for query in _ASKED:
        assert _answer(root, query) == expected[query], query
    with Index.open(open_repository(root)) as index:
        _consistent(index)
        assert len(index.entries()) == records
    assert _sortext(root, "build").returncode == 0


def _answer(root: Path, query: tuple[str, ...]) -> tuple[int, str, str]:
    result = _sortext(root, *query)
    _assert_not_internal(result)
    return result.returncode, result.stdout, result.stderr


# -- a running watcher's word and an index that is not the one it vouched for -------------
#
# With a watcher running, a query skips its stat pass when the watcher vouches that "the
# index" holds every save (files.watchmark).  The word named no index: deleting the index
# file (or emptying it, or copying another repository's in) left the marker standing, and
# `next` printed an empty list with exit 0 from the new, empty index.


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def watching(tmp_path: Path) -> Any:
    root = generate_repo(6, tmp_path / "r")
    shutil.copy(Path(__file__).resolve().parent.parent / ".gitignore", root / ".gitignore")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.email", "t@sortext.invalid")
    _git(root, "config", "user.name", "T")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "records")
    env = dict(os.environ, SORTEXT_TODAY="2026-12-01")
    watcher = subprocess.Popen(
        [sys.executable, "-m", "sortext", "watch", "--debounce", "50", "--repo", str(root)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(StateDir(root).watch_current, watcher)  # it vouches for its index
        yield root
    finally:
        watcher.terminate()
        watcher.wait(timeout=DEADLINE)


@pytest.mark.parametrize("how", ["deleted", "emptied", "another repository's"])
def test_a_watchers_word_is_for_its_own_index(watching: Path, how: str, tmp_path: Path) -> None:
    root = watching
    expected = _sortext(root, "next", "--json")
    assert expected.returncode == 0
    assert expected.stdout.count('"id"') == 6
    index = StateDir(root).index
    for suffix in ("-wal", "-shm"):
        Path(f"{index}{suffix}").unlink(missing_ok=True)
    if how == "deleted":
        index.unlink()
    elif how == "emptied":
        index.write_bytes(b"")
    else:
        other = generate_repo(2, tmp_path / "other")
        assert _sortext(other, "build").returncode == 0
        shutil.copy(StateDir(other).index, index)
    assert StateDir(root).watch_current.exists()  # the watcher saw nothing change
    got = _sortext(root, "next", "--json")
    assert got.returncode == 0, got.stderr
    assert got.stdout == expected.stdout
