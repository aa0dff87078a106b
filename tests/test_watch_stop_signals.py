"""A stop that reaches the watcher and its refresh child together is not the child's
failure (tidy10 item 1).

systemd's default KillMode (control-group) sends SIGTERM to every process of the
unit at once: the refresh child, in a session of its own, dies of it as the watcher
stops, and the watcher logged 'its process failed: killed by SIGTERM'.  The same
signal sent to the child alone while the watcher keeps running is a failure, told
once.

Real processes: a real ``sortext watch`` in a session of its own, its real refresh
child, real signals.  To have the child alive when the signals are sent, the watcher
runs with a ``sitecustomize`` on its PYTHONPATH that holds the refresh child (and only
it: ``python -P -c``) before it starts, noting its pid in a file, until a release file
appears: a slow refresh, the child otherwise the one the watcher runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.crash_harness import watch_argv
from tests.conftest import SAMPLE_TODAY
from tests.dated import replace
from tests.test_query_recall import NORTHWIND, _dated
from tests.test_recall_line import _entry, _env
from tests.test_watch_refresh import _line
from tests.watchkit import commit_count, wait_for

_HOLD = """
import os, sys, time
_dir = os.environ.get("SORTEXT_TEST_HOLD")
if _dir and sys.argv[:1] == ["-c"] and sys.flags.safe_path:  # the refresh child only
    open(os.path.join(_dir, "child-%d" % os.getpid()), "w").close()
    _end = time.monotonic() + 120
    while not os.path.exists(os.path.join(_dir, "release")) and time.monotonic() < _end:
        time.sleep(0.01)
"""

_FAILED = "its process failed: killed by SIGTERM"


class HeldWatcher:
    """``sortext watch`` in a session of its own whose refresh children wait for a
    release file before they start (see the module's docstring)."""

    def __init__(self, root: Path, tmp: Path) -> None:
        self.root = root
        self.hold = tmp / f"hold-{time.monotonic_ns()}"
        self.hold.mkdir()
        (self.hold / "sitecustomize.py").write_text(_HOLD)
        self.log_path = tmp / f"watch-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in close()
        path = os.environ.get("PYTHONPATH")
        env = dict(
            os.environ,
            SORTEXT_TODAY=SAMPLE_TODAY,
            PYTHONUNBUFFERED="1",
            SORTEXT_TEST_HOLD=str(self.hold),
            PYTHONPATH=str(self.hold) + (os.pathsep + path if path else ""),
        )
        self.proc = subprocess.Popen(
            watch_argv(root, 100),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # as under a service manager: not this test's group
        )
        self.seen: set[int] = set()

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def held_child(self, timeout: float = 30.0) -> int:
        """Wait for a refresh child not seen before to be held; its pid."""
        found: list[int] = []

        def new() -> bool:
            pids = {int(p.name[6:]) for p in self.hold.glob("child-*")}
            found[:] = sorted(pids - self.seen)
            return bool(found)

        wait_for(new, timeout, lambda: self.log)
        self.seen.add(found[0])
        return found[0]

    def save(self, name: str) -> None:
        """Change Northwind's name and wait for the watcher to commit it."""
        commits = commit_count(self.root)
        replace(self.root / NORTHWIND, r"^name: .*", f"name: {name}")
        wait_for(lambda: commit_count(self.root) > commits, 30, lambda: self.log)

    def release(self) -> None:
        (self.hold / "release").touch()

    def close(self) -> None:
        self.release()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
        # (a held child the watcher left is released above: it finishes by itself; its
        # pid is not killed here, it may be another process's by now)


@pytest.fixture
def held(records_repo: Path, tmp_path: Path) -> Iterator[tuple[HeldWatcher, dict[str, str]]]:
    from sortext.files.state import StateDir

    root = _dated(records_repo)
    env = _env(tmp_path)
    watcher = HeldWatcher(root, tmp_path)
    try:
        wait_for(lambda: "ready:" in watcher.log, 30, lambda: watcher.log)
        wait_for(StateDir(root).watch_current.exists, 20, lambda: watcher.log)
        yield watcher, env
    finally:
        watcher.close()


def _ask(watcher: HeldWatcher, env: dict[str, str]) -> None:
    """A question asked since the last refresh: the next save starts a child (a
    command line records its question once the index has it: asked twice)."""
    for _ in range(2):
        _entry(watcher.root, _line(("next",)), env)


@pytest.mark.parametrize("child_first", [True, False], ids=["child-first", "watcher-first"])
def test_a_stop_reaching_the_watcher_and_its_child_together_is_not_a_failure(
    held: tuple[HeldWatcher, dict[str, str]], child_first: bool
) -> None:
    """SIGTERM to the watcher and its held refresh child back to back, in both orders
    (a service manager's kill loop takes its processes in any order): the watcher
    stops cleanly and tells no failure."""
    watcher, env = held
    _ask(watcher, env)
    watcher.save("Northwind Bakerz")
    child = watcher.held_child()
    pids = [child, watcher.proc.pid] if child_first else [watcher.proc.pid, child]
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    assert watcher.proc.wait(30) == 0, watcher.log
    log = watcher.log
    assert "received SIGTERM: finishing" in log
    assert "stopped" in log
    assert "process failed" not in log, log


def test_a_sigterm_to_the_child_alone_is_told_once_and_the_watcher_goes_on(
    held: tuple[HeldWatcher, dict[str, str]],
) -> None:
    """The same signal to the child alone, twice, while the watcher runs: one warning
    (told once per cause), and the watcher still commits and refreshes."""
    from tests.watchkit import replies_refreshed

    watcher, env = held
    for name in ("Northwind Bakerz", "Northwind Bakerx"):
        _ask(watcher, env)
        watcher.save(name)
        os.kill(watcher.held_child(), signal.SIGTERM)
        wait_for(lambda: _FAILED in watcher.log, 30, lambda: watcher.log)
    # the page thread runs its tasks in order: once a later child's refresh is done,
    # the second child's death has been dealt with
    watcher.release()
    _ask(watcher, env)
    watcher.save("Northwind Bakery")
    watcher.held_child()
    wait_for(lambda: replies_refreshed(watcher.root, [("next",)]), 30, lambda: watcher.log)
    assert watcher.proc.poll() is None, watcher.log
    assert watcher.log.count(_FAILED) == 1, watcher.log
    assert "still watching; said once" in watcher.log


_CODES = st.one_of(
    st.integers(min_value=-64, max_value=255),
    st.sampled_from([-signal.SIGTERM, -signal.SIGINT, -signal.SIGKILL, -signal.SIGHUP]),
)


@given(code=_CODES, stopping=st.booleans(), attached=st.booleans())
@settings(max_examples=200)
def test_only_a_stop_signal_while_the_watcher_stops_is_the_watchers_own_stop(
    code: int, stopping: bool, attached: bool
) -> None:
    """Whatever the child's exit status: its death is the watcher's own stop (never
    told) only when it is SIGTERM or SIGINT and the watcher is stopping; anything else
    (another signal, an exit status, the watcher running on, no watcher) is told."""
    from sortext.commands import watch

    child = watch.RefreshChild((lambda: stopping) if attached else None)
    saved = watch.STOP_GRACE
    watch.STOP_GRACE = 0.0  # the watcher running on: no wait for a stop that never comes
    try:
        got = child._stopped_with_watcher(code)
    finally:
        watch.STOP_GRACE = saved
    expected = attached and stopping and code in (-signal.SIGTERM, -signal.SIGINT)
    assert got is expected
