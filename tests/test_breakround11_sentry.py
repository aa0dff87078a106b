"""A git process the watcher's refresh child starts can be stopped by SIGTERM/SIGINT.

The refresh child's SENTRY blocks SIGTERM and SIGINT (a thread takes them with
``sigwaitinfo`` to say who sent them).  A signal mask survives fork and exec, and
``subprocess.Popen`` runs no ``os.register_at_fork`` hook (it forks in C), so every
process the child started (git, and what git starts: ssh, hooks, credential helpers)
ran with both signals blocked: ``kill <git pid>``, a service manager's SIGTERM to the
control group, Ctrl-C reaching it, all stayed pending for ever; a git that hung (a
lock, a network stall) outlived the child the watcher killed and could only be
SIGKILLed.

Real processes: a "watcher" runs a RefreshChild whose child (the real SENTRY) starts
real git the way sortext does (``sortext.vcs.git.popen``: ``git cat-file --batch``,
which waits on its standard input for ever); the test finds that git in /proc, sends
it SIGTERM from here, and waits for it to die.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.proctree import comm, descendants

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

DEADLINE = 30.0

WATCHER = """
import sys
from pathlib import Path
from sortext.commands import watch
import sortext.views.recall as recall

recall.questions = lambda *a, **k: [{"parts": ["next"]}]  # a question pending: a child
watch._CHILD = watch.SENTRY + (
    "from pathlib import Path\\n"
    "from sortext.vcs import git\\n"
    "proc = git.popen(Path(sys.argv[1]), 'cat-file', '--batch', stdin=True)\\n"
    "print(proc.pid, file=sys.stderr, flush=True)\\n"
    "proc.wait()\\n"
)
child = watch.RefreshChild(stopping=lambda: False)
print(child(Path(sys.argv[1]), lambda: False), flush=True)
"""

_STOPS = (1 << (signal.SIGTERM - 1)) | (1 << (signal.SIGINT - 1))


def _blocked(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigBlk:"):
            return int(line.split()[1], 16)
    return 0


def _alive(pid: int) -> bool:
    """Running (a zombie, waited for by no one yet, has died)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] != b"Z"


def test_git_started_by_the_refresh_child_stops_on_sigterm(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=DEADLINE)
    watcher = subprocess.Popen(
        [sys.executable, "-c", WATCHER, str(tmp_path)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + DEADLINE
        git = None
        while git is None:
            assert watcher.poll() is None, watcher.communicate()
            assert time.monotonic() < deadline, "the refresh child's git never started"
            found = [pid for pid in descendants(watcher.pid) if comm(pid) == "git"]
            git = found[0] if found else None
            if git is None:
                time.sleep(0.01)
        assert _blocked(git) & _STOPS == 0, f"git's SigBlk {_blocked(git):x}"
        os.kill(git, signal.SIGTERM)
        while _alive(git):
            assert time.monotonic() < deadline, "git ignored SIGTERM"
            time.sleep(0.01)
        out, err = watcher.communicate(timeout=DEADLINE)
    finally:
        for pid in descendants(watcher.pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        watcher.kill()
        watcher.wait()
    assert out.strip() == "0", (out, err)  # the child saw git end and went on


def test_the_child_itself_still_blocks_the_stops_and_names_the_sender() -> None:
    """The fix unblocks only in what the child starts: the sentry still stands."""
    from sortext.commands.watch import KILLED_BY, SENTRY

    code = SENTRY + (
        "import subprocess\n"
        "subprocess.run(['true'], check=True)\n"
        "print(open('/proc/self/status').read().split('SigBlk:')[1].split()[0], flush=True)\n"
        "import time\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "", "", KILLED_BY],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        mask = int(proc.stdout.readline(), 16)
        assert mask & _STOPS == _STOPS
        os.kill(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=DEADLINE)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGTERM
    assert f"{KILLED_BY} {int(signal.SIGTERM)} {os.getpid()}".encode() in err
