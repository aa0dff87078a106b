"""Atomic writes that refuse to clobber a file changed since it was read.

An editor may hold a record open while a command updates it; the user's save
must never be lost.  :func:`read_for_update` remembers what was read (bytes,
size, mtime); :func:`write_if_unchanged` re-reads the file just before
replacing it and refuses with :class:`~sortext.errors.ConflictError` when it
differs.  The new bytes go to a temporary file in the same folder
(``.<name>.sortext-tmp-<random>``, which the watcher ignores), are fsynced,
renamed over the target, and the folder is fsynced so the rename survives a
crash.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sortext.errors import ConflictError, StorageError

TEMP_MARKER = ".sortext-tmp-"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a file held when it was read (``raw is None``: it did not exist)."""

    path: Path
    raw: bytes | None
    size: int
    mtime_ns: int

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.raw or b"").hexdigest()


def is_temp_name(name: str) -> bool:
    """True for the temporary files this module creates (the watcher skips them)."""
    return name.startswith(".") and TEMP_MARKER in name


def read_for_update(path: Path) -> Snapshot:
    """Read ``path`` and remember its state so a later write can detect changes."""
    try:
        with open(path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            raw = handle.read()
    except FileNotFoundError:
        return Snapshot(path, None, 0, 0)
    except OSError as exc:
        raise StorageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return Snapshot(path, raw, stat.st_size, stat.st_mtime_ns)


def _changed(snapshot: Snapshot) -> bool:
    """Compare the bytes themselves: a same-second save keeps mtime but not content."""
    return read_for_update(snapshot.path).raw != snapshot.raw


def write_if_unchanged(path: Path, snapshot: Snapshot, new_bytes: bytes) -> None:
    """Replace ``path`` with ``new_bytes`` unless it changed since ``snapshot``.

    A file that did not exist at read time must still not exist (a new record
    never overwrites one created meanwhile).
    """
    if _changed(snapshot):
        raise ConflictError(
            f"{path} changed on disk since sortext read it (saved from an editor?); "
            "nothing was written: re-run the command to apply it to the new version"
        )
    atomic_write(path, new_bytes, exclusive=snapshot.raw is None)


def atomic_write(path: Path, data: bytes, exclusive: bool = False) -> None:
    """Write ``data`` to ``path`` via a temp file + fsync + rename + folder fsync.

    ``exclusive``: fail with ConflictError if ``path`` appears before the rename.
    """
    folder = path.parent
    temp = folder / f".{path.name}{TEMP_MARKER}{secrets.token_hex(4)}"
    try:
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        mode = 0o644
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if exclusive:
                try:
                    os.link(temp, path)  # fails if a file appeared meanwhile
                except FileExistsError:
                    raise ConflictError(
                        f"{path} was created by someone else meanwhile; nothing was written"
                    ) from None
                except OSError:
                    if path.exists():
                        raise ConflictError(
                            f"{path} was created by someone else meanwhile; nothing was written"
                        ) from None
                    os.replace(temp, path)
                else:
                    os.unlink(temp)
            else:
                os.replace(temp, path)
        finally:
            if temp.exists():
                temp.unlink()
        fsync_folder(folder)
    except ConflictError:
        raise
    except OSError as exc:
        raise StorageError(f"{path}: cannot write: {exc.strerror or exc}") from exc


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
