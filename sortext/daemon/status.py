"""Collect what ``sortext status`` shows from the daemon's lock and state files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sortext.daemon.lock import holder
from sortext.daemon.state import read_json
from sortext.files.state import StateDir


def read_status(root: Path) -> dict[str, Any]:
    """``running``, ``pid``, ``last_commit``, ``errors`` (path -> messages), ``push``."""
    folder = StateDir(root)
    pid = holder(folder.watch_pid)
    state = read_json(folder.watch_state)
    return {
        "running": pid is not None,
        "pid": pid,
        "last_commit": state.get("last_commit") or {},
        "errors": state.get("errors") or {},
        "push": read_json(folder.push_state),
    }
