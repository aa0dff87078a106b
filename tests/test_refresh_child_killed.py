"""A refresh child killed by someone else is told at once; one that died of the
watcher's own stop (its service manager signalling the whole group) is not.

The watcher guessed from timing: a child dying of SIGTERM or SIGINT waited up to
STOP_GRACE (3 s) for the watcher to be seen stopping, so a kill by another hand was told
3 s late, and one within 3 s of the watcher's stop was never told.  The child now says
who signalled it (``sigwaitinfo``'s sender pid): a sender that is not one of the
watcher's ancestors sent the signal to the child alone.

Real processes and real signals: a "watcher" process runs a :class:`RefreshChild` whose
child sleeps (so it is there to be killed); the signals come from a separate ``kill``
process (someone else) or from the watcher's parent (its manager).  The tests wait on
events: the child existing with its signals blocked (``/proc``), the watcher's exit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

DEADLINE = 60.0

#: A watcher: its SIGTERM handler sets a flag (as WatchService's does), stopping() reads
#: it; the child sleeps; prints what the refresh returned.  argv[1]: STOP_GRACE.
WATCHER = """
import logging, signal, sys
from pathlib import Path
from sortext.commands import watch
import sortext.views.recall as recall

logging.basicConfig(level=logging.WARNING, format="%(message)s")
recall.questions = lambda *a, **k: [{"parts": ["next"]}]  # a question pending: a child
watch._CHILD = watch.SENTRY + "import time\\ntime.sleep(600)\\n"
watch.STOP_GRACE = float(sys.argv[1])
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
child = watch.RefreshChild(stopping=lambda: bool(stop))
print(child(Path("."), lambda: False), flush=True)
"""


def _children(pid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_bytes()
        except OSError:
            continue
        if int(stat[stat.rfind(b")") + 2 :].split()[1]) == pid:
            found.append(int(name))
    return found


def _blocks_stops(pid: int) -> bool:
    """Whether ``pid`` has SIGTERM and SIGINT blocked (its sentry is in place)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    for line in status.splitlines():
        if line.startswith("SigBlk:"):
            mask = int(line.split()[1], 16)
            wanted = (1 << (signal.SIGTERM - 1)) | (1 << (signal.SIGINT - 1))
            return mask & wanted == wanted
    return False


def _start(tmp_path: Path, grace: float) -> tuple[subprocess.Popen[str], int]:
    """The watcher, and its refresh child once the child's sentry is in place."""
    watcher = subprocess.Popen(
        [sys.executable, "-c", WATCHER, str(grace)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + DEADLINE
    while True:
        assert watcher.poll() is None, watcher.communicate()
        assert time.monotonic() < deadline, "the refresh child never started"
        ready = [pid for pid in _children(watcher.pid) if _blocks_stops(pid)]
        if ready:
            return watcher, ready[0]
        time.sleep(0.01)


def _kill_from_elsewhere(pid: int) -> None:
    """SIGTERM sent by a process that is not the watcher's ancestor (``kill``)."""
    subprocess.run(["kill", "-TERM", str(pid)], check=True, timeout=30)


def test_a_child_killed_by_someone_else_is_told_at_once(tmp_path: Path) -> None:
    """The watcher keeps running: told without waiting for a grace (here 600 s: the
    old watcher sat in it for the whole test's deadline)."""
    watcher, child = _start(tmp_path, grace=600.0)
    try:
        _kill_from_elsewhere(child)
        out, err = watcher.communicate(timeout=DEADLINE)
    finally:
        watcher.kill()
    assert out.strip() == str(-signal.SIGTERM), (out, err)
    assert "killed by SIGTERM from process" in err, err


def test_a_child_killed_by_someone_else_while_the_watcher_stops_is_told(
    tmp_path: Path,
) -> None:
    """The watcher is stopping too (its own SIGTERM, from its manager), but the child's
    SIGTERM came from someone else: told (the old watcher took it for its own stop)."""
    watcher, child = _start(tmp_path, grace=600.0)
    try:
        os.kill(watcher.pid, signal.SIGTERM)
        _kill_from_elsewhere(child)
        out, err = watcher.communicate(timeout=DEADLINE)
    finally:
        watcher.kill()
    assert out.strip() == str(-signal.SIGTERM), (out, err)
    assert "killed by SIGTERM from process" in err, err


def test_a_child_killed_with_the_watcher_by_its_manager_is_not_told(tmp_path: Path) -> None:
    """This test process is the watcher's parent (its manager): it signals the child
    and the watcher together, as systemd stops a control group.  Not a failure."""
    watcher, child = _start(tmp_path, grace=DEADLINE)
    try:
        os.kill(child, signal.SIGTERM)
        os.kill(watcher.pid, signal.SIGTERM)
        out, err = watcher.communicate(timeout=DEADLINE)
    finally:
        watcher.kill()
    assert out.strip() == "None", (out, err)
    assert "failed" not in err, err


def test_the_sender_is_read_from_the_child_s_last_word() -> None:
    from sortext.commands.watch import KILLED_BY, _sender

    said = b"noise\n" + KILLED_BY.encode() + b" 15 4242\n"
    assert _sender(said, -signal.SIGTERM) == 4242
    assert _sender(said, -signal.SIGINT) is None  # another signal killed it
    assert _sender(b"Traceback...\n", -signal.SIGTERM) is None
