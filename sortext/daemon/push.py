"""Backup push in the background: ``git push`` after commits, with backoff.

A push can take seconds or hang on a dead network; it must never hold up
validation, rendering or commits.  One worker thread pushes whenever it is
nudged, backs off after a failure (5 s doubling to 5 min), and records the
last success and the last error in ``.sortext/push.json`` for ``sortext
status`` and the pages.  While it backs off it looks, every :data:`POLL`
seconds, at what the push depends on (:mod:`sortext.daemon.pushinputs`: the
remote-tracking refs, the branch, git's configuration, the pre-push hook) and
pushes again at once when the user changed it (a pull, a fetch, ``sortext
sync``, a push by hand, ``git remote set-url``): a failure the user settled
never waits out its backoff.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
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
#: Seconds between looks at what a failing push depends on, while it backs off.
POLL = 1.0
#: How many of the watcher's own newest commits are remembered (see pushinputs).
OWN_COMMITS = 256
PUSH_TIMEOUT = git.NETWORK_TIMEOUT


@dataclass(frozen=True)
class BackupTarget:
    """Where to push: ``backup: {remotes: [origin], branch: main}`` (the one schema
    ``sortext backup``, ``sync``, ``check`` and the watcher read), plus the pages
    branch, force-pushed (only that branch is ever rewritten)."""

    remotes: tuple[str, ...]
    branch: str | None
    pages_ref: str | None = None
    #: ``pages.from``: the branch whose pages are published (None: the rules of
    #: :func:`sortext.vcs.pagesource.pages_source`)
    pages_from: str | None = None

    @classmethod
    def from_config(cls, raw: Any, pages: Any = None) -> BackupTarget | None:
        """None when there is no ``backup`` section (the watcher then never pushes)."""
        from sortext.vcs.pages import PagesSettings
        from sortext.vcs.sync import backup_section

        if not isinstance(raw, dict):
            return None
        remotes, branch = backup_section(raw)
        try:
            settings = PagesSettings.from_config(pages)
        except SortextError:
            settings = PagesSettings(None)
        return cls(tuple(remotes), branch, settings.ref, settings.source)


#: ``held`` in the push status while HEAD is detached (logged once).
HELD_DETACHED = (
    "HEAD is detached (a commit checked out, not a branch): the records branch is not "
    "pushed until a branch is checked out"
)


def failed_at(inputs: Any, target: BackupTarget) -> dict[str, Any]:
    """What a failed push pushed, for ``sortext status`` (:func:`sortext.daemon.status.
    pushed_since`): ``branch`` (the local ``refs/heads/X``), its commit ``tip``, and
    ``tracking``: each remote's tracking ref of the branch pushed to -> its commit then
    ("" when there was none).  {} when not known."""
    if inputs is None or inputs.branch is None or inputs.tip is None:
        return {}
    name = target.branch or inputs.branch.removeprefix("refs/heads/")
    return {
        "branch": inputs.branch,
        "tip": inputs.tip,
        "tracking": {
            f"refs/remotes/{r}/{name}": inputs.tracking_of(r, name) or "" for r in target.remotes
        },
    }


def _now() -> str:
    from sortext.vcs.midnight import utc_now

    return utc_now().replace(microsecond=0).isoformat()


class Pusher:
    """Owns the push thread; :meth:`nudge` after each commit, :meth:`stop` at shutdown."""

    def __init__(
        self, root: Path, target: BackupTarget, first_backoff: float | None = None
    ) -> None:
        self.root = root
        self.target = target
        self.first_backoff = FIRST_BACKOFF if first_backoff is None else first_backoff
        self.status_path = StateDir(root).push_state
        self._wanted = threading.Event()
        self._stopping = threading.Event()
        #: set by :meth:`retarget`: the settings changed, a backoff under way ends
        self._retargeted = threading.Event()
        #: the watcher's own newest commits (they settle no failure: pushinputs)
        self._own: deque[str] = deque(maxlen=OWN_COMMITS)
        self._own_lock = threading.Lock()  # appended on the loop thread, read on this one
        self._thread = threading.Thread(target=self._run, name="sortext-push", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def nudge(self) -> None:
        """Push soon (after the watcher's commits and publishes)."""
        self._wanted.set()

    def own(self, commit: str) -> None:
        """``commit`` is the watcher's own, about to be HEAD (told before the ref moves:
        :attr:`sortext.vcs.commit.GitRepo.announce`): the branch moving forward by it
        does not end a backoff (:meth:`_wait_out`), it settles no failure."""
        with self._own_lock:
            self._own.append(commit)

    def retarget(self, target: BackupTarget) -> None:
        """Push to ``target`` from now on, at once (a backoff under way ends)."""
        self.target = target
        self._retargeted.set()
        self._wanted.set()

    def stop(self, timeout: float = 2.0) -> None:
        self._stopping.set()
        self._wanted.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        from sortext.daemon.pushinputs import read_inputs, watched_files

        backoff = self.first_backoff
        while not self._stopping.is_set():
            self._wanted.wait()
            if self._stopping.is_set():
                return
            self._wanted.clear()
            self._retargeted.clear()
            # taken before the push: what the user does while it runs counts as a change
            files = watched_files(self.root)
            before = read_inputs(self.root, self.target.remotes, files)
            if self.push_once(before):
                backoff = self.first_backoff
                continue
            self._wanted.set()  # try again after the backoff, or once the user acted
            if not self._wait_out(backoff, before, files):
                return
            backoff = min(backoff * 2, MAX_BACKOFF)

    def _wait_out(self, backoff: float, before: Any, files: list[Path]) -> bool:
        """Wait ``backoff`` seconds, or until what the failed push depends on changed
        (:func:`sortext.daemon.pushinputs.what_moved`, looked at every :data:`POLL`
        seconds) or the settings did (:meth:`retarget`); False when asked to stop."""
        from sortext.daemon.pushinputs import read_inputs, what_moved

        deadline = time.monotonic() + backoff
        while (left := deadline - time.monotonic()) > 0:
            if self._stopping.wait(min(POLL, left)):
                return False
            if self._retargeted.is_set():
                return True
            after = read_inputs(self.root, self.target.remotes, files)
            with self._own_lock:
                own = frozenset(self._own)
            why = what_moved(self.root, before, after, own)
            if why is not None:
                log.info("%s: pushing again now, not in %.0f s", why, left)
                return True
            before = after if after is not None else before  # the watcher's own commits
        return True

    def push_once(self, inputs: Any = None) -> bool:
        """One ``git push`` per remote (no prompt, :data:`PUSH_TIMEOUT`: the policy of
        :mod:`sortext.vcs.git`) of HEAD and the pages branch; record the outcome
        (the error kept is git's line naming the cause); True on success.
        ``inputs``: the :class:`sortext.daemon.pushinputs.PushInputs` taken before it,
        recorded with a failure (``failed_at``) so that ``sortext status`` can tell the
        branch was pushed since (default: taken now)."""
        target = self.target
        if inputs is None:
            from sortext.daemon.pushinputs import read_inputs, watched_files

            inputs = read_inputs(self.root, target.remotes, watched_files(self.root))
        status = read_json(self.status_path)
        status.update(remote=", ".join(target.remotes), branch=target.branch or "")
        records = self._records_refspec(target)
        pages = target.pages_ref if target.pages_ref and self._pages_here(target) else None
        held = "" if records else HELD_DETACHED
        if held != status.get("held", ""):
            if held:
                log.info("%s", held)
            status["held"] = held
        ok, error = True, ""
        for remote in target.remotes:
            refspecs = [records] if records else []
            pushed_pages: tuple[str, ...] = ()
            if pages and self._has(pages):
                refspecs.append(f"+{pages}:{pages}")
                pushed_pages = (pages,)
            if not refspecs:
                continue  # nothing to push: a detached HEAD and no pages branch
            args = ["push", "--quiet", remote]
            try:
                # the one check every push path makes (sortext backup, sync): a stale
                # clone's watcher pushing to a branch the rewritten remote lacks would
                # upload the history of a client erased there
                self._refuse_resurrection(remote, pushed_pages)
                # that check fetched: the remote-tracking refs it moved are not the user's
                # doing, so the failure is recorded against what this push saw
                from sortext.daemon.pushinputs import read_inputs, watched_files

                inputs = read_inputs(self.root, target.remotes, watched_files(self.root))
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
        attempts = status.get("attempts")
        status["attempts"] = (attempts if isinstance(attempts, int) else 0) + 1
        if ok:
            status["last_success"] = _now()
            status.pop("failed_at", None)
        else:
            status["last_error"] = error or "git push failed"
            status["last_error_at"] = _now()
            status["failed_at"] = failed_at(inputs, target)
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

    def _pages_here(self, target: BackupTarget) -> bool:
        """Whether the pages branch goes with this push: not from a branch other than the
        one the pages are published from (:mod:`sortext.vcs.pagesource`): in another
        clone the local pages branch is that branch's stale copy, and force-pushing it
        would put the git host's NEXT.md back.  A detached HEAD pushes it as before."""
        from sortext.vcs.pagesource import current_branch, pages_source

        here = current_branch(self.root)
        if here is None:
            return True
        source = pages_source(self.root, target.pages_ref, target.pages_from, target.remotes)
        return source.branch is None or source.branch == here

    def _refuse_resurrection(self, remote: str, extra: tuple[str, ...]) -> None:
        """:func:`sortext.vcs.sync.refuse_resurrection` on the repository as it is now
        (its records and tombstones read afresh)."""
        from sortext.repo import open_repository
        from sortext.vcs.sync import refuse_resurrection

        refuse_resurrection(open_repository(self.root), remote, extra)

    def _has(self, ref: str) -> bool:
        proc = git.run_full(self.root, "rev-parse", "--verify", "-q", ref)
        return proc.returncode == 0
