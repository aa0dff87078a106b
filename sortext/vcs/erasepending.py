"""An erase not finished yet: what it must still remove, kept on this machine only.

An erase whose verification still finds the client (a sentence of their notes
quoted in another client's file or a kept page, a value in a spelling the rewrite
missed, a backup remote that failed) cannot end there: the record is gone and the
tombstone holds salted hashes only, so a later ``sortext erase ID`` would no
longer know what to look for.  The unfinished erase therefore keeps the client's
values and sentences in ``<git dir>/sortext-erase-<id>.json`` (never committed,
pushed or cloned; readable by its owner only) until an erase of that client
verifies clean, which deletes it.  ``sortext erase ID`` run again with the file
there resumes (:func:`sortext.vcs.erase.plan_resume`).  Deleting the file gives
the erase up.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from sortext.vcs import git

PREFIX = "sortext-erase-"
SUFFIX = ".json"
VERSION = 1


def is_pending_file(name: str) -> bool:
    """``name`` (in the git directory) is an unfinished erase's file."""
    return name.startswith(PREFIX) and name.endswith(SUFFIX)


def pending_path(root: Path, record_id: str) -> Path:
    """Where the unfinished erase of ``record_id`` (a validated id) is kept."""
    gitdir = Path(git.text(root, "rev-parse", "--absolute-git-dir").strip())
    return gitdir / f"{PREFIX}{record_id}{SUFFIX}"


@dataclass(frozen=True, slots=True)
class Pending:
    """What an unfinished erase must still remove: ``values``, ``(field, text)`` pairs
    (every written form of the client's id, name, email, phone), and ``sentences``
    (the texts of their notes' sentences, values as ``(erased)``); ``since``: the
    day of the first erase (ISO)."""

    record_id: str
    values: list[tuple[str, str]]
    sentences: list[str]
    since: str


def save(
    root: Path, record_id: str, values: list[tuple[str, str]], sentences: list[str], since: str
) -> Path:
    """Keep ``values`` and ``sentences`` (as :class:`Pending` holds them) for a later
    run (``since``: ISO day of the first erase, kept when the file is there already);
    the file's path."""
    from sortext.files.write import atomic_write

    path = pending_path(root, record_id)
    old = load(root, record_id)
    data = {
        "version": VERSION,
        "id": record_id,
        "since": old.since if old is not None else since,
        "values": [list(v) for v in values],
        "sentences": sentences,
    }
    atomic_write(path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
    os.chmod(path, 0o600)
    return path


def load(root: Path, record_id: str) -> Pending | None:
    """The unfinished erase of ``record_id``, or None (no file, or one this version
    cannot read)."""
    try:
        data = json.loads(pending_path(root, record_id).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return None
    values = [(str(f), str(t)) for f, t in data.get("values") or []]
    sentences = [str(t) for t in data.get("sentences") or [] if str(t).split()]
    return Pending(record_id, values, sentences, str(data.get("since", "")))


def clear(root: Path, record_id: str) -> bool:
    """Delete the unfinished erase's file; True when there was one."""
    path = pending_path(root, record_id)
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed
