"""What the daemon tells the outside world: ``.sortext/watch.json`` and ``push.json``.

Their paths are :class:`sortext.files.state.StateDir` ``watch_state`` and ``push_state``.

``sortext status`` and the pages read these files; the daemon rewrites them
atomically after each step, so a reader never sees half a file and a killed
daemon leaves the last complete state behind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_json(path: Path, data: dict[str, Any], durable: bool = True) -> None:
    """Atomically replace ``path`` with ``data`` as JSON (``durable=False``: no fsync,
    for state rewritten after every batch)."""
    from sortext.files.write import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    atomic_write(path, text.encode("utf-8"), durable=durable)


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; empty when missing or unreadable (never raises)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
