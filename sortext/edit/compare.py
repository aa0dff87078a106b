"""Compare-then-write used by restore, resolve, the merge driver, backup and stage facts.

The write itself is :func:`sortext.edit.safewrite.atomic_write` (temp file named so
the watcher ignores it, fsync, ``os.replace``, fsync the folder); this adds the
refusal to replace a file whose bytes changed since the caller read them.
"""

from __future__ import annotations

from pathlib import Path

from sortext.edit.safewrite import atomic_write
from sortext.errors import ConflictError


def write_atomic(path: Path, data: bytes, expected: bytes | None) -> None:
    """Replace ``path`` with ``data``; ``expected`` is what we read (None: must not exist)."""
    try:
        current: bytes | None = path.read_bytes()
    except FileNotFoundError:
        current = None
    if current != expected:
        raise ConflictError(
            f"{path} changed since sortext read it; not overwriting it. "
            "Look at the file, then run the command again"
        )
    atomic_write(path, data, exclusive=expected is None)
