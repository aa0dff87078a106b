"""The one way sortext writes a file: atomic, and refusing to clobber a changed file.

Every write goes to a temporary file in the target's folder named
``.<name>.sortext-tmp-<pid>-<hex>`` (a dotfile the watcher ignores; ``pid`` is
the writing process, so :mod:`sortext.daemon.leftovers` can remove exactly
these names once that process is gone), is fsynced, renamed over the target,
and the folder is fsynced so the rename survives a crash.

Three entry points on top of :func:`atomic_write`:

* :func:`read_for_update` + :func:`write_if_unchanged`: an editor may hold a
  record open while a command updates it; the user's save must never be lost.
  The file is re-read just before replacing it and the write is refused with
  :class:`~sortext.errors.ConflictError` when its bytes differ.
* :func:`replace_if_unchanged`: the same refusal when the caller already holds
  the bytes it read (restore, resolve, the merge driver, backup, stage facts).
* :func:`write_if_changed`: derived files (pages, exports, caches) are left
  alone when they already hold exactly the new bytes, so an unchanged output
  triggers no file event.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from sortext.errors import ConflictError, StorageError
from sortext.files.plain import read_regular

TEMP_MARKER = ".sortext-tmp-"
_TEMP = re.compile(r"\..+\.sortext-tmp-(\d+)-[0-9a-f]+", re.DOTALL)


class Snapshot(NamedTuple):
    """What a file held when it was read (``raw is None``: it did not exist)."""

    path: Path
    raw: bytes | None
    size: int
    mtime_ns: int

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.raw or b"").hexdigest()


def temp_path(path: Path) -> Path:
    """A fresh temporary name next to ``path``: ``.<name>.sortext-tmp-<pid>-<8 hex>``."""
    return path.with_name(f".{path.name}{TEMP_MARKER}{os.getpid()}-{os.urandom(4).hex()}")


def temp_writer(name: str) -> int | None:
    """The pid that created temp file ``name``; None when ``name`` is not one of ours."""
    match = _TEMP.fullmatch(name)
    return int(match.group(1)) if match else None


def pid_alive(pid: int) -> bool:
    """True unless the process ``pid`` is provably gone (this process, and another
    user's process, count as alive): whether a temp file's or a staging folder's
    writer may still be writing."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # PermissionError: someone else's process
    return True


def hold_temp(fd: int) -> None:
    """Lock the temp file open on ``fd`` (released when it is closed): see
    :func:`temp_held`.  A filesystem without locks is left as it is."""
    import fcntl

    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def temp_held(path: Path) -> bool:
    """True when a writer holds ``path``'s lock (:func:`hold_temp`): it is still being
    written, whatever process or pid namespace the writer is in."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


def is_temp_name(name: str) -> bool:
    """True for the temporary files sortext creates (the watcher skips them)."""
    return name.startswith(".") and TEMP_MARKER in name


def read_for_update(path: Path) -> Snapshot:
    """Read ``path`` and remember its state so a later write can detect changes.

    Raises StorageError when the file exists but cannot be read.
    """
    try:
        raw, info = read_regular(path)
    except FileNotFoundError:
        return Snapshot(path, None, 0, 0)
    except OSError as exc:
        raise StorageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return Snapshot(path, raw, info.st_size, info.st_mtime_ns)


def _changed(snapshot: Snapshot) -> bool:
    """Compare the bytes themselves: a same-second save keeps mtime but not content."""
    return read_for_update(snapshot.path).raw != snapshot.raw


def write_if_unchanged(
    path: Path, snapshot: Snapshot, new_bytes: bytes, shown: str | None = None
) -> None:
    """Replace ``path`` with ``new_bytes`` unless it changed since ``snapshot``.

    ``shown``: the path the refusal names (the repository-relative one the user
    typed and every other message uses); ``path`` itself without it.

    A file that did not exist at read time must still not exist (a new record
    never overwrites one created meanwhile).  Raises ConflictError (nothing
    written) or StorageError.
    """

    def unchanged() -> None:
        if _changed(snapshot):
            raise ConflictError(
                f"{shown or path} changed on disk since sortext read it (saved from an editor?); "
                "nothing was written: re-run the command to apply it to the new version"
            )

    unchanged()  # refused before any temp file is written, in the usual case
    if snapshot.raw is not None:
        refuse_unusual_target(path)
    atomic_write(path, new_bytes, exclusive=snapshot.raw is None, check=unchanged)


def refuse_unusual_target(path: Path) -> None:
    """Refuse to update a file that an atomic replace would change in kind.

    A write replaces the file with a new one (temp file + rename), as editors
    do; so a symbolic link would become a plain copy (the target left
    unchanged), a hard-linked file would part from its other names, and a
    read-only file (mode 0444) would be overwritten although its owner
    protected it.  Each raises StorageError saying so; nothing is written.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StorageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if stat.S_ISLNK(info.st_mode):
        raise StorageError(
            f"{path} is a symbolic link (to {os.readlink(path)}); sortext would replace the "
            "link with a copy and leave its target unchanged: nothing was written. "
            "Put the file itself in the clients folder"
        )
    if info.st_nlink > 1:
        raise StorageError(
            f"{path} has {info.st_nlink} hard links; sortext writes a new file, which would "
            "part it from its other names: nothing was written. Copy it to a file of its own"
        )
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise StorageError(
            f"{path}: file is read-only; nothing was written (make it writable, "
            "e.g. chmod u+w, to change it)"
        )


def replace_if_unchanged(path: Path, data: bytes, expected: bytes | None) -> None:
    """Replace ``path`` with ``data``; ``expected`` is what we read (None: must not exist).

    Raises ConflictError when the file's bytes are not ``expected`` (nothing
    written) or StorageError.
    """

    def unchanged() -> None:
        try:
            current: bytes | None = read_regular(path)[0]
        except FileNotFoundError:
            current = None
        except OSError as exc:
            raise StorageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        if current != expected:
            raise ConflictError(
                f"{path} changed since sortext read it; not overwriting it. "
                "Look at the file, then run the command again"
            )

    unchanged()
    atomic_write(path, data, exclusive=expected is None, check=unchanged)


def write_if_changed(
    path: Path, data: bytes, durable: bool = True, shown: Path | None = None
) -> bool:
    """Atomically replace ``path`` with ``data`` unless it already holds exactly that.

    True when written.  ``durable`` fsyncs the file and its folder; client
    pages skip it (derived data, rebuilt on demand) so a cold build of
    thousands stays fast; the rename still guarantees a reader never sees a
    half-written file.  ``shown``: the path an error names, when ``path`` is in a
    staging folder (see :func:`write_new`).  Raises StorageError.
    """
    named = path if shown is None else shown
    mode = None
    try:
        # O_NONBLOCK: a named pipe there would block the open until a writer came
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        mode = 0o644  # nothing there (a cold build's pages): no mode to keep
    except OSError as exc:
        raise StorageError(f"{named}: cannot read: {_reason(exc)}") from exc
    else:
        try:
            info = os.fstat(fd)
            # only a regular file of the same size can hold the same bytes
            if stat.S_ISREG(info.st_mode) and info.st_size == len(data):
                with os.fdopen(fd, "rb", closefd=False) as existing:
                    if existing.read() == data:
                        return False
        except OSError as exc:
            raise StorageError(f"{named}: cannot read: {_reason(exc)}") from exc
        finally:
            os.close(fd)
    atomic_write(path, data, durable=durable, mode=mode, shown=shown)
    return True


def write_new(path: Path, data: bytes, shown: Path) -> None:
    """Create ``path`` holding ``data``, under its own name (no temporary file, no rename,
    no fsync).

    Only for a file in a folder nobody sees yet: a build's staging folder, renamed into
    place once it is filled (the rename is what makes its files visible, all at once).
    ``shown``: the path the file will have once the folder is in place, the one an
    error names (the user never saw the staging folder).  Raises FileExistsError when
    ``path`` is there already (nothing written: the caller decides), StorageError for
    any other failure (a partly written file is removed).
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise
    except OSError as exc:
        raise StorageError(f"{shown}: cannot write: {_reason(exc)}") from exc
    try:
        view = memoryview(data)
        while view:  # os.write may write less than asked
            view = view[os.write(fd, view) :]
    except OSError as exc:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise StorageError(f"{shown}: cannot write: {_reason(exc)}") from exc
    os.close(fd)


def publish_folder(folder: Path, target: Path) -> bool:
    """Rename a filled staging ``folder`` (see :func:`write_new`) to ``target``: one
    rename, so every file in it appears at once.

    False (nothing moved) when ``target`` is there already in any form (a folder that
    another process filled meanwhile: the caller writes the files into it one by one).
    Raises StorageError for any other failure."""
    try:
        os.rename(folder, target)
    except OSError as exc:
        if os.path.lexists(target):
            return False
        raise StorageError(f"{target}: cannot create: {exc.strerror or exc}") from exc
    return True


def atomic_write(
    path: Path,
    data: bytes,
    exclusive: bool = False,
    durable: bool = True,
    mode: int | None = None,
    shown: Path | None = None,
    check: Callable[[], None] | None = None,
) -> None:
    """Write ``data`` to ``path`` via a temp file + fsync + rename + folder fsync.

    ``exclusive``: fail with ConflictError if ``path`` appears before the
    rename.  ``durable=False`` skips both fsyncs (derived files only).  The
    file keeps the mode of the file it replaces (0644 for a new one).  The
    temp file never outlives a failed write.  ``mode``: the new file's mode when the
    caller knows ``path`` is absent (saves a ``stat``).  Raises StorageError on I/O
    errors, naming ``path`` (or ``shown``, the path a staged file will have), never
    the temp file.  ``check``: called after the temp file is complete, just before
    the rename, with the folder's writer lock (:func:`folder_lock`) held across the
    call and the rename; it raises (ConflictError) to refuse the write.  Two sortext
    writers of one file are so serialised: the second sees the first one's bytes.
    """
    folder = path.parent
    temp = temp_path(path)
    if mode is None:
        try:
            mode = os.stat(path).st_mode & 0o7777
        except OSError:
            mode = 0o644
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        placed = False
        try:
            with os.fdopen(fd, "wb") as handle:
                # held until the temp file has its final name: the watcher's start-up
                # never removes a locked one (its writer may be alive in another pid
                # namespace, where the pid in its name means nothing)
                hold_temp(fd)
                handle.write(data)
                handle.flush()  # every byte in the file before it takes its name
                if durable:
                    os.fsync(handle.fileno())
                with folder_lock(folder) if check is not None else contextlib.nullcontext():
                    if check is not None:
                        check()
                    if exclusive:
                        _link_new(temp, path, path if shown is None else shown)
                    else:
                        os.replace(temp, path)
                placed = True  # the temp file's name is gone (replaced, or linked)
        finally:
            if not placed and os.path.lexists(temp):
                os.unlink(temp)
        if durable:
            fsync_folder(folder)
    except ConflictError:
        raise
    except OSError as exc:
        named = path if shown is None else shown
        raise StorageError(f"{named}: cannot write: {_reason(exc)}") from exc


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``folder`` itself (blocking) for the block.

    The lock sortext's checked writers take around "re-read, compare, rename":
    without it two commands writing one record (``sortext set`` and ``sortext log``
    at once) could both compare before either renamed, and the later rename would
    drop the other's change while both report success.  Editors take no lock; for
    them the window is the few microseconds between the compare and the rename.
    A folder that cannot be opened or locked (a filesystem without locks) is
    written without it.
    """
    import fcntl

    try:
        fd = os.open(folder, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        yield
        return
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _reason(exc: OSError) -> str:
    """What went wrong, without the file names an OSError may carry (a temp file's)."""
    return exc.strerror or type(exc).__name__


def _link_new(temp: Path, path: Path, shown: Path) -> None:
    """Put ``temp`` at ``path`` only if nothing is there (ConflictError otherwise,
    naming ``shown``)."""
    clash = f"{shown} was created by someone else meanwhile; nothing was written"
    try:
        os.link(temp, path)  # fails if a file appeared meanwhile
    except FileExistsError:
        raise ConflictError(clash) from None
    except OSError:  # a filesystem without hard links
        if path.exists():
            raise ConflictError(clash) from None
        os.replace(temp, path)
    else:
        os.unlink(temp)


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
