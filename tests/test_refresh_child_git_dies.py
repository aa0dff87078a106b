"""The git a refresh child started dies with the child.

Every git sortext runs led a process group of its own (so a timeout also ends what
git started), and the watcher stopped its refresh child with ``proc.kill()``: a child
killed by SIGKILL (the out-of-memory killer, ``kill -9``, the watcher's own stop when
a save arrives) left its git, and what git was running (a hook, ssh), running as
orphans.  The child now keeps its git in its own process group
(:data:`sortext.commands.watch.SHARE_GROUP`), and the watcher kills that whole group
once the child has ended, before it reaps it.

Real processes: a "watcher" runs a :class:`RefreshChild` whose child (the real
SENTRY and SHARE_GROUP) runs real git through ``sortext.vcs.git.run_full`` as the
refresh does: ``git hook run`` of a hook that sleeps, so git and the hook's shell are
there to outlive the child.  The test kills the child (or lets the watcher stop it)
and waits for every process it had started to exit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.proctree import comm, descendants, parent

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

DEADLINE = 15.0

WATCHER = """
import sys
from pathlib import Path
from sortext.commands import watch
import sortext.views.recall as recall

recall.questions = lambda *a, **k: [{"parts": ["next"]}]  # a question pending: a child
watch._CHILD = watch.SENTRY + watch.SHARE_GROUP + (
    "from pathlib import Path\\n"
    "from sortext.vcs import git\\n"
    "git.run_full(Path(sys.argv[1]), 'hook', 'run', 'sortext-test-sleep', timeout=600)\\n"
)
stop = Path(sys.argv[1]) / "stop-now"
child = watch.RefreshChild(stopping=lambda: False)
print(child(Path(sys.argv[1]), stop.exists), flush=True)
"""


def _alive(pid: int) -> bool:
    """Running (a zombie, waited for by no one yet, has died)."""
    try:
        stat_ = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat_[stat_.rfind(b")") + 2 :].split()[0] != b"Z"


def _repo(root: Path) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True, timeout=DEADLINE)
    hook = root / ".git" / "hooks" / "sortext-test-sleep"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text("#!/bin/sh\nsleep 600\necho done\n", encoding="utf-8")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)


def _run(root: Path, how: str) -> None:
    """Start the watcher, wait for the child's git and the hook's sleep, end the child
    ``how`` (``sigkill``: killed from here; ``hurry``: the watcher stops it), and wait
    for every process the child had started to exit."""
    (root / "stop-now").unlink(missing_ok=True)
    watcher = subprocess.Popen(
        [sys.executable, "-c", WATCHER, str(root)],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started: list[int] = []
    try:
        deadline = time.monotonic() + DEADLINE
        child = None
        while child is None or not any(comm(p) == "sleep" for p in started):
            assert watcher.poll() is None, watcher.communicate()
            assert time.monotonic() < deadline, "the refresh child's git never ran its hook"
            kids = [p for p in descendants(watcher.pid) if parent(p) == watcher.pid]
            child = kids[0] if kids else None
            started = descendants(child) if child is not None else []
            time.sleep(0.01)
        assert child is not None and any(comm(p) == "git" for p in started), started
        if how == "sigkill":
            os.kill(child, signal.SIGKILL)
        else:
            (root / "stop-now").write_text("", encoding="utf-8")
        out, err = watcher.communicate(timeout=DEADLINE)
        assert out.strip() == ("None" if how == "hurry" else "-9"), (out, err)
        while [p for p in started if _alive(p)]:
            left = {p: comm(p) for p in started if _alive(p)}
            assert time.monotonic() < deadline, f"outlived the refresh child: {left}"
            time.sleep(0.01)
    finally:
        for pid in [*descendants(watcher.pid), *started]:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        watcher.kill()
        watcher.wait()


@pytest.mark.parametrize("how", ["sigkill", "hurry"])
def test_the_git_a_refresh_child_started_dies_with_it(tmp_path: Path, how: str) -> None:
    _repo(tmp_path)
    _run(tmp_path, how)


@settings(
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    deadline=None,
    max_examples=4,
)
@given(how=st.sampled_from(["sigkill", "hurry"]), runs=st.integers(1, 2))
def test_no_refresh_child_ever_leaves_a_git_behind(
    tmp_path_factory: pytest.TempPathFactory, how: str, runs: int
) -> None:
    """However the child ends, and over several refreshes in a row (the pid of one may
    be the group id of the next), nothing it started runs on."""
    root = tmp_path_factory.mktemp("repo")
    _repo(root)
    for _ in range(runs):
        _run(root, how)


def test_the_real_child_shares_its_group_with_its_git() -> None:
    from sortext.commands import watch

    assert watch.SHARE_GROUP in watch._CHILD
    assert watch._CHILD.index(watch.SHARE_GROUP) > watch._CHILD.index("sys.path.insert")
