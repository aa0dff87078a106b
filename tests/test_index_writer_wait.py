"""A query started while another process writes the index waits for it as long as it
makes progress, and says who holds it when it does not: never an unexplained "busy".

A first build fills a new index in one long transaction (rollback journal: readers
wait for it); at 10,000 records on a loaded machine that is about a minute, and a
query started meanwhile failed "database is locked" after SQLite's 5 s busy wait.
Here a real process holds the index the same way (an exclusive transaction in
rollback mode): one that keeps working past SQLite's wait, one that holds it and
does nothing.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.files.state import StateDir
from sortext.repo import open_repository
from sortext.store import writer
from sortext.store.index import Index
from sortext.store.writer import IndexBusy, WriterWait, lock_holder

#: holds the index in an exclusive rollback-mode transaction for argv[2] seconds,
#: working (argv[3] == "work": its CPU time grows) or asleep; says "locked" when it holds
HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode=DELETE").fetchall()
conn.execute("BEGIN EXCLUSIVE")
conn.execute("INSERT OR REPLACE INTO meta VALUES ('holder', 'x')")
print("locked", flush=True)
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    if sys.argv[3] == "work":
        sum(range(20000))
    else:
        time.sleep(0.05)
conn.execute("COMMIT")
print("done", flush=True)
sys.stdin.read()
"""


def _indexed(root: Path) -> Path:
    with Index.open(open_repository(root)) as index:
        index.refresh()
    return StateDir(root).index


@pytest.fixture
def holder(records_repo: Path) -> Iterator[tuple[Path, list[subprocess.Popen[str]]]]:
    path = _indexed(records_repo)
    procs: list[subprocess.Popen[str]] = []
    yield path, procs
    for proc in procs:
        proc.kill()
        proc.wait()


def _hold(path: Path, seconds: float, how: str, procs: list[subprocess.Popen[str]]) -> int:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds), how],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    procs.append(proc)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"  # the event: it holds the file
    return proc.pid


def test_a_query_during_a_long_write_waits_for_it(
    records_repo: Path, holder: tuple[Path, list[subprocess.Popen[str]]]
) -> None:
    """Held (working) longer than SQLite's 5 s wait: the open waits and then answers."""
    path, procs = holder
    pid = _hold(path, 7.0, "work", procs)
    assert lock_holder(path) == pid
    began = time.monotonic()
    with Index.open(open_repository(records_repo)) as index:
        assert index.conn.execute("SELECT value FROM meta WHERE key = 'holder'").fetchone()
    assert time.monotonic() - began > 1.0  # it did wait for the holder's commit


def test_a_holder_that_makes_no_progress_is_named(
    records_repo: Path,
    holder: tuple[Path, list[subprocess.Popen[str]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, procs = holder
    pid = _hold(path, 600.0, "sleep", procs)
    monkeypatch.setattr(writer, "STALL", 1.0)
    with pytest.raises(IndexBusy) as caught:
        Index.open(open_repository(records_repo))
    assert caught.value.holder == pid
    assert f"process {pid} holds the index" in str(caught.value)
    assert "no progress" in str(caught.value)


def test_the_command_line_says_who_holds_it(
    records_repo: Path,
    holder: tuple[Path, list[subprocess.Popen[str]]],
) -> None:
    path, procs = holder
    pid = _hold(path, 600.0, "sleep", procs)
    script = (
        "import sys; from sortext.store import writer; writer.STALL = 1.0\n"
        "from sortext.cli import main; main(sys.argv[1:])"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "next",
            "--today",
            "2026-11-23",
            "--repo",
            str(records_repo),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"process {pid} holds the index" in done.stderr
    assert "internal error" not in done.stderr and "is busy: database is locked" not in done.stderr


@settings(max_examples=200, deadline=None)
@given(
    marks=st.lists(st.tuples(st.integers(0, 2), st.floats(0.0, 3.0)), min_size=1, max_size=30),
    stall=st.floats(0.5, 5.0),
)
def test_the_wait_ends_exactly_when_progress_stops_for_the_stall(
    tmp_path_factory: pytest.TempPathFactory,
    marks: list[tuple[int, float]],
    stall: float,
) -> None:
    """Each look sees a progress mark after some time: the wait goes on while the mark
    changed within ``stall`` seconds, and ends (IndexBusy) at the first look that finds
    it unchanged for that long."""
    now = [0.0]
    looks = iter(marks)
    current: list[object] = [None]
    wait = WriterWait(Path("/nonexistent/index.sqlite"), stall=stall, clock=lambda: now[0])
    wait.pause = lambda _s: None
    wait._progress = lambda: (None, current[0], ())  # type: ignore[method-assign]
    since: float | None = None
    last: object = object()
    for mark, step in looks:
        now[0] += step
        current[0] = mark
        if mark != last or since is None:
            last, since = mark, now[0]
        if now[0] - since >= stall:
            with pytest.raises(IndexBusy):
                wait.keep_waiting()
            return
        assert wait.keep_waiting() is True


WAL_HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT OR REPLACE INTO meta VALUES ('holder', 'x')")
print("locked", flush=True)
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    sum(range(20000))
conn.execute("COMMIT")
print("done", flush=True)
sys.stdin.read()
"""


def test_a_query_s_refresh_waits_for_a_long_write_in_wal(
    records_repo: Path, holder: tuple[Path, list[subprocess.Popen[str]]]
) -> None:
    """The index in WAL (readers never wait), a record changed: the query's refresh
    needs the write lock another process holds, working, past SQLite's 5 s wait."""
    path, procs = holder
    record = next((records_repo / "clients").glob("*.md"))
    record.write_text(record.read_text(encoding="utf-8") + "\nOne more line.\n", "utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-c", WAL_HOLDER, str(path), "7"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    procs.append(proc)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    with Index.open(open_repository(records_repo)) as index:
        stats = index.refresh()
        assert stats.parsed >= 1
        assert record.name in " ".join(stats.changed) or stats.parsed == 1
