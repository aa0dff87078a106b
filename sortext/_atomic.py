"""Private atomic write used by restore and resolve until ``sortext.safewrite`` lands.

Temp file in the same folder, fsync, ``os.replace``, fsync the folder; refuses
to replace a file whose bytes changed since the caller read them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if current is not None:
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
