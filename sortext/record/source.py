"""Read a record's bytes safely and decode them without ever guessing.

Every way a file can be unreadable becomes a :class:`Diagnostic` with a
position, never an exception: directories named ``x.md``, symbolic links (never
followed, see :data:`LINK_PROBLEM`), permissions, files vanishing mid-read,
oversized files, UTF-16, NUL bytes and invalid UTF-8 (reported with the byte
offset; we never decode with replacement).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from sortext.record.diagnostics import Diagnostic, problem

MAX_FILE_BYTES = 5 * 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class SourceText(NamedTuple):
    """Decoded text of a record; ``text`` has a BOM removed and ``\\n`` line ends."""

    raw: bytes
    text: str
    bom: bool
    newline: str


#: What a record that is a symbolic link is told, wherever the link leads (a file in
#: the clients folder or outside it, another link, a folder, nowhere).  It is never
#: read (``O_NOFOLLOW``): git stores a link as the path it holds, not as the file it
#: leads to, so such a record would have no history of its own; and its bytes could
#: change without the link changing (the target edited, deleted, renamed), which no
#: look at the clients folder's own entries (``lstat``) sees, so that ``check``, a
#: query and the watcher would each say what the target held when they last read it.
LINK_PROBLEM = (
    "is a symbolic link; a record must be a file of its own (git stores the link, "
    "not the record, and sortext does not read through it): replace the link with "
    "a copy of the file"
)


#: How records are opened (``os.open``'s signature): here and in the watcher's reader
#: (:func:`sortext.daemon.pipeline.read_stable`).  A test may put another in its place
#: to meet an error no real file gives it (``EACCES`` when running as root).
opener: Callable[[str | Path, int], int] = os.open


def read_bytes(path: str) -> bytes | Diagnostic:
    """Read at most MAX_FILE_BYTES + 1 bytes, turning OS failures into problems.

    ``O_NOFOLLOW`` refuses a symbolic link (:data:`LINK_PROBLEM`) in the one call
    that opens the file.  ``O_NONBLOCK`` plus ``fstat`` means a FIFO or device
    named ``x.md`` is refused instead of hanging the check; a regular file is read
    with one ``read`` call of its full size.
    """
    try:
        fd = opener(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket (or a device with no driver): which?
            try:
                kind = kind_problem(os.lstat(path).st_mode)
            except OSError:
                kind = None
            if kind is not None:
                return kind
        return os_problem(exc)
    try:
        info = os.fstat(fd)
        kind = kind_problem(info.st_mode)
        if kind is not None:
            return kind
        want = min(info.st_size, MAX_FILE_BYTES) + 1
        data = os.read(fd, want)
        while len(data) < want:  # short reads: network file systems, growing files
            more = os.read(fd, want - len(data))
            if not more:
                break
            data += more
    except OSError as exc:
        return os_problem(exc)
    finally:
        os.close(fd)
    return data


_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


#: The field a problem reading the file itself is reported under
#: (``path:1:1: error: file: message``).
FILE_FIELD = "file"


def file_problem(message: str) -> Diagnostic:
    """A problem with the file itself (its kind, reading it), at line 1, column 1."""
    return problem(message, field=FILE_FIELD)


def kind_problem(mode: int) -> Diagnostic | None:
    """The problem of an entry of kind ``mode`` (``st_mode``) named like a record; None
    for a regular file.  A symbolic link is :data:`LINK_PROBLEM`."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return file_problem(LINK_PROBLEM)
    if stat.S_ISDIR(mode):
        return file_problem("is a directory, not a record file")
    if stat.S_ISFIFO(mode):
        return file_problem("is a named pipe (FIFO), not a record file")
    if stat.S_ISSOCK(mode):
        return file_problem("is a socket, not a record file")
    return file_problem("is a device, not a record file")


def os_problem(exc: OSError) -> Diagnostic:
    """What an ``OSError`` met opening or reading a record says, as a problem."""
    if exc.errno == errno.EISDIR:
        return file_problem("is a directory, not a record file")
    if exc.errno == errno.ENOENT:
        return file_problem("file not found: it was deleted or renamed before it could be read")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return file_problem("cannot read the file: permission denied (check its permissions)")
    if exc.errno == errno.ELOOP:  # O_NOFOLLOW met a link (the folder is no link)
        return file_problem(LINK_PROBLEM)
    if exc.errno == errno.ENXIO:  # opening a socket (or a device with no driver)
        return file_problem("is a socket or device, not a record file")
    return file_problem(f"cannot read the file: {os.strerror(exc.errno or 0) or exc}")


def _locate_byte(raw: bytes, offset: int) -> tuple[int, int, str]:
    """1-based line, column (in characters) and a printable copy of the line.

    The copy is for showing the user only: bad bytes appear as U+FFFD and NUL
    as U+2400; the record itself is never decoded this way.
    """
    line = raw.count(b"\n", 0, offset) + 1
    start = raw.rfind(b"\n", 0, offset) + 1
    end = raw.find(b"\n", offset)
    shown = raw[start : len(raw) if end == -1 else end].rstrip(b"\r")
    column = len(raw[start:offset].decode("utf-8", "replace")) + 1
    printable = shown.decode("utf-8", "replace").replace("\x00", "\u2400")
    return line, column, printable


def _at_byte(message: str, body: bytes, offset: int) -> Diagnostic:
    line, column, shown = _locate_byte(body, offset)
    return problem(message, line, column, source_line=shown)


def decode(raw: bytes) -> SourceText | Diagnostic:
    """Decode strict UTF-8, accepting (and remembering) a BOM and CRLF line ends."""
    if len(raw) > MAX_FILE_BYTES:
        return problem(
            f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; "
            "a client record should be far smaller (split old notes into another file)"
        )
    if raw.startswith(UTF16_BOMS):
        return problem("file is UTF-16 encoded; save it as UTF-8")
    bom = raw.startswith(UTF8_BOM)
    body = raw[len(UTF8_BOM) :] if bom else raw
    nul = body.find(b"\x00")
    if nul != -1:
        return _at_byte(
            f"NUL byte at byte offset {nul + (3 if bom else 0)}: binary data in a text record",
            body,
            nul,
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + (3 if bom else 0)
        bad = body[exc.start : exc.start + 1].hex()
        return _at_byte(
            f"not valid UTF-8: byte 0x{bad} at byte offset {offset}; save the file as UTF-8",
            body,
            exc.start,
        )
    newline = "\n"
    if "\r" in text:  # one scan of the text when it has no "\r" (nearly every record)
        if "\r\n" in text:
            newline = "\r\n"
        text = text.replace("\r\n", "\n")
    return SourceText(raw=raw, text=text, bom=bom, newline=newline)
