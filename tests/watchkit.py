"""Helpers for the watcher tests: run a real ``sortext watch`` process and wait on git."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from bench.crash_harness import watch_argv
from tests.conftest import SAMPLE_TODAY, git


class Daemon:
    """A ``sortext watch`` child process with its log in a file."""

    def __init__(self, root: Path, *extra: str, debounce_ms: int = 100) -> None:
        self.root = root
        self.log_path = root.parent / f"watch-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        env = dict(os.environ, SORTEXT_TODAY=SAMPLE_TODAY, PYTHONUNBUFFERED="1")
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
