"""Helpers for the watcher tests: run a real ``sortext watch`` process and wait on git."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.crash_harness import watch_argv
from tests.conftest import SAMPLE_TODAY, git


class Daemon:
    """A ``sortext watch`` child process with its log in a file."""

    def __init__(
        self, root: Path, *extra: str, debounce_ms: int = 100, pinned_today: bool = True
    ) -> None:
        """``pinned_today``: SORTEXT_TODAY is the sample day (False: the real date)."""
        self.root = root
        self.log_path = root.parent / f"watch-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        env = dict(os.environ, SORTEXT_TODAY=SAMPLE_TODAY, PYTHONUNBUFFERED="1")
        if not pinned_today:
            del env["SORTEXT_TODAY"]
        self.proc = subprocess.Popen(
            watch_argv(root, debounce_ms, *extra),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 30.0) -> None:
        wait_for(lambda: "ready:" in self.log, timeout, lambda: self.log)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._log.close()
        return code


def wait_for(
    condition: Callable[[], object],
    timeout: float = 10.0,
    explain: Callable[[], str] | None = None,
) -> None:
    """Poll ``condition`` until true; fail the test with ``explain()`` on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.03)
    raise AssertionError(f"timed out after {timeout}s" + (f"\n{explain()}" if explain else ""))


def commit_count(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD").strip())


def last_message(root: Path) -> str:
    return git(root, "log", "-1", "--format=%B").strip()


def wait_commits(
    root: Path, count: int, daemon: Daemon | None = None, timeout: float = 15.0
) -> None:
    wait_for(
        lambda: commit_count(root) >= count,
        timeout,
        lambda: (daemon.log if daemon else "") + git(root, "log", "--oneline"),
    )


def clean_status(root: Path, folder: str = "clients") -> str:
    return git(root, "status", "--porcelain", "--", folder)


def settled(root: Path) -> int:
    """The watcher's settle counter (``settled`` in .sortext/watch.json; 0 before any)."""
    from sortext.daemon.state import read_json

    value = read_json(root / ".sortext" / "watch.json").get("settled")
    return value if isinstance(value, int) else 0


def wait_settled(
    root: Path, after: int, daemon: Daemon | None = None, timeout: float = 20.0
) -> int:
    """Wait until the watcher finished a batch after ``after`` with nothing pending:
    the event to wait on before asserting that something did *not* happen."""
    from sortext.daemon.state import read_json

    def done() -> bool:
        state = read_json(root / ".sortext" / "watch.json")
        count = state.get("settled")
        return isinstance(count, int) and count > after and state.get("pending") == 0

    wait_for(done, timeout, lambda: daemon.log if daemon else "")
    return settled(root)


def pages_for(root: Path, ref: str = "sortext-pages") -> str:
    """The records commit the newest pages commit was built from ("" when none)."""
    proc = subprocess.run(
        ["git", "log", "-1", "--format=%s", ref], cwd=root, capture_output=True, text=True
    )
    subject = proc.stdout.strip()
    return subject.removeprefix("pages for ") if proc.returncode == 0 else ""


def wait_published(root: Path, daemon: Daemon | None = None, timeout: float = 20.0) -> str:
    """Wait until the pages branch names HEAD; returns HEAD."""
    head = git(root, "rev-parse", "HEAD").strip()
    wait_for(
        lambda: pages_for(root) == head,
        timeout,
        lambda: (daemon.log if daemon else "") + git(root, "log", "--oneline", "--all"),
    )
    return head


def idle_mark(root: Path, daemon: Daemon | None = None, timeout: float = 20.0) -> int:
    """Wait until the watcher has finished with HEAD (its state names HEAD as its last
    commit or as published, or as seen on a branch whose pages it does not publish;
    nothing pending) and return its settle counter: a mark
    to pass to :func:`wait_settled` before the next action."""
    from sortext.daemon.state import read_json

    def done() -> bool:
        state = read_json(root / ".sortext" / "watch.json")
        head = git(root, "rev-parse", "HEAD").strip()
        last = state.get("last_commit") or {}
        at_head = last.get("id") == head or state.get("published_for") == head
        # on a branch whose pages are not published (another branch's are: pagesource)
        held = bool((state.get("pages") or {}).get("held")) and state.get("head") == head
        return bool(at_head or held) and state.get("pending") == 0

    wait_for(done, timeout, lambda: daemon.log if daemon else "")
    return settled(root)


def replies_refreshed(root: Path, asked: Sequence[Sequence[str]]) -> bool:
    """Whether the watcher marked its state current and the questions asked today (the
    newest eight) are as many as ``asked``, each with its reply remembered under the
    current key (a replay the next time it is asked)."""
    from sortext.files.state import StateDir
    from sortext.views.recall import Refresh, questions

    if not StateDir(root).watch_current.exists():
        return False
    found = questions(root, 8)
    return len(found) == len(asked) and all(Refresh(root, q).remembered for q in found)


def saved_and_refreshed(
    root: Path, asked: Sequence[Sequence[str]], daemon: Daemon, rel: str, pattern: str, new: str
) -> None:
    """Save ``rel`` with the first match of ``pattern`` (multiline regex) changed to
    ``new``; wait (30 s at most) until the save is committed and the ``asked``
    questions' replies are refreshed (:func:`replies_refreshed`)."""
    from tests.dated import replace

    commits = commit_count(root)
    replace(root / rel, pattern, new)
    wait_for(
        lambda: commit_count(root) > commits and replies_refreshed(root, asked),
        30,
        lambda: daemon.log,
    )


def children() -> list[int]:
    """The pids of this process's children (Linux: ``/proc``)."""
    found: list[int] = []
    for task in os.listdir(f"/proc/{os.getpid()}/task"):
        try:
            text = Path(f"/proc/{os.getpid()}/task/{task}/children").read_text()
        except OSError:
            continue
        found += [int(pid) for pid in text.split()]
    return found
