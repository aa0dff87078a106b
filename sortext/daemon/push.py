"""Backup push in the background: ``git push`` after commits, with backoff.

A push can take seconds or hang on a dead network; it must never hold up
validation, rendering or commits.  One worker thread pushes whenever it is
nudged, backs off after a failure (5 s doubling to 5 min), and records the
last success and the last error in ``.sortext/push.json`` for ``sortext
status`` and the pages.
"""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sortext.daemon.state import read_json, write_json
from sortext.files.state import StateDir

log = logging.getLogger("sortext.watch")

FIRST_BACKOFF = 5.0
MAX_BACKOFF = 300.0
PUSH_TIMEOUT = 120.0


@dataclass(frozen=True)
class BackupTarget:
    """Where to push: config ``backup: {remote: origin, branch: main}``."""

    remote: str
    branch: str

    @classmethod
    def from_config(cls, raw: Any) -> BackupTarget | None:
        if not isinstance(raw, dict) or not raw.get("remote"):
            return None
        return cls(str(raw["remote"]), str(raw.get("branch") or "main"))


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


class Pusher:
    """Owns the push thread; :meth:`nudge` after each commit, :meth:`stop` at shutdown."""

    def __init__(self, root: Path, target: BackupTarget, first_backoff: float = FIRST_BACKOFF):
        self.root = root
        self.target = target
        self.first_backoff = first_backoff
        self.status_path = StateDir(root).push_state
        self._wanted = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sortext-push", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def nudge(self) -> None:
        self._wanted.set()

    def stop(self, timeout: float = 2.0) -> None:
        self._stopping.set()
        self._wanted.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        backoff = self.first_backoff
        while not self._stopping.is_set():
            self._wanted.wait()
            if self._stopping.is_set():
                return
            self._wanted.clear()
            if self.push_once():
                backoff = self.first_backoff
                continue
            self._wanted.set()  # try again after the backoff
            if self._stopping.wait(backoff):
                return
            backoff = min(backoff * 2, MAX_BACKOFF)

    def push_once(self) -> bool:
        """One ``git push``; record the outcome; True on success."""
        status = read_json(self.status_path)
        status.update(remote=self.target.remote, branch=self.target.branch)
        try:
            proc = subprocess.run(
                ["git", "push", "--quiet", self.target.remote, f"HEAD:{self.target.branch}"],
                cwd=self.root,
                capture_output=True,
                timeout=PUSH_TIMEOUT,
                check=False,
                env=_no_prompt_env(),
            )
            ok = proc.returncode == 0
            error = proc.stderr.decode("utf-8", "replace").strip()
        except (OSError, subprocess.TimeoutExpired) as exc:
            ok, error = False, str(exc)
        if ok:
            status["last_success"] = _now()
            log.info("pushed to %s/%s", self.target.remote, self.target.branch)
        else:
            status["last_error"] = error.splitlines()[-1] if error else "git push failed"
            status["last_error_at"] = _now()
            log.warning("backup push to %s failed: %s", self.target.remote, status["last_error"])
        try:
            write_json(self.status_path, status)
        except Exception as exc:  # the status file is best effort; the push result stands
            log.warning("cannot record push status: %s", exc)
        return ok


def _no_prompt_env() -> dict[str, str]:
    """Never let a push wait for a password nobody will type."""
    import os

    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
    return env
