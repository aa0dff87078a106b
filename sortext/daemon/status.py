"""Collect what ``sortext status`` shows from the daemon's lock and state files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sortext.daemon.lock import holder
from sortext.daemon.state import PID_NAME, PUSH_NAME, STATE_NAME, read_json, state_dir


def read_status(root: Path) -> dict[str, Any]:
    """``running``, ``pid``, ``last_commit``, ``errors`` (path -> messages), ``push``."""
    folder = state_dir(root)
    pid = holder(folder / PID_NAME)
    state = read_json(folder / STATE_NAME)
    return {
        "running": pid is not None,
        "pid": pid,
        "last_commit": state.get("last_commit") or {},
        "errors": state.get("errors") or {},
        "push": read_json(folder / PUSH_NAME),
    }
