"""Which build of sortext is running: the key every derived store holds for "made by
this code".

The version number stays the same from one commit to the next (a user who installs
from a clone, pulls and installs again keeps it), so a store keyed by the version
alone served what older code worked out (assessments worded before a fix, a weekly
summary, a validated configuration, an export) until something else changed.
:func:`code_stamp` adds the identity of the package's own files: installing writes
every file anew (a new ctime, which nothing sets back); in a source tree (an editable
install, a checkout on ``PYTHONPATH``) editing, adding or removing any module,
template or schema changes the newest mtime/ctime or the count.

One ``stat`` for an installed copy, about 200 in a source tree (a fraction of a
millisecond), once per process.
"""

from __future__ import annotations

import hashlib
import os


def code_stamp() -> str:
    """``"<version>:<inode>:<mtime_ns>:<ctime_ns>:<size>"`` of the package's
    ``__init__.py``, then ``":<newest mtime/ctime ns>:<file count>"`` of the package's
    files when it runs from a source tree; just the version when the file cannot be
    stat'ed.  Computed once per process."""
    global _STAMP
    if _STAMP is not None:
        return _STAMP
    import sortext

    try:
        done = os.stat(sortext.__file__ or "")
    except (OSError, TypeError):
        return sortext.__version__
    ident = (done.st_ino, done.st_mtime_ns, done.st_ctime_ns, done.st_size)
    text = sortext.__version__ + ":" + ":".join(map(str, ident))
    package = os.path.dirname(sortext.__file__ or "")
    if not installed(package):
        text += ":" + source_stamp(package)
    _STAMP = text
    return text


def code_digest() -> str:
    """:func:`code_stamp` as 12 hex digits (SHA-256), for keys stored once per record."""
    return hashlib.sha256(code_stamp().encode()).hexdigest()[:12]


#: :func:`code_stamp`'s answer, once per process.
_STAMP: str | None = None


def installed(package: str) -> bool:
    """Whether the package folder is an installed copy (in a ``site-packages`` or
    ``dist-packages`` folder, written anew by each install), not a source tree."""
    parts = package.replace(os.sep, "/").split("/")
    return "site-packages" in parts or "dist-packages" in parts


def source_stamp(package: str) -> str:
    """The newest mtime and ctime (ns) and the count of the files under ``package``
    (``__pycache__`` aside): any module, template or schema edited, added or removed
    changes it.  About 200 ``stat`` calls: a fraction of a millisecond."""
    newest = 0
    count = 0
    todo = [package]
    while todo:
        folder = todo.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        todo.append(entry.path)
                    continue
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            count += 1
            newest = max(newest, info.st_mtime_ns, info.st_ctime_ns)
    return f"{newest}:{count}"
