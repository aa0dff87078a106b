"""Collect what ``sortext status`` shows from the daemon's lock and state files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sortext.daemon.lock import holder, lock_path
from sortext.daemon.state import read_json
from sortext.files.state import StateDir


def read_status(root: Path) -> dict[str, Any]:
    """``running``, ``pid``, ``last_commit``, ``errors`` (path -> messages), ``push``
    (``.sortext/push.json``), ``push_failed`` (the last push failed and nothing has
    settled it since), ``pushed_since`` (the last push failed, but the branch it
    pushed is on every remote now, as its remote-tracking refs say), ``pages`` (which
    branch the pages are published from, and whether this worktree publishes)."""
    folder = StateDir(root)
    pid = holder(lock_path(root))
    state = read_json(folder.watch_state)
    push = read_json(folder.push_state)
    failed = push_failed(push)
    since = failed and pushed_since(root, push)
    pages = state.get("pages")
    return {
        "running": pid is not None,
        "pid": pid,
        "last_commit": state.get("last_commit") or {},
        "errors": state.get("errors") or {},
        "push": push,
        "push_failed": failed and not since,
        "pushed_since": since,
        "pages": pages if isinstance(pages, dict) else {},
    }


def push_failed(push: dict[str, Any]) -> bool:
    """True when the last backup push attempt failed (``failing``, written by the
    pusher; older files: the error is newer than the last success)."""
    if isinstance(push.get("failing"), bool):
        return bool(push["failing"])
    error_at = push.get("last_error_at")
    if not isinstance(error_at, str) or not push.get("last_error"):
        return False
    success = push.get("last_success")
    return not isinstance(success, str) or error_at > success


def pushed_since(root: Path, push: dict[str, Any]) -> bool:
    """Whether the branch a failed push was pushing has been pushed since, by anyone
    (a ``git push`` by hand, ``sortext sync``, a pull that made it equal the remote's):
    its commit now equals every remote's tracking ref of it, and one of those refs
    moved after the failure (a ref that did not move is the failure's own state).
    One ``git for-each-ref``; False when git cannot say or the failure recorded no
    refs (``failed_at``, see :func:`sortext.daemon.push.failed_at`)."""
    from sortext.errors import GitError
    from sortext.vcs import git

    failed = push.get("failed_at")
    if not isinstance(failed, dict):
        return False
    branch, tracking = failed.get("branch"), failed.get("tracking")
    if not isinstance(branch, str) or not isinstance(tracking, dict) or not tracking:
        return False
    refs = [branch, *(str(ref) for ref in tracking)]
    try:
        out = git.text(root, "for-each-ref", "--format=%(objectname) %(refname)", *refs)
    except GitError:
        return False
    now = {ref: sha for sha, _, ref in (line.partition(" ") for line in out.splitlines())}
    tip = now.get(branch)
    if tip is None or any(now.get(str(ref)) != tip for ref in tracking):
        return False
    return any(now.get(str(ref)) != old for ref, old in tracking.items())
