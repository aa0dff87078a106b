"""A lock whose holder is no process here does not make a query wait for ever.

WriterWait took a holder pid that is not alive for "gone: its lock went with it" and
started its stall clock again at every look.  On this machine a dead process's POSIX
lock goes with it, so the next attempt succeeds; but F_GETLK can name a pid that is
not one of this machine's processes and whose lock stays: on NFS the lock daemon
reports the remote host's process id (a second machine building the index of a
shared folder, or a lock orphaned by a client that crashed).  Every look then saw a
dead holder, the clock restarted, and the query waited for ever without a word.

The lock manager of another host cannot run here, so the holder F_GETLK reports is
replaced by a real pid that has exited (the stand-in); the attempts are real SQLite
"busy" errors; the clock is injected and advanced by the pauses.
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from sortext.store import writer
from sortext.store.writer import STALL, IndexBusy, WriterWait


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _busy() -> None:
    raise sqlite3.OperationalError("database is locked")


def _waiter(path: Path) -> tuple[WriterWait, list[float]]:
    now = [0.0]

    def pause(seconds: float) -> None:
        now[0] += seconds
        if now[0] > 20 * STALL:
            raise AssertionError(f"still waiting after {now[0]:.0f} s")

    return WriterWait(path, clock=lambda: now[0], pause=pause), now


def test_a_holder_that_is_no_process_here_ends_the_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = _dead_pid()
    monkeypatch.setattr(writer, "lock_holder", lambda _path: dead)
    wait, now = _waiter(tmp_path / "index.sqlite")
    with pytest.raises(IndexBusy) as caught:
        wait.run(_busy)
    assert caught.value.holder == dead
    assert f"process {dead}" in str(caught.value)
    assert STALL <= now[0] <= STALL + 1.0


def test_a_holder_that_dies_still_gets_its_fresh_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A holder stalled almost STALL seconds that then dies: its lock went with it, the
    next attempt succeeds (the wait did not end at the look that found it dead)."""
    stuck = subprocess.Popen(["sleep", "600"])
    try:
        holders = [stuck.pid]
        monkeypatch.setattr(writer, "lock_holder", lambda _path: holders[0])
        wait, now = _waiter(tmp_path / "index.sqlite")
        tries = [0]

        def attempt() -> str:
            tries[0] += 1
            if now[0] >= STALL - 0.5 and holders[0] == stuck.pid:
                stuck.kill()
                stuck.wait()
            if now[0] >= STALL + 0.5:
                return "done"
            _busy()
            return "unreachable"

        assert wait.run(attempt) == "done"
    finally:
        stuck.kill()
        stuck.wait()
