"""Read a file that must be a regular file, never waiting on what is not one.

A name sortext reads (``erased.yaml``, a record being updated) may be taken by a
named pipe, a folder or a device at any instant (anyone can make one).  Opening a
named pipe for reading waits for a writer, for ever; :func:`read_regular` opens with
``O_NONBLOCK`` and looks at what it opened (``fstat``) before reading.  Imports
nothing heavy: a remembered query answer uses it (see :mod:`sortext.views.recall`).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


def read_regular(path: Path | str) -> tuple[bytes, os.stat_result]:
    """The bytes of the regular file at ``path`` (a symbolic link is followed) and its
    ``fstat``.  Raises FileNotFoundError when nothing is there, OSError (``EINVAL``,
    its text naming the kind) for a folder, a pipe, a socket or a device, OSError
    for any other failure."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a pipe, socket or device"
            raise OSError(errno.EINVAL, f"not a regular file ({kind})")
        return handle.read(), info
