"""Who holds an SQLite file's lock is read from the kernel's lock table, never by
opening the file: closing a descriptor drops every POSIX lock this process holds on
that file, so the old ``F_GETLK`` on a descriptor of our own took away our own SQLite
connection's locks (its read snapshot) while SQLite believed it held them.

The kernel is the oracle: a child process holds real record locks, and the answer read
from ``/proc/locks`` is compared with what ``F_GETLK`` says for the same bytes (asked
here, where this process holds no lock on the file, so closing that descriptor costs
nothing).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.store.writer import _holder_in, lock_holder

LOCKS = Path("/proc/locks")
pytestmark = pytest.mark.skipif(not LOCKS.exists(), reason="no /proc/locks here")

#: Takes the record locks given as "start:length:kind" arguments (kind r or w; length 0
#: means to the end of the file), says "held", and keeps them until stdin closes.
HOLD = """
import fcntl, sys
f = open(sys.argv[1], "r+b")
for spec in sys.argv[2:]:
    start, length, kind = spec.split(":")
    how = fcntl.LOCK_SH if kind == "r" else fcntl.LOCK_EX
    fcntl.lockf(f, how | fcntl.LOCK_NB, int(length), int(start))
print("held", flush=True)
sys.stdin.read()
"""


@pytest.fixture(scope="module")
def lockable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One file for every example: each example's children have released their locks
    (exited) before the next begins."""
    path = tmp_path_factory.mktemp("locks") / "file.bin"
    path.write_bytes(b"\0" * 4096)
    yield path


def _hold(path: Path, specs: list[str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), *specs],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"  # the event: the locks are taken
    return proc


def _release(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(30)


def _kernel_says(path: Path, start: int, length: int) -> int | None:
    """F_GETLK's holder of a write lock on ``start``..``start+length-1`` (None: free)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        ask = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, start, length, 0)
        kind, _, _, _, pid = struct.unpack("hhqqi", fcntl.fcntl(fd, fcntl.F_GETLK, ask))
    finally:
        os.close(fd)
    return None if kind == fcntl.F_UNLCK else int(pid)


def _file_id(path: Path) -> tuple[int, int, int]:
    st = os.stat(path)
    return os.major(st.st_dev), os.minor(st.st_dev), st.st_ino


SPAN = st.tuples(st.integers(0, 300), st.integers(0, 40))


@settings(max_examples=40)  # each example starts up to three processes
@given(
    held=st.one_of(  # locks that can be held together: one of either kind, or readers
        st.tuples(SPAN, st.sampled_from("rw")).map(lambda lock: [lock]),
        st.lists(st.tuples(SPAN, st.just("r")), min_size=2, max_size=3),
    ),
    asked=st.tuples(st.integers(0, 400), st.integers(1, 60)),
)
def test_the_lock_table_names_the_holder_the_kernel_names(
    lockable: Path, held: list[tuple[tuple[int, int], str]], asked: tuple[int, int]
) -> None:
    # one child per lock, so that overlapping locks of one process cannot merge
    procs = [_hold(lockable, [f"{start}:{length}:{kind}"]) for (start, length), kind in held]
    try:
        start, length = asked
        expected = _kernel_says(lockable, start, length)
        found = _holder_in(
            LOCKS.read_text(), _file_id(lockable), start, start + length - 1, os.getpid()
        )
        assert (found is None) == (expected is None)
        if found is not None:
            assert found in {p.pid for p in procs}
    finally:
        for proc in procs:
            _release(proc)


def test_asking_who_holds_the_index_keeps_our_own_connections_locks(tmp_path: Path) -> None:
    """The old F_GETLK closed a descriptor of the database in this process, which
    dropped our connection's shared lock: another process could then write under our
    open read transaction."""
    path = tmp_path / "index.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.execute("BEGIN")
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)  # a SHARED lock now
    assert lock_holder(path) is None  # no other process holds it; we asked
    writer = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys\n"
            "c = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)\n"
            "try:\n"
            "    c.execute('BEGIN EXCLUSIVE')\n"
            "except sqlite3.OperationalError as e:\n"
            "    print('refused', e)\n"
            "else:\n"
            "    print('granted')\n",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    conn.execute("COMMIT")
    conn.close()
    assert writer.stdout.startswith("refused"), writer.stdout + writer.stderr


def test_a_holder_of_the_shm_locks_is_named(tmp_path: Path) -> None:
    """A WAL reader or writer holds bytes of the ``-shm`` file, not of the database."""
    path = tmp_path / "index.sqlite"
    shm = Path(f"{path}-shm")
    path.write_bytes(b"")
    shm.write_bytes(b"\0" * 32768)
    proc = _hold(shm, ["120:1:w"])
    try:
        assert lock_holder(path) == proc.pid
    finally:
        _release(proc)
    assert lock_holder(path) is None


@pytest.mark.parametrize(
    "line",
    [
        "1: -> POSIX  ADVISORY  WRITE 99 00:1f:7 0 EOF",  # a waiter, not a holder
        "1: FLOCK  ADVISORY  WRITE 99 00:1f:7 0 EOF",
        "1: OFDLCK ADVISORY  WRITE -1 00:1f:7 0 EOF",
        "1: POSIX  ADVISORY  WRITE 99 00:1f:8 0 EOF",  # another file
        "1: POSIX  ADVISORY  WRITE 99 00:1f:7 0 9",  # before the bytes asked
        "garbage",
        "",
    ],
)
def test_lines_that_name_no_holder_of_these_bytes(line: str) -> None:
    assert _holder_in(line, (0, 0x1F, 7), 10, 20, os.getpid()) is None


def test_a_lock_to_the_end_of_the_file_covers_every_later_byte() -> None:
    line = "7: POSIX  ADVISORY  READ 4242 fd:01:7 5 EOF"
    assert _holder_in(line, (0xFD, 1, 7), 1 << 30, (1 << 30) + 511, os.getpid()) == 4242
    assert _holder_in(line, (0xFD, 1, 7), 10, 20, 4242) is None  # our own lock
