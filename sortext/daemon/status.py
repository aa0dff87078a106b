"""Collect what ``sortext status`` shows from the daemon's lock and state files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sortext.daemon.lock import holder, lock_path
from sortext.daemon.state import read_json
from sortext.files.state import StateDir


def read_status(root: Path) -> dict[str, Any]:
    """``running``, ``pid``, ``last_commit``, ``errors`` (path -> messages), ``push``."""
    folder = StateDir(root)
    pid = holder(lock_path(root))
    state = read_json(folder.watch_state)
    return {
        "running": pid is not None,
        "pid": pid,
        "last_commit": state.get("last_commit") or {},
        "errors": state.get("errors") or {},
        "push": read_json(folder.push_state),
        "push_failed": push_failed(read_json(folder.push_state)),
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
