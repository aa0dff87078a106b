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

from sortext.errors import StorageError
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
    try:
        old = load(root, record_id)
    except StorageError:  # one this erase cannot read is replaced (its own values kept)
        old = None
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
    """The unfinished erase of ``record_id``, or None (no file, or one of another
    format version).

    Raises StorageError naming the file when it is there but not an unfinished erase
    of ``record_id`` (not JSON, values not ``[field, text]`` pairs, sentences not a
    list of texts, or another client's ``id``): it is never half-read, and never
    taken for "nothing pending" (the erase would then say it had verified clean).
    """
    path = pending_path(root, record_id)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _unreadable(path, exc.strerror or type(exc).__name__) from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError as exc:  # (UnicodeDecodeError too)
        raise _unreadable(path, f"not JSON ({exc})") from None
    if isinstance(data, dict) and data.get("version") != VERSION:
        return None
    if not isinstance(data, dict):
        raise _unreadable(path, "not a JSON object")
    if data.get("id", record_id) != record_id:
        raise _unreadable(path, f"it is the erase of '{data.get('id')}', not of '{record_id}'")
    values = data.get("values") or []
    sentences = data.get("sentences") or []
    if not isinstance(values, list) or not all(
        isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v) for v in values
    ):
        raise _unreadable(path, "values: not a list of [field, text] pairs")
    if not isinstance(sentences, list) or not all(isinstance(t, str) for t in sentences):
        raise _unreadable(path, "sentences: not a list of texts")
    return Pending(
        record_id,
        [(f, t) for f, t in values],
        [t for t in sentences if t.split()],
        str(data.get("since", "")),
    )


def _unreadable(path: Path, why: str) -> StorageError:
    from sortext.files.inert import clean

    return StorageError(
        f"{path}: not an unfinished erase sortext can read: {clean(why)}; put the file "
        "back as the erase left it, or delete it to give that erase up"
    )


def clear(root: Path, record_id: str) -> bool:
    """Delete the unfinished erase's file; True when there was one."""
    path = pending_path(root, record_id)
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed
