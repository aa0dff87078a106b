"""Backup push in the background: ``git push`` after commits, with backoff.

A push can take seconds or hang on a dead network; it must never hold up
validation, rendering or commits.  One worker thread pushes whenever it is
nudged, backs off after a failure (5 s doubling to 5 min), and records the
last success and the last error in ``.sortext/push.json`` for ``sortext
status`` and the pages.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sortext.daemon.state import read_json, write_json
from sortext.errors import SortextError
from sortext.files.state import StateDir
from sortext.vcs import git

log = logging.getLogger("sortext.watch")

FIRST_BACKOFF = 5.0
MAX_BACKOFF = 300.0
PUSH_TIMEOUT = git.NETWORK_TIMEOUT


@dataclass(frozen=True)
class BackupTarget:
    """Where to push: ``backup: {remotes: [origin], branch: main}`` (the one schema
    ``sortext backup``, ``sync``, ``check`` and the watcher read), plus the pages
    branch, force-pushed (only that branch is ever rewritten)."""

    remotes: tuple[str, ...]
    branch: str | None
    pages_ref: str | None = None

    @classmethod
    def from_config(cls, raw: Any, pages: Any = None) -> BackupTarget | None:
        """None when there is no ``backup`` section (the watcher then never pushes)."""
        from sortext.vcs.pages import PagesSettings
        from sortext.vcs.sync import backup_section

        if not isinstance(raw, dict):
            return None
        remotes, branch = backup_section(raw)
        try:
            pages_ref = PagesSettings.from_config(pages).ref
        except SortextError:
            pages_ref = None
        return cls(tuple(remotes), branch, pages_ref)


#: ``held`` in the push status while HEAD is detached (logged once).
HELD_DETACHED = (
    "HEAD is detached (a commit checked out, not a branch): the records branch is not "
    "pushed until a branch is checked out"
)


def _now() -> str:
    from sortext.vcs.midnight import utc_now

    return utc_now().replace(microsecond=0).isoformat()


class Pusher:
    """Owns the push thread; :meth:`nudge` after each commit, :meth:`stop` at shutdown."""

    def __init__(
        self, root: Path, target: BackupTarget, first_backoff: float = FIRST_BACKOFF
    ) -> None:
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
        """One ``git push`` per remote (no prompt, :data:`PUSH_TIMEOUT`: the policy of
        :mod:`sortext.vcs.git`) of HEAD and the pages branch; record the outcome
        (the error kept is git's line naming the cause); True on success."""
        target = self.target
        status = read_json(self.status_path)
        status.update(remote=", ".join(target.remotes), branch=target.branch or "")
        records = self._records_refspec(target)
        held = "" if records else HELD_DETACHED
        if held != status.get("held", ""):
            if held:
                log.info("%s", held)
            status["held"] = held
        ok, error = True, ""
        for remote in target.remotes:
            refspecs = [records] if records else []
            pages: tuple[str, ...] = ()
            if target.pages_ref and self._has(target.pages_ref):
                refspecs.append(f"+{target.pages_ref}:{target.pages_ref}")
                pages = (target.pages_ref,)
            if not refspecs:
                continue  # nothing to push: a detached HEAD and no pages branch
            args = ["push", "--quiet", remote]
            try:
                # the one check every push path makes (sortext backup, sync): a stale
                # clone's watcher pushing to a branch the rewritten remote lacks would
                # upload the history of a client erased there
                self._refuse_resurrection(remote, pages)
                proc = git.push(self.root, remote, *refspecs, timeout=PUSH_TIMEOUT)
                if proc.returncode != 0:
                    ok = False
                    error = str(git.failure(args, proc.stderr.decode("utf-8", "replace")))
            except SortextError as exc:  # git missing, the timeout passed, or a client
                ok, error = False, str(exc)  # erased would come back (ErasedClientRefused)
            if ok:
                log.info("pushed to %s", remote)
            else:
                log.warning("backup push to %s failed: %s", remote, error)
                break
        status["failing"] = not ok
        if ok:
            status["last_success"] = _now()
        else:
            status["last_error"] = error or "git push failed"
            status["last_error_at"] = _now()
        try:
            write_json(self.status_path, status)
        except Exception as exc:  # the status file is best effort; the push result stands
            log.warning("cannot record push status: %s", exc)
        return ok

    def _records_refspec(self, target: BackupTarget) -> str | None:
        """``HEAD:refs/heads/BRANCH`` (the configured branch, else the one checked out);
        None when HEAD is detached: a commit made on a checked-out old commit is no
        branch's, and is never pushed over one (``sortext backup`` refuses it too)."""
        name = git.text(self.root, "symbolic-ref", "--short", "-q", "HEAD", check=False).strip()
        if not name:
            return None
        return f"HEAD:refs/heads/{target.branch or name}"

    def _refuse_resurrection(self, remote: str, extra: tuple[str, ...]) -> None:
        """:func:`sortext.vcs.sync.refuse_resurrection` on the repository as it is now
        (its records and tombstones read afresh)."""
        from sortext.repo import open_repository
        from sortext.vcs.sync import refuse_resurrection

        refuse_resurrection(open_repository(self.root), remote, extra)

    def _has(self, ref: str) -> bool:
        proc = git.run_full(self.root, "rev-parse", "--verify", "-q", ref)
        return proc.returncode == 0
