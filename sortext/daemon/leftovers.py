"""Remove temp files that a killed sortext process left behind, and nothing else.

Only names sortext itself creates are touched, and only when the process
that created them is provably gone (one rule: the pid in the name is not
alive): ``.<name>.sortext-tmp-<pid>-<hex>`` (every atomic write, see
:mod:`sortext.files.write`), ``sortext-index-<pid>`` (the daemon's private git
index) and ``sortext-blob-<pid>-<n>`` (bytes on their way into git).

Two names written by sortext versions before the one writer are still
recognised, so an upgrade cleans up after the old version:
``.<name>.<pid>.tmp`` (old page, export and cache writes; pid not alive; only
for a ``<name>`` such a write had, a page, an export or a cache file, and a number
that can be a pid: a user's ``.invoice.1234.tmp`` or ``.notes.md.20261130.tmp`` in
the root, clients/ or a shared export folder is another program's, not sortext's to
delete) and
``.<name>.sortext-tmp-<hex>`` (old atomic writes, without a pid; removed
because this runs while holding the daemon lock and no current writer makes
that name).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from sortext.files.write import pid_alive, temp_held, temp_writer

if TYPE_CHECKING:
    from sortext.repo import Repository

log = logging.getLogger("sortext.watch")

_OLD_ATOMIC = re.compile(r"^\..+\.sortext-tmp-[0-9a-f]+$")
_OLD_BUILD = re.compile(r"^\..+\.(?:md|html|css|csv|json|ics)\.(\d+)\.tmp$")
#: The kernel's highest possible pid (PID_MAX_LIMIT on 64-bit Linux): a larger number
#: in a name (a date, 20261130) was never a writer's pid
PID_MAX_LIMIT = 4_194_304
_PRIVATE_INDEX = re.compile(r"^sortext-index-(\d+)$")
_BLOB = re.compile(r"^sortext-blob-(\d+)-\d+$")


def is_leftover(name: str) -> bool:
    """True when ``name`` is a sortext temp file whose writer is gone."""
    writer = temp_writer(name)
    if writer is not None:
        return not pid_alive(writer)
    if _OLD_ATOMIC.match(name):
        return True
    for pattern in (_OLD_BUILD, _PRIVATE_INDEX, _BLOB):
        match = pattern.match(name)
        if match:
            pid = int(match.group(1))
            return pid <= PID_MAX_LIMIT and not pid_alive(pid)
    return False


def remove_leftovers(folders: Iterable[Path]) -> list[Path]:
    """Delete leftovers in these folders (not recursive); return what was removed."""
    removed = []
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if (
                entry.is_file(follow_symlinks=False)
                and is_leftover(entry.name)
                and not temp_held(Path(entry.path))  # a writer we cannot see by pid
            ):
                try:
                    os.unlink(entry.path)
                except OSError:
                    continue
                removed.append(Path(entry.path))
    for path in removed:
        log.info("removed %s left behind by a stopped sortext process", path)
    return removed


def _tree(top: Path) -> list[Path]:
    """``top`` and every folder under it, links not followed (none when it is absent)."""
    if not top.is_dir() or top.is_symlink():
        return []
    found = [top]
    for folder, subfolders, _ in os.walk(top, followlinks=False):
        below = [Path(folder) / name for name in subfolders]
        found.extend(path for path in below if not path.is_symlink())
    return found


def write_folders(repo: Repository, git_dir: Path) -> list[Path]:
    """Every folder a sortext process writes files into, for :func:`remove_leftovers`.

    The repository root (NEXT.md, erased.yaml, sortext.yaml), the clients
    folder, ``git_dir`` (blobs, the private index), and the whole of
    ``.sortext/`` and ``site/`` (``site/clients``, ``site/owners`` and any folder
    a newer version adds) walked without following links, plus the folder of
    each export configured in sortext.yaml.  A list kept by hand missed
    ``site/owners``, where a killed watcher's half-written owner page then
    stayed for good.  A configuration that cannot be read adds no export folder.
    """
    from sortext.errors import SortextError
    from sortext.files.state import StateDir

    root = repo.root
    folders = [root, repo.clients_path, git_dir]
    if not (root / "inbox").is_symlink():  # never cleaned through a link out of the repo
        folders.append(root / "inbox")
    folders += _tree(StateDir(root).path) + _tree(root / "site")
    try:
        from sortext.io.export import configured_exports

        folders += [target.parent for target, _, _ in configured_exports(repo)]
    except (ImportError, SortextError):
        pass
    return list(dict.fromkeys(folders))
