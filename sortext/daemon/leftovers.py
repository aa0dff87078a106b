"""Remove temp files that a killed sortext process left behind, and nothing else.

Only names sortext itself creates are touched, and only when the process
that created them is provably gone (one rule: the pid in the name is not
alive): ``.<name>.sortext-tmp-<pid>-<hex>`` (every atomic write, see
:mod:`sortext.files.write`), ``sortext-index-<pid>`` (the daemon's private git
index) and ``sortext-blob-<pid>-<n>`` (bytes on their way into git).

Two names written by sortext versions before the one writer are still
recognised, so an upgrade cleans up after the old version:
``.<name>.<pid>.tmp`` (old page builds; pid not alive) and
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

from sortext.files.write import pid_alive, temp_writer

log = logging.getLogger("sortext.watch")

_OLD_ATOMIC = re.compile(r"^\..+\.sortext-tmp-[0-9a-f]+$")
_OLD_BUILD = re.compile(r"^\..+\.(\d+)\.tmp$")
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
            return not pid_alive(int(match.group(1)))
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
            if entry.is_file(follow_symlinks=False) and is_leftover(entry.name):
                try:
                    os.unlink(entry.path)
                except OSError:
                    continue
                removed.append(Path(entry.path))
    for path in removed:
        log.info("removed %s left behind by a stopped sortext process", path)
    return removed
